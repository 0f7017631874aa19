/* fs_internal.h - the embedded filesystem's state, shared by its handlers
 * (ternfs_fs.c) and its session (fs_session.c); private to fs/.
 *
 * Owns nothing: the handlers own the node store's use and the decisions;
 * the session owns the request loop (one thread or several), the
 * invalidator thread and the mount's lifetime.
 */
#ifndef TERNRIG_FS_INTERNAL_H
#define TERNRIG_FS_INTERNAL_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "flush_context.h"
#include "nodes.h"
#include "ternfs_fs.h"

struct fs {
    enum policy policy;
    struct context_source *src;
    uint64_t unique; /* header of the request being handled */
    FILE *log;
    char log_path[4096]; /* absolute, for the user.ternrig.log xattr */
    struct nodes nodes;
    unsigned long flushes;
    bool log_late; /* fs_options.log_late */
    /* The request being handled came as FUSE_TMPFILE: libfuse 3.14 has no
     * handler for it, so serve() hands it to op_create (same arguments,
     * same reply) and says so here. */
    bool tmpfile_request;
    const struct fs_options *o;
    unsigned long log_lost; /* lines that could not be written */
    char log_why[160];      /* why the first could not          */
    uint64_t requests;      /* requests served (user.ternrig.stats) */
    double now;             /* monotonic seconds at the request's start */
    pthread_mutex_t mu;     /* serve_mt: everything above, one request
                               at a time */
    struct invalidator *inval; /* NULL: not running (tests, before mount) */
};

/* The kernel may keep a closed file's inode cached (unused, with a link
 * count) and so never FORGET it: an aborted file, or one its writer left
 * transient, would then hold its node for as long as the kernel likes.
 * Telling the kernel to drop the name (fuse_lowlevel_notify_inval_entry)
 * makes it forget the inode once no fd holds it: that is always safe for an
 * invisible file (a lookup of it answers ENOENT anyway; an open fd keeps
 * working).  The notification takes the directory's lock in the kernel,
 * which a create or lookup in that directory holds while it waits for our
 * reply: so it is sent by a thread of its own, never by the one serving
 * requests (libfuse's rule), from a bounded queue (full: the name is
 * dropped, and the node goes at the kernel's leisure). */
#define INVAL_QUEUE 1024
struct invalidator {
    struct fuse_session *se;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct inval_entry { fuse_ino_t parent; char name[256]; } q[INVAL_QUEUE];
    unsigned head, len;
    bool stop, done;
    uint64_t sent, dropped;
};

/* ---- ternfs_fs.c ---- */
/* The handlers' table. */
extern const struct fuse_lowlevel_ops ternfs_ops;
/* Node `ino` goes if nobody can reach it any more (the kernel forgot it,
 * no name, no open file). */
void fs_reclaim(struct fs *fs, fuse_ino_t ino);

#endif
