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
#include "judge.h"

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
    /* kmod, kmod-2024: flushes whose decision went through a freed owner
     * task_struct and differed from the model's because the kernel did not
     * hand that slot to the task the model (LIFO) did.  Not a difference:
     * the run is retried (see real_replay). */
    unsigned reuse_misses;
    char reuse_miss[200];
    unsigned attempts; /* runs made (1 + retries after reuse misses) */
};

/* Runs of a trace whose slot reuse did not happen as the model says. */
#define REAL_REUSE_ATTEMPTS 8

/* Run `p` (valid) for real in a fresh subdirectory of `mount`, whose flush
 * log (ternrig fs --log) is `log` or NULL.  Returns 0 (outcome filled),
 * or -1 when the run itself failed (reason says why).
 *
 * Under kmod and kmod-2024, decisions compare task_struct pointers, so a
 * freed task_struct must go to the task the model gives it to.  The kernel
 * frees task_structs an RCU grace period late, into per-CPU free lists: so
 * the run is pinned to one CPU, processes are reaped at once, and before a
 * new task is made after one was freed, pending RCU callbacks are run
 * (rcutree.do_rcu_barrier).  When a flush still saw a different reuse than
 * the model, the trace is run again, up to REAL_REUSE_ATTEMPTS times; the
 * outcome is the last run's, with `attempts` and `reuse_misses` set. */
int real_replay(struct judge *j, const struct program *p, enum policy pol,
                const char *mount, const char *log, struct real_outcome *out);

/* What a stress worker adds to a real run (real_run with hooks):
 * where it runs, how files are named on disk, the ledger callbacks and
 * SIGKILLs injected in the middle of a statement. */
struct real_hooks {
    void *ctx;
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
