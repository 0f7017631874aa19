/* ternfs_fs.c - TernFS semantics on libfuse3's low-level API: the
 * handlers, the request loop, mount and unmount.
 *
 * A created file is transient: absent from readdir, ENOENT to lookup, and
 * writable only through the open file that created it, appending.  A flush
 * asks the core (flush_decide): seal makes it visible and immutable, abort
 * removes it for good.  Entries and attributes are never cached by the
 * kernel (timeouts 0), so visibility is always asked of us.
 * Handlers are short and never wait on anything but /proc status files
 * and BPF map lookups.  Each replies exactly once.  One thread serves by
 * default; with fs_options.threads > 1, that many threads read requests
 * and one lock (fs->mu) serves them one at a time (serve_mt).
 * A node nobody can reach any more is freed once the kernel forgets it
 * (reclaim): memory stays flat however long the mount lives.
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "flush_context.h"
#include "fs_log.h"
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

static void *invalidator_main(void *arg)
{
    struct invalidator *iv = arg;
    pthread_mutex_lock(&iv->mu);
    while (!iv->stop) {
        if (!iv->len) {
            pthread_cond_wait(&iv->cv, &iv->mu);
            continue;
        }
        struct inval_entry e = iv->q[iv->head];
        iv->head = (iv->head + 1) % INVAL_QUEUE;
        iv->len--;
        pthread_mutex_unlock(&iv->mu);
        /* ENOENT: the kernel had dropped it already */
        fuse_lowlevel_notify_inval_entry(iv->se, e.parent, e.name,
                                         strlen(e.name));
        pthread_mutex_lock(&iv->mu);
        iv->sent++;
    }
    iv->done = true;
    pthread_mutex_unlock(&iv->mu);
    return NULL;
}

/* The kernel should drop `nd`'s name (an invisible file, no longer
 * written). */
static void invalidate_name(struct fs *fs, const struct node *nd)
{
    struct invalidator *iv = fs->inval;
    if (!iv || !nd->indexed || nd->is_dir)
        return;
    pthread_mutex_lock(&iv->mu);
    if (iv->len == INVAL_QUEUE) {
        iv->dropped++;
    } else {
        struct inval_entry *e = &iv->q[(iv->head + iv->len++) % INVAL_QUEUE];
        e->parent = nd->parent;
        snprintf(e->name, sizeof e->name, "%s", nd->name);
        pthread_cond_signal(&iv->cv);
    }
    pthread_mutex_unlock(&iv->mu);
}

/* A flush-log line that could not be written (a full disk) is said at
 * once, and the run ends in an error (ternfs_fs_run): a log with holes
 * would mislead every judge that reads it (watch, stress, replay). */
static void logged(struct fs *fs, int rc)
{
    if (rc == 0 || fs->log_lost++)
        return;
    snprintf(fs->log_why, sizeof fs->log_why, "%s", strerror(errno));
    if (fs->o->notice) {
        char msg[4400];
        snprintf(msg, sizeof msg, "--log %s: cannot write (%s): the flush "
                                  "log has holes from now on; ternrig fs "
                                  "will exit 2 when unmounted",
                 fs->o->log_path, fs->log_why);
        fs->o->notice(fs->o->notice_arg, msg);
    }
}

#define WRITER_FH 1 /* fi->fh of the creator's open file; 0 a reader's */

static struct fs *fs_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static void who_sent(struct fs *fs, fuse_req_t req, struct requester *who)
{
    fs->src->requester(fs->src, fs->unique, fuse_req_ctx(req)->pid, who);
}

static void fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
    struct node *nd = node_of(&fs->nodes, ino);
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_uid = getuid();
    st->st_gid = getgid();
    if (nd->is_dir) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = nd->state == N_GONE ? 0 : 2;
    } else if (nd->state == N_GONE) { /* unlinked, still open somewhere */
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)nd->size;
    } else {
        /* sealed files are read-only; a transient one is its writer's */
        st->st_mode = S_IFREG | (nd->state == N_SEALED ? 0444 : 0644);
        st->st_nlink = nd->indexed ? 1 : 0; /* a tmpfile until linked: 0 */
        st->st_size = (off_t)nd->size;
    }
}

/* Free `ino` if nobody can reach it any more (nodes.h): its context
 * source forgets it, its file context is closed. */
