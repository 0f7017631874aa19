/* ternfs_fs.h - the embedded reference filesystem: TernFS semantics in
 * memory on libfuse3's low-level API.
 *
 * Owns: the namespace (directories, transient/sealed/aborted files), the
 * FUSE handlers, and the flush log.  Every create and flush is decided by
 * the core (core.h) over a context read from /proc (proc_context.h).
 */
#ifndef TERNRIG_TERNFS_FS_H
#define TERNRIG_TERNFS_FS_H

#include <stdbool.h>
#include "core.h"

struct fs_options {
    const char *mountpoint;
    enum policy policy;
    const char *log_path; /* JSONL flush log, or NULL */
    bool daemon;          /* detach after mounting */
    bool debug;           /* libfuse debug output */
};

/* Mount, serve until unmounted or SIGINT/SIGTERM/SIGHUP, unmount.  Returns
 * 0, or -1 after printing why (on stderr). */
int ternfs_fs_run(const struct fs_options *o);

#endif
