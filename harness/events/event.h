/* event.h - a history: the plain list of events every executor produces.
 *
 * Owns: the event type and its close causes, the finding kinds (what the
 * oracle reports) and the history type (an array of events).  The model,
 * the real executor and the stress ledger all produce histories; the oracle
 * reads only this.  An event names tasks, processes and files by small
 * integers that the producer chose; the oracle never interprets them beyond
 * equality.
 */
#ifndef TERNRIG_EVENT_H
#define TERNRIG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"

#define EV_NONE 0xffff         /* no task / process / file               */
#define RESULT_UNKNOWN (-1000) /* the outcome is not known (killed mid-call) */

/* Linux errno values used in results (negated). */
#define ERR_EPERM 1
#define ERR_ENOENT 2
#define ERR_EIO 5
#define ERR_EBADF 9
#define ERR_EEXIST 17
#define ERR_EINVAL 22
#define ERR_EROFS 30
#define ERR_EOPNOTSUPP 95

enum event_type {
    EV_OP,      /* a statement ran: op, task, proc, result; file/fd/bytes as apt */
    EV_CREATE,  /* task in proc created file (result 0) or failed (-errno)      */
    EV_WRITE,   /* bytes written to file through an fd (result 0, -errno, unknown) */
    EV_CLOSE,   /* an fd of file was closed by task/proc, for `cause`              */
    EV_FLUSH,   /* the flush of that close: context and decision                   */
    EV_SEAL,    /* file became visible with `bytes` bytes                           */
    EV_ABORT,   /* file aborted: it must never appear                              */
    EV_OBSERVE, /* an observer saw file visible with `bytes` (real mounts)         */
    EV_EXIT,    /* task exited (its mm is gone)                                    */
    EV_DEATH,   /* process died: from here on it cannot consciously close          */
    EV_UNSEEN,  /* an observer looked and file was not visible (real mounts)       */
    EV_LINK,    /* task linked tmpfile `file` (result 0 or -errno; file EV_NONE
                   when the fd was a failed one: no file)                      */
    EV_TYPE_COUNT
};

/* Why an fd was closed.  The first five are conscious when done by a thread
 * of the creator's process while it is alive (SPEC §5). */
enum close_cause {
    CLOSE_SYSCALL,     /* close(2)                                  */
    CLOSE_URING,       /* IORING_OP_CLOSE                           */
    CLOSE_RANGE,       /* close_range(2)                            */
    CLOSE_DUP2,        /* dup2 onto an open fd                      */
    CLOSE_CLOEXEC,     /* close-on-exec during a successful execve  */
    CLOSE_TEARDOWN,    /* the fd table's last reference was dropped */
    CLOSE_CAUSE_COUNT
};

struct event {
    uint8_t type;     /* enum event_type                              */
    uint8_t op;       /* EV_OP: the statement (enum trace_op)         */
    uint8_t cause;    /* EV_CLOSE/EV_FLUSH: enum close_cause          */
    uint8_t decision; /* EV_FLUSH: enum flush_decision                */
    uint8_t kthread;  /* task is a kernel thread                      */
    /* EV_FLUSH: the file's owner task_struct (its creator's leader at
     * create) has been freed since: file_owner is a stale pointer, which a
     * newer task may hold (slot reuse, SPEC §2). */
    uint8_t owner_recycled;
    /* EV_WRITE/EV_CLOSE/EV_FLUSH: through a read-only fd (`open`): never a
     * conscious close, never a write to the file's content */
    uint8_t rdonly;
    /* EV_CREATE: the file is a tmpfile (`tmpfile`), visible only by link */
    uint8_t tmpfile;
    /* EV_DEATH: the process exited normally (exit_group, or its last
     * thread's exit), not by a signal (kill, the end of a trace).
     * EV_FLUSH: the flusher exits normally (the core's exit_clean). */
    uint8_t clean_exit;
    /* EV_CLOSE/EV_FLUSH: fds of the closing task's fd table that still
     * refer to the closed fd's open file (the core's table_fds): 0 when
     * this was the table's last, or at teardown (no table any more). */
    uint16_t table_fds;
    int32_t result;   /* 0, -errno, or RESULT_UNKNOWN                 */
    uint32_t step;    /* index of the trace statement that caused it  */
    uint16_t task;    /* acting task                                  */
    uint16_t proc;    /* acting task's process                        */
    uint16_t file;    /* file, or EV_NONE                             */
    int16_t fd;       /* fd number, or -1                             */
    uint64_t bytes;   /* write size, seal size, observed size         */
    /* EV_FLUSH: the context the core saw (opaque pointers as small ints). */
    uint32_t ctx_leader;
    uint32_t ctx_mm;
    uint32_t file_owner; /* EV_FLUSH: the file's recorded owner (kmod) */
    uint32_t file_mm;    /* EV_FLUSH: the mm recorded at create (kmod)  */
    uint32_t owner_mm_now; /* EV_FLUSH: owner->mm read now (MM_PTRS fact) */
};

/* What the oracle finds (SPEC §5).  The first five are violations, the rest
 * hazards. */
enum finding_kind {
    FIND_EARLY_SEAL,
    FIND_VISIBLE_AFTER_ABORT,
    FIND_LOST_FILE,
    FIND_MUTATED_AFTER_SEAL,
    FIND_CREATE_FAILED,
    FIND_WRITE_AFTER_SEAL,
    FIND_KERNEL_CREATE_REFUSED,
    FIND_KIND_COUNT
};
#define FIND_FIRST_HAZARD FIND_WRITE_AFTER_SEAL

static inline int finding_is_hazard(enum finding_kind k)
{
    return k >= FIND_FIRST_HAZARD;
}
const char *finding_kind_name(enum finding_kind k);
/* Returns FIND_KIND_COUNT when the name is unknown. */
enum finding_kind finding_kind_from_name(const char *name, size_t len);

/* A history is an array of events; the producer owns the storage.
 *
 * `looks_only`: the producer saw no decisions (a mount without a flush
 * log), only looks (EV_OBSERVE, EV_UNSEEN).  A file's state is then what
 * the looks prove and nothing more: not seen visible is not "transient".
 * An EV_UNSEEN must be placed after a statement only if the look started
 * after that statement ended (sealing is final, so "not visible then"
 * proves "not sealed at the end of every earlier statement"); an
 * EV_OBSERVE only after every statement that started before the look
 * ended. */
struct history {
    struct event *ev;
    uint32_t len;
    uint32_t cap;
    bool looks_only;
};

/* An event the real system produced, not a model: a decision (EV_SEAL,
 * EV_ABORT) or a look (EV_OBSERVE, EV_UNSEEN).  No task, process or fd. */
static inline struct event event_real(uint8_t type, uint16_t file,
                                      uint32_t step, uint64_t bytes)
{
    struct event e = {0};
    e.type = type;
    e.file = file;
    e.proc = e.task = EV_NONE;
    e.fd = -1;
    e.step = step;
    e.bytes = bytes;
    return e;
}

const char *close_cause_name(enum close_cause c);
/* True for the causes that are conscious closes when done by the creator. */
static inline int close_cause_is_explicit(enum close_cause c)
{
    return c != CLOSE_TEARDOWN;
}

#endif
