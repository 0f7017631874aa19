/* worker.c - a storm's worker process (see worker.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gen.h"
#include "ledger.h"
#include "real_exec.h"
#include "scenario.h"
#include "worker.h"

#define SCEN_PER_DIR 256      /* a worker's directory is renewed after it */

static volatile sig_atomic_t worker_stop, worker_kill_pending;

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

void worker_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_worker_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_worker_usr1;
    sigaction(SIGUSR1, &sa, NULL);
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
                       int32_t tid, int32_t pid2)
{
    struct worker_ctx *w = ctx;
    uint8_t op = w->p->steps[i].op;
    record(w, LR_RESULT, i, result, pid,
           op | (uint64_t)(uint32_t)tid << 32, (uint64_t)(uint32_t)pid2);
    __atomic_fetch_add(&w->sh->steps, 1, __ATOMIC_RELAXED);
    if (op == OP_FORK || op == OP_VFORK)
        __atomic_fetch_add(&w->sh->forks, 1, __ATOMIC_RELAXED);
    else if (op == OP_EXEC && result >= 0)
        __atomic_fetch_add(&w->sh->execs, 1, __ATOMIC_RELAXED);
    if (w->foreign && w->ledger)
        observe_files(w, may_close_fds(op));
}

static void hook_inode(void *ctx, uint32_t i, uint16_t file, uint64_t ino)
{
    struct worker_ctx *w = ctx;
    record(w, LR_INODE, file, (int32_t)i, 0, ino, 0);
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


int worker_main(struct worker_ctx *w)
{
    prctl(PR_SET_NAME, "ternrig-worker"); /* in ps and perf */
    /* first, while this process is small: the spawner keeps a copy */
    struct real_spawner sp;
    if (real_spawner_start(&sp) < 0)
        sp.chan = -1; /* the executor forks each run's tasks itself */
    struct judge j;
    if (judge_init(&j) < 0) {
        real_spawner_stop(&sp);
        return 1;
    }
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
    h.inode = hook_inode;
    h.spawner = sp.chan >= 0 ? &sp : NULL;
    h.name_prefix = w->prefix;
    /* the content control of tests/stress.sh: write the wrong pattern */
    h.corrupt_id = w->o->corrupt_content ? 1u : 0u;
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
        /* tests: a directory no task can enter, so the run fails */
        h.dir = w->o->fail_runs ? "/nonexistent/ternrig-test" : w->dir;
        w->killed_this_run = false;
        if (h.spawner && waitpid(sp.pid, NULL, WNOHANG) == sp.pid)
            sp.pid = 0; /* it died (the run it served failed) */
        if (h.spawner && (sp.chan < 0 || !sp.pid)) { /* another */
            real_spawner_stop(&sp);
            if (real_spawner_start(&sp) < 0)
                h.spawner = NULL;
        }
        struct real_outcome out;
        int rc = real_run(&j, &p, w->o->policy, w->dir, NULL, &h, &out);
        record(w, LR_END, 0, rc < 0 ? -1 : (int32_t)out.stopped_at, 0, 0, 0);
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
    real_spawner_stop(&sp);
    return 0;
}
