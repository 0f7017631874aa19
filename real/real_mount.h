/* real_mount.h - mount the embedded filesystem for a real replay, in a
 * temporary directory, and take it down again. */
#ifndef TERNRIG_REAL_MOUNT_H
#define TERNRIG_REAL_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "core.h"

struct real_mount {
    char dir[256];
    char log[300];
    pid_t pid;
};

/* Start `EXE fs --policy P --log LOG DIR` (EXE NULL: this executable) and
 * wait up to 5 s for the mount.  Returns 0, or -1 with `why`. */
int real_mount_start(struct real_mount *rm, const char *exe, enum policy pol,
                     char *why, size_t cap);
/* The same with `--context CONTEXT` (bpf, proc, auto; NULL: the default,
 * auto). */
int real_mount_start_ctx(struct real_mount *rm, const char *exe,
                         enum policy pol, const char *context, char *why,
                         size_t cap);
/* The same with any of `ternrig fs`'s options. */
struct real_mount_opts {
    const char *context;       /* --context (NULL: auto)                  */
    bool late;                 /* --log-late                              */
    unsigned closetracker_map; /* --closetracker-map N (0: the default)   */
};
int real_mount_start_opts(struct real_mount *rm, const char *exe,
                          enum policy pol, const struct real_mount_opts *o,
                          char *why, size_t cap);
/* The same with `--log-late` (flushes of decided files logged too, with
 * their context): for real runs that learn the schedule the kernel took. */
int real_mount_start_late(struct real_mount *rm, const char *exe,
                          enum policy pol, char *why, size_t cap);
/* SIGTERM, wait (5 s, then SIGKILL and a lazy unmount), remove the temp
 * dir and log.  Returns 0 when it unmounted cleanly. */
int real_mount_stop(struct real_mount *rm);

/* The flush log and policy a `ternrig fs` mount rooted at `dir` reports
 * (its user.ternrig.log and user.ternrig.policy attributes).  Each returns
 * false, with the buffer empty, when the mount does not say (not ternrig
 * fs, or mounted without --log). */
bool real_mount_log(const char *dir, char *log, size_t cap);
/* The log real_mount_log names, checked before anyone tails it: 0, or -1
 * with `why` when it is not a readable regular file (a device such as
 * /dev/full reads endless bytes, a FIFO blocks). */
int real_mount_log_usable(const char *log, char *why, size_t cap);
bool real_mount_policy(const char *dir, enum policy *pol);

/* (Defined with the run, in real_exec.c.)  Until real_stop_on_signals_off(): on SIGINT or SIGTERM, kill the real run
 * in progress, stop `rm` (unless NULL: a mount not ours) and exit with
 * 128 + the signal. */
void real_stop_on_signals(struct real_mount *rm);
void real_stop_on_signals_off(void);

#endif
