/* real_exec.c - the controller of a real replay. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "real_exec.h"
#include "real_history.h"
#include "real_mount.h"
#include "real_run.h"
#include "real_task.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static volatile pid_t running_pgid; /* for real_replay_abort */

#include <stdarg.h>
int run_fail(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, 160, fmt, ap);
    va_end(ap);
    return RUN_FAILED;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* poll one fd for up to STEP_TIMEOUT_MS, through signals (a stress worker
 * gets SIGUSR1 and SIGTERM). */
static int poll_step(int fd)
{
    double until = mono_ms() + STEP_TIMEOUT_MS;
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        int left = (int)(until - mono_ms());
        int rc = poll(&pf, 1, left > 0 ? left : 0);
        if (rc >= 0 || errno != EINTR)
            return rc;
    }
}

/* One message from channel `fd` within the step time limit: 1, 0 when
 * the other end is gone, -1 when it did not answer in time. */
static int recv_on(int fd, struct real_msg *m)
{
    if (poll_step(fd) <= 0)
        return -1;
    ssize_t n;
    while ((n = recv(fd, m, sizeof *m, 0)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof *m;
}

static int wait_msg(struct run *r, int t, struct real_msg *m)
{
    int rc = recv_on(r->chan[t], m);
    if (rc < 0)
        return run_fail(r, "task '%s' did not answer in %d s",
                        r->p->task_names[t], STEP_TIMEOUT_MS / 1000);
    if (rc == 0)
        return run_fail(r, "task '%s' vanished", r->p->task_names[t]);
    r->pid[t] = m->pid;
    r->tid[t] = m->tid;
    return 0;
}

/* One message on channel `fd`, with `pass_fd` (>= 0) passed along. */
static bool send_on(int fd, struct real_msg *m, int pass_fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {m, sizeof *m};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (pass_fd >= 0) {
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof *m;
}

static int send_msg(struct run *r, int t, struct real_msg *m, int pass_fd)
{
    while (r->pending[t] > 0) { /* a vfork parent's late reply */
        struct real_msg late;
        r->pending[t]--;
        if (wait_msg(r, t, &late) == RUN_FAILED)
            return RUN_FAILED;
    }
    if (!send_on(r->chan[t], m, pass_fd))
        return run_fail(r, "cannot reach task '%s'", r->p->task_names[t]);
    return 0;
}

/* Wait until a process has exited (its flushes are done by then).
 * Returns false when it did not within the step time limit. */
static bool wait_gone(pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return errno == ESRCH; /* gone already; else we cannot tell */
    bool gone = poll_step(fd) == 1;
    close(fd);
    return gone;
}

/* A thread has exited once its /proc entry is gone or a zombie (a leader
 * whose other threads live on): both come after exit_files, so its flushes
 * are done.  /proc/.../status never blocks (MEASURED.md). */
bool run_wait_thread_gone(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid,
             (int)tid);
    /* a thread is usually gone within microseconds: look again soon,
     * then less and less often (from 20 µs up to every 2 ms) */
    unsigned nap_us = 20;
    for (long waited_us = 0; waited_us < STEP_TIMEOUT_MS * 1000L;
         waited_us += nap_us, nap_us = nap_us < 2000 ? nap_us * 2 : 2000) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return true;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            return true;
        buf[n] = 0;
        const char *st = strstr(buf, "\nState:");
        if (st && (strstr(st, "\tZ") == st + 7 || strstr(st, "\tX") == st + 7))
            return true;
        usleep(nap_us);
    }
    return false;
}

/* OP_SPAWN through the hooks' spawner: it forks the task, which joins
 * the run's process group (the first makes it) and says READY. */
static int spawn_through(struct run *r, int t, struct real_spawner *sp)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return run_fail(r, "socketpair: %s", strerror(errno));
    struct real_msg m = {0};
    m.cmd = RC_SPAWN;
    m.task2 = t;
    m.fd = r->pgid;
    snprintf(m.path, sizeof m.path, "%s", r->dir);
    bool sent = send_on(sp->chan, &m, sv[1]);
    close(sv[1]);
    if (!sent || recv_on(sp->chan, &m) != 1) { /* the spawner is gone: the
                                                  worker makes another */
        close(sv[0]);
        close(sp->chan);
        sp->chan = -1;
        return run_fail(r, "the spawner did not answer");
    }
    if (m.result < 0) {
        close(sv[0]);
        return run_fail(r, "fork (spawner): %s", strerror(-m.result));
    }
    r->chan[t] = sv[0];
    if (!r->pgid) {
        r->pgid = m.result;
        running_pgid = m.result;
    }
    struct real_msg ready;
    if (wait_msg(r, t, &ready) == RUN_FAILED)
        return RUN_FAILED;
    /* not our child: its end is known by a pidfd (end_tasks) */
    r->spawned[t] = (int)syscall(SYS_pidfd_open, ready.pid, 0);
    return 0;
}

