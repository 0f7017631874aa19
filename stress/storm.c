/* storm.c - the stress supervisor, its workers and its observer (see
 * stress.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "flushlog.h"
#include "gen.h"
#include "grow.h"
#include "ledger.h"
#include "real_exec.h"
#include "real_mount.h"
#include "scenario.h"
#include "stress.h"
#include "leftovers.h"
#include "util.h"
#include "observer.h"

#define MAX_WORKERS 64
#define SCEN_PER_DIR 256      /* a worker's directory is renewed after it */
#define JUDGE_GRACE_NS 150000000ULL /* records of a scenario still coming */
#define STOP_GRACE_S 3.0
#define MAX_ORPHANS 65536   /* flush-log lines ahead of the ledger */

/* Counters every process of the storm adds to (shared, atomic). */
struct shared {
    uint64_t scenarios, steps, forks, execs, kills, failed_runs;
    uint32_t next_scen[MAX_WORKERS]; /* each worker's next scenario number */
    volatile int stop;
};

struct worker_ctx {
    const struct stress_options *o;
    struct ledger *ledger; /* NULL: no records (overhead benchmark) */
    struct shared *sh;
    unsigned index;
    const char *storm_dir;
    char dir[4096];
    char prefix[32];
    uint32_t scen;
    struct program *p;
    uint64_t rng;
    bool foreign;           /* not the embedded fs: observe after steps */
    bool killed_this_run;   /* a kill was injected into the current run */
};

static volatile sig_atomic_t worker_stop, worker_kill_pending;
static volatile sig_atomic_t supervisor_stop;

void stress_request_stop(void)
{
    supervisor_stop = 1;
}

static void on_worker_term(int sig)
{
    (void)sig;
    worker_stop = 1;
}

