/* ternfs_fs.h - the embedded reference filesystem: TernFS semantics in
 * memory on libfuse3's low-level API.
 *
 * Owns: the FUSE handlers (ternfs_fs.c): each short, replying exactly
 * once; mounting, serving and unmounting (fs_session.c; their shared
 * state is the private fs_internal.h).  The parts they call:
 * the node store (nodes.h), the context sources and the flush decision
 * (flush_context.h: every create and flush is decided by the core, core.h,
 * over the requesting task's context, from BPF, bpf_context.h, or /proc,
 * proc_context.h), and the flush log (fs_log.h, format in flushlog.h).
 * Prints nothing: errors are returned, notices go to a callback.
 */
#ifndef TERNRIG_TERNFS_FS_H
#define TERNRIG_TERNFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include "core.h"
#include "flush_context.h" /* enum fs_context_source, policy_needs_bpf */

struct fs_options {
    const char *mountpoint;
    enum policy policy;
    enum fs_context_source context;
    const char *log_path; /* JSONL flush log, or NULL */
    bool daemon;          /* detach after mounting */
    bool debug;           /* libfuse debug output */
    fs_notice_fn *notice; /* what the user should know (may be NULL) */
    void *notice_arg;
    bool log_late;        /* log flushes of decided files too (no
                             decision): real runs read their contexts */
    uint32_t closetracker_map; /* the close tracker's capacity (policies
                                  that count closes); 0: TernFS's 1,048,576 */
    double expire_s;      /* a file aborted, or left transient, and
                             forgotten by the kernel frees its name this
                             long after (TernFS expires it); 0: never */
    unsigned threads;     /* threads reading requests (0, 1: one; more:
                             serve_mt, one request served at a time) */
};

/* Mount, serve until unmounted or SIGINT/SIGTERM/SIGHUP, unmount.  Returns
 * 0, or -1 with `why`. */
int ternfs_fs_run(const struct fs_options *o, char *why, size_t cap);

#endif