static int spawn_task(struct run *r, int t)
{
    struct real_spawner *sp = r->h ? r->h->spawner : NULL;
    if (sp && sp->chan >= 0 && strlen(r->dir) < sizeof ((struct real_msg *)0)->path)
        return spawn_through(r, t, sp);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return run_fail(r, "socketpair: %s", strerror(errno));
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return run_fail(r, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL); /* not the controller's handlers */
        signal(SIGTERM, SIG_DFL);
        real_task_begin(sv[1], t, me, r->pgid, r->dir,
                        run_drop_controller_memory);
    }
    if (!r->pgid) {
        r->pgid = pid;
        running_pgid = pid;
    }
    setpgid(pid, r->pgid);
    close(sv[1]);
    r->chan[t] = sv[0];
    struct real_msg m;
    return wait_msg(r, t, &m) == RUN_FAILED ? RUN_FAILED : 0;
}

/* fork/thread: a channel for the new task, passed through the parent. */
static int spawn_via(struct run *r, int parent, int child, int cmd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return run_fail(r, "socketpair: %s", strerror(errno));
    struct real_msg m = {0};
    m.cmd = cmd;
    m.task2 = child;
    int rc = send_msg(r, parent, &m, sv[1]);
    close(sv[1]);
    r->chan[child] = sv[0];
    if (rc == RUN_FAILED)
        return RUN_FAILED;
    struct real_msg ready;
    if (wait_msg(r, child, &ready) == RUN_FAILED)
        return RUN_FAILED;
    if (cmd == RC_VFORK) { /* the parent answers once the child execs/exits */
        r->pending[parent]++;
        return 0;
    }
    if (wait_msg(r, parent, &m) == RUN_FAILED)
        return RUN_FAILED;
    return m.result < 0 ? run_fail(r, "%s failed: %s", cmd == RC_FORK ? "fork" :
                                                       "pthread_create",
                                   strerror(-m.result))
                        : 0;
}

/* SCM_RIGHTS: a socketpair, one end to the sender, one to the receiver. */
static int send_real(struct run *r, int from, int to, int fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return run_fail(r, "socketpair: %s", strerror(errno));
    struct real_msg m = {0};
    m.cmd = RC_SEND;
    m.fd = fd;
    int rc = send_msg(r, from, &m, sv[0]);
    close(sv[0]);
    if (rc == RUN_FAILED || wait_msg(r, from, &m) == RUN_FAILED) {
        close(sv[1]);
        return RUN_FAILED;
    }
    if (m.result < 0) {
        close(sv[1]);
        return m.result;
    }
    memset(&m, 0, sizeof m);
    m.cmd = RC_RECV;
    rc = send_msg(r, to, &m, sv[1]);
    close(sv[1]);
    if (rc == RUN_FAILED || wait_msg(r, to, &m) == RUN_FAILED)
        return RUN_FAILED;
    return m.result;
}

/* Before a new task is made, when one may have been freed: run the pending
 * RCU callbacks (the kernel frees a task_struct in one), so that the freed
 * memory is on the (pinned) CPU's free list, where a written `reuses`
 * wants it.  rcutree's do_rcu_barrier is a knob of recent kernels; without
 * it reuse is left to chance (the run is judged by what happened). */
static void settle_slots(struct run *r)
{
    if (!r->settle_slots || !r->freed)
        return;
    r->freed = false;
    int fd = open("/sys/module/rcutree/parameters/do_rcu_barrier",
                  O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "1", 1) < 0) { /* no barrier: chance decides */
    }
    close(fd);
}


/* Reap the run's exited processes at once, as the model's parents do (the
 * tasks themselves ignore SIGCHLD, so their children reap themselves);
 * these are the controller's children and orphans it adopted. */
static void reap(struct run *r)
{
    while (r->pgid > 0 && waitpid(-r->pgid, NULL, WNOHANG) > 0)
        r->freed = true;
}

/* A trace file's name on disk: the hooks' prefix, then the trace name. */
static void disk_name(const struct run *r, uint16_t file, char *buf,
                      size_t cap)
{
    snprintf(buf, cap, "%s%s", r->h && r->h->name_prefix ? r->h->name_prefix
                                                         : "",
             r->p->file_names[file]);
}