static void on_worker_usr1(int sig)
{
    (void)sig;
    worker_kill_pending = 1;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void record(struct worker_ctx *w, uint16_t kind, uint32_t step,
                   int32_t result, int32_t pid, uint64_t a, uint64_t b)
{
    if (!w->ledger)
        return;
    struct ledger_rec r = {0};
    r.kind = kind;
    r.scen = w->scen;
    r.step = (uint16_t)step;
    r.result = result;
    r.pid = pid;
    r.a = a;
    r.b = b;
    r.worker = w->index;
    ledger_append(w->ledger, &r);
}

/* ------------------------------------------------------------ worker */

/* A look at every file of the scenario after a statement ended.  After a
 * statement that may close fds, a file not visible is recorded too: on a
 * mount without a flush log, that look is the only proof of a lost file. */
static void observe_files(struct worker_ctx *w, bool closed_fds)
{
    for (uint16_t f = 0; f < w->p->nfiles; f++) {
        char path[4200];
        struct stat st;
        uint64_t t0 = ledger_now_ns();
        snprintf(path, sizeof path, "%s/%s%s", w->dir, w->prefix,
                 w->p->file_names[f]);
        if (stat(path, &st) == 0)
            record(w, LR_OBSERVE, f, 1, 0, (uint64_t)st.st_size, t0);
        else if (closed_fds && errno == ENOENT)
            record(w, LR_UNSEEN, f, 0, 0, 0, t0);
    }
}

static bool may_close_fds(uint8_t op)
{
    return op == OP_CLOSE || op == OP_URING_CLOSE || op == OP_CLOSE_RANGE ||
           op == OP_DUP2 || op == OP_EXEC;
}

static bool hook_before(void *ctx, uint32_t i, unsigned *delay, uint32_t *pick)
{
    struct worker_ctx *w = ctx;
    record(w, LR_INTENT, i, 0, 0, w->p->steps[i].op, 0);
    if (!worker_kill_pending)
        return false;
    uint64_t r = gen_next(&w->rng);
    *delay = (unsigned)(r % 300); /* µs into the statement */
    *pick = (uint32_t)(r >> 32);
    return true;
}

static void hook_after(void *ctx, uint32_t i, int32_t result, int32_t pid,
                       int32_t pid2)
{
    struct worker_ctx *w = ctx;
    uint8_t op = w->p->steps[i].op;
    record(w, LR_RESULT, i, result, pid, op, (uint64_t)(uint32_t)pid2);
    __atomic_fetch_add(&w->sh->steps, 1, __ATOMIC_RELAXED);
    if (op == OP_FORK || op == OP_VFORK)
        __atomic_fetch_add(&w->sh->forks, 1, __ATOMIC_RELAXED);
    else if (op == OP_EXEC && result >= 0)
        __atomic_fetch_add(&w->sh->execs, 1, __ATOMIC_RELAXED);
    if (w->foreign && w->ledger)
        observe_files(w, may_close_fds(op));
}

static void hook_killed(void *ctx, uint32_t i, int task, bool interrupted)
{
    struct worker_ctx *w = ctx;
    worker_kill_pending = 0;
    w->killed_this_run = true;
    record(w, LR_KILL, i, 0, 0, (uint64_t)task, interrupted);
    __atomic_fetch_add(&w->sh->kills, 1, __ATOMIC_RELAXED);
}

static void new_worker_dir(struct worker_ctx *w, unsigned gen)
{
    if (w->dir[0])
        rmdir(w->dir); /* files were unlinked; invisible ones go with it */
    snprintf(w->dir, sizeof w->dir, "%s/w%u-%u", w->storm_dir, w->index, gen);
    mkdir(w->dir, 0755);
}

/* A run the executor could not finish (the kernel did what the model did
 * not: a finding about the model or SPEC §2, not about the filesystem) is
 * kept as a trace too, a few per worker. */
static void save_failed_run(struct worker_ctx *w, const struct program *p,
                            const char *reason)
{
    static unsigned saved;
    if (!w->o->out_dir || saved >= 4 || w->killed_this_run)
        return;
    saved++;
    char path[600];
    snprintf(path, sizeof path, "%.300s/failed-runs", w->o->out_dir);
    mkdir(w->o->out_dir, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%.300s/failed-runs/%08x.trace",
             w->o->out_dir, w->scen);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    static char text[1 << 20];
    trace_print(p, text, sizeof text);
    fprintf(f, "# ternrig stress: the real run of this scenario failed:\n"
               "# %s\n%s",
            reason, text);
    fclose(f);
}

static int worker_main(struct worker_ctx *w)
{
    struct judge j;
    if (judge_init(&j) < 0)
        return 1;
    static struct program p;
    w->p = &p;
    w->rng = w->o->seed * 0x9E3779B97F4A7C15ULL + w->index + 1;
    struct real_hooks h = {0};
    h.ctx = w;
    h.no_judge = true;
    h.uring_writes = true;
    h.before = hook_before;
    h.after = hook_after;
    h.killed = hook_killed;
    h.name_prefix = w->prefix;
    /* the content control of tests/stress.sh: write the wrong pattern */
    h.corrupt_id = getenv("TERNRIG_STRESS_CORRUPT_CONTENT") ? 1u : 0u;
    /* a restarted worker continues its numbering where the ledger left
     * it: the supervisor passes the next number in scen */
    uint32_t n = w->scen & 0xfffff;
    for (; !worker_stop; n++) {
        if (n % SCEN_PER_DIR == 0 || !w->dir[0])
            new_worker_dir(w, n / SCEN_PER_DIR);
        w->scen = (w->index << 20) | (n & 0xfffff);
        __atomic_store_n(&w->sh->next_scen[w->index], n + 1, __ATOMIC_RELEASE);
        snprintf(w->prefix, sizeof w->prefix, "s%08x-", w->scen);
        uint64_t seed = gen_next(&w->rng) | 1;
        scenario_program(j.model, &p, seed, w->o->steps, w->o->interleave);
        record(w, LR_BEGIN, 0, (int32_t)w->o->interleave, getpid(), seed,
               w->o->steps);
        h.dir = w->dir;
        w->killed_this_run = false;
        struct real_outcome out;
        int rc = real_run(&j, &p, w->o->policy, w->dir, NULL, &h, &out);
        record(w, LR_END, 0, rc < 0 ? -1 : 0, 0, 0, 0);
        __atomic_fetch_add(&w->sh->scenarios, 1, __ATOMIC_RELAXED);
        if (rc < 0) {
            __atomic_fetch_add(&w->sh->failed_runs, 1, __ATOMIC_RELAXED);
            save_failed_run(w, &p, out.reason);
        }
        for (uint16_t f = 0; f < p.nfiles; f++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s%s", w->dir, w->prefix,
                     p.file_names[f]);
            unlink(path);
        }
    }
    judge_destroy(&j);
    return 0;
}

/* -------------------------------------------------------- supervisor */

struct sup {
    const struct stress_options *o;
    struct stress_result *r;
    struct ledger *ledger;
    struct shared *sh;
    pid_t worker_pid[MAX_WORKERS];
    uint64_t worker_cut_t[MAX_WORKERS];
    pid_t observer;
    pid_t load_pid;
    char state_dir[256];
    char storm_dir[4096];
    char log[300];
    FILE *logf;
    long log_off;
    struct real_mount rm;
    bool mounted;
    struct scenario **pend;
    size_t npend, cap_pend;
    uint64_t after_seq;
    uint64_t t_origin;
    double t0;
    struct judge j;
    struct program *prog;
    unsigned repro_count[FIND_KIND_COUNT];
    struct {
        uint32_t scen;
        struct scen_dec d;
    } orphan[MAX_ORPHANS];
    uint32_t norphans;
    char why[200];
};

