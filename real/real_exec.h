/* real_exec.h - run a trace for real: real tasks, real syscalls, on a
 * mounted filesystem, step by step, and turn what happened into a history
 * for the oracle.
 *
 * Owns: the controller.  It runs the model in lockstep (under the mount's
 * policy) for the bookkeeping a trace needs (which task is which process,
 * which fd number an fd name has: real tasks keep trace fds at the model's
 * numbers, see real_task.h), sends each statement to the real task that
 * performs it, waits for it to complete, and after every statement records
 * what the directory shows (EV_OBSERVE) and, when the mount is ternrig fs
 * with a flush log, the decisions it made (EV_SEAL / EV_ABORT).
 */
#ifndef TERNRIG_REAL_EXEC_H
#define TERNRIG_REAL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "judge.h"

/* The statement kinds a schedule option belongs to (SPEC v2 §3). */
enum real_sched_kind {
    REAL_SCHED_SPAWN, REAL_SCHED_FORK, REAL_SCHED_VFORK, REAL_SCHED_THREAD,
    REAL_SCHED_KILL, REAL_SCHED_EXIT_GROUP, REAL_SCHED_EXEC, REAL_SCHED_END,
    REAL_SCHED_KINDS
};
/* Its name: "spawn", ..., "end of trace". */
const char *real_sched_kind_name(unsigned kind);

struct real_outcome {
    bool skipped;             /* the trace needs what user space cannot do */
    char reason[160];         /* skipped or failed: why                    */
    struct verdict verdict;   /* valid until the next run                  */
    uint32_t applicable, failed;
    /* without a flush log: expectations the looks cannot decide (a file
     * never seen visible is transient or aborted; see expect_judgeable) */
    uint32_t unjudged;
    struct expect_failure failures[JUDGE_MAX_REPORTED_FAILURES];
    unsigned steps;           /* statements run for real                   */
    /* conformance: where the kernel's flushes (from ternrig fs's log)
     * differ from the model's: who flushed, mm alive, decision */
    unsigned flushes_compared, ndiffs;
    char diffs[8][200];
    /* The schedule the kernel took (SPEC v2 §3), learnt with BPF contexts
     * (ternrig fs's user.ternrig.task.TID and its flush log): which
     * released task's task_struct each new task got (`reuses`), and in
     * which order the threads of a group death exited, as their teardown
     * flushes saw the leader's mm (`order`).  The run is judged by the
     * model under that schedule: a copy of the trace with those options
     * set as the kernel did, in lockstep.  When it differs from the trace
     * as written, its expectations are the model's under the schedule
     * taken (`judged_by`). */
    bool schedule_known;      /* task pointers were there to compare      */
    unsigned schedule_differs;/* statements whose options differ          */
    char schedule[600];       /* "as written", or "schedule taken: ..."  */
    /* per statement kind (enum real_sched_kind), over the statements
     * where the kernel had a choice (two threads or more die; a task of
     * the run was released before a new one): it followed the written
     * schedule, took another one, or showed nothing of its choice */
    unsigned followed[REAL_SCHED_KINDS], taken[REAL_SCHED_KINDS],
        unobserved[REAL_SCHED_KINDS];
    /* exit order forced with ptrace (PTRACE_O_TRACEEXIT): statements where
     * the dying threads were released one at a time in the written order,
     * and where that could not be done */
    unsigned forced, not_forced;
    /* the program whose expectations were checked (failures[].step is one
     * of its statements): the trace, or the schedule taken with the
     * model's expectations under it.  Valid until the next run. */
    const struct program *judged_by;
    /* a storm's run (real_run with hooks) that stopped early: statement
     * stopped_at - 1, an open of a file the kernel made visible and the
     * model did not (or the reverse), was its last (reason says which);
     * 0 when it ran to the end */
    uint32_t stopped_at;
};

/* Schedule counts over many runs, for the commands' summaries. */
struct real_sched_tally {
    unsigned followed[REAL_SCHED_KINDS], taken[REAL_SCHED_KINDS],
        unobserved[REAL_SCHED_KINDS];
    unsigned forced, not_forced;
    unsigned as_written, by_taken; /* runs judged by either */
};
void real_sched_add(struct real_sched_tally *t, const struct real_outcome *o);
/* "schedules: ..." lines: per kind, how often the kernel followed the
 * written schedule, took another, or showed nothing; the exits forced. */
void real_sched_print(FILE *f, const struct real_sched_tally *t);

/* Run `p` (valid) for real in a fresh subdirectory of `mount`, whose flush
 * log (ternrig fs --log) is `log` or NULL.  Returns 0 (outcome filled),
 * or -1 when the run itself failed (reason says why).
 *
 * Under the policies that compare task pointers, the run is pinned to one
 * CPU, processes are reaped at once, and before a new task is made after
 * one was freed pending RCU callbacks are run (rcutree.do_rcu_barrier):
 * the kernel frees task_structs an RCU grace period late, into per-CPU
 * free lists, so this makes the written `reuses` likely.  With root, the
 * threads of a group death are stopped at their exit (PTRACE_O_TRACEEXIT)
 * and released one at a time in the written order.  Whatever the kernel
 * did, the run is judged by the schedule it took (see schedule above):
 * one run, no retries. */