static int run_step(struct run *r, uint32_t i)
{
    const struct step *s = &r->p->steps[i];
    struct real_msg m = {0};
    int t = s->task;
    if (s->op == OP_SPAWN || s->op == OP_FORK || s->op == OP_THREAD ||
        s->op == OP_VFORK)
        settle_slots(r);
    bool opens = s->op == OP_CREATE || s->op == OP_TMPFILE || s->op == OP_OPEN;
    int fd = opens ? -1 : model_fd_number(r->m, s->task, s->fd);
    int fd2 = model_fd_number(r->m, s->task, s->fd2);
    switch (s->op) {
    case OP_SPAWN:
        return spawn_task(r, t);
    case OP_FORK:
        return spawn_via(r, t, s->task2, RC_FORK);
    case OP_THREAD:
        return spawn_via(r, t, s->task2, RC_THREAD);
    case OP_VFORK:
        return spawn_via(r, t, s->task2, RC_VFORK);
    case OP_SEND:
        if (fd < 0)
            return -EBADF; /* a failed create's fd */
        return send_real(r, t, s->task2, fd);
    case OP_KILL: {
        struct task_view v = model_task(r->m, s->task);
        pid_t pid = r->pid[model_proc_name(r->m, v.proc)];
        struct forcing f;
        bool forced = sched_force_begin(r, i, pid, &f);
        kill(pid, SIGKILL);
        if (forced)
            sched_force_run(r, &f);
        bool gone = wait_gone(pid);
        if (forced)
            sched_force_end(&f);
        return gone ? 0
                    : run_fail(r, "the killed process %d did not exit in %d s",
                               (int)pid, STEP_TIMEOUT_MS / 1000);
    }
    case OP_EXPECT:
    case OP_CLOSETRACKER_MAP: /* the mount's map was sized before the run
                                 (real_replay_own), or the storm's for
                                 all its scenarios (its map is shared) */
        return 0;
    default:
        break;
    }
    m.fd = fd;
    m.fd2 = fd2;
    m.n = s->n;
    switch (s->op) {
    case OP_CREATE:
        m.cmd = RC_CREATE;
        m.flags = s->flags & STEP_CLOEXEC ? REAL_CREATE_CLOEXEC : 0;
        disk_name(r, s->file, m.path, sizeof m.path);
        break;
    case OP_TMPFILE:
        m.cmd = RC_TMPFILE;
        m.flags = s->flags & STEP_CLOEXEC ? REAL_CREATE_CLOEXEC : 0;
        break;
    case OP_OPEN:
        m.cmd = RC_OPEN;
        disk_name(r, s->file, m.path, sizeof m.path);
        break;
    case OP_LINK: { /* the name the trace gives it: its file's */
        int file = model_fd_file(r->m, s->task, s->fd);
        m.cmd = RC_LINK;
        disk_name(r, file >= 0 ? (uint16_t)file : 0, m.path, sizeof m.path);
        break;
    }
    case OP_WRITE:
        m.cmd = RC_WRITE;
        if (r->h && r->h->uring_writes) {
            char name[sizeof m.path];
            int file = model_fd_file(r->m, s->task, s->fd);
            disk_name(r, file >= 0 ? (uint16_t)file : 0, name, sizeof name);
            m.flags = REAL_IO_URING;
            m.file_id = stress_file_id(name) ^ r->h->corrupt_id;
        }
        break;
    case OP_CLOSE: m.cmd = RC_CLOSE; break;
    case OP_URING_CLOSE: m.cmd = RC_URING_CLOSE; break;
    case OP_CLOSE_RANGE: m.cmd = RC_CLOSE_RANGE; break;
    case OP_DUP: m.cmd = RC_DUP; break;
    case OP_DUP2: /* onto an unbound name: the lowest free number, as dup */
        m.cmd = fd2 < 0 ? RC_DUP : RC_DUP2;
        break;
    case OP_UNSHARE_FILES: m.cmd = RC_UNSHARE; break;
    case OP_EXEC: m.cmd = RC_EXEC; break;
    case OP_EXIT: m.cmd = RC_EXIT; break;
    case OP_EXIT_GROUP: m.cmd = RC_EXIT_GROUP; break;
    default:
        return run_fail(r, "statement '%s' cannot run for real yet",
                        trace_op_name((enum trace_op)s->op));
    }
    if ((s->op == OP_WRITE || s->op == OP_CLOSE || s->op == OP_DUP ||
         s->op == OP_DUP2 || s->op == OP_URING_CLOSE || s->op == OP_LINK) &&
        fd < 0) {
        /* a failed create's fd: nothing real to use; dup2 of it fails
         * with EBADF and leaves D2 as it was (SPEC v2), as Linux would */
        return -EBADF;
    }
    pid_t pid = r->pid[t], tid = r->tid[t];
    struct forcing f;
    bool forced = (s->op == OP_EXIT_GROUP || s->op == OP_EXEC) &&
                  sched_force_begin(r, i, pid, &f);
    if (send_msg(r, t, &m, -1) == RUN_FAILED) {
        if (forced)
            sched_force_end(&f);
        return RUN_FAILED;
    }
    if (forced)
        sched_force_run(r, &f);
    if (s->op == OP_EXIT) { /* no reply: wait for the thread to be gone */
        return run_wait_thread_gone(pid, tid)
                   ? 0
                   : run_fail(r, "thread %d did not exit in %d s", (int)tid,
                              STEP_TIMEOUT_MS / 1000);
    }
    if (s->op == OP_EXIT_GROUP) {
        bool gone = wait_gone(pid);
        if (forced)
            sched_force_end(&f);
        return gone ? 0
                    : run_fail(r, "process %d did not exit in %d s", (int)pid,
                               STEP_TIMEOUT_MS / 1000);
    }
    int got = wait_msg(r, t, &m); /* exec: the new image's READY */
    if (forced)
        sched_force_end(&f);
    if (got == RUN_FAILED)
        return RUN_FAILED;
    if (s->op == OP_TMPFILE && m.result >= 0 && s->file < MAX_FILE_NAMES) {
        r->tmp_ino[s->file] = m.ino; /* its log lines, by inode */
        if (r->h && r->h->inode)
            r->h->inode(r->h->ctx, i, s->file, m.ino);
    }
    return m.result;
}