static struct scenario *find_scen(struct sup *s, uint32_t id)
{
    for (uint32_t i = s->npend; i-- > 0;)
        if (s->pend[i]->id == id)
            return s->pend[i];
    return NULL;
}

static void scen_free(struct scenario *sc)
{
    free(sc->step);
    free(sc->obs);
    free(sc->dec);
    free(sc);
}

static struct scenario *scen_new(struct sup *s, const struct ledger_rec *r)
{
    if (grow(&s->pend, &s->cap_pend, s->npend, sizeof *s->pend, 64) < 0)
        return NULL;
    struct scenario *sc = calloc(1, sizeof *sc);
    uint32_t n = r->b < MAX_STEPS ? (uint32_t)r->b : MAX_STEPS - 1;
    if (sc)
        sc->step = calloc(n + 1, sizeof *sc->step);
    if (!sc || !sc->step) {
        free(sc);
        return NULL;
    }
    sc->id = r->scen;
    sc->worker = r->worker;
    sc->seed = r->a;
    sc->nsteps = n;
    sc->interleave = (unsigned)r->result;
    sc->begin_t = r->t_ns;
    s->pend[s->npend++] = sc;
    return sc;
}

static void add_dec(struct scenario *sc, const struct scen_dec *d);

/* Decisions the log showed before their scenario's first record, and
 * those too old to ever find one (dropped). */
static void adopt_orphans(struct sup *s, struct scenario *sc)
{
    uint32_t keep = 0;
    uint64_t too_old = ledger_now_ns() - 60000000000ULL;
    for (uint32_t i = 0; i < s->norphans; i++) {
        if (sc && s->orphan[i].scen == sc->id)
            add_dec(sc, &s->orphan[i].d);
        else if (s->orphan[i].d.t > too_old)
            s->orphan[keep++] = s->orphan[i];
    }
    s->norphans = keep;
}

static void add_obs(struct scenario *sc, const struct scen_obs *o)
{
    if (grow(&sc->obs, &sc->cap_obs, sc->nobs, sizeof *sc->obs, 16) == 0)
        sc->obs[sc->nobs++] = *o;
}

static void add_dec(struct scenario *sc, const struct scen_dec *d)
{
    if (grow(&sc->dec, &sc->cap_dec, sc->ndec, sizeof *sc->dec, 16) == 0)
        sc->dec[sc->ndec++] = *d;
}

/* A file seen with bytes it was never written: its scenario as a trace,
 * the place it went wrong in a comment. */
static void save_content_mismatch(struct sup *s, const struct scenario *sc,
                                  const struct scen_obs *o, uint64_t bad,
                                  uint32_t got)
{
    if (s->o->progress)
        fprintf(s->o->progress, "\nternrig stress: f%u of scenario %08x "
                                "(%llu bytes) does not hold the bytes written "
                                "(at offset %llu: 0x%02x, written 0x%02x)\n",
                (unsigned)o->file, sc->id, (unsigned long long)o->size,
                (unsigned long long)bad, got & 0xff, (got >> 8) & 0xff);
    if (!s->o->out_dir)
        return;
    char path[600];
    snprintf(path, sizeof path, "%.300s/content", s->o->out_dir);
    mkdir(s->o->out_dir, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%.300s/content/%08x.trace", s->o->out_dir,
             sc->id);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    scenario_program(s->j.model, s->prog, sc->seed, sc->nsteps,
                     sc->interleave);
    static char text[1 << 20];
    trace_print(s->prog, text, sizeof text);
    fprintf(f, "# ternrig stress: f%u seen with %llu bytes, not all of them "
               "written to it: first wrong byte at offset %llu\n%s",
            (unsigned)o->file, (unsigned long long)o->size,
            (unsigned long long)bad, text);
    fclose(f);
}

static void take_record(struct sup *s, const struct ledger_rec *r)
{
    s->r->c.ledger_records++;
    if (r->kind == LR_BEGIN) {
        struct scenario *sc = scen_new(s, r);
        if (sc && s->norphans)
            adopt_orphans(s, sc);
        return;
    }
    struct scenario *sc = find_scen(s, r->scen);
    if (!sc)
        return;
    switch (r->kind) {
    case LR_INTENT:
        if (r->step < sc->nsteps)
            sc->step[r->step].intent_t = r->t_ns;
        break;
    case LR_RESULT:
        if (r->step < sc->nsteps) {
            sc->step[r->step].result_t = r->t_ns;
            sc->step[r->step].result = r->result;
            sc->step[r->step].pid = r->pid;
            sc->step[r->step].pid2 = (int32_t)r->b;
        }
        break;
    case LR_KILL:
        sc->killed = true;
        sc->kill_step = r->step;
        sc->kill_task = (uint16_t)r->a;
        sc->interrupted = r->b != 0;
        break;
    case LR_END:
        sc->ended = true;
        sc->end_result = r->result;
        sc->end_t = r->t_ns;
        break;
    case LR_UNSEEN: {
        struct scen_obs o = {r->step, true, 0, r->b, r->t_ns, false};
        add_obs(sc, &o);
        break;
    }
    case LR_OBSERVE: {
        struct scen_obs o = {r->step, r->result != 0, r->a, r->b, r->t_ns,
                             true};
        add_obs(sc, &o);
        s->r->c.observations++;
        if (!o.content_ok && s->r->c.content_bad++ < 4)
            save_content_mismatch(s, sc, &o, (uint64_t)r->pid, r->worker);
        break;
    }
    default:
        break;
    }
}

