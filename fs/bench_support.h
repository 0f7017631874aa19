/* bench_support.h - what the filesystem benches (bench_fs_flush,
 * bench_task_reuse) share: whether they can run here and a clock; they
 * mount `ternrig fs` with real_mount_start_ctx() (real_mount.h).
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

#endif
