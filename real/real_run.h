/* real_run.h - the controller's state during one real run, shared by the
 * files that make up the controller (private to real/).
 *
 * Owns nothing: real_exec.c runs the statements (tasks, channels, the
 * end of a run); real_observe.c takes what the run saw (the flush log,
 * looks, the model's events) into the real history and judges it;
 * real_schedule.c learns the schedule the kernel took (task_struct
 * reuse, exit order) and can make the kernel follow a written exit order
 * with ptrace; real_spawner.c
 * starts a storm worker's spawner and gives a new task's copy of the
 * controller's memory back.  Each calls the others only through the
 * functions declared here.
 */
#ifndef TERNRIG_REAL_RUN_H
#define TERNRIG_REAL_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "judge.h"
#include "model.h"
#include "real_exec.h"
#include "real_history.h"
#include "trace.h"

#define STEP_TIMEOUT_MS 10000
#define RUN_FAILED INT32_MIN /* the run itself failed: see r->why */

/* what a statement showed of the kernel's choice (run.sched_seen) */
enum { SCHED_NONE, SCHED_UNSEEN, SCHED_SEEN };

struct run {
    struct program *p;
    const struct real_hooks *h;
    struct model *m;
    enum policy pol;
    bool settle_slots;  /* task pointers: make slot reuse as the model's */
    bool freed;         /* a task may have been freed since the last settle */
    char dir[4096];
    const char *log;
    long log_off;
    int chan[MAX_TASK_NAMES];   /* controller's end of each task's channel */
    int spawned[MAX_TASK_NAMES]; /* pidfd of a task the spawner forked  */
    pid_t pid[MAX_TASK_NAMES];  /* process, as the task last reported     */
    pid_t tid[MAX_TASK_NAMES];
    int pending[MAX_TASK_NAMES]; /* replies still to come (vfork parent) */
    pid_t pgid;
    struct real_history hist;   /* the real history */
    uint64_t seen[MAX_FILE_NAMES];   /* visible size + 1, 0 = not seen */
    bool closed[MAX_FILE_NAMES];     /* an fd of it closed in this step  */
    /* a tmpfile's inode (the real tmpfile's reply), 0 for other files: its
     * flush-log lines have no name until it is linked (its create's says
     * "/", the kernel's) */
    uint64_t tmp_ino[MAX_FILE_NAMES];
    struct rh_decision dec[256];
    bool dec_used[256];
    struct dec_pointers {       /* BPF contexts: the raw pointers */
        bool ptrs;
        uint64_t leader, owner;
    } decp[256];
    unsigned ndec;              /* the fs's decisions during this step */
    /* every flush the kernel showed during this step (BPF contexts): who
     * sent it, its mm and its group leader's mm */
    struct flush_seen {
        int32_t tid;
        bool mm, leader_mm;
    } obs[256];
    unsigned nobs;
    bool log_early;             /* this step's log is read already       */
    /* a storm's run (hooks): an open whose real outcome is not the
     * model's (the kernel sealed what the model did not, or not what it
     * did: the decisions are the filesystem's, the model only keeps the
     * books); the fd tables part ways, so the run stops after it */
    bool diverged;
    /* the schedule the kernel took (real_replay): p is a working copy of
     * `written`, its options set as the kernel did, statement by
     * statement, before the model runs the statement */
    bool taking;
    bool force_order;           /* stop dying threads at their exit (root) */
    const struct program *written;
    const char *mount;          /* the mount root: user.ternrig.task.TID */
    uint64_t kptr[MAX_TASK_NAMES]; /* each task's task_struct; 0 unknown */
    uint32_t born[MAX_TASK_NAMES]; /* creation sequence, from 1         */
    uint32_t nborn;
    /* per statement: SCHED_NONE (no choice: nothing dies in order, no task
     * released), SCHED_UNSEEN (a choice the kernel did not show), or
     * SCHED_SEEN */
    uint8_t sched_seen[MAX_STEPS];
    struct real_outcome *out;
    char *why;
};

struct forcing {
    unsigned n;
    uint16_t order[MAX_TASK_NAMES];
    pid_t tid[MAX_TASK_NAMES];
    bool seized[MAX_TASK_NAMES];
    pid_t pid;
    bool exec; /* de_thread releases the old leader itself */
};

/* ---- real_exec.c ---- */
/* The run failed: its reason in r->why; returns RUN_FAILED. */
int run_fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A difference between the kernel and the model at statement `step`. */
void run_differ(struct run *r, uint32_t step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The fs's flush-log lines written since the last call. */
void run_read_log(struct run *r);
/* Whether thread `tid` of `pid` exited within the step time limit. */
bool run_wait_thread_gone(pid_t pid, pid_t tid);

/* ---- real_observe.c ---- */
/* What the directory shows of every file of the trace, after statement
 * `step` (p->nsteps: the end), into the real history. */
void run_observe(struct run *r, uint32_t step);
/* The model's events [from, to) that the real run also has, into the real
 * history; `result` is the real result of the statement that made them,
 * and `result_known` whether it carries one (create, write, tmpfile,
 * open, link). */
void run_take_model_events(struct run *r, uint32_t from, uint32_t to,
                           int32_t result, bool result_known);
/* The real history judged by the oracle and the expectations checked:
 * 0, or -1 (reason in out). */
int run_judge_history(struct judge *j, struct run *r, enum policy pol,
                      struct real_outcome *out);

/* ---- real_spawner.c ---- */
/* In a task just forked from the controller: give the controller's .bss
 * back (zero-filled on demand again, without its page tables). */
void run_drop_controller_memory(void);
/* ---- real_schedule.c ---- */
/* Statement i ran for real (result `res`), the model has not run it yet:
 * set its schedule option on the working copy as the kernel took it. */
void sched_take(struct run *r, uint32_t i, int res);
/* Statement i of the working copy back as written. */
void sched_restore_written(struct run *r, uint32_t i);
/* Whether statement i's schedule options differ between a and b. */
bool sched_options_differ(const struct program *a, const struct program *b,
                          uint32_t i);
/* The written exit order of the n dying threads of statement s. */
void sched_written_order(const struct run *r, const struct step *s,
                         const uint16_t *dying, unsigned n, uint16_t leader,
                         uint16_t *out);
/* The end of the trace killed a process of n threads: judge its order. */
void sched_end_order(struct run *r, const uint16_t *dying, unsigned n,
                     uint16_t leader);
/* out->schedule, out->schedule_differs from the working copy. */
void sched_summary(struct run *r);
/* The schedule taken with the model's expectations under it (NULL when it
 * cannot be made). */
const struct program *sched_taken_expectations(struct judge *j,
                                               const struct program *taken,
                                               enum policy pol);
/* Forcing a written exit order with ptrace (PTRACE_O_TRACEEXIT). */
bool sched_force_begin(struct run *r, uint32_t i, pid_t pid,
                       struct forcing *f);
bool sched_force_threads(struct run *r, pid_t pid, struct forcing *f);
bool sched_force_run(struct run *r, struct forcing *f);
void sched_force_end(struct forcing *f);

#endif