static void reclaim(struct fs *fs, fuse_ino_t ino)
{
    if (!node_reclaimable(&fs->nodes, ino))
        return;
    struct node *nd = node_of(&fs->nodes, ino);
    if (!nd->is_dir && fs->src->freed)
        fs->src->freed(fs->src, ino, &nd->file);
    file_ctx_close(&nd->file);
    node_free(&fs->nodes, ino);
}

static void reply_entry(fuse_req_t req, struct fs *fs, fuse_ino_t ino,
                        struct fuse_file_info *fi)
{
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.ino = ino;
    e.generation = node_of(&fs->nodes, ino)->gen;
    e.attr_timeout = 0; /* never cached: visibility is ours to say */
    e.entry_timeout = 0;
    fill_attr(fs, ino, &e.attr);
    node_of(&fs->nodes, ino)->nlookup++; /* until the kernel forgets it */
    int rc = fi ? fuse_reply_create(req, &e, fi) : fuse_reply_entry(req, &e);
    if (rc != 0) { /* the kernel never got it: it will never forget it */
        node_forget(&fs->nodes, ino, 1);
        reclaim(fs, ino);
    }
}

/* ------------------------------------------------------------- handlers */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fs_of(req);
    fuse_ino_t ino = node_child(&fs->nodes, parent, name);
    if (!ino || !node_visible(node_of(&fs->nodes, ino)))
        fuse_reply_err(req, ENOENT); /* transient files stay invisible */
    else
        reply_entry(req, fs, ino, NULL);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    struct stat st;
    if (!nd || (nd->state == N_GONE && !nd->nlookup)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fill_attr(fs, ino, &st); /* gone but known: an open, unlinked file */
    fuse_reply_attr(req, &st, 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
                       int to_set, struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    if (!nd || nd->state == N_GONE) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if ((to_set & FUSE_SET_ATTR_SIZE) &&
        (nd->state != N_TRANSIENT || (size_t)attr->st_size != nd->size)) {
        if (nd->state != N_DIR)
            logged(fs, fs_log_refused(fs->log, fuse_req_ctx(req)->pid, ino,
                                      nd, FLOG_TRUNCATE, attr->st_size, 0,
                                      EPERM));
        fuse_reply_err(req, EPERM); /* immutable; transient: append only */
        return;
    }
    op_getattr(req, ino, fi); /* modes and times: accepted, not kept */
}

/* Offsets: 1 after ".", 2 after "..", then a child's inode + 2: children
 * are kept in inode order, so a listing resumes right after the last child
 * returned, whatever came or went meanwhile. */
static size_t fill_dir(fuse_req_t req, struct fs *fs, fuse_ino_t ino,
                       char *buf, size_t size, off_t off)
{
    size_t used = 0;
    for (off_t k = off; k < 2; k++) {
        struct stat st = {0};
        st.st_ino = k == 0 ? ino : 1;
        st.st_mode = S_IFDIR;
        size_t need = fuse_add_direntry(req, buf + used, size - used,
                                        k == 0 ? "." : "..", &st, k + 1);
        if (need > size - used)
            return used;
        used += need;
    }
    struct node *dir = node_of(&fs->nodes, ino);
    for (fuse_ino_t c = dir ? dir->first_child : 0; c;
         c = node_at(&fs->nodes, c)->next_sib) {
        struct node *nd = node_at(&fs->nodes, c);
        if ((off_t)c + 2 <= off || !node_visible(nd))
            continue;
        struct stat st;
        fill_attr(fs, c, &st);
        size_t need = fuse_add_direntry(req, buf + used, size - used,
                                        nd->name, &st, (off_t)c + 2);
        if (need > size - used)
            break;
        used += need;
    }
    return used;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    (void)fi;
    char *buf = calloc(1, size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    fuse_reply_buf(req, buf, fill_dir(req, fs_of(req), ino, buf, size, off));
    free(buf);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
                     mode_t mode)
{
    (void)mode;
    struct fs *fs = fs_of(req);
    if (node_child(&fs->nodes, parent, name)) {
        fuse_reply_err(req, EEXIST);
        return;
    }
    fuse_ino_t ino = node_new(&fs->nodes, parent, name, N_DIR);
    if (!ino)
        fuse_reply_err(req, ENAMETOOLONG);
    else
        reply_entry(req, fs, ino, NULL);
}

/* A create the core granted: the new transient file, named in `parent`
 * or (a tmpfile) unnamed until linked.  Returns its ino, or 0 (name too
 * long, out of memory). */
static fuse_ino_t new_file(struct fs *fs, fuse_ino_t parent, const char *name,
                           const struct requester *who,
                           const struct file_record *rec)
{
    fuse_ino_t ino = rec->tmpfile
                         ? node_new_unnamed(&fs->nodes, parent, N_TRANSIENT)
                         : node_new(&fs->nodes, parent, name, N_TRANSIENT);
    if (!ino)
        return 0;
    struct node *nd = node_of(&fs->nodes, ino);
    nd->file.rec = *rec;
    nd->file.creator = who->tgid;
    const char *why = fs->src->created(fs->src, fs->policy, ino, &nd->file,
                                       who);
    logged(fs, fs_log_create(fs->log, fs->policy, fs->src, who, ino, parent,
                             name, 0, rec->tmpfile, why));
    return ino;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
                      mode_t mode, struct fuse_file_info *fi)
{
    (void)mode;
    struct fs *fs = fs_of(req);
    bool tmpfile = fs->tmpfile_request; /* O_TMPFILE: no name to clash */
    if (!tmpfile && node_child(&fs->nodes, parent, name)) {
        fs->src->forget(fs->src, fs->unique);
        fuse_reply_err(req, EEXIST); /* O_EXCL */
        return;
    }
    struct requester who;
    who_sent(fs, req, &who);
    struct task_ctx c;
    struct file_record rec;
    int err = EIO; /* no creator identity: refuse */
    if (who.known) {
        fs->src->create_ctx(fs->src, &who, &c);
        err = tmpfile ? classify_tmpfile(fs->policy, &c, &rec)
                      : classify_create(fs->policy, &c, &rec);
    }
    if (err) {
        logged(fs, fs_log_create(fs->log, fs->policy, fs->src, &who, 0,
                                 parent, name, err, tmpfile,
                                 who.known ? "refused by the policy"
                                           : who.why));
        fuse_reply_err(req, err);
        return;
    }
    fuse_ino_t ino = new_file(fs, parent, name, &who, &rec);
    if (!ino) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    fi->fh = WRITER_FH;
    fi->direct_io = 1;
    reply_entry(req, fs, ino, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct node *nd = node_of(&fs_of(req)->nodes, ino);
    if (!nd || nd->state != N_SEALED) {
        /* a transient file is its creator's alone; an aborted one is gone */
        fuse_reply_err(req, nd && nd->state == N_DIR ? EISDIR : ENOENT);
        return;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EPERM); /* sealed: immutable */
        return;
    }
    fi->fh = 0;
    fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)fi;
    struct node *nd = node_of(&fs_of(req)->nodes, ino);
    if (!nd || nd->state == N_DIR) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    if ((size_t)off >= nd->size)
        size = 0;
    else if (size > nd->size - (size_t)off)
        size = nd->size - (size_t)off;
    fuse_reply_buf(req, nd->data + (size ? off : 0), size);
}

/* Why a write of `size` bytes at `off` through `fi` is refused: 0 when it
 * is not.  Only the writer's open file appends, in order, to a transient
 * file. */
static int write_refusal(const struct node *nd, const struct fuse_file_info *fi,
                         off_t off)
{
    if (nd->state == N_SEALED)
        return EROFS; /* SPEC v2: a sealed file is read-only */
    if (fi->fh != WRITER_FH)
        return EPERM;
    if (nd->state != N_TRANSIENT)
        return EIO; /* aborted */
    if ((size_t)off != nd->size)
        return EINVAL; /* append only, in order */
    return 0;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
                     size_t size, off_t off, struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    int err = nd ? write_refusal(nd, fi, off) : EPERM;
    if (err) {
        if (nd)
            logged(fs, fs_log_refused(fs->log, fuse_req_ctx(req)->pid, ino,
                                      nd, FLOG_WRITE, off, size, err));
        fuse_reply_err(req, err);
        return;
    }
    if (node_append(nd, buf, size) < 0)
        fuse_reply_err(req, ENOSPC);
    else
        fuse_reply_write(req, size);
}

/* The file is decided: apply it. */
static void apply_decision(struct fs *fs, fuse_ino_t ino, struct node *nd,
                           enum flush_decision d)
{
    if (d == FLUSH_SEAL)
        nd->state = N_SEALED;
    else if (d == FLUSH_ABORT) {
        nd->state = N_ABORTED; /* keeps its name (EEXIST), not its data */
        node_drop_data(nd);
        invalidate_name(fs, nd);
        note_aborted(fs->policy, &nd->file.rec); /* kmod: errored (EIO) */
    }
    /* an errored file's flushes are still decided (its owner's fail with
     * EIO): the source keeps what they need until its release */
    if (nd->state != N_TRANSIENT && !nd->file.rec.errored)
        fs->src->decided(fs->src, ino, &nd->file, d);
}

/* Whether a flush of `nd` is decided: a transient file's, and under the
 * kmod policies an aborted (errored) one's (SPEC v2 §4: its owner's later
 * flushes fail with EIO). */
static bool flush_decides(const struct node *nd)
{
    return nd && (nd->state == N_TRANSIENT ||
                  (nd->state == N_ABORTED && nd->file.rec.errored));
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    fs->flushes++;
    if (!flush_decides(nd)) {
        if (nd && !nd->is_dir && fs->log_late && fs->log) {
            struct requester who;
            who_sent(fs, req, &who); /* takes the record */
            logged(fs, fs_log_late_flush(fs->log, fs->policy, fs->src, &who,
                                         ino, nd));
        } else {
            fs->src->forget(fs->src, fs->unique);
        }
        fuse_reply_err(req, 0); /* sealed or aborted: nothing to decide */
        return;
    }
    struct requester who;
    who_sent(fs, req, &who);
    struct flog_event seen;
    flushlog_event_init(&seen, FLOG_FLUSH);
    const char *why = "";
    enum flush_decision d = flush_decide(fs->src, fs->policy, ino, &nd->file,
                                         &who, &seen, &why);
    apply_decision(fs, ino, nd, d);
    logged(fs, fs_log_flush(fs->log, fs->policy, fs->src, &who, ino, nd,
                            &seen, d, why));
    fuse_reply_err(req, d == FLUSH_FAIL ? EIO : 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    struct file_ctx none;
    file_ctx_init(&none);
    fs->src->released(fs->src, fs->unique, ino, fi->fh == WRITER_FH,
                      nd ? &nd->file : &none);
    if (nd && fi->fh == WRITER_FH && nd->state == N_TRANSIENT)
        invalidate_name(fs, nd); /* left transient: nobody writes it now */
    fuse_reply_err(req, 0);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fs_of(req);
    fuse_ino_t ino = node_child(&fs->nodes, parent, name);
    struct node *nd = node_of(&fs->nodes, ino);
    if (!nd || nd->state != N_SEALED) {
        fuse_reply_err(req, nd && nd->state == N_DIR ? EISDIR : ENOENT);
        return;
    }
    node_make_gone(&fs->nodes, ino);
    reclaim(fs, ino);
    fuse_reply_err(req, 0);
}

static bool has_visible_child(struct fs *fs, const struct node *dir)
{
    for (fuse_ino_t c = dir->first_child; c;
         c = node_at(&fs->nodes, c)->next_sib)
        if (node_visible(node_at(&fs->nodes, c)))
            return true;
    return false;
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fs_of(req);
    fuse_ino_t ino = node_child(&fs->nodes, parent, name);
    struct node *nd = node_of(&fs->nodes, ino);
    if (!nd || nd->state != N_DIR) {
        fuse_reply_err(req, nd ? ENOTDIR : ENOENT);
        return;
    }
    if (has_visible_child(fs, nd)) {
        fuse_reply_err(req, ENOTEMPTY);
        return;
    }
    /* invisible children (transient, aborted) go with it: TernFS would
     * expire them */
    while (nd->first_child) {
        fuse_ino_t c = nd->first_child;
        node_make_gone(&fs->nodes, c);
        reclaim(fs, c);
    }
    node_make_gone(&fs->nodes, ino);
    reclaim(fs, ino);
    fuse_reply_err(req, 0);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                      fuse_ino_t newparent, const char *newname,
                      unsigned int flags)
{
    struct fs *fs = fs_of(req);
    fuse_ino_t ino = node_child(&fs->nodes, parent, name);
    struct node *nd = node_of(&fs->nodes, ino);
    if (!nd || !node_visible(nd) || flags) {
        fuse_reply_err(req, !nd || !node_visible(nd) ? ENOENT : EINVAL);
        return;
    }
    if (strlen(newname) >= sizeof nd->name) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    fuse_ino_t old = node_child(&fs->nodes, newparent, newname);
    struct node *victim = node_of(&fs->nodes, old);
    if (victim && victim != nd) {
        if (victim->state != N_SEALED) { /* no replacing dirs/transients */
            fuse_reply_err(req, victim->state == N_DIR ? EISDIR : EEXIST);
            return;
        }
        node_make_gone(&fs->nodes, old);
        reclaim(fs, old);
    }
    node_rename(&fs->nodes, ino, newparent, newname);
    fuse_reply_err(req, 0);
}

/* linkat(fd, "", dir, name, AT_EMPTY_PATH) of a tmpfile: the one way it
 * becomes visible, if the core lets the linker (SPEC v2 §3-§4). */
static int link_refusal(struct fs *fs, const struct node *nd,
                        fuse_ino_t newparent, const char *newname)
{
    if (!nd || nd->state != N_TRANSIENT || !nd->file.rec.tmpfile)
        return EINVAL; /* TernFS links only a tmpfile still being written */
    if (strlen(newname) >= sizeof nd->name)
        return ENAMETOOLONG;
    if (node_child(&fs->nodes, newparent, newname))
        return EEXIST;
    return 0;
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
                    const char *newname)
{
    struct fs *fs = fs_of(req);
    struct node *nd = node_of(&fs->nodes, ino);
    struct requester who;
    who_sent(fs, req, &who);
    int err = link_refusal(fs, nd, newparent, newname);
    const char *why = "";
    if (!err && !who.known) {
        err = EIO; /* no linker identity: refuse, never seal on a guess */
        why = who.why;
    } else if (!err) {
        struct task_ctx c;
        fs->src->create_ctx(fs->src, &who, &c);
        if ((err = classify_link(fs->policy, &nd->file.rec, &c)))
            why = "refused by the policy";
        else if (node_link(&fs->nodes, ino, newparent, newname) < 0)
            err = ENOMEM;
    }
    if (!err)
        apply_decision(fs, ino, nd, FLUSH_SEAL);
    logged(fs, fs_log_link(fs->log, fs->policy, fs->src, &who, ino, nd,
                           newparent, newname, err, why));
    if (err)
        fuse_reply_err(req, err);
    else
        reply_entry(req, fs, ino, NULL);
}

static void forget_one(struct fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
    node_forget(&fs->nodes, ino, nlookup);
    reclaim(fs, ino); /* unlinked, rmdir'd or never linked: it goes now */
    node_note_dead(&fs->nodes, ino, fs->now); /* named: it expires */
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    forget_one(fs_of(req), ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
                            struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++)
        forget_one(fs_of(req), forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    struct statvfs st = {0};
    st.f_files = fs_of(req)->nodes.nlive; /* live nodes */
    st.f_bsize = st.f_frsize = 4096;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
}

/* The root says which policy the mount runs: user.ternrig.policy, read by
 * `ternrig replay --mount` when it is not told. */
#define POLICY_XATTR "user.ternrig.policy"
/* ... and user.ternrig.log where its flush log is (`ternrig watch --mount`) */
#define LOG_XATTR "user.ternrig.log"
/* ... and, with BPF contexts, user.ternrig.task.TID the task_struct pointer
 * the kernel gave thread TID when it was made ("0x..."): a real run asks it
 * of each new task, to see which released task's memory it got (SPEC v2
 * `reuses`). */
#define TASK_XATTR "user.ternrig.task."
/* ... and, with a close tracker, user.ternrig.closetracker_map its
 * capacity: a real run on a given mount (`replay --mount`) runs a trace
 * under fuse-closetracker only when its map is the trace's. */
#define CTMAP_XATTR "user.ternrig.closetracker_map"
/* ... and user.ternrig.stats what it serves and holds: "requests N live N
 * freed N slots N" (requests served, live nodes, nodes freed, node slots
 * made): a storm's requests/s, and proof that memory stays flat. */
#define STATS_XATTR "user.ternrig.stats"
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                        size_t size)
{
    struct fs *fs = fs_of(req);
    bool log = strcmp(name, LOG_XATTR) == 0 && fs->log_path[0];
    const char *v = log ? fs->log_path : policy_name(fs->policy);
    char ptr[256];
    bool task = false;
    if (!strcmp(name, STATS_XATTR)) {
        /* live nodes by state; those the kernel knows; aborted ones it
         * knows (an open fd, or a dentry it keeps) */
        size_t by[N_GONE + 1] = {0}, known = 0, known_aborted = 0;
        for (size_t i = 0; i < fs->nodes.n; i++)
            if (fs->nodes.v[i].live) {
                by[fs->nodes.v[i].state]++;
                known += fs->nodes.v[i].nlookup > 0;
                known_aborted += fs->nodes.v[i].nlookup > 0 &&
                                 fs->nodes.v[i].state == N_ABORTED;
            }
        snprintf(ptr, sizeof ptr, "requests %llu live %zu freed %llu slots "
                                  "%zu dirs %zu transient %zu sealed %zu "
                                  "aborted %zu gone %zu known %zu "
                                  "known_aborted %zu expired %llu "
                                  "invalidated %llu",
                 (unsigned long long)fs->requests, fs->nodes.nlive,
                 (unsigned long long)fs->nodes.nfreed, fs->nodes.n, by[N_DIR],
                 by[N_TRANSIENT], by[N_SEALED], by[N_ABORTED], by[N_GONE],
                 known, known_aborted,
                 (unsigned long long)fs->nodes.nexpired,
                 (unsigned long long)(fs->inval ? fs->inval->sent : 0));
        v = ptr;
        task = true; /* answered */
    }
    uint32_t ctmap = fs->src->closetracker_map(fs->src);
    if (!strcmp(name, CTMAP_XATTR) && ctmap) {
        snprintf(ptr, sizeof ptr, "%u", (unsigned)ctmap);
        v = ptr;
        task = true; /* answered */
    }
    if (ino == 1 && !strncmp(name, TASK_XATTR, strlen(TASK_XATTR)) &&
        fs->src->task_ptr) {
        char *end;
        long tid = strtol(name + strlen(TASK_XATTR), &end, 10);
        uint64_t p = tid > 0 && !*end ? fs->src->task_ptr(fs->src, (pid_t)tid)
                                      : 0;
        if (p) {
            snprintf(ptr, sizeof ptr, "0x%llx", (unsigned long long)p);
            v = ptr;
            task = true;
        }
    }
    size_t len = strlen(v);
    if (ino != 1 || (!log && !task && strcmp(name, POLICY_XATTR) != 0))
        fuse_reply_err(req, ENODATA);
    else if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, v, len);
}

static const struct fuse_lowlevel_ops ternfs_ops = {
    .getxattr = op_getxattr,
    .lookup = op_lookup,
    .link = op_link,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readdir = op_readdir,
    .mkdir = op_mkdir,
    .rmdir = op_rmdir,
    .unlink = op_unlink,
    .rename = op_rename,
    .create = op_create,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .statfs = op_statfs,
};

/* ------------------------------------------------------- serving, mount */

/* FUSE opcodes (FUSE's stable ABI, include/uapi/linux/fuse.h).  The
 * kernel sends FUSE_TMPFILE for open(O_TMPFILE) since Linux 6.1, with a
 * CREATE's arguments (fuse_create_in, then the name, "/") and a CREATE's
 * reply (entry and open); libfuse 3.14 answers opcodes it does not know
 * with ENOSYS, after which the kernel stops asking (EOPNOTSUPP). */
#define OPCODE_CREATE 35u
#define OPCODE_TMPFILE 51u

/* fuse_session_loop, but each request's header `unique` is kept for the
 * handlers: it names the request's BPF record; and a FUSE_TMPFILE is
 * relabelled a CREATE for libfuse, which then calls op_create with
 * fs->tmpfile_request set.  (The header starts every request: len,
 * opcode, unique.) */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void process(struct fuse_session *se, struct fs *fs,
                    struct fuse_buf *buf)
{
    fs->requests++;
    fs->now = mono_s();
    if (fs->o->expire_s > 0) { /* dead files past their deadline go */
        fuse_ino_t ino;
        while ((ino = node_expired(&fs->nodes, fs->now, fs->o->expire_s)))
            reclaim(fs, ino);
    }
    fs->unique = 0;
    fs->tmpfile_request = false;
    if (!(buf->flags & FUSE_BUF_IS_FD) && buf->size >= 16) {
        memcpy(&fs->unique, (const char *)buf->mem + 8, sizeof fs->unique);
        uint32_t opcode;
        memcpy(&opcode, (const char *)buf->mem + 4, sizeof opcode);
        if (opcode == OPCODE_TMPFILE) { /* served as a CREATE */
            fs->tmpfile_request = true;
            opcode = OPCODE_CREATE;
            memcpy((char *)buf->mem + 4, &opcode, sizeof opcode);
        }
    }
    fuse_session_process_buf(se, buf);
}

static int serve(struct fuse_session *se, struct fs *fs)
{
    struct fuse_buf buf = {0};
    int res = 0;
    while (!fuse_session_exited(se)) {
        res = fuse_session_receive_buf(se, &buf);
        if (res == -EINTR)
            continue;
        if (res <= 0)
            break;
        process(se, fs, &buf);
    }
    free(buf.mem);
    fuse_session_reset(se);
    return res < 0 ? -1 : 0;
}

/* serve() on `threads` threads: each reads its own requests from
 * /dev/fuse (the kernel hands each request to one reader) and serves them
 * under fs->mu, one at a time: the node store, the context source's state,
 * the log and the request header kept for the handlers (fs->unique) are
 * shared.  What runs in parallel is reading the next request while another
 * is served.  Not libfuse's fuse_session_loop_mt: it hands buffers to
 * fuse_session_process_buf itself, and a FUSE_TMPFILE must be relabelled
 * (process()) before libfuse sees it.  Signals go to the calling thread
 * (the workers block them), whose read they interrupt; it then stops the
 * workers, cancelled in their read (never while serving: cancellation is
 * off under the lock). */
struct worker {
    struct fuse_session *se;
    struct fs *fs;
    int res;
};

static void free_buf(void *arg)
{
    free(((struct fuse_buf *)arg)->mem);
}

static void *serve_worker(void *arg)
{
    struct worker *w = arg;
    struct fuse_buf buf = {0};
    int res = 0;
    pthread_cleanup_push(free_buf, &buf);
    while (!fuse_session_exited(w->se)) {
        res = fuse_session_receive_buf(w->se, &buf);
        if (res == -EINTR)
            continue;
        if (res <= 0)
            break;
        int old;
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
        pthread_mutex_lock(&w->fs->mu);
        process(w->se, w->fs, &buf);
        pthread_mutex_unlock(&w->fs->mu);
        pthread_setcancelstate(old, NULL);
    }
    if (res <= 0)
        fuse_session_exit(w->se); /* unmounted: everyone stops */
    w->res = res;
    pthread_cleanup_pop(1);
    return NULL;
}

static int serve_mt(struct fuse_session *se, struct fs *fs, unsigned threads)
{
    if (threads > 64)
        threads = 64;
    pthread_t th[64];
    struct worker w[64];
    unsigned started = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 1; i < threads; i++) {
        w[i] = (struct worker){se, fs, 0};
        if (pthread_create(&th[i], NULL, serve_worker, &w[i]) != 0)
            break;
        started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w[0] = (struct worker){se, fs, 0};
    serve_worker(&w[0]);
    for (unsigned i = 1; i <= started; i++) {
        pthread_cancel(th[i]);
        pthread_join(th[i], NULL);
    }
    fuse_session_reset(se);
    return w[0].res < 0 ? -1 : 0;
}

/* Stop the invalidator.  A notification it is sending may wait for a
 * directory lock held by a task that waits for our reply: so requests are
 * still served until it is done (or the mount is gone). */
static void invalidator_stop(struct fuse_session *se, struct fs *fs)
{
    struct invalidator *iv = fs->inval;
    pthread_mutex_lock(&iv->mu);
    iv->stop = true;
    pthread_cond_signal(&iv->cv);
    pthread_mutex_unlock(&iv->mu);
    struct fuse_buf buf = {0};
    for (;;) {
        pthread_mutex_lock(&iv->mu);
        bool done = iv->done;
        pthread_mutex_unlock(&iv->mu);
        if (done)
            break;
        struct pollfd p = {fuse_session_fd(se), POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int res = fuse_session_receive_buf(se, &buf);
        if (res > 0)
            process(se, fs, &buf);
        else if (res != -EINTR && res != -EAGAIN)
            poll(NULL, 0, 20); /* unmounted: the lock holder fails now */
    }
    free(buf.mem);
    pthread_join(iv->th, NULL);
    fs->inval = NULL;
}

/* Mounted on `mountpoint`: watch it, detach if asked, serve. */
static int mounted(struct fuse_session *se, struct fs *fs,
                   const struct fs_options *o, const char *mountpoint,
                   char *why, size_t cap)
{
    if (fs->src->watch(fs->src, mountpoint, why, cap) < 0)
        return -1;
    if (fuse_daemonize(!o->daemon) != 0)
        return -1;
    static struct invalidator iv; /* one mount per process */
    memset(&iv, 0, sizeof iv);
    iv.se = se;
    pthread_mutex_init(&iv.mu, NULL);
    pthread_cond_init(&iv.cv, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* signals stay ours */
    if (pthread_create(&iv.th, NULL, invalidator_main, &iv) == 0)
        fs->inval = &iv;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int rc = o->threads > 1 ? serve_mt(se, fs, o->threads) : serve(se, fs);
    if (fs->inval)
        invalidator_stop(se, fs);
    return rc;
}

/* libfuse's session on `mountpoint`, until it ends. */
static int run_session(struct fs *fs, const struct fs_options *o,
                       const char *mountpoint, char *why, size_t cap)
{
    char *argv[] = {"ternrig-fs", "-o", "fsname=ternrig,subtype=ternrig",
                    o->debug ? "-d" : NULL, NULL};
    struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, argv);
    int rc = -1;
    struct fuse_session *se =
        fuse_session_new(&args, &ternfs_ops, sizeof ternfs_ops, fs);
    if (se && fuse_set_signal_handlers(se) == 0) {
        if (fuse_session_mount(se, mountpoint) == 0) {
            rc = mounted(se, fs, o, mountpoint, why, cap);
            fuse_session_unmount(se);
        } else {
            snprintf(why, cap, "cannot mount on %s", o->mountpoint);
        }
        fuse_remove_signal_handlers(se);
    }
    if (se)
        fuse_session_destroy(se);
    fuse_opt_free_args(&args);
    return rc;
}

/* The log is a regular file, or one made now: it is read back (watch,
 * stress and replay --mount find it through user.ternrig.log), and a FIFO
 * would block this open, a device (/dev/full) swallow or refuse lines. */
static int open_log(struct fs *fs, const char *path, char *why, size_t cap)
{
    if (!path)
        return 0;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(why, cap, "--log %s: not a regular file (the flush log is "
                           "read back by watch, stress and replay --mount)",
                 path);
        return -1;
    }
    if (!(fs->log = fopen(path, "a"))) {
        snprintf(why, cap, "--log %s: %s", path, strerror(errno));
        return -1;
    }
    if (!realpath(path, fs->log_path))
        fs->log_path[0] = 0;
    return 0;
}

static void fs_free(struct fs *fs, const struct fs_options *o)
{
    for (size_t i = 0; i < fs->nodes.n; i++)
        if (fs->nodes.v[i].live)
            file_ctx_close(&fs->nodes.v[i].file);
    nodes_free(&fs->nodes);
    if (fs->log)
        fclose(fs->log);
    uint64_t lost = fs->src ? fs->src->lost(fs->src) : 0;
    if (lost && o->notice) {
        char msg[96];
        snprintf(msg, sizeof msg, "%llu BPF records were lost (map full)",
                 (unsigned long long)lost);
        o->notice(o->notice_arg, msg);
    }
    uint64_t uncounted = fs->src ? fs->src->uncounted(fs->src) : 0;
    if (uncounted && o->notice) {
        char msg[160];
        snprintf(msg, sizeof msg, "the close tracker's map was full: %llu "
                                  "close(2) calls were not counted",
                 (unsigned long long)uncounted);
        o->notice(o->notice_arg, msg);
    }
    flush_context_close(fs->src);
}

int ternfs_fs_run(const struct fs_options *o, char *why, size_t cap)
{
    prctl(PR_SET_NAME, "ternrig-fs"); /* in ps and perf */
    struct fs fs = {0};
    pthread_mutex_init(&fs.mu, NULL);
    fs.o = o;
    fs.policy = o->policy;
    fs.log_late = o->log_late;
    why[0] = 0;
    char mountpoint[4096]; /* resolved now: after mounting it would
                                  ask us, and we do not serve yet */
    if (!realpath(o->mountpoint, mountpoint)) {
        snprintf(why, cap, "%s: %s", o->mountpoint, strerror(errno));
        return -1;
    }
    fs.src = flush_context_open(o->context, o->policy, o->closetracker_map,
                                o->notice,
                                o->notice_arg, why, cap);
    if (!fs.src)
        return -1;
    int rc = -1;
    if (!node_new(&fs.nodes, 1, "", N_DIR)) /* the root, ino 1 */
        snprintf(why, cap, "out of memory");
    else if (open_log(&fs, o->log_path, why, cap) == 0)
        rc = run_session(&fs, o, mountpoint, why, cap);
    if (rc == 0 && fs.log_lost) {
        snprintf(why, cap, "--log %s: %lu line%s could not be written "
                           "(first: %s): the flush log has holes",
                 o->log_path, fs.log_lost, fs.log_lost == 1 ? "" : "s",
                 fs.log_why);
        rc = -1;
    }
    fs_free(&fs, o);
    return rc;
}
