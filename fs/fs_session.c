/* fs_session.c - the embedded filesystem's session: the request loop
 * (one thread, or several under one lock), the invalidator thread, the
 * flush log's file, mount and unmount (see ternfs_fs.h, fs_internal.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include "fs_internal.h"

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
            fs_reclaim(fs, ino);
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