/* The flush log of ternrig fs (ours, or the one --mount reports):
 * decisions on the storm's files.  A line still being written is left
 * whole for next time (flushlog.h's tail reader). */
static void tail_log(struct sup *s)
{
    if (!s->log[0])
        return;
    /* opened once and kept: the log is read even if someone removes its
     * name meanwhile */
    if (!s->logf && !(s->logf = fopen(s->log, "r")))
        return;
    struct flog_tail tail;
    struct flog_event ev;
    flushlog_tail_init(&tail, s->logf, s->log_off);
    while (flushlog_tail_next(&tail, &ev) == 1) {
        unsigned scen, file;
        if (ev.op != FLOG_FLUSH || !ev.decision[0] || !ev.t_ns ||
            sscanf(ev.name, "s%8x-f%u", &scen, &file) != 2)
            continue;
        struct scenario *sc = find_scen(s, scen);
        struct scen_dec d = {0};
        d.file = (uint16_t)file;
        d.type = !strcmp(ev.decision, "seal")    ? EV_SEAL
                 : !strcmp(ev.decision, "abort") ? EV_ABORT
                                                 : EV_FLUSH;
        d.mm_alive = ev.mm_alive;
        d.tgid = ev.tgid;
        d.t = ev.t_ns;
        d.size = ev.size > 0 ? (uint64_t)ev.size : 0;
        if (sc) {
            add_dec(sc, &d);
        } else if (s->norphans < MAX_ORPHANS) {
            /* the log can be ahead of the ledger (a record being written
             * holds the reader back): kept until its scenario begins */
            s->orphan[s->norphans].scen = scen;
            s->orphan[s->norphans++].d = d;
        }
    }
    s->log_off = tail.off;
    flushlog_tail_done(&tail);
}

static void write_reproducer(struct sup *s, const struct scenario *sc,
                             const struct scen_finding *f,
                             struct stress_finding *sf)
{
    const char *kind = finding_kind_name((enum finding_kind)f->kind);
    unsigned k = ++s->repro_count[f->kind];
    if (!s->o->out_dir || k > 8) /* eight of a kind are plenty */
        return;
    char dir[400];
    snprintf(dir, sizeof dir, "%.380s/reproducers", s->o->out_dir);
    mkdir(s->o->out_dir, 0755);
    mkdir(dir, 0755);
    snprintf(sf->reproducer, sizeof sf->reproducer, "%s/%s-%u.trace", dir,
             kind, k);
    FILE *out = fopen(sf->reproducer, "w");
    if (!out) {
        sf->reproducer[0] = 0;
        return;
    }
    fprintf(out, "# ternrig stress reproducer: %s of %s under policy %s\n",
            kind, sf->file, policy_name(s->o->policy));
    fprintf(out, "# scenario %08x (worker %u, generator seed %llu), on %s\n",
            sc->id, sc->worker, (unsigned long long)sc->seed, s->r->mount);
    fprintf(out, "# %s\n", f->explain);
    for (unsigned e = 0; e < f->nevidence; e++)
        fprintf(out, "# evidence: %s\n", f->evidence[e]);
    fprintf(out, "# replay: ternrig replay -v --policy %s THIS.trace   "
                 "(model)\n#         ternrig replay --real --policy %s "
                 "THIS.trace   (embedded fs) or --mount DIR\n",
            policy_name(s->o->policy), policy_name(s->o->policy));
    static char text[1 << 20];
    trace_print(s->prog, text, sizeof text);
    fputs(text, out);
    /* what the mount showed, as an expectation the model must meet too:
     * `ternrig replay` fails on it where the model and the mount differ */
    fprintf(out, "expect[%s] violation %s %s\n", policy_name(s->o->policy),
            kind, sf->file);
    fclose(out);
}

