/* fs_log.h - what the embedded filesystem tells its flush log (--log).
 *
 * Owns: choosing the facts of each logged event: a create or tmpfile
 * (granted or refused), a link, a flush of a transient file with its decision, a write or
 * truncate the file refused.  The line format is flushlog.h's; the
 * requester's part comes from its context source (describe).  Each
 * function does nothing when `log` is NULL, and returns 0, or -1 with
 * errno when the line could not be written (flushlog_write).
 */
#ifndef TERNRIG_FS_LOG_H
#define TERNRIG_FS_LOG_H

#include <stdio.h>
#include <sys/types.h>
#include "flush_context.h"
#include "nodes.h"

/* A create of `name` in `parent`: ino 0 and err (an errno) when refused;
 * `why` a note ("" none). */
int fs_log_create(FILE *log, enum policy policy, struct context_source *src,
                  const struct requester *who, node_ino ino, node_ino parent,
                  const char *name, int err, bool tmpfile,
                  const char *why);

/* A link of the tmpfile `ino` (`nd`, NULL when there is none) as
 * `name` in `parent`: err 0 (its state now sealed) or the errno. */
int fs_log_link(FILE *log, enum policy policy, struct context_source *src,
                const struct requester *who, node_ino ino,
                const struct node *nd, node_ino parent, const char *name,
                int err, const char *why);

/* A flush of the file `nd`, already sealed or aborted: its context, no
 * decision (ternrig fs --log-late). */
int fs_log_late_flush(FILE *log, enum policy policy,
                      struct context_source *src, const struct requester *who,
                      node_ino ino, const struct node *nd);

/* A flush of the file `nd` (its state already the decided one); `seen`
 * holds what the source read for the decision (flush_decide). */
int fs_log_flush(FILE *log, enum policy policy, struct context_source *src,
                 const struct requester *who, node_ino ino,
                 const struct node *nd, struct flog_event *seen,
                 enum flush_decision d, const char *why);

/* A write (op FLOG_WRITE) or truncate (FLOG_TRUNCATE) the file refused
 * with `err`, asked by the thread `pid` (from /proc: BPF records only
 * creates, flushes and releases). */
int fs_log_refused(FILE *log, pid_t pid, node_ino ino, const struct node *nd,
                   enum flog_op op, off_t off, size_t len, int err);

#endif