/* ---- a SIGKILL injected in the middle of a statement (stress) ---- */

struct killer {
    pid_t pid;
    unsigned delay_us;
};

static void *killer_main(void *arg)
{
    struct killer *k = arg;
    struct timespec ts = {0, (long)k->delay_us * 1000L};
    if (k->delay_us)
        nanosleep(&ts, NULL);
    kill(k->pid, SIGKILL);
    return NULL;
}

static bool killable_during(uint8_t op)
{
    return statement_kill_may_land(op); /* the statement table says */
}

/* The process (named by its trace task) to kill during statement i, or -1:
 * the `pick`-th live user process, never the actor of an exit. */
static int kill_target(struct run *r, uint32_t i, uint32_t pick)
{
    const struct step *s = &r->p->steps[i];
    if (!killable_during(s->op))
        return -1;
    uint16_t actor = model_task(r->m, s->task).proc;
    uint16_t live[MAX_TASK_NAMES];
    unsigned n = 0;
    for (uint16_t t = 0; t < r->p->ntasks; t++) {
        struct task_view v = model_task(r->m, t);
        if (v.state != TASK_ALIVE || v.kthread || model_proc_name(r->m, v.proc) != t)
            continue;
        if (v.proc == actor && (s->op == OP_EXIT || s->op == OP_EXIT_GROUP))
            continue;
        live[n++] = t;
    }
    return n ? live[pick % n] : -1;
}

static bool step_has_task2(uint8_t op)
{
    return op == OP_FORK || op == OP_VFORK || op == OP_THREAD ||
           op == OP_SEND;
}

void real_replay_abort(void)
{
    pid_t g = running_pgid;
    if (g > 0)
        kill(-g, SIGKILL);
}

/* Why `p` cannot run for real (out->skipped and its reason), or false. */
static bool cannot_run(const struct program *p, struct real_outcome *out)
{
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const char *why = statement_not_real(p->steps[i].op);
        if (why) {
            out->skipped = true;
            snprintf(out->reason, sizeof out->reason, "line %u: %s",
                     p->steps[i].line, why);
            return true;
        }
    }
    return false;
}

/* After statement i ran for real and on the model: the real fd number
 * must be the model's (otherwise later steps would act on the wrong
 * files), and a close or exec that the model does must not fail.
 * `closes_fd`: the fd a close closes in the model (before the step), or
 * -1.  0, or RUN_FAILED with the disagreement in r->why. */
static int check_fd_agreement(struct run *r, uint32_t i, int res,
                              int closes_fd, bool interrupted)
{
    const struct step *st = &r->p->steps[i];
    int want = -1;
    bool opens = st->op == OP_CREATE || st->op == OP_TMPFILE ||
                 st->op == OP_OPEN;
    if (opens || st->op == OP_DUP ||
        (st->op == OP_DUP2 && st->fd != st->fd2))
        want = model_fd_number(r->m, st->task, opens ? st->fd : st->fd2);
    else if (st->op == OP_SEND)
        want = model_fd_number(r->m, st->task2, st->fd2);
    /* dup2 of a failed fd fails with EBADF and leaves D2 as it was (SPEC
     * v2): D2 keeps its number, if it has one */
    bool dup2_failed = st->op == OP_DUP2 && res == -EBADF;
    if (r->h && !interrupted && st->op == OP_OPEN &&
        (res >= 0) != (want >= 0)) {
        r->diverged = true;
        return run_fail(r, "line %u: open %s %s for real, in the model it %s: "
                           "the run stops here",
                        st->line, r->p->file_names[st->file],
                        res >= 0 ? "succeeded" : "failed",
                        want >= 0 ? "succeeds" : "fails");
    }
    if (!interrupted && !dup2_failed &&
        (opens || st->op == OP_DUP ||
         (st->op == OP_DUP2 && st->fd != st->fd2) || st->op == OP_SEND) &&
        (res >= 0 ? res : -1) != want) {
        return run_fail(r, "line %u: the real fd is %d, the model's %d: model "
                           "and kernel disagree",
                        st->line, res, want);
    }
    /* a close returns its flush's error (an errored file's EIO, SPEC v2
     * §4); the fd is closed anyway */
    if (closes_fd >= 0 && !interrupted && res < 0 && res != -EIO) {
        /* e.g. IORING_OP_CLOSE after unshare(CLONE_FILES): io-wq
         * workers keep the fd table they started with */
        return run_fail(r, "line %u: the real %s of fd %d failed (%s); in the "
                           "model it closes: model and kernel disagree",
                        st->line, trace_op_name((enum trace_op)st->op),
                        closes_fd, strerror(-res));
    }
    if (st->op == OP_EXEC && !interrupted && res < 0) {
        return run_fail(r, "line %u: exec failed for real (%s); in the model "
                           "it succeeds",
                        st->line, strerror(-res));
    }
    return 0;
}


