/* model_internal.h - the model's pools, shared by model.c (running
 * statements) and model_inspect.c (views and invariants).  Not part of the
 * model's interface: include model.h instead. */
#ifndef TERNRIG_MODEL_INTERNAL_H
#define TERNRIG_MODEL_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "model.h"

#define NONE 0xffff
#define MAX_PROCS MAX_TASK_NAMES
/* Live mms: at most one per task plus one grabbed per file. */
#define MAX_MMS (MAX_TASK_NAMES + MAX_FILE_NAMES + 2)
#define DECISION_NONE 0xff /* a flush of a file that is not transient */
#define FDBITS (MAX_FDS / 64)

struct mtask {
    uint8_t state;     /* enum task_state                               */
    uint8_t kthread;
    uint8_t suspended; /* a vfork parent waiting for its child          */
    uint16_t proc;
    uint16_t slot;     /* 0 when freed                                  */
    uint16_t fdt;      /* NONE when it has no fd table                  */
    uint16_t waiter;   /* vfork: the parent waiting for this child      */
    uint16_t next;     /* next thread of the process, creation order    */
    uint16_t freed_slot; /* the slot it had when released; 0 while not  */
    uint8_t reused;      /* a later task took freed_slot (`reuses`)     */
    uint16_t reused_by;  /* that task                                   */
    uint8_t killed;      /* dies by a signal (kill, the end of a trace):
                            its exit code names it, else it is a status */
};

struct mproc {
    uint8_t alive;
    uint8_t kthread;
    uint16_t first;    /* its first thread: the name of the process     */
    uint16_t leader;   /* current group leader                           */
    uint16_t head, tail;
    uint16_t nlive;    /* threads in TASK_ALIVE                          */
    uint16_t nmm;      /* threads whose mm is not NULL                   */
    uint32_t start;    /* start time (identity with the tgid)            */
};

struct fdent {
    uint16_t name;
    uint16_t file;
    uint8_t cloexec;
    uint8_t name_stays; /* a failed dup2 left it (SPEC §3): when exec
                           closes it, its name stays bound, failed      */
    uint8_t rdonly;     /* a read-only fd (`open`)                       */
};

struct fdtable {
    uint16_t refs;
    uint16_t nfailed;
    uint16_t nbound; /* real + failed: the limit counts both, so that
                        validity does not depend on the policy */
    uint64_t used[FDBITS];
    struct fdent ent[MAX_FDS];  /* by fd number - 3 */
    struct fdent fail[MAX_FDS]; /* names bound to a failed create */
};

/* Which statement first used a file name (SPEC v2 §3: a tmpfile's name is
 * its own; `open` needs a name some create or tmpfile used). */
enum file_named { NAMED_NONE, NAMED_CREATE, NAMED_TMPFILE };

struct mfile {
    uint8_t state; /* enum file_state */
    uint8_t named; /* enum file_named: even when the statement failed */
    uint16_t refs; /* fds referring to its one open file */
    uint16_t grabbed_mm;
    uint16_t owner_task; /* the task whose slot rec.owner was at create */
    uint64_t size;
    struct file_record rec;
};

struct model {
    enum policy policy;
    const struct program *prog;
    uint32_t step;
    bool overflow;
    bool quiet; /* sanitizing: a trace error's message is not wanted */

    struct mtask task[MAX_TASK_NAMES];
    struct mproc proc[MAX_PROCS];
    uint16_t nprocs;

    uint16_t slot_mm[MAX_TASK_NAMES + 1]; /* slot -> its task's mm field */
    uint16_t nslots;

    uint16_t mm_users[MAX_MMS + 1], mm_grabs[MAX_MMS + 1];
    uint16_t nmms;
    uint16_t mm_free[MAX_MMS];
    uint16_t nmm_free;

    struct fdtable fdt[MAX_TASK_NAMES];
    uint16_t nfdts;
    uint16_t fdt_free[MAX_TASK_NAMES];
    uint16_t nfdt_free;

    struct mfile file[MAX_FILE_NAMES];
    struct closetracker_map ctmap; /* fuse-closetracker's counters */

    struct history hist;
    struct event spill; /* written when the history is full */
    struct event ev[MAX_EVENTS];
};

static inline const char *tname(const struct model *m, uint16_t t)
{
    return m->prog->task_names[t];
}

/* Find fd name `name`: returns the fd index (>= 0) of a real fd, or
 * -2 - i for failed binding i, or -1 when not bound. */
static inline int fd_find(const struct fdtable *tb, uint16_t name)
{
    for (int w = 0; w < FDBITS; w++) {
        uint64_t bits = tb->used[w];
        while (bits) {
            int idx = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (tb->ent[idx].name == name)
                return idx;
        }
    }
    for (int i = 0; i < tb->nfailed; i++)
        if (tb->fail[i].name == name)
            return -2 - i;
    return -1;
}

/* True if thread t dies in a statement that kills the threads of process
 * pi: a live thread of the group, other than the exec'ing task `except`
 * (NONE: none).  need_order (model.c) and model_dying_threads
 * (model_inspect.c) both ask this, so that the generator's lists are the
 * ones the model accepts. */
static inline bool dies_in(const struct model *m, uint16_t pi, uint16_t t,
                           uint16_t except)
{
    return m->task[t].state == TASK_ALIVE && m->task[t].proc == pi &&
           t != except;
}

#endif
