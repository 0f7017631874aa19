/* watch.h - run a command on the embedded filesystem and find out what
 * happened to every file it created (`ternrig watch`, `ternrig clients`).
 *
 * Owns: the mount a watch uses (one it mounts in a temporary directory,
 * or a ternrig fs mount it is given, found by its user.ternrig.* xattrs),
 * running one command there (child_run.h), reading the part of the flush
 * log that command produced (flushlog.h), the files' fates (fate.h), and
 * what the directory shows afterwards.
 */
#ifndef TERNRIG_WATCH_H
#define TERNRIG_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include "child_run.h"
#include "core.h"
#include "fate.h"
#include "flushlog.h"
#include "real_mount.h"

struct watch_mount {
    char dir[4096]; /* the mount point                                  */
    char log[4096]; /* its flush log                                    */
    enum policy policy;
    bool ours;      /* mounted here: watch_mount_close() unmounts it     */
    struct real_mount rm;
};

/* Does `ternrig fs` (executable `exe`, NULL: this one) run policy `pol`?
 * Asks it without mounting anything.  Returns 1 yes, 0 no (`why` holds
 * its own reason), -1 when it could not be asked (`why` says why). */
int watch_fs_runs_policy(const char *exe, enum policy pol, char *why,
                         size_t cap);

/* Mount the embedded filesystem under `pol` in a temporary directory,
 * with a flush log (and, for a policy that counts closes, a close tracker
 * of `closetracker_map` counters; 0: TernFS's 1,048,576).  Returns 0, or
 * -1 with `why` (the filesystem's own reason when it refuses the
 * policy). */
int watch_mount_open(struct watch_mount *m, enum policy pol,
                     unsigned closetracker_map, char *why, size_t cap);
/* Use `dir`, which must be the root of a `ternrig fs --log` mount.
 * Returns 0, or -1 with `why`. */
int watch_mount_use(struct watch_mount *m, const char *dir, char *why,
                    size_t cap);
/* Unmount (if ours) and remove the temporary directory and log.
 * Returns 0, or -1 when the unmount was not clean. */
int watch_mount_close(struct watch_mount *m);

/* A file as the directory shows it after the command, or where it was
 * created when the directory does not show it. */
struct watch_file {
    char path[1024]; /* relative to the command's directory            */
    bool visible;    /* a regular file in the directory now              */
    bool renamed;    /* visible under another path than it was created   */
    bool gone;       /* it was sealed, and is not in the directory now   */
    long long size_now;
};

struct watch_result {
    struct child_outcome run;
    double t0;            /* CLOCK_REALTIME when the command started     */
    struct flog log;      /* the events the command caused               */
    unsigned bad_lines;   /* log lines that did not parse                */
    struct fates fates;
    struct watch_file *files; /* files[i] goes with fates.f[i]           */
};

/* Run `cmd` (its cwd must be `dir`, a directory inside the mount `m`) and
 * collect the outcome.  Returns 0, or -1 with `why`. */
int watch_command(const struct watch_mount *m, const char *dir,
                  const struct child_spec *cmd, struct watch_result *r,
                  char *why, size_t cap);
void watch_result_free(struct watch_result *r);

/* Whether any file the command created was lost or cut short by the
 * filesystem: `ternrig watch` then exits 3. */
bool watch_lost_something(const struct watch_result *r);

/* rm -r: 0, or -1 (best effort: removes what it can). */

#endif