/* Statement i for real, with the SIGKILL a stress worker may inject in
 * its middle (its hook `before` says when; *victim: the task killed, or
 * -1), then on the model, then the fd-number checks.  Its result
 * (RESULT_UNKNOWN when the kill interrupted its actor: *interrupted), or
 * RUN_FAILED with the reason in r->why. */
static int run_one_statement(struct run *r, uint32_t i, int *victim_out,
                             bool *interrupted_out)
{
    const struct real_hooks *h = r->h;
    struct program *p = r->p;
    struct trace_error err;
    /* a stress worker may SIGKILL a process in the middle of it */
    unsigned delay = 0;
    uint32_t pick = 0;
    int victim = h && h->before && h->before(h->ctx, i, &delay, &pick) &&
                         i + 1 < MAX_STEPS
                     ? kill_target(r, i, pick)
                     : -1;
    pthread_t killer_th;
    struct killer k = {0, delay};
    uint16_t victim_proc = 0;
    if (victim >= 0) {
        victim_proc = model_task(r->m, (uint16_t)victim).proc;
        k.pid = r->pid[victim];
        if (pthread_create(&killer_th, NULL, killer_main, &k) != 0)
            victim = -1;
    }
    *victim_out = victim;
    int closes_fd = p->steps[i].op == OP_CLOSE ||
                            p->steps[i].op == OP_URING_CLOSE
                        ? model_fd_number(r->m, p->steps[i].task,
                                          p->steps[i].fd)
                        : -1;
    int res = run_step(r, i);
    bool interrupted = false;
    if (victim >= 0) {
        pthread_join(killer_th, NULL);
        if (!wait_gone(k.pid))
            return run_fail(r, "the killed process %d did not exit",
                            (int)k.pid);
        interrupted = res == RUN_FAILED &&
                      model_task(r->m, p->steps[i].task).proc == victim_proc;
        if (interrupted)
            res = RESULT_UNKNOWN;
    }
    *interrupted_out = interrupted;
    if (res == RUN_FAILED)
        return RUN_FAILED;
    if (r->taking && !interrupted)
        sched_take(r, i, res);
    int mrc = model_step(r->m, i, &err);
    if (mrc < 0 && r->taking && sched_options_differ(r->p, r->written, i)) {
        /* the kernel's choice is one the model does not allow: a
         * difference, and the statement as written */
        run_differ(r, i, "the schedule the kernel took is not valid in the "
                         "model: %.100s",
                   err.msg);
        sched_restore_written(r, i);
        mrc = model_step(r->m, i, &err);
    }
    if (mrc < 0) {
        snprintf(r->out->reason, sizeof r->out->reason, "line %u: %.120s",
                 err.line, err.msg);
        return RUN_FAILED;
    }
    if (check_fd_agreement(r, i, res, closes_fd, interrupted) == RUN_FAILED)
        return r->diverged ? res : RUN_FAILED; /* diverged: stops after */
    return res;
}

/* What follows statement i (result `res`) once it ran: late replies of
 * dead tasks forgotten, slots settled, the `after` hook, the kill
 * statement appended after an injected kill (the run ends there), and
 * with `judging` the log, the model's events and a look. */
static void after_statement(struct run *r, uint32_t i, int res, int victim,
                            bool interrupted, uint32_t before, bool judging)
{
    const struct real_hooks *h = r->h;
    struct program *p = r->p;
    for (uint16_t t = 0; t < p->ntasks; t++) /* dead: no late reply */
        if (r->pending[t] && model_task(r->m, t).state != TASK_ALIVE)
            r->pending[t] = 0;
    if (r->settle_slots) {
        const struct step *s = &p->steps[i];
        reap(r);
        if (s->op == OP_EXIT || s->op == OP_EXIT_GROUP ||
            s->op == OP_KILL || s->op == OP_EXEC)
            r->freed = true;
    }
    if (h && h->after && !interrupted)
        h->after(h->ctx, i, res, r->pid[p->steps[i].task],
                 r->tid[p->steps[i].task],
                 step_has_task2(p->steps[i].op) ? r->pid[p->steps[i].task2]
                                                : 0);
    if (victim >= 0) { /* the run ends: statement i, the kill, the end */
        struct step *ks = &p->steps[i + 1];
        memset(ks, 0, sizeof *ks);
        ks->op = OP_KILL;
        ks->task = (uint16_t)victim;
        ks->line = p->steps[i].line + 1;
        p->nsteps = i + 2;
        if (h->killed)
            h->killed(h->ctx, i, victim, interrupted);
    }
    if (judging) {
        const struct step *s = &p->steps[i];
        if (r->log_early)
            r->log_early = false;
        else
            run_read_log(r);
        run_take_model_events(r, before, model_history(r->m)->len, res,
                          s->op == OP_CREATE || s->op == OP_WRITE ||
                              s->op == OP_TMPFILE || s->op == OP_OPEN ||
                              s->op == OP_LINK);
        run_observe(r, i);
    }
}


