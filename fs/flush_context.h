/* flush_context.h - who is creating or flushing: the one interface of the
 * embedded filesystem's two context sources, and the one place a flush of
 * a transient file is decided.
 *
 * Owns: `struct context_source` (implemented by bpf_context.c, the
 * kernel's own view recorded when the request was sent, and by
 * proc_context.c, what /proc shows while the request is handled), the
 * requester they report, the per-file facts they keep from a create to its
 * flushes (file_ctx), and flush_decide(): every create and flush is
 * decided by the core (core.h) on the context a source fills.  A source
 * never decides: when it lacks a fact the policy needs, it says so
 * (FACTS_MISSING) and flush_decide() applies the documented rule for an
 * unsure flush: leave the file transient (ignore), never seal on a guess.
 * The same rule holds when the source cannot tell who sent the request.
 */
#ifndef TERNRIG_FLUSH_CONTEXT_H
#define TERNRIG_FLUSH_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core.h"
#include "flushctx.h"
#include "flushlog.h"

struct bpf_context;

/* Where a part below the commands says what the user should know (the
 * command prints it). */
typedef void fs_notice_fn(void *arg, const char *msg);

/* Who sent the request being handled, as the context source saw it. */
struct requester {
    bool known;              /* else: decide safely, `why` says why     */
    pid_t tid, tgid;
    bool mm_alive, other_mm_alive, kthread;
    char why[128];
    struct flushctx_rec rec; /* BPF: the sender at send time (its source's) */
};

/* What a source keeps per file, from its create to its last flush. */
struct file_ctx {
    struct file_record rec; /* the core's creation record              */
    pid_t creator;          /* the creator's tgid (0: its writer is gone) */
    int pidfd;              /* /proc: the creator process, to tell pid reuse */
    int mm_pin;             /* BPF, kmod: /proc/<creator>/mem, the mmgrab */
};
void file_ctx_init(struct file_ctx *f);
/* Close what the file holds (at unmount). */
void file_ctx_close(struct file_ctx *f);

enum facts { FACTS_KNOWN, FACTS_MISSING };

struct context_source {
    const char *name; /* "bpf" or "proc": the log's "ctx" */
    void *state;
    /* The sender of request `unique`, whose header says `pid`. */
    void (*requester)(struct context_source *src, uint64_t unique, pid_t pid,
                      struct requester *who);
    /* A request nobody decides on (a flush of a decided file, a create
     * that fails EEXIST, a release): drop whatever the source recorded. */
    void (*forget)(struct context_source *src, uint64_t unique);
    /* The core's view of a known requester at create. */
    void (*create_ctx)(struct context_source *src, const struct requester *who,
                       struct task_ctx *c);
    /* The create of `ino` was granted (file->rec is set): keep what its
     * flushes need.  Returns a note for the log ("": none). */
    const char *(*created)(struct context_source *src, enum policy policy,
                           uint64_t ino, struct file_ctx *file,
                           const struct requester *who);
    /* The core's inputs for a flush of `ino` by a known requester, and what
     * was read for it into `seen` (the log line).  FACTS_MISSING with *why
     * when a fact the policy decides on could not be had. */
    enum facts (*flush_facts)(struct context_source *src, enum policy policy,
                              uint64_t ino, struct file_ctx *file,
                              const struct requester *who, struct task_ctx *c,
                              struct flush_inputs *in, struct flog_event *seen,
                              const char **why);
    /* The file is decided, `d` FLUSH_SEAL (by a flush or a link) or
     * FLUSH_ABORT: no flush of it will ask.  A seal of a regular file
     * consumes its close count (the core's note_sealed, on the kernel's
     * map). */
    void (*decided)(struct context_source *src, uint64_t ino,
                    struct file_ctx *file, enum flush_decision d);
    /* RELEASE of request `unique`: `writer` when it is the creator's open
     * file (no flush of it can follow). */
    void (*released)(struct context_source *src, uint64_t unique, uint64_t ino,
                     bool writer, struct file_ctx *file);
    /* `ino` is freed (nodes.h: out of the namespace and forgotten by the
     * kernel; its number is never given again): drop whatever is kept
     * for it that TernFS would not keep.  NULL: nothing kept. */
    void (*freed)(struct context_source *src, uint64_t ino,
                  struct file_ctx *file);
    /* The requester (and, at a flush, the file: else NULL) as the log
     * shows them: ctx, tid, tgid, known, mm facts, the kernel's view. */
    void (*describe)(const struct requester *who, const struct file_ctx *file,
                     struct flog_event *ev);
    /* Point the source at the FUSE connection on `mountpoint` (absolute,
     * no symlinks), once mounted.  Returns 0, or -1 with `why`. */
    int (*watch)(struct context_source *src, const char *mountpoint,
                 char *why, size_t cap);
    /* Records lost (BPF map full); 0 for /proc. */
    uint64_t (*lost)(const struct context_source *src);
    /* close(2) calls the close tracker's full map did not count; 0 for
     * /proc. */
    uint64_t (*uncounted)(const struct context_source *src);
    /* The close tracker's capacity: 0 when this source counts no closes
     * (/proc, or a policy that reads no close counts). */
    uint32_t (*closetracker_map)(const struct context_source *src);
    void (*close)(struct context_source *src);
    /* The task_struct pointer the kernel gave the task with thread id
     * `tid` when it was made (0: not known); NULL for a source without the
     * kernel's view. */
    uint64_t (*task_ptr)(const struct context_source *src, pid_t tid);
};

/* Where the flusher's context comes from. */
enum fs_context_source {
    FS_CONTEXT_AUTO, /* BPF when it loads, else /proc (with a notice)     */
    FS_CONTEXT_BPF,  /* BPF or nothing                                    */
    FS_CONTEXT_PROC, /* /proc: no task_struct/mm pointers, no close counts */
};

/* Policies that decide on facts only BPF gives (task_struct and mm
 * pointers, close(2) counts: the core's descriptor says which). */
static inline bool policy_needs_bpf(enum policy p)
{
    return policy_needs_kernel_facts(p);
}

/* Open the source `want` asks for, for `policy`: BPF (its programs loaded,
 * not yet watching a mount; a policy that reads close counts gets a close
 * tracker of `closetracker_entries` counters, 0: TernFS's 1,048,576), or
 * /proc.  `notice` (may be NULL) hears what
 * the user should know, e.g. that /proc is used because BPF cannot load.
 * Returns NULL with `why` when the source cannot be had. */
struct context_source *flush_context_open(enum fs_context_source want,
                                          enum policy policy,
                                          uint32_t closetracker_entries,
                                          fs_notice_fn *notice, void *arg,
                                          char *why, size_t cap);
void flush_context_close(struct context_source *src);

/* The two sources (NULL: out of memory).  The BPF one owns `bc`. */
struct context_source *proc_context_source(void);
struct context_source *bpf_context_source(struct bpf_context *bc);

/* The decision on a flush of a transient file by `who`: the core's, on
 * the source's facts; ignore when the requester is unknown or a fact is
 * missing (`*why` says which).  A seal consumes the close count. */
enum flush_decision flush_decide(struct context_source *src,
                                 enum policy policy, uint64_t ino,
                                 struct file_ctx *file,
                                 const struct requester *who,
                                 struct flog_event *seen, const char **why);

#endif
