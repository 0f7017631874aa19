/* core.h - the flush-classification core: the policies of SPEC §4.
 *
 * Owns: the decision, at create and at flush, of what happens to a TernFS
 * transient file, and the policy descriptor (policies.h: each policy's
 * name, the TernFS version it models, the kernel facts it reads, a one-line
 * summary).  Nothing else in ternrig decides, and nothing else spells the
 * policies' names: the commands, the fuzz targets and the scripts take the
 * list from here.  The model, the FUSE filesystem and the BPF context source
 * only fill the context structs.
 *
 * Freestanding C: this header and core.c use only <stdint.h>, <stdbool.h>
 * and <stddef.h>, no libc and no OS calls, so the same source could be
 * dropped into a kernel module.  The build proves it by compiling core.c with
 * -ffreestanding -nostdlib.
 *
 * Kernel pointers (task_struct, mm_struct) are opaque 64-bit values here; 0 is
 * NULL.  Comparing them is all the core ever does with them.
 */
#ifndef TERNRIG_CORE_H
#define TERNRIG_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum policy {
#define POLICY_ENTRY(id, name, models, facts, summary, done) POLICY_##id,
#include "policies.h"
#undef POLICY_ENTRY
    POLICY_COUNT
};

/* The kernel facts a policy's decisions read: what a context source (the
 * model, the filesystem's BPF program or /proc) must supply for it. */
enum policy_fact {
    /* (tgid, process start time) of creator and flusher */
    POLICY_FACT_PROCESS = 1u << 0,
    /* current->group_leader as a task_struct pointer (the file's owner) */
    POLICY_FACT_TASK_PTRS = 1u << 1,
    /* whether current->mm (at flush) or group_leader->mm (at create) is NULL */
    POLICY_FACT_MM_NULL = 1u << 2,
    /* mm_struct pointer values: group_leader->mm at create, owner->mm read
     * at flush through the (maybe stale) owner pointer */
    POLICY_FACT_MM_PTRS = 1u << 3,
    /* whether the process lives on: group exit begun, another thread still
     * holding the mm, a kernel thread */
    POLICY_FACT_GROUP_EXIT = 1u << 4,
    /* close(2) syscalls counted per file (the close tracker) */
    POLICY_FACT_CLOSE_COUNT = 1u << 5,
    /* at a flush: how many fds of the flusher's fd table (current->files)
     * refer to the flushed open file, the closed fd already removed
     * (flush_inputs.table_fds) */
    POLICY_FACT_FD_COUNT = 1u << 6,
    /* at a flush of an exiting task: whether it exits normally (exit or
     * exit_group with a status) or by a fatal signal: the low 7 bits of
     * current->exit_code, which do_exit sets before exit_mm and
     * exit_files (flush_inputs.exit_clean) */
    POLICY_FACT_EXIT_CODE = 1u << 7,
};
#define POLICY_FACT_LAST POLICY_FACT_EXIT_CODE
/* "task-pointers" for POLICY_FACT_TASK_PTRS; "?" for anything not one bit. */
const char *policy_fact_name(enum policy_fact f);
/* The facts only the kernel can tell (BPF), not /proc. */
#define POLICY_FACTS_KERNEL_ONLY                                               \
    (POLICY_FACT_TASK_PTRS | POLICY_FACT_MM_PTRS | POLICY_FACT_CLOSE_COUNT |  \
     POLICY_FACT_FD_COUNT | POLICY_FACT_EXIT_CODE)
/* The facts that are kernel pointer values (task_struct, mm_struct): a
 * source that supplies them must make the kernel reuse that memory as the
 * model does (SPEC §2), or the pointers it compares mean something else. */
#define POLICY_FACTS_POINTERS (POLICY_FACT_TASK_PTRS | POLICY_FACT_MM_PTRS)

/* When the creator is done with a file: the point after which the file
 * must be sealed with what was written (the oracle's lost-file), per rule.
 * Bits; none is SPEC §5's rule, the default.  README "What done means".
 * The safety properties (early-seal, visible-after-abort before any
 * conscious close, mutated-after-seal) are the same under every rule, but
 * for a clean exit where it is a done point. */
enum done_rule {
    /* the creator process's first conscious close (SPEC §5) */
    DONE_FIRST_CLOSE = 0,
    /* a conscious close counts only when it leaves no other fd of the
     * closer's fd table referring to the file's open file */
    DONE_LAST_FD = 1u << 0,
    /* the creator process's normal exit (exit_group, or the exit of its
     * last thread; not a kill) is a done point for the files it has not
     * yet consciously closed */
    DONE_CLEAN_EXIT = 1u << 1,
    DONE_RULE_ALL = DONE_LAST_FD | DONE_CLEAN_EXIT
};
/* "first-close", "last-fd-closed", "first-close-or-clean-exit",
 * "last-fd-closed-or-clean-exit". */
const char *done_rule_name(unsigned rule);

struct policy_desc {
    const char *name;    /* as the trace language and command line spell it */
    const char *models;  /* the TernFS version it models                    */
    unsigned facts;      /* enum policy_fact bits                           */
    const char *summary; /* one line                                        */
    unsigned done;       /* enum done_rule bits: what the oracle judges by  */
};

enum flush_decision {
    FLUSH_IGNORE, /* not a conscious close: leave the file transient      */
    FLUSH_SEAL,   /* declare the file done: visible, immutable            */
    FLUSH_ABORT,  /* the creator is dying: the file must never appear     */
    FLUSH_FAIL,   /* the file is already in error: report EIO to flusher  */
    FLUSH_DECISION_COUNT
};

/* Errno values the core returns (Linux numbering, defined here because the
 * core cannot include <errno.h>). */