/* The end of the trace: SIGKILL every live process, creation order, one
 * process at a time, each followed (with `judging`) by the log, the
 * model's events up to the next death and a look: without a flush log,
 * only a look between two deaths can show what the first one's teardown
 * did.  0, or -1 when a process did not die (reason in r->why). */
static int kill_at_end(struct run *r, bool judging)
{
    int rc = 0;
    uint32_t before = model_history(r->m)->len;
    /* who dies at the end, before the model kills them: each process's
     * live threads and leader (version 1's schedule: leader first) */
    bool alive[MAX_TASK_NAMES] = {0};
    uint16_t proc_of[MAX_TASK_NAMES], leader_of[MAX_TASK_NAMES];
    for (uint16_t t = 0; t < r->p->ntasks; t++) {
        struct task_view v = model_task(r->m, t);
        alive[t] = v.state == TASK_ALIVE && !v.kthread;
        proc_of[t] = v.proc;
        leader_of[t] = v.leader;
    }
    model_finish(r->m);
    const struct history *hist = model_history(r->m);
    uint32_t from = before;
    for (uint32_t i = before; i < hist->len; i++) {
        if (hist->ev[i].type != EV_DEATH)
            continue;
        uint32_t to = i + 1;
        while (to < hist->len && hist->ev[to].type != EV_DEATH)
            to++;
        pid_t pid = r->pid[model_proc_name(r->m, hist->ev[i].proc)];
        uint16_t dying[MAX_TASK_NAMES], leader = 0;
        unsigned n = 0;
        for (uint16_t t = 0; t < r->p->ntasks; t++)
            if (alive[t] && proc_of[t] == hist->ev[i].proc) {
                dying[n++] = t;
                leader = leader_of[t];
            }
        struct forcing f;
        memset(&f, 0, sizeof f);
        bool forced = false;
        if (r->force_order && n >= 2) {
            f.n = n;
            sched_written_order(r, &(struct step){0}, dying, n, leader,
                                f.order);
            forced = sched_force_threads(r, pid, &f);
        }
        kill(pid, SIGKILL);
        if (forced)
            sched_force_run(r, &f);
        if (!wait_gone(pid) && rc == 0) {
            run_fail(r, "process %d did not exit in %d s at the end", (int)pid,
                     STEP_TIMEOUT_MS / 1000);
            rc = -1;
        }
        if (forced)
            sched_force_end(&f);
        if (judging) {
            run_read_log(r);
            if (r->taking)
                sched_end_order(r, dying, n, leader);
            run_take_model_events(r, from, to, 0, false);
            run_observe(r, r->p->nsteps);
        }
        from = to;
    }
    if (judging) {
        run_read_log(r);
        run_take_model_events(r, from, hist->len, 0, false);
        run_observe(r, r->p->nsteps);
    }
    return rc;
}

/* Every task of the run gone and reaped (none may flush into the next
 * trace's log window), the channels closed. */
static void end_tasks(struct run *r)
{
    if (r->pgid > 0) {
        kill(-r->pgid, SIGKILL);
        /* every task is ours (subreaper) and dead or dying: reap them all,
         * so that none flushes into the next trace's log window */
        while (waitpid(-r->pgid, NULL, 0) > 0 || errno == EINTR)
            ;
    }
    running_pgid = 0;
    /* the spawner's children: gone once their pidfd says so */
    for (int t = 0; t < MAX_TASK_NAMES; t++)
        if (r->spawned[t] >= 0) {
            syscall(SYS_pidfd_send_signal, r->spawned[t], SIGKILL, NULL, 0);
            poll_step(r->spawned[t]);
            close(r->spawned[t]);
            r->spawned[t] = -1;
        }
    for (int t = 0; t < MAX_TASK_NAMES; t++)
        if (r->chan[t] >= 0)
            close(r->chan[t]);
}

/* Leave nothing behind in the run's directory that we can remove. */
static void remove_run_dir(struct run *r)
{
    DIR *d = opendir(r->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char pth[4352];
        snprintf(pth, sizeof pth, "%s/%s", r->dir, de->d_name);
        if (de->d_name[0] != '.')
            unlink(pth);
    }
    if (d)
        closedir(d);
    rmdir(r->dir);
}


