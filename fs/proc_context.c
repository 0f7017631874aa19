/* proc_context.c - /proc facts about a flushing thread, with no blocking
 * read of /proc/<pid>/stat inside a handler. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "flush_context.h"
#include "proc_context.h"

/* Read /proc/<tid>/status: Tgid and whether VmSize: is there. */
static int read_status(const char *path, pid_t *tgid, bool *vm, bool *kthread)
{
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *t = strstr(buf, "\nTgid:");
    if (!t)
        return -1;
    if (tgid)
        *tgid = (pid_t)strtol(t + 6, NULL, 10);
    *vm = strstr(buf, "\nVmSize:") != NULL;
    if (kthread) {
        const char *k = strstr(buf, "\nKthread:");
        *kthread = k && strtol(k + 9, NULL, 10) == 1;
    }
    return 0;
}

void proc_facts_of(pid_t tid, struct proc_facts *out)
{
    memset(out, 0, sizeof *out);
    out->tid = tid;
    if (tid <= 0) {
        snprintf(out->why, sizeof out->why,
                 "pid 0: the flusher is outside our pid namespace");
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    if (read_status(path, &out->tgid, &out->mm_alive, &out->kthread) < 0) {
        snprintf(out->why, sizeof out->why, "/proc/%d/status unreadable: %s",
                 (int)tid, strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "/proc/%d/task", (int)out->tgid);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(out->why, sizeof out->why, "%s unreadable", path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        pid_t t = (pid_t)atoi(de->d_name);
        if (t <= 0 || t == tid)
            continue;
        char sp[96];
        bool vm = false;
        snprintf(sp, sizeof sp, "/proc/%d/task/%d/status", (int)out->tgid,
                 (int)t);
        if (read_status(sp, NULL, &vm, NULL) == 0 && vm) {
            out->other_mm_alive = true;
            break;
        }
    }
    closedir(d);
    out->known = true;
}

struct stat_read {
    char path[64];
    uint64_t start;
    bool done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* the waiter and the reader; the last one frees */
};

static void stat_read_put(struct stat_read *r)
{
    pthread_mutex_lock(&r->mu);
    int left = --r->refs;
    pthread_mutex_unlock(&r->mu);
    if (left == 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
    }
}

static void *stat_reader(void *arg)
{
    struct stat_read *r = arg;
    char buf[1024];
    uint64_t start = 0;
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *p = strrchr(buf, ')'); /* comm may hold spaces */
            for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
            if (p)
                start = strtoull(p + 1, NULL, 10);
        }
    }
    pthread_mutex_lock(&r->mu);
    r->start = start;
    r->done = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    stat_read_put(r);
    return NULL;
}

uint64_t proc_start_time(pid_t tgid, int timeout_ms)
{
    struct stat_read *r = calloc(1, sizeof *r);
    if (!r)
        return 0;
    snprintf(r->path, sizeof r->path, "/proc/%d/stat", (int)tgid);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->refs = 2;
    pthread_t th;
    if (pthread_create(&th, NULL, stat_reader, r) != 0) {
        r->refs = 1;
        stat_read_put(r);
        return 0;
    }
    pthread_detach(th); /* if it blocks, it ends when the read returns */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    until.tv_sec += timeout_ms / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&r->mu);
    while (!r->done)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
            break;
    uint64_t start = r->done ? r->start : 0;
    pthread_mutex_unlock(&r->mu);
    stat_read_put(r);
    return start;
}

int pidfd_of(pid_t tgid)
{
    return (int)syscall(SYS_pidfd_open, tgid, 0);
}

bool pidfd_alive(int pidfd)
{
    if (pidfd < 0)
        return false;
    struct pollfd p = {pidfd, POLLIN, 0};
    return poll(&p, 1, 0) == 0; /* readable once the process has exited */
}

/* ------------------------------------------- the /proc context source */

/* The core's view of a task, from /proc. */
static struct task_ctx proc_task_ctx(const struct requester *who,
                                     uint64_t start)
{
    struct task_ctx c = {0};
    c.proc.tgid = (uint64_t)who->tgid;
    c.proc.start_time = start;
    c.task = (uint64_t)who->tid;
    c.leader = (uint64_t)who->tgid; /* /proc shows no task_struct pointers */
    c.mm = who->mm_alive ? 1 : 0;
    c.leader_mm = c.mm;
    c.other_thread_has_mm = who->other_mm_alive;
    c.kthread = who->kthread;
    return c;
}