#define CORE_EPERM 1
#define CORE_EIO 5
#define CORE_EOPNOTSUPP 95

/* A process identity that survives pid reuse and exec: (tgid, start time). */
struct proc_identity {
    uint64_t tgid;
    uint64_t start_time;
};

/* Who is creating or flushing: the calling task's context. */
struct task_ctx {
    struct proc_identity proc; /* the task's process                       */
    uint64_t task;             /* current (task_struct pointer)            */
    uint64_t leader;           /* current->group_leader                     */
    uint64_t mm;               /* current->mm, 0 when NULL (dying task)    */
    uint64_t leader_mm;        /* current->group_leader->mm                 */
    bool kthread;              /* a kernel thread (no mm, never exits)     */
    /* Some other thread of the task's process still has its mm: the process
     * lives on even though this task is exiting. */
    bool other_thread_has_mm;
};

/* The record a file carries from its create, plus per-file policy state. */
struct file_record {
    struct proc_identity creator; /* reference: the creator's process     */
    uint64_t owner;               /* kmod: creator's group_leader pointer */
    uint64_t owner_mm;            /* kmod: group_leader->mm at create     */
    bool errored;                 /* kmod: an abort poisoned it (EIO)     */
    bool tmpfile;                 /* O_TMPFILE: visible only by linkat    */
    bool counted;                 /* closetracker: has a map entry        */
    uint32_t close_count;         /* closetracker: counted close(2) calls */
};

/* The close tracker's map (fuse-closetracker): one counter per inode, at
 * most `capacity` of them (TernFS: 1,048,576). */
struct closetracker_map {
    uint32_t capacity, entries;
};
#define CLOSETRACKER_MAP_DEFAULT 1048576u

/* What a flush may also need to know, read at flush time. */
struct flush_inputs {
    /* POLICY_KMOD_2024: owner->mm read now through the file's (maybe
     * stale) owner pointer; whatever task now occupies that memory. */
    uint64_t owner_mm_now;
    /* POLICY_FACT_FD_COUNT: fds of the flusher's fd table that still refer
     * to the flushed open file (the closed one is already out of the
     * table); 0 when the flusher has no table (teardown: exit_files has
     * cleared current->files before the last reference closes the fds). */
    uint32_t table_fds;
    /* POLICY_FACT_EXIT_CODE: the flusher is exiting normally: its exit
     * code's low 7 bits are 0 (exit/exit_group with any status), not a
     * fatal signal's number.  False, the safe side, when not exiting or
     * unknown. */
    bool exit_clean;
};

/* Decide whether `ctx` may create a file under `policy`.  Returns 0, or a
 * positive errno (CORE_EIO) for the create to fail with.  On success fills
 * `rec` with the creation record. */
int classify_create(enum policy policy, const struct task_ctx *ctx,
                    struct file_record *rec);

/* The same for open(O_TMPFILE): a policy without tmpfiles (kmod-2024)
 * refuses with CORE_EOPNOTSUPP before anything else; `rec->tmpfile` set. */
int classify_tmpfile(enum policy policy, const struct task_ctx *ctx,
                     struct file_record *rec);

/* linkat(AT_EMPTY_PATH) of a transient tmpfile by `ctx`: 0 (it becomes
 * visible: sealed) or CORE_EPERM. */
int classify_link(enum policy policy, const struct file_record *rec,
                  const struct task_ctx *ctx);

/* Decide what a flush of a file does: a transient file (a regular one or a
 * tmpfile), or an aborted one whose record is errored (kmod: a `fail` for
 * its owner).  Anything else: FLUSH_IGNORE. */
enum flush_decision classify_flush(enum policy policy,
                                   const struct file_record *rec,
                                   const struct task_ctx *ctx,
                                   const struct flush_inputs *in);

/* After a flush the policy decided to abort: under the kmod policies the
 * file is errored, so its owner's later flushes fail with EIO. */
void note_aborted(enum policy policy, struct file_record *rec);

/* The close tracker's bookkeeping: a close(2) syscall by a user task on
 * any fd of the file's inode is counted before its flush runs (in a new
 * map entry if the map has room, else not at all); the flush that seals a
 * transient regular file consumes (deletes) its entry.  Nothing else
 * deletes one. */
void note_close_syscall(struct closetracker_map *map, struct file_record *rec);
void note_sealed(struct closetracker_map *map, struct file_record *rec);

/* The descriptor of a policy (NULL when out of range). */
const struct policy_desc *policy_desc(enum policy policy);
/* The done rule the oracle judges the policy by (enum done_rule bits;
 * DONE_FIRST_CLOSE for a policy out of range). */
unsigned policy_done_rule(enum policy policy);
/* Do the policy's decisions read any of `facts` (POLICY_FACT_* bits)?
 * The one way code outside the core asks about a policy: by what it reads,
 * never by which policy it is.  False for a policy out of range. */
bool policy_needs(enum policy policy, unsigned facts);
/* Does the policy read a fact only the kernel can tell (BPF, not /proc)?
 * policy_needs(policy, POLICY_FACTS_KERNEL_ONLY). */
bool policy_needs_kernel_facts(enum policy policy);
/* Names as the trace language and the command line spell them. */
const char *policy_name(enum policy policy);
/* Every policy's name, in order, joined by `sep` ("reference, kmod, ..."),
 * for usage and error texts.  Writes at most cap-1 characters and a NUL;
 * returns the length it needed. */
size_t policy_names_joined(char *buf, size_t cap, const char *sep);
/* Returns true and sets *out if `name` (length `len`) names a policy. */
bool policy_from_name(const char *name, size_t len, enum policy *out);
const char *flush_decision_name(enum flush_decision d);

#endif