unsigned real_trace_map(const struct program *p)
{
    for (uint32_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].op == OP_CLOSETRACKER_MAP)
            return p->steps[i].n;
    return CLOSETRACKER_MAP_DEFAULT;
}

bool real_needs_own_mount(const struct program *p, enum policy pol)
{
    return policy_needs(pol, POLICY_FACT_CLOSE_COUNT) &&
           real_trace_map(p) != CLOSETRACKER_MAP_DEFAULT;
}

/* A replay on a mount not made for the trace, under a policy that counts
 * closes: the mount's close tracker must be the trace's, N entries that
 * no earlier run filled.  The model starts each trace with an empty map;
 * the mount's map keeps the counters of every sealed file and directory
 * closed before.  That cannot matter with TernFS's 1,048,576 entries (a
 * trace closes a few files; ternrig fs with its default size, or a mount
 * that does not say, as TernFS's own FUSE client does not), and always
 * can with a smaller map.  Why not (out->skipped), or false. */
static bool map_mismatch(const struct program *p, enum policy pol,
                         const char *mount, struct real_outcome *out)
{
    if (!policy_needs(pol, POLICY_FACT_CLOSE_COUNT))
        return false;
    unsigned want = real_trace_map(p), has = CLOSETRACKER_MAP_DEFAULT;
    char v[24];
    ssize_t n = mount ? getxattr(mount, "user.ternrig.closetracker_map", v,
                                 sizeof v - 1)
                      : -1;
    if (n > 0) {
        v[n] = 0;
        has = (unsigned)strtoul(v, NULL, 10);
    }
    if (want == CLOSETRACKER_MAP_DEFAULT && has == want)
        return false;
    out->skipped = true;
    if (want == has)
        snprintf(out->reason, sizeof out->reason,
                 "closetracker_map %u: the mount's close-tracker map may "
                 "hold counters of earlier runs (--real mounts one for the "
                 "trace)",
                 want);
    else
        snprintf(out->reason, sizeof out->reason,
                 "the trace's close tracker has %u entries%s, the mount's "
                 "%u (--real mounts one of the trace's size)",
                 want, want == CLOSETRACKER_MAP_DEFAULT ? " (TernFS's)" : "",
                 has);
    return true;
}

/* real_run; with `written` (real_replay), `p` is a working copy of it
 * whose schedule options become the kernel's; `own_mount`: the mount was
 * made for this trace (its close tracker is the trace's, empty).
 *
 * Directory closes.  TernFS's close tracker (and ternrig fs's, under
 * fuse-closetracker) counts every close(2) on the mount, directories
 * included, in the same map as the files: a directory close the trace
 * does not make would take an entry the model does not know of.  So the
 * controller never opens a directory of the mount while a trace runs: it
 * makes the run's directory with mkdtemp, the tasks chdir into it (a
 * tmpfile is open(".", O_TMPFILE), no fd of the directory), and every look
 * is a stat or getxattr by path.  The one directory close is
 * remove_run_dir's, after the trace has ended and been observed. */
