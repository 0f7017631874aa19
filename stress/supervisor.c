/* supervisor.c - the storm's supervisor: its processes, kills, restarts,
 * cleanup and progress, and stress_run (see stress.h, supervisor.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "gen.h"
#include "judging.h"
#include "ledger.h"
#include "leftovers.h"
#include "observer.h"
#include "real_mount.h"
#include "records.h"
#include "stress.h"
#include "stressng.h"
#include "supervisor.h"
#include "util.h"
#include "worker.h"

#define STOP_GRACE_S 3.0

static volatile sig_atomic_t supervisor_stop;

void stress_request_stop(void)
{
    supervisor_stop = 1;
}

double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* fork a child that dies with us (PR_SET_PDEATHSIG, checked against a
 * parent that died before the prctl). */
pid_t fork_tied(void)
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
    worker_signals();
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
    storm_drain(s, false);
    s->worker_pid[i] = 0;
}

/* ----------------------------------------------------------- load */

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

/* VmRSS of `pid` in kB (0: unknown). */
static uint64_t rss_kb(pid_t pid)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %" SCNu64, &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* A sample's memory and the filesystem's request count (ternrig fs's
 * user.ternrig.stats on the mount's root). */
static void sample_memory(struct sup *s, struct stress_sample *sm)
{
    sm->fs_rss_kb = s->mounted ? rss_kb(s->rm.pid) : 0;
    sm->sup_rss_kb = rss_kb(getpid());
    char v[256];
    const char *root = s->mounted ? s->rm.dir : s->o->mount;
    ssize_t n = root ? getxattr(root, "user.ternrig.stats", v, sizeof v - 1)
                     : -1;
    sm->fs_requests = 0;
    if (n > 0) {
        v[n] = 0;
        sscanf(v, "requests %" SCNu64, &sm->fs_requests);
    }
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
        /* one close tracker for the whole storm: its scenarios never set
         * closetracker_map (gen_program_user), and a run's statement of it
         * would not resize a shared map anyway (real_exec.c) */
        struct real_mount_opts mo = {.closetracker_map = o->closetracker_map};
        if (real_mount_start_opts(&s->rm, NULL, o->policy, &mo, why, cap) < 0)
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
        if (stat(base, &st) != 0) {
            snprintf(why, cap, "--mount %s: %s", base, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) { /* errno is stale here */
            snprintf(why, cap, "--mount %s: not a directory", base);
            return -1;
        }
        if (!o->no_log &&
            real_mount_log(base, s->log, sizeof s->log)) {
            /* ternrig fs with --log: its decisions, from now on */
            char bad[4400];
            if (real_mount_log_usable(s->log, bad, sizeof bad) < 0) {
                snprintf(why, cap, "--mount %s: %s (--no-log judges from "
                                   "looks alone)",
                         base, bad);
                return -1;
            }
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

/* memset(p, 0, n) for megabytes of private memory without touching them:
 * whole pages are given back (MADV_DONTNEED: zero-filled on demand), the
 * edges are cleared.  The supervisor's state and result (3.4 MB, mostly
 * arrays used in part or not at all) stay unmapped until used: every
 * page the supervisor touches is copied into each worker's page tables,
 * and from there into every process a worker spawns. */
static void zero_untouched(void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p, e = a + n;
    uintptr_t lo = (a + page - 1) & ~(page - 1), hi = e & ~(page - 1);
    if (hi <= lo || madvise((void *)lo, hi - lo, MADV_DONTNEED) != 0) {
        memset(p, 0, n);
        return;
    }
    memset(p, 0, lo - a);
    memset((void *)hi, 0, e - hi);
}

int stress_run(const struct stress_options *o, struct stress_result *r,
               char *why, size_t cap)
{
    static struct sup s;
    zero_untouched(&s, sizeof s);
    zero_untouched(r, sizeof *r);
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        r->first[k] = -1;
    r->first_lost_after_close = -1;
    s.o = o;
    s.r = r;
    if (o->workers == 0 || o->workers > MAX_WORKERS) {
        snprintf(why, cap, "--workers must be 1..%d", MAX_WORKERS);
        return -1;
    }
    supervisor_stop = 0;
    stress_clean_leftovers(o->notices); /* even when quiet: it removed things */
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
                    storm_drain(&s, false);
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
        storm_drain(&s, false);
        if (!o->no_ledger_observer)
            judge_ready(&s, false);
        if (t >= next_sample && r->nsamples < STRESS_MAX_SAMPLES) {
            r->samples[r->nsamples].t = t;
            snapshot(&s, &r->samples[r->nsamples].c);
            sample_memory(&s, &r->samples[r->nsamples]);
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
    storm_drain(&s, true);
    if (!o->no_ledger_observer)
        judge_ready(&s, true);
    r->elapsed_s = now_mono() - s.t0;
    snapshot(&s, &r->c);
    if (r->nsamples < STRESS_MAX_SAMPLES) {
        r->samples[r->nsamples].t = r->elapsed_s;
        r->samples[r->nsamples].c = r->c;
        sample_memory(&s, &r->samples[r->nsamples++]);
    }
    progress(&s, r->elapsed_s, true);
    stop_load(&s);
    cleanup(&s);
    return 0;
}
