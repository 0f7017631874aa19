/* model.h - a deterministic simulation of the Linux process lifecycle around
 * flush (SPEC §2).
 *
 * Owns: simulated tasks, processes, task_struct slots (fresh for each new
 * task unless its statement says `reuses X`: then X's released slot, so a
 * stale pointer can match a new task), the schedule of dying threads
 * (`order`, else version 1's), mm_structs with their holders, fd tables
 * (shared by threads, copied by fork/vfork/unshare), open files, and the
 * TernFS files they refer to.  At every create and flush it fills a context
 * and asks the core (core.h); it records everything as a history
 * (event.h).  It knows the core, not the oracle.
 *
 * Memory: one struct model holds fixed pools sized by limits.h; nothing is
 * allocated while running a trace, so a fuzzer can reuse one model for
 * millions of programs.
 */
#ifndef TERNRIG_MODEL_H
#define TERNRIG_MODEL_H

#include "core.h"
#include "event.h"
#include "trace.h"

struct model;

/* Returns NULL when out of memory. */
struct model *model_new(void);
void model_free(struct model *m);

/* Start running `prog` under `policy`; the program must outlive the run. */
void model_reset(struct model *m, const struct program *prog,
                 enum policy policy);
/* Run statement `i` of the program.  Returns 0, or -1 with `err` filled when
 * the statement is a trace error; the model is then left as it was. */
int model_step(struct model *m, uint32_t i, struct trace_error *err);
/* The end of the trace: SIGKILL every live process in creation order. */
void model_finish(struct model *m);

/* reset + every step + finish.  Returns 0, or -1 on the first trace error. */
int model_run(struct model *m, const struct program *prog, enum policy policy,
              struct trace_error *err);
/* Whether the program is valid (it never depends on the policy). */
int model_check(struct model *m, const struct program *prog,
                struct trace_error *err);
/* Remove every statement that would be a trace error (one whose `reuses` or
 * `order` alone is wrong loses those options instead), and every expect
 * that names a file no remaining statement creates: the program becomes
 * valid. */
void model_sanitize(struct model *m, struct program *prog);
/* model_sanitize, run under `policy`, leaving the model holding the finished
 * run of the sanitized program: one pass for fuzzers. */
void model_sanitize_run(struct model *m, struct program *prog,
                        enum policy policy);

/* Check the model's bookkeeping: fd and open-file reference counts, fd table
 * references, task, process, slot and mm accounting.  Returns 0, or -1 with
 * `why` saying what is broken.  For self-checking fuzzers and tests. */
int model_check_invariants(const struct model *m, char *why, size_t cap);

const struct history *model_history(const struct model *m);
/* The trace task that names a process (its first thread). */
uint16_t model_proc_name(const struct model *m, uint16_t proc);

/* A read-only view of one task, for tests and timelines. */
enum task_state { TASK_UNBORN, TASK_ALIVE, TASK_ZOMBIE, TASK_DEAD };
struct task_view {
    enum task_state state;
    bool kthread, suspended;
    uint16_t proc;       /* process index                             */
    uint16_t leader;     /* the process's current group leader (task) */
    uint32_t slot;       /* task_struct "address", 0 when freed        */
    uint32_t mm;         /* current->mm, 0 when NULL                    */
    int fd_table;        /* fd table index, -1 when none               */
    uint32_t fd_table_refs;
    uint32_t nfds;       /* fds bound in its table (failed included)   */
};
struct task_view model_task(const struct model *m, uint16_t task);

enum file_state { FILE_NONE, FILE_TRANSIENT, FILE_SEALED, FILE_ABORTED };
struct file_view {
    enum file_state state; /* NONE: never created successfully */
    uint64_t size;
    uint32_t open_refs;    /* fds referring to its open file   */
    uint32_t owner;        /* creation record: owner slot      */
    uint32_t owner_mm;     /* creation record: owner mm        */
};
struct file_view model_file(const struct model *m, uint16_t file);
/* mm holders: users (tasks) and grabs (files); 0/0 when free. */
void model_mm_holders(const struct model *m, uint32_t mm, uint32_t *users,
                      uint32_t *grabs);
/* Whether fd name `fd` is bound in the task's table (a failed fd too). */
bool model_fd_bound(const struct model *m, uint16_t task, uint16_t fd);
/* Whether the task may run a statement now (alive, not suspended). */
bool model_task_runnable(const struct model *m, uint16_t task);
/* The fd number bound to fd name `fd` in task's table, -1 if none or failed. */
int model_fd_number(const struct model *m, uint16_t task, uint16_t fd);
/* The file an fd name refers to in the task's table, -1 if none or failed. */
int model_fd_file(const struct model *m, uint16_t task, uint16_t fd);

/* Schedules (SPEC v2 §3), for the generator and the mutator: what a
 * statement's `reuses` or `order` may say at this point of the run.  Both
 * only read the model; whether a whole statement is valid is still
 * model_step's to say.
 *
 * The tasks whose task_struct is released and not yet reused, the names
 * `reuses X` may give now, in task order.  Returns how many (at most
 * MAX_TASK_NAMES). */
unsigned model_reusable_tasks(const struct model *m,
                              uint16_t out[MAX_TASK_NAMES]);
/* Whether an open file (one an fd still refers to) names the released
 * task_struct of `task` as its owner: only a reuse of such a task_struct
 * can change what a flush sees (a stale owner pointer that compares equal
 * to the new task, or reads its mm); reusing any other changes nothing but
 * its address.  False for a task whose task_struct is not released. */
bool model_released_still_named(const struct model *m, uint16_t task);
/* The threads that die if statement `s` (`kill`, `exit_group` or `exec`)
 * runs now, in creation order: every live thread of the group of s's task,
 * less the exec'ing task for `exec`; none for a kernel thread, a dead
 * process or another statement.  Any permutation of them is the `order`
 * the model accepts there.  Returns how many (at most MAX_TASK_NAMES). */
unsigned model_dying_threads(const struct model *m, const struct step *s,
                             uint16_t out[MAX_TASK_NAMES]);

#endif