static int run_trace(struct judge *j, struct program *p,
                     const struct program *written, enum policy pol,
                     const char *mount, const char *log,
                     const struct real_hooks *h, bool own_mount,
                     struct real_outcome *out)
{
    memset(out, 0, sizeof *out);
    if (cannot_run(p, out))
        return 0;
    if (!h && !own_mount && map_mismatch(p, pol, mount, out))
        return 0;
    static struct run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.h = h;
    r.m = j->model;
    r.pol = pol;
    /* a policy that compares task_struct pointers needs the kernel to reuse
     * a freed one as the model does; replays only, not stress storms (their
     * kills decide, not the model) */
    r.settle_slots = !h && policy_needs(pol, POLICY_FACT_TASK_PTRS);
    r.log = h && h->no_judge ? NULL : log;
    r.written = written ? written : p;
    r.taking = written && !h && r.log;
    /* TERNRIG_NO_PTRACE=1: leave the exit order to the kernel (to measure
     * what it does alone, and to test judging by the schedule taken) */
    const char *np = getenv("TERNRIG_NO_PTRACE");
    r.force_order = r.taking && geteuid() == 0 && !(np && *np == '1');
    r.mount = mount;
    /* without a flush log, the looks are all there is */
    rh_init(&r.hist, !r.log);
    r.why = out->reason;
    r.out = out;
    bool judging = !h || !h->no_judge;
    for (int t = 0; t < MAX_TASK_NAMES; t++)
        r.chan[t] = r.spawned[t] = -1;
    if (h && h->dir) {
        snprintf(r.dir, sizeof r.dir, "%s", h->dir);
    } else {
        snprintf(r.dir, sizeof r.dir, "%s/ternrig-replay-XXXXXX", mount);
        if (!mkdtemp(r.dir)) {
            snprintf(out->reason, sizeof out->reason, "%s: %s", mount,
                     strerror(errno));
            return -1;
        }
    }
    if (r.log) {
        struct stat st;
        r.log_off = stat(r.log, &st) == 0 ? st.st_size : 0;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    model_reset(r.m, p, pol);
    int rc = 0;
    for (uint32_t i = 0; i < p->nsteps && rc == 0; i++) {
        uint32_t before = model_history(r.m)->len;
        int victim = -1;
        bool interrupted = false;
        int res = run_one_statement(&r, i, &victim, &interrupted);
        if (res == RUN_FAILED) {
            rc = -1;
            break;
        }
        after_statement(&r, i, res, victim, interrupted, before, judging);
        out->steps++;
        if (r.diverged) { /* the run ends after statement i (storm) */
            if (victim < 0)
                p->nsteps = i + 1;
            out->stopped_at = i + 1;
            break;
        }
    }
    if (rc == 0)
        rc = kill_at_end(&r, judging);
    end_tasks(&r);
    if (r.taking)
        sched_summary(&r);
    else
        snprintf(out->schedule, sizeof out->schedule, "as written");
    if (!judging) { /* the caller keeps the directory and judges */
        rh_free(&r.hist);
        return rc;
    }
    remove_run_dir(&r);
    if (rc == 0 && run_judge_history(j, &r, pol, out) < 0)
        rc = -1;
    rh_free(&r.hist);
    return rc < 0 ? -1 : 0;
}

int real_run(struct judge *j, struct program *p, enum policy pol,
             const char *mount, const char *log, const struct real_hooks *h,
             struct real_outcome *out)
{
    return run_trace(j, p, NULL, pol, mount, log, h, false, out);
}

static int replay_on(struct judge *j, const struct program *p,
                     enum policy pol, const char *mount, const char *log,
                     bool own_mount, struct real_outcome *out)
{
    /* task_struct reuse as the model's (see settle_slots) */
    bool pointers = policy_needs(pol, POLICY_FACT_TASK_PTRS);
    cpu_set_t saved, one;
    bool pinned = false;
    if (pointers && sched_getaffinity(0, sizeof saved, &saved) == 0) {
        int cpu = sched_getcpu(); /* SLUB's free lists are per CPU */
        CPU_ZERO(&one);
        CPU_SET(cpu < 0 ? 0 : cpu, &one);
        pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    static struct program *work; /* the schedule taken, in lockstep */
    if (!work && !(work = malloc(sizeof *work))) {
        memset(out, 0, sizeof *out);
        snprintf(out->reason, sizeof out->reason, "out of memory");
        return -1;
    }
    *work = *p;
    int rc = run_trace(j, work, p, pol, mount, log, NULL, own_mount, out);
    if (pinned)
        sched_setaffinity(0, sizeof saved, &saved);
    return rc;
}

int real_replay(struct judge *j, const struct program *p, enum policy pol,
                const char *mount, const char *log, struct real_outcome *out)
{
    return replay_on(j, p, pol, mount, log, false, out);
}

static struct real_mount *stop_mount;

int real_replay_own(struct judge *j, const struct program *p,
                    enum policy pol, struct real_outcome *out)
{
    struct real_mount rm;
    struct real_mount_opts o = {.late = true};
    char why[256];
    if (policy_needs(pol, POLICY_FACT_CLOSE_COUNT))
        o.closetracker_map = real_trace_map(p);
    if (real_mount_start_opts(&rm, NULL, pol, &o, why, sizeof why) < 0) {
        memset(out, 0, sizeof *out);
        snprintf(out->reason, sizeof out->reason, "%.150s", why);
        return -1;
    }
    struct real_mount *outer = stop_mount; /* the caller's, if any */
    real_stop_on_signals(&rm);
    int rc = replay_on(j, p, pol, rm.dir, rm.log, true, out);
    if (outer)
        real_stop_on_signals(outer);
    else
        stop_mount = NULL; /* a signal still ends the run */
    if (real_mount_stop(&rm) != 0 && rc == 0) {
        snprintf(out->reason, sizeof out->reason,
                 "the trace's own mount did not unmount cleanly");
        rc = -1;
    }
    return rc;
}

/* ---- stopping a real run on SIGINT/SIGTERM (see real_mount.h) ---- */

/* Only async-signal-safe calls: kill, waitpid, statfs, umount2, rmdir. */
static void stop_all(int sig)
{
    real_replay_abort();
    if (stop_mount)
        real_mount_stop(stop_mount);
    _exit(128 + sig);
}

static void set_handlers(void (*h)(int))
{
    struct sigaction sa = {0};
    sa.sa_handler = h;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void real_stop_on_signals(struct real_mount *rm)
{
    stop_mount = rm;
    set_handlers(stop_all);
}

void real_stop_on_signals_off(void)
{
    set_handlers(SIG_DFL);
    stop_mount = NULL;
}