static void proc_requester(struct context_source *src, uint64_t unique,
                           pid_t pid, struct requester *who)
{
    (void)src;
    (void)unique;
    struct proc_facts pf;
    proc_facts_of(pid, &pf);
    memset(who, 0, sizeof *who);
    who->known = pf.known;
    who->tid = pf.tid;
    who->tgid = pf.tgid;
    who->mm_alive = pf.mm_alive;
    who->other_mm_alive = pf.other_mm_alive;
    who->kthread = pf.kthread;
    snprintf(who->why, sizeof who->why, "%s", pf.why);
}

static void proc_forget(struct context_source *src, uint64_t unique)
{
    (void)src;
    (void)unique; /* nothing recorded */
}

static void proc_create_ctx(struct context_source *src,
                            const struct requester *who, struct task_ctx *c)
{
    (void)src;
    *c = proc_task_ctx(who, proc_start_time(who->tgid, 200));
}

static const char *proc_created(struct context_source *src,
                                enum policy policy, uint64_t ino,
                                struct file_ctx *file,
                                const struct requester *who)
{
    (void)src;
    (void)policy;
    (void)ino;
    file->pidfd = pidfd_of(who->tgid);
    return "";
}

static enum facts proc_flush_facts(struct context_source *src,
                                   enum policy policy, uint64_t ino,
                                   struct file_ctx *file,
                                   const struct requester *who,
                                   struct task_ctx *c, struct flush_inputs *in,
                                   struct flog_event *seen, const char **why)
{
    (void)src;
    (void)ino;
    (void)seen;
    /* /proc cannot say which fds point at the flushed open file, nor the
     * exit code of a task inside do_exit (flush_context_open gives such a
     * policy BPF or nothing: this is the rule, should one get here) */
    if (policy_needs(policy, POLICY_FACTS_KERNEL_ONLY)) {
        *why = "a kernel-only fact (core.h POLICY_FACTS_KERNEL_ONLY)";
        return FACTS_MISSING;
    }
    *c = proc_task_ctx(who, file->rec.creator.start_time);
    /* Same tgid and the creator has not exited: the same process (a
     * pidfd instead of re-reading /proc/<pid>/stat, see above); without a
     * pidfd (pidfd_open failed at create), the tgid alone. */
    if ((pid_t)c->proc.tgid != file->creator ||
        (file->pidfd >= 0 && !pidfd_alive(file->pidfd)))
        c->proc.start_time = ~file->rec.creator.start_time;
    *in = (struct flush_inputs){0};
    return FACTS_KNOWN;
}

static void proc_decided(struct context_source *src, uint64_t ino,
                         struct file_ctx *file, enum flush_decision d)
{
    (void)src;
    (void)ino;
    (void)d; /* /proc counts no closes */
    if (file->pidfd >= 0) { /* only transient files hold one */
        close(file->pidfd);
        file->pidfd = -1;
    }
}

static void proc_released(struct context_source *src, uint64_t unique,
                          uint64_t ino, bool writer, struct file_ctx *file)
{
    (void)src;
    (void)unique;
    (void)ino;
    /* the writer's open file is gone: no flush of it can follow */
    if (writer && file->pidfd >= 0) {
        close(file->pidfd);
        file->pidfd = -1;
        file->creator = 0; /* and nobody can seal it any more */
    }
}

static void proc_describe(const struct requester *who,
                          const struct file_ctx *file, struct flog_event *ev)
{
    (void)file;
    snprintf(ev->ctx, sizeof ev->ctx, "proc");
    ev->tid = who->tid;
    ev->tgid = who->tgid;
    ev->known = who->known;
    ev->mm_alive = who->mm_alive;
    ev->other_mm_alive = who->other_mm_alive;
}

static int proc_watch(struct context_source *src, const char *mountpoint,
                      char *why, size_t cap)
{
    (void)src;
    (void)mountpoint;
    (void)why;
    (void)cap;
    return 0;
}

static uint64_t proc_lost(const struct context_source *src)
{
    (void)src;
    return 0;
}

static uint64_t proc_uncounted(const struct context_source *src)
{
    (void)src;
    return 0;
}

static uint32_t proc_closetracker_map(const struct context_source *src)
{
    (void)src;
    return 0;
}

static void proc_close(struct context_source *src)
{
    free(src);
}

struct context_source *proc_context_source(void)
{
    struct context_source *src = calloc(1, sizeof *src);
    if (!src)
        return NULL;
    *src = (struct context_source){
        .name = "proc",
        .requester = proc_requester,
        .forget = proc_forget,
        .create_ctx = proc_create_ctx,
        .created = proc_created,
        .flush_facts = proc_flush_facts,
        .decided = proc_decided,
        .released = proc_released,
        .describe = proc_describe,
        .watch = proc_watch,
        .lost = proc_lost,
        .uncounted = proc_uncounted,
        .closetracker_map = proc_closetracker_map,
        .close = proc_close,
    };
    return src;
}