static void judge_scen(struct sup *s, struct scenario *sc)
{
    struct scen_verdict v;
    scenario_program(s->j.model, s->prog, sc->seed, sc->nsteps,
                     sc->interleave);
    scenario_judge(&s->j, s->prog, s->o->policy, sc, s->r->have_log,
                   s->t_origin, &v);
    if (!v.judged) {
        s->r->c.unjudged++;
        return;
    }
    s->r->c.sealed += v.sealed;
    s->r->c.aborted += v.aborted;
    s->r->c.uncertain += v.uncertain;
    s->r->c.violations += v.nviolations;
    if (v.nfound && getenv("TERNRIG_STRESS_DEBUG")) {
        fprintf(stderr, "scenario %08x: killed %d (step %u task %u int %d) "
                        "cut %d ended %d\n",
                sc->id, sc->killed, sc->kill_step, sc->kill_task,
                sc->interrupted, sc->cut, sc->ended);
        for (uint32_t i = 0; i < sc->nsteps; i++)
            fprintf(stderr, "  step %u: +%.6f .. +%.6f -> %d\n", i + 1,
                    (double)(sc->step[i].intent_t - s->t_origin) / 1e9,
                    (double)(sc->step[i].result_t - s->t_origin) / 1e9,
                    sc->step[i].result);
        for (uint32_t i = 0; i < sc->ndec; i++)
            fprintf(stderr, "  dec f%u %d at +%.6f size %llu tgid %d\n",
                    sc->dec[i].file, sc->dec[i].type,
                    (double)(sc->dec[i].t - s->t_origin) / 1e9,
                    (unsigned long long)sc->dec[i].size, sc->dec[i].tgid);
    }
    double t = now_mono() - s->t0;
    for (unsigned i = 0; i < v.nfound; i++) {
        const struct scen_finding *f = &v.f[i];
        s->r->by_kind[f->kind]++;
        if (s->r->first[f->kind] < 0)
            s->r->first[f->kind] = t;
        if (s->r->nfindings >= STRESS_MAX_FINDINGS ||
            s->repro_count[f->kind] >= 8)
            continue;
        struct stress_finding *sf = &s->r->findings[s->r->nfindings++];
        memset(sf, 0, sizeof *sf);
        sf->kind = f->kind;
        sf->t = t;
        sf->scen = sc->id;
        snprintf(sf->file, sizeof sf->file, "%s", s->prog->file_names[f->file]);
        snprintf(sf->explain, sizeof sf->explain, "%s", f->explain);
        for (unsigned e = 0; e < f->nevidence; e++)
            snprintf(sf->evidence[e], sizeof sf->evidence[e], "%s",
                     f->evidence[e]);
        sf->nevidence = f->nevidence;
        write_reproducer(s, sc, f, sf);
    }
}

/* Judge what is complete: ended (and its records in), or cut by its
 * worker's death.  `all`: everything left (the end of the storm). */
static void judge_ready(struct sup *s, bool all)
{
    uint64_t now = ledger_now_ns();
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        struct scenario *sc = s->pend[i];
        uint64_t cut = sc->worker < MAX_WORKERS ? s->worker_cut_t[sc->worker]
                                                : 0;
        if (!sc->ended && cut && cut > sc->begin_t) {
            sc->cut = true;
            sc->cut_t = cut;
        }
        uint64_t done_t = sc->ended ? sc->end_t : sc->cut ? sc->cut_t : 0;
        if (all || (done_t && now > done_t + JUDGE_GRACE_NS)) {
            if (sc->ended || sc->cut)
                judge_scen(s, sc);
            else
                s->r->c.unjudged++; /* stopped mid-scenario at the end */
            scen_free(sc);
        } else {
            s->pend[keep++] = sc;
        }
    }
    s->npend = keep;
}

static void drain(struct sup *s, bool final)
{
    static struct ledger_rec buf[4096];
    if (!s->ledger)
        return;
    for (;;) {
        size_t n = ledger_read(s->ledger, &s->after_seq, buf, 4096,
                               &s->r->c.ledger_lost, &s->r->c.ledger_torn,
                               final);
        for (size_t i = 0; i < n; i++)
            take_record(s, &buf[i]);
        if (n < 4096)
            break;
    }
    tail_log(s);
}

/* fork a child that dies with us (PR_SET_PDEATHSIG, checked against a
 * parent that died before the prctl). */
static pid_t fork_tied(void)
{
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != me)
            _exit(1);
    }
    return pid;
}

static pid_t start_child(struct sup *s, int (*fn)(struct sup *, unsigned),
                         unsigned arg)
{
    pid_t pid = fork_tied();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN); /* the supervisor decides */
        signal(SIGTERM, SIG_DFL);
        _exit(fn(s, arg));
    }
    return pid;
}

static int run_worker(struct sup *s, unsigned index)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_worker_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_worker_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    struct worker_ctx w = {0};
    w.o = s->o;
    w.ledger = s->o->no_ledger_observer ? NULL : s->ledger;
    w.sh = s->sh;
    w.index = index;
    w.storm_dir = s->storm_dir;
    /* a restarted worker goes on numbering where its predecessor got:
     * its files (left by the kill) keep their names */
    w.scen = __atomic_load_n(&s->sh->next_scen[index], __ATOMIC_ACQUIRE);
    w.foreign = !s->r->embedded;
    return worker_main(&w);
}

