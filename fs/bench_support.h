/* bench_support.h - what the filesystem benches (bench_fs_flush,
 * bench_task_reuse) share: whether they can run here, a clock, and a
 * `ternrig fs` mount named by policy and context (real_mount.h).
 *
 * Owns: nothing of the filesystem; benches are programs of their own and
 * print their own results.
 */
#ifndef TERNRIG_BENCH_SUPPORT_H
#define TERNRIG_BENCH_SUPPORT_H

#include <stddef.h>
#include "real_mount.h"

/* NULL when a FUSE mount can be made here (root, /dev/fuse), else why
 * not. */
const char *bench_fs_requirements(void);

/* CLOCK_MONOTONIC seconds. */
double bench_now_s(void);

/* Mount `ternrig fs` (the binary `ternrig`) with policy `policy` and
 * context `context` (NULL: auto) in a temp dir.  Returns 0, or -1 with
 * `why`. */
int bench_fs_mount(struct real_mount *m, const char *ternrig,
                   const char *policy, const char *context, char *why,
                   size_t cap);

#endif