int real_replay(struct judge *j, const struct program *p, enum policy pol,
                const char *mount, const char *log, struct real_outcome *out);

/* The close-tracker capacity a trace asks for: its `closetracker_map N`,
 * else TernFS's 1,048,576. */
unsigned real_trace_map(const struct program *p);
/* Whether trace `p` under `pol` must run on a mount of its own: the
 * policy counts closes and the trace sets a map other than TernFS's
 * (real_replay on a shared or given mount skips it: that map may hold
 * counters of earlier runs, or have another size). */
bool real_needs_own_mount(const struct program *p, enum policy pol);
/* real_replay on a mount made for the trace (ternrig fs with BPF contexts,
 * a late log, and the trace's close-tracker size), taken down after.
 * Returns as real_replay; -1 too when the mount cannot be had or does not
 * come down cleanly. */
int real_replay_own(struct judge *j, const struct program *p,
                    enum policy pol, struct real_outcome *out);

/* A spawner: a process forked once from a stress worker that forks each
 * run's first tasks for it (real_task.h, real_spawner_loop), so that the
 * worker never forks and takes no copy-on-write faults after each spawn.
 * A run's first task is then the spawner's child, not the worker's; it
 * dies with the spawner, and the spawner with the worker
 * (PR_SET_PDEATHSIG). */
struct real_spawner {
    int chan;  /* the worker's end of its channel; -1: none */
    pid_t pid;
};

/* Start one (call it early, while the caller's memory is small: the
 * spawner keeps a copy of it).  0, or -1 with errno. */
int real_spawner_start(struct real_spawner *s);
/* Stop it and reap it; s->chan is -1 after. */
void real_spawner_stop(struct real_spawner *s);

/* What a stress worker adds to a real run (real_run with hooks):
 * where it runs, how files are named on disk, the ledger callbacks and
 * SIGKILLs injected in the middle of a statement. */
struct real_hooks {
    void *ctx;
    /* fork OP_SPAWN's tasks through this spawner (NULL, or when it has
     * died: the controller forks them itself) */
    struct real_spawner *spawner;
    const char *dir;         /* run here (it exists and is kept), not in a
                                fresh temporary subdirectory            */
    const char *name_prefix; /* on-disk file name: prefix + trace name */
    bool no_judge;           /* no observing, no history, no oracle    */
    uint32_t corrupt_id;     /* tests only: XORed into the pattern's id */
    bool uring_writes;       /* writes through io_uring, batched, with
                                the content pattern of stress_pattern().
                                (Creates stay open(2): IORING_OP_OPENAT
                                gave fd numbers the model did not.)     */
    /* Before statement i.  Return true to SIGKILL a live process
     * `*kill_delay_us` after the statement starts: the `*pick`-th one
     * (modulo their number) among those the statement allows. */
    bool (*before)(void *ctx, uint32_t i, unsigned *kill_delay_us,
                   uint32_t *pick);
    /* Statement i returned `result` (acting process `pid` and thread
     * `tid`; `pid2`: the process of the statement's second task, e.g.
     * fork's child, or 0). */
    void (*after)(void *ctx, uint32_t i, int32_t result, int32_t pid,
                  int32_t tid, int32_t pid2);
    /* The injected kill of `task` happened during statement i; if
     * `interrupted`, the acting task died with it (outcome unknown).  The
     * run then ends: statement i, `kill task`, and the end of the trace. */
    void (*killed)(void *ctx, uint32_t i, int task, bool interrupted);
    /* Statement i (a tmpfile) made trace file `file` as inode `ino`: its
     * flush-log lines have no name until it is linked, so a judge of the
     * log must know it by its inode.  May be NULL. */
    void (*inode)(void *ctx, uint32_t i, uint16_t file, uint64_t ino);
};

/* real_replay with hooks; `p` must have room for one more statement (the
 * injected kill is appended to it).  `h` NULL is real_replay. */
int real_run(struct judge *j, struct program *p, enum policy pol,
             const char *mount, const char *log, const struct real_hooks *h,
             struct real_outcome *out);

/* The byte a stress write puts at offset `off` of the file with id `id`
 * (see stress_file_id), so that readers can verify what they see. */
static inline unsigned char stress_pattern(uint32_t id, uint64_t off)
{
    return (unsigned char)(id * 167u + (uint32_t)off * 13u +
                           (uint32_t)(off >> 9));
}
/* A file's id from its on-disk name (FNV-1a). */
static inline uint32_t stress_file_id(const char *name)
{
    uint32_t h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

/* SIGKILL every task of the run in progress, if any.  Async-signal-safe:
 * for a SIGINT/SIGTERM handler. */
void real_replay_abort(void);

#endif