static int run_observer(struct sup *s, unsigned unused)
{
    (void)unused;
    return observer_main(s->ledger, s->storm_dir, &s->sh->stop);
}

static void start_worker(struct sup *s, unsigned i)
{
    s->worker_pid[i] = start_child(s, run_worker, i);
    if (s->ledger) {
        struct ledger_rec r = {0};
        r.kind = LR_WORKER_START;
        r.worker = i;
        r.pid = s->worker_pid[i];
        ledger_append(s->ledger, &r);
    }
}

static void kill_worker(struct sup *s, unsigned i)
{
    pid_t pid = s->worker_pid[i];
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->worker_cut_t[i] = ledger_now_ns();
    if (s->ledger) {
        struct ledger_rec r = {0};
        r.kind = LR_WORKER_KILL;
        r.worker = i;
        r.pid = pid;
        ledger_append(s->ledger, &r);
    }
    s->r->c.worker_kills++;
    drain(s, false);
    s->worker_pid[i] = 0;
}

/* ----------------------------------------------------------- load */

static void start_load(struct sup *s)
{
    const struct stress_options *o = s->o;
    if (!o->load)
        return;
    char spec[256];
    snprintf(spec, sizeof spec, "%s", o->load);
    char *argv[64];
    int argc = 0;
    static char args[64][300];
    argv[argc++] = "stress-ng";
    for (char *tok = strtok(spec, ","); tok && argc < 56; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        snprintf(args[argc], sizeof args[0], "--%.*s",
                 colon ? (int)(colon - tok) : (int)strlen(tok), tok);
        argv[argc] = args[argc];
        argc++;
        snprintf(args[argc], sizeof args[0], "%s", colon ? colon + 1 : "1");
        argv[argc] = args[argc];
        argc++;
    }
    /* its filesystem stressors work inside the storm's directory */
    static char tp[4200], tmo[32];
    snprintf(tp, sizeof tp, "%s/load", s->storm_dir);
    mkdir(tp, 0755);
    snprintf(tmo, sizeof tmo, "%ds", (int)o->duration_s + 5);
    argv[argc++] = "--temp-path";
    argv[argc++] = tp;
    argv[argc++] = "--timeout";
    argv[argc++] = tmo;
    argv[argc++] = "--quiet";
    argv[argc] = NULL;
    pid_t pid = fork_tied();
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp("stress-ng", argv);
        _exit(127);
    }
    s->load_pid = pid;
    setpgid(pid, pid);
    snprintf(s->r->load_note, sizeof s->r->load_note, "stress-ng");
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(s->r->load_note);
        snprintf(s->r->load_note + l, sizeof s->r->load_note - l, " %s",
                 argv[i]);
    }
}

static void stop_load(struct sup *s)
{
    if (s->load_pid <= 0)
        return;
    int st;
    if (waitpid(s->load_pid, &st, WNOHANG) == s->load_pid) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            snprintf(s->r->load_note, sizeof s->r->load_note,
                     "stress-ng not found: apt-get install stress-ng");
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            size_t l = strlen(s->r->load_note);
            snprintf(s->r->load_note + l, sizeof s->r->load_note - l,
                     " (stopped early: status %d)", st);
        }
        s->load_pid = 0;
        return;
    }
    kill(-s->load_pid, SIGKILL);
    waitpid(s->load_pid, NULL, 0);
    s->load_pid = 0;
}

/* Every process of ours gone: workers, observer, load, and the scenario
 * tasks they left.  Ten seconds at most. */
