/* ternfs_fs.h - the embedded reference filesystem: TernFS semantics in
 * memory on libfuse3's low-level API.
 *
 * Owns: the namespace (directories, transient/sealed/aborted files), the
 * FUSE handlers, and the flush log.  Every create and flush is decided by
 * the core (core.h) over the requesting task's context, as the kernel saw
 * it when it sent the request (BPF, bpf_context.h) or as far as /proc can
 * tell (proc_context.h).
 */
#ifndef TERNRIG_TERNFS_FS_H
#define TERNRIG_TERNFS_FS_H

#include <stdbool.h>
#include "core.h"

/* Where the flusher's context comes from. */
enum fs_context_source {
    FS_CONTEXT_AUTO, /* BPF when it loads, else /proc (with a notice)     */
    FS_CONTEXT_BPF,  /* BPF or nothing                                    */
    FS_CONTEXT_PROC, /* /proc: no task_struct/mm pointers, no close counts */
};

/* kmod, kmod-2024 and fuse-closetracker decide on facts only BPF gives:
 * task_struct and mm pointers, close(2) counts. */
static inline bool policy_needs_bpf(enum policy p)
{
    return p == POLICY_KMOD || p == POLICY_KMOD_2024 ||
           p == POLICY_FUSE_CLOSETRACKER;
}

struct fs_options {
    const char *mountpoint;
    enum policy policy;
    enum fs_context_source context;
    const char *log_path; /* JSONL flush log, or NULL */
    bool daemon;          /* detach after mounting */
    bool debug;           /* libfuse debug output */
};

/* Mount, serve until unmounted or SIGINT/SIGTERM/SIGHUP, unmount.  Returns
 * 0, or -1 after printing why (on stderr). */
int ternfs_fs_run(const struct fs_options *o);

#endif