static void reap_everything(struct sup *s)
{
    for (unsigned i = 0; i < s->o->workers; i++)
        if (s->worker_pid[i] > 0)
            kill(s->worker_pid[i], SIGKILL);
    if (s->observer > 0)
        kill(s->observer, SIGKILL);
    stop_load(s);
    for (double t0 = now_mono(); now_mono() - t0 < 10;) {
        pid_t p;
        while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
            if (p == s->rm.pid)
                s->rm.pid = 0; /* the fs died on its own */
        if (kill_children(s->rm.pid) == 0)
            break;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}

static void cleanup(struct sup *s)
{
    reap_everything(s);
    if (s->storm_dir[0] && !s->mounted)
        remove_tree(s->storm_dir);
    if (s->logf)
        fclose(s->logf);
    s->logf = NULL;
    if (s->mounted)
        real_mount_stop(&s->rm);
    if (s->ledger)
        ledger_close(s->ledger);
    if (s->state_dir[0])
        remove_tree(s->state_dir);
    for (uint32_t i = 0; i < s->npend; i++)
        scen_free(s->pend[i]);
    free(s->pend);
    s->npend = 0;
    if (s->sh)
        munmap(s->sh, sizeof *s->sh);
    judge_destroy(&s->j);
    free(s->prog);
}

/* ---------------------------------------------------------- progress */

static void snapshot(struct sup *s, struct stress_counts *c)
{
    *c = s->r->c;
    c->scenarios = __atomic_load_n(&s->sh->scenarios, __ATOMIC_RELAXED);
    c->steps = __atomic_load_n(&s->sh->steps, __ATOMIC_RELAXED);
    c->forks = __atomic_load_n(&s->sh->forks, __ATOMIC_RELAXED);
    c->execs = __atomic_load_n(&s->sh->execs, __ATOMIC_RELAXED);
    c->kills = __atomic_load_n(&s->sh->kills, __ATOMIC_RELAXED) +
               s->r->c.worker_kills;
    c->failed_runs = __atomic_load_n(&s->sh->failed_runs, __ATOMIC_RELAXED);
}

static void progress(struct sup *s, double t, bool final)
{
    const struct stress_options *o = s->o;
    if (!o->progress)
        return;
    struct stress_counts c;
    snapshot(s, &c);
    double rt = t > 0 ? t : 1;
    fprintf(o->progress,
            "%s[%5.0fs/%.0fs] %7.1f scen/s %7.1f forks/s %6.1f execs/s  "
            "kills %llu  sealed %llu aborted %llu uncertain %llu  "
            "violations %llu%s",
            o->progress_tty ? "\r" : "", t, o->duration_s,
            (double)c.scenarios / rt, (double)c.forks / rt,
            (double)c.execs / rt, (unsigned long long)c.kills,
            (unsigned long long)c.sealed, (unsigned long long)c.aborted,
            (unsigned long long)c.uncertain,
            (unsigned long long)c.violations,
            o->progress_tty && !final ? "  " : "\n");
    fflush(o->progress);
}

/* --------------------------------------------------------------- run */

static int setup(struct sup *s, char *why, size_t cap)
{
    const struct stress_options *o = s->o;
    snprintf(s->state_dir, sizeof s->state_dir, "/tmp/ternrig-stress-XXXXXX");
    if (!mkdtemp(s->state_dir)) {
        snprintf(why, cap, "mkdtemp in /tmp: %s", strerror(errno));
        s->state_dir[0] = 0;
        return -1;
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    write_state(s->state_dir, "owner", pid);
    const char *base = o->mount;
    if (!base) {
        write_state(s->state_dir, "mount", "(starting)");
        if (real_mount_start(&s->rm, NULL, o->policy, why, cap) < 0)
            return -1;
        s->mounted = true;
        write_state(s->state_dir, "mount", s->rm.dir);
        snprintf(s->log, sizeof s->log, "%s", s->rm.log);
        s->logf = fopen(s->log, "r");
        base = s->rm.dir;
        s->r->embedded = true;
        snprintf(s->r->mount, sizeof s->r->mount, "embedded (%s)", base);
    } else {
        struct stat st;
        if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(why, cap, "--mount %s: %s", base,
                     errno ? strerror(errno) : "not a directory");
            return -1;
        }
        if (!o->no_log &&
            real_mount_log(base, s->log, sizeof s->log)) {
            /* ternrig fs with --log: its decisions, from now on */
            s->logf = fopen(s->log, "r");
            if (!s->logf) {
                snprintf(why, cap, "--mount %s: its flush log %s: %s", base,
                         s->log, strerror(errno));
                return -1;
            }
            fseek(s->logf, 0, SEEK_END);
            s->log_off = ftell(s->logf);
        }
        snprintf(s->r->mount, sizeof s->r->mount, "%.240s", base);
    }
    s->r->have_log = s->log[0] != 0;
    snprintf(s->storm_dir, sizeof s->storm_dir, "%s/ternrig-stress-XXXXXX",
             base);
    if (!mkdtemp(s->storm_dir)) {
        snprintf(why, cap, "cannot make a directory in %s: %s", base,
                 strerror(errno));
        s->storm_dir[0] = 0;
        return -1;
    }
    if (!s->mounted)
        write_state(s->state_dir, "storm", s->storm_dir);
    char lp[300];
    snprintf(lp, sizeof lp, "%s/ledger", s->state_dir);
    s->ledger = ledger_create(lp, 1u << 20, why, cap);
    if (!s->ledger)
        return -1;
    s->sh = mmap(NULL, sizeof *s->sh, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->sh == MAP_FAILED) {
        s->sh = NULL;
        snprintf(why, cap, "mmap: %s", strerror(errno));
        return -1;
    }
    memset(s->sh, 0, sizeof *s->sh);
    if (judge_init(&s->j) < 0 || !(s->prog = malloc(sizeof *s->prog))) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

static double exp_interval(uint64_t *rng, double rate)
{
    double u = ((double)(gen_next(rng) >> 11) + 1.0) / 9007199254740993.0;
    return -log(u) / rate;
}

int stress_run(const struct stress_options *o, struct stress_result *r,
               char *why, size_t cap)
{
    static struct sup s;
    memset(&s, 0, sizeof s);
    memset(r, 0, sizeof *r);
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        r->first[k] = -1;
    s.o = o;
    s.r = r;
    if (o->workers == 0 || o->workers > MAX_WORKERS) {
        snprintf(why, cap, "--workers must be 1..%d", MAX_WORKERS);
        return -1;
    }
    supervisor_stop = 0;
    stress_clean_leftovers(stderr); /* even when quiet: it removed things */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (setup(&s, why, cap) < 0) {
        cleanup(&s);
        return -1;
    }
    s.t0 = now_mono();
    s.t_origin = ledger_now_ns();
    start_load(&s);
    if (!o->no_ledger_observer)
        s.observer = start_child(&s, run_observer, 0);
    for (unsigned i = 0; i < o->workers; i++)
        start_worker(&s, i);
    uint64_t rng = o->seed * 0xD1B54A32D192ED03ULL + 7;
    double next_kill = o->kill_rate > 0 ? exp_interval(&rng, o->kill_rate)
                                        : 1e300;
    double next_sample = 1.0, next_line = o->progress_tty ? 1.0 : 10.0;
    double t = 0;
    while (!supervisor_stop && (t = now_mono() - s.t0) < o->duration_s) {
        struct timespec ts = {0, 20000000}; /* 20 ms */
        nanosleep(&ts, NULL);
        t = now_mono() - s.t0;
        /* a worker that died on its own is restarted too */
        int st;
        pid_t dead;
        while ((dead = waitpid(-1, &st, WNOHANG)) > 0)
            for (unsigned i = 0; i < o->workers; i++)
                if (s.worker_pid[i] == dead) {
                    s.worker_cut_t[i] = ledger_now_ns();
                    s.worker_pid[i] = 0;
                    drain(&s, false);
                    start_worker(&s, i);
                }
        while (t >= next_kill) {
            unsigned w = (unsigned)(gen_next(&rng) % o->workers);
            if (gen_next(&rng) % 4 == 0) { /* the whole worker */
                kill_worker(&s, w);
                start_worker(&s, w);
            } else if (s.worker_pid[w] > 0) { /* a process of its scenario */
                kill(s.worker_pid[w], SIGUSR1);
            }
            next_kill += exp_interval(&rng, o->kill_rate);
        }
        drain(&s, false);
        if (!o->no_ledger_observer)
            judge_ready(&s, false);
        if (t >= next_sample && r->nsamples < STRESS_MAX_SAMPLES) {
            r->samples[r->nsamples].t = t;
            snapshot(&s, &r->samples[r->nsamples].c);
            r->nsamples++;
            next_sample += 1.0;
        }
        if (t >= next_line) {
            progress(&s, t, false);
            next_line += o->progress_tty ? 0.5 : 10.0;
        }
    }
    /* stop: workers finish their scenario, then whatever is left dies */
    for (unsigned i = 0; i < o->workers; i++)
        if (s.worker_pid[i] > 0)
            kill(s.worker_pid[i], SIGTERM);
    double stop_t = now_mono();
    unsigned left = o->workers;
    while (left && now_mono() - stop_t < STOP_GRACE_S) {
        int st;
        pid_t dead = waitpid(-1, &st, WNOHANG);
        if (dead > 0) {
            for (unsigned i = 0; i < o->workers; i++)
                if (s.worker_pid[i] == dead) {
                    s.worker_pid[i] = 0;
                    left--;
                }
            continue;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < o->workers; i++)
        if (s.worker_pid[i] > 0) {
            kill(s.worker_pid[i], SIGKILL);
            waitpid(s.worker_pid[i], NULL, 0);
            s.worker_cut_t[i] = ledger_now_ns();
            s.worker_pid[i] = 0;
        }
    s.sh->stop = 1;
    if (s.observer > 0) {
        waitpid(s.observer, NULL, 0);
        s.observer = 0;
    }
    drain(&s, true);
    if (!o->no_ledger_observer)
        judge_ready(&s, true);
    r->elapsed_s = now_mono() - s.t0;
    snapshot(&s, &r->c);
    if (r->nsamples < STRESS_MAX_SAMPLES) {
        r->samples[r->nsamples].t = r->elapsed_s;
        r->samples[r->nsamples++].c = r->c;
    }
    progress(&s, r->elapsed_s, true);
    stop_load(&s);
    cleanup(&s);
    return 0;
}
