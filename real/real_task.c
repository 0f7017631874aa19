/* real_task.c - a real task under command: one syscall per message. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "real_exec.h"
#include "real_task.h"

static int reply(int chan, struct real_msg *m, long rc)
{
    /* an fd just opened (TMPFILE, OPEN): its inode, for the controller */
    struct stat st;
    m->ino = (m->cmd == RC_TMPFILE || m->cmd == RC_OPEN) && rc >= 0 &&
                     fstat((int)rc, &st) == 0
                 ? (uint64_t)st.st_ino
                 : 0;
    m->result = rc < 0 ? -errno : (int32_t)rc;
    m->pid = getpid();
    m->tid = gettid();
    return send(chan, m, sizeof *m, MSG_NOSIGNAL) == sizeof *m ? 0 : -1;
}

/* Receive a message and, if one came along, the fd passed with it. */
static int receive(int chan, struct real_msg *m, int *passed)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {m, sizeof *m};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    *passed = -1;
    ssize_t n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
    if (n != (ssize_t)sizeof *m)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(passed, CMSG_DATA(c), sizeof(int));
    return 0;
}

/* Move a received channel to its fixed high number (it first lands at the
 * lowest free fd, which belongs to the trace). */
static int park_channel(int fd, int task)
{
    int want = REAL_CHANNEL_BASE + task;
    int ok = fd >= 0 && dup3(fd, want, O_CLOEXEC) >= 0;
    if (fd >= 0)
        close(fd); /* never leave it on a trace fd number */
    return ok ? want : -1;
}

struct thread_start {
    int chan, task;
};

#define SPARE_FD (REAL_CHANNEL_END + 1) /* a passed socket, briefly */

static int send_fd(int sock, int fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    char byte = 0;
    struct iovec iov = {&byte, 1};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receive an fd: it lands at the lowest free number, as SCM_RIGHTS does. */
static int recv_fd(int sock)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    char byte;
    struct iovec iov = {&byte, 1};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    if (recvmsg(sock, &mh, 0) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    int fd = -1;
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
    else
        errno = EBADMSG;
    return fd;
}

/* In a new process: close every channel but ours (`chan`), two
 * close_range calls where a loop of close(2) cost 63 syscalls per fork.
 * Channels are sockets, never on the mount: no flush, nothing for the
 * close tracker to count either way. */
static void keep_only_channel(int chan)
{
    if (chan > REAL_CHANNEL_BASE)
        syscall(SYS_close_range, REAL_CHANNEL_BASE, chan - 1, 0);
    if (chan + 1 < REAL_CHANNEL_END)
        syscall(SYS_close_range, chan + 1, REAL_CHANNEL_END - 1, 0);
}

struct vfork_start {
    int chan, task;
};

/* A vfork child shares its parent's memory, thread-locals included: it
 * must not touch the parent's ring (it writes with write(2) instead). */
static pid_t vfork_child_tid;

static int vfork_child(void *arg)
{
    struct vfork_start *vs = arg;
    vfork_child_tid = gettid();
    keep_only_channel(vs->chan); /* the fd table is a copy */
    real_task_loop(vs->chan, vs->task); /* never returns */
}

#ifdef TERNRIG_HAVE_URING
#include <liburing.h>
static long uring_close(int fd)
{
    struct io_uring ring;
    int rc = io_uring_queue_init(2, &ring, 0);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_close(sqe, fd);
    struct io_uring_cqe *cqe;
    rc = io_uring_submit_and_wait(&ring, 1);
    if (rc >= 0)
        rc = io_uring_wait_cqe(&ring, &cqe);
    if (rc >= 0) {
        rc = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
    }
    io_uring_queue_exit(&ring);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

/* Stress writes: the content pattern in chunks, linked and submitted in
 * one batch on this thread's own ring.  A ring is per thread and made
 * lazily; a forked child drops the one it inherited.  Its fd is moved
 * above the trace's fds (and the channels) so fd numbers stay the model's. */
#define RING_FD_BASE (REAL_CHANNEL_END + 8)
#define URING_CHUNK 16384
#define URING_BATCH 16
static __thread struct io_uring task_ring;
static __thread pid_t task_ring_tid;
/* io-wq workers belong to the task, not the ring, and keep the fd table
 * they started with: after unshare(CLONE_FILES) their writes hit the old
 * table (EBADF, or another file).  After an execve the storm saw io_uring
 * writes put zeros in files (the workers' old mm, it seems).  Such
 * processes write with write(2). */
static bool uring_unsafe;

static int ring_for_thread(void)
{
    pid_t me = gettid();
    if (task_ring_tid == me)
        return 0;
    if (me == vfork_child_tid || uring_unsafe)
        return -ENOTSUP;
    if (task_ring_tid) /* inherited through fork: not ours to use */
        io_uring_queue_exit(&task_ring);
    task_ring_tid = 0;
    int rc = io_uring_queue_init(URING_BATCH * 2, &task_ring, 0);
    if (rc < 0)
        return rc;
    int high = fcntl(task_ring.ring_fd, F_DUPFD_CLOEXEC, RING_FD_BASE);
    if (high < 0) {
        rc = -errno;
        io_uring_queue_exit(&task_ring);
        return rc;
    }
    close(task_ring.ring_fd);
    task_ring.ring_fd = task_ring.enter_ring_fd = high;
    task_ring_tid = me;
    return 0;
}

/* The pattern with write(2), where no ring may be used. */
static long plain_write_pattern(int fd, uint32_t n, uint32_t id, off_t pos)
{
    unsigned char buf[4096];
    long done = 0;
    while (done < (long)n) {
        size_t k = n - (size_t)done < sizeof buf ? n - (size_t)done : sizeof buf;
        for (size_t b = 0; b < k; b++)
            buf[b] = stress_pattern(id, (uint64_t)pos + (uint64_t)done + b);
        ssize_t w = write(fd, buf, k);
        if (w <= 0)
            return done > 0 ? done : (w == 0 ? (errno = EIO, -1) : -1);
        done += w;
    }
    return done;
}

/* The chunks being written: allocated by the thread that first writes,
 * not thread-local storage (a 256 KB TLS block is zeroed by every exec's
 * loader and every pthread_create, writing or not: it was the largest
 * single cost of an exec'ing task).  A forked child keeps its copy. */
static __thread unsigned char (*uring_buf)[URING_CHUNK];

static void uring_buf_free(void)
{
    free(uring_buf);
    uring_buf = NULL;
}

static long uring_write_pattern(int fd, uint32_t n, uint32_t id)
{
    off_t pos = lseek(fd, 0, SEEK_CUR);
    int rc = ring_for_thread();
    if (rc == -ENOTSUP && pos >= 0)
        return plain_write_pattern(fd, n, id, pos);
    if (rc == 0 && !uring_buf &&
        !(uring_buf = malloc(sizeof(unsigned char[URING_BATCH][URING_CHUNK]))))
        rc = -ENOMEM;
    if (rc < 0 || pos < 0) {
        errno = rc < 0 ? -rc : errno;
        return -1;
    }
    unsigned char (*buf)[URING_CHUNK] = uring_buf;
    long done = 0;
    while (done < (long)n) {
        unsigned k = 0;
        for (; k < URING_BATCH && done + (long)k * URING_CHUNK < (long)n; k++) {
            uint64_t off = (uint64_t)pos + (uint64_t)done + (uint64_t)k * URING_CHUNK;
            uint32_t len = n - (uint32_t)(done + (long)k * URING_CHUNK);
            if (len > URING_CHUNK)
                len = URING_CHUNK;
            for (uint32_t b = 0; b < len; b++)
                buf[k][b] = stress_pattern(id, off + b);
            struct io_uring_sqe *sqe = io_uring_get_sqe(&task_ring);
            /* explicit offsets: with -1 ("the file position") io-wq left
             * f_pos unmoved on FUSE, so the next write landed at 0 */
            io_uring_prep_write(sqe, fd, buf[k], len, off);
            sqe->flags |= IOSQE_IO_LINK; /* in order */
        }
        rc = io_uring_submit_and_wait(&task_ring, k);
        long got = 0;
        int err = 0;
        for (unsigned c = 0; c < k && rc >= 0; c++) {
            struct io_uring_cqe *cqe;
            if ((rc = io_uring_wait_cqe(&task_ring, &cqe)) < 0)
                break;
            if (cqe->res < 0 && !err)
                err = cqe->res == -ECANCELED ? 0 : cqe->res;
            else if (cqe->res > 0)
                got += cqe->res;
            io_uring_cqe_seen(&task_ring, cqe);
        }
        if (rc < 0 || err || got == 0) {
            lseek(fd, pos + done + got, SEEK_SET); /* as write(2) moves it */
            errno = rc < 0 ? -rc : err ? -err : EIO;
            return done + got > 0 ? done + got : -1;
        }
        done += got;
    }
    lseek(fd, pos + done, SEEK_SET);
    return done;
}

#endif

/* A thread leaving by SYS_exit: what it allocated for itself goes. */
static void thread_leaving(void)
{
#ifdef TERNRIG_HAVE_URING
    uring_buf_free();
#endif
}

static void *thread_main(void *arg)
{
    struct thread_start ts = *(struct thread_start *)arg;
    free(arg);
    real_task_loop(ts.chan, ts.task); /* never returns (RC_EXIT: SYS_exit) */
}

static void write_pattern(int fd, uint32_t n, struct real_msg *m, int chan)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    long done = 0;
    while (done < (long)n) {
        size_t k = n - (size_t)done < sizeof buf ? n - (size_t)done : sizeof buf;
        ssize_t w = write(fd, buf, k);
        if (w <= 0) {
            if (w == 0)
                errno = EIO; /* no progress: do not spin */
            reply(chan, m, -1);
            return;
        }
        done += w;
    }
    reply(chan, m, done);
}

/* This executable, resolved while the process is whole: /proc/self/exe
 * fails (ENOENT) in a thread whose group leader has exited, and a trace
 * may exec from just such a thread.  Kept twice: as REAL_EXE_FD, the very
 * file this process runs, which an exec uses (so a rebuild that replaces
 * the binary at its path during a storm changes nothing for the tasks of
 * the storm: the old file stays reachable through the fd), and as a path,
 * should that fd be missing. */
static char self_exe[4096];

static void resolve_self_exe(void)
{
    if (fcntl(REAL_EXE_FD, F_GETFD) < 0) {
        int fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
        /* no O_CLOEXEC on the kept one: an exec'd image keeps it too */
        if (fd >= 0 && fd != REAL_EXE_FD) {
            dup2(fd, REAL_EXE_FD);
            close(fd);
        }
    }
    if (self_exe[0])
        return;
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = 0;
}

/* Exec this executable with `argv` (see resolve_self_exe); returns only
 * when that failed. */
static void exec_self(char *const argv[])
{
    extern char **environ;
    syscall(SYS_execveat, REAL_EXE_FD, "", argv, environ, AT_EMPTY_PATH);
    execv(self_exe[0] ? self_exe : "/proc/self/exe", argv);
}

/* The command loop; returns when the channel closes. */
static void serve_commands(int chan, int self)
{
    /* children reap themselves when they exit, as the model's parents reap
     * at once (their task_structs can then be reused) */
    signal(SIGCHLD, SIG_IGN);
    resolve_self_exe();
    /* in ps and perf, a trace's task is told from the rig's processes
     * (the "ternrig" prefix is what the storm's leftover check reads) */
    prctl(PR_SET_NAME, "ternrig-task");
    struct real_msg m = {0};
    m.cmd = RC_READY;
    reply(chan, &m, 0);
    int passed;
    while (receive(chan, &m, &passed) == 0) {
        switch (m.cmd) {
        case RC_CREATE: {
            int fl = O_CREAT | O_EXCL | O_WRONLY |
                     (m.flags & REAL_CREATE_CLOEXEC ? O_CLOEXEC : 0);
            reply(chan, &m, open(m.path, fl, 0644));
            break;
        }
        case RC_TMPFILE: {
            /* the directory is the cwd: no fd of it is opened, so no
             * directory close reaches the close tracker (real_exec.c) */
            int fl = O_TMPFILE | O_WRONLY |
                     (m.flags & REAL_CREATE_CLOEXEC ? O_CLOEXEC : 0);
            reply(chan, &m, open(".", fl, 0644));
            break;
        }
        case RC_LINK:
            reply(chan, &m, linkat(m.fd, "", AT_FDCWD, m.path, AT_EMPTY_PATH));
            break;
        case RC_OPEN:
            reply(chan, &m, open(m.path, O_RDONLY));
            break;
        case RC_WRITE:
#ifdef TERNRIG_HAVE_URING
            if (m.flags & REAL_IO_URING) {
                reply(chan, &m, uring_write_pattern(m.fd, m.n, m.file_id));
                break;
            }
#endif
            write_pattern(m.fd, m.n, &m, chan);
            break;
        case RC_CLOSE:
            reply(chan, &m, close(m.fd));
            break;
        case RC_CLOSE_RANGE:
            reply(chan, &m,
                  syscall(SYS_close_range, 3, REAL_CHANNEL_BASE - 1, 0));
            break;
        case RC_DUP:
            reply(chan, &m, dup(m.fd));
            break;
        case RC_DUP2:
            reply(chan, &m, dup2(m.fd, m.fd2));
            break;
        case RC_UNSHARE:
#ifdef TERNRIG_HAVE_URING
            uring_unsafe = true;
#endif
            reply(chan, &m, unshare(CLONE_FILES));
            break;
        case RC_FORK: {
            int child_chan = park_channel(passed, m.task2);
            if (child_chan < 0) {
                reply(chan, &m, -1);
                break;
            }
            pid_t pid = fork();
            if (pid == 0) {
                keep_only_channel(child_chan);
                real_task_loop(child_chan, m.task2); /* never returns */
            }
            close(child_chan);
            reply(chan, &m, pid);
            break;
        }
        case RC_THREAD: {
            int tchan = park_channel(passed, m.task2);
            struct thread_start *ts = malloc(sizeof *ts);
            pthread_t th;
            if (tchan < 0 || !ts) {
                free(ts);
                reply(chan, &m, -1);
                break;
            }
            ts->chan = tchan;
            ts->task = m.task2;
            int rc = pthread_create(&th, NULL, thread_main, ts);
            if (rc == 0)
                pthread_detach(th);
            errno = rc;
            reply(chan, &m, rc ? -1 : 0);
            break;
        }
        case RC_EXEC: {
            char cs[16], ts[16];
            snprintf(cs, sizeof cs, "%d", chan);
            snprintf(ts, sizeof ts, "%d", self);
            int fl = fcntl(chan, F_GETFD);
            fcntl(chan, F_SETFD, fl & ~FD_CLOEXEC); /* the channel survives */
            char *argv[] = {"ternrig", "__task", cs, ts, NULL};
            exec_self(argv);
            fcntl(chan, F_SETFD, fl);
            reply(chan, &m, -1);
            break;
        }
        case RC_SEND: { /* the socket came along; park it, send, drop it */
            int sock = passed >= 0 ? dup3(passed, SPARE_FD, O_CLOEXEC) : -1;
            close(passed);
            long rc = sock < 0 ? -1 : send_fd(sock, m.fd);
            int e = errno;
            close(sock);
            errno = e;
            reply(chan, &m, rc);
            break;
        }
        case RC_RECV: {
            int sock = passed >= 0 ? dup3(passed, SPARE_FD, O_CLOEXEC) : -1;
            close(passed);
            long rc = sock < 0 ? -1 : recv_fd(sock);
            int e = errno;
            close(sock);
            errno = e;
            reply(chan, &m, rc);
            break;
        }
        case RC_VFORK: {
            int child_chan = park_channel(passed, m.task2);
            size_t stack_size = 1 << 20;
            char *stack = child_chan < 0 ? NULL : malloc(stack_size);
            static struct vfork_start vs; /* read by the child before we
                                             resume */
            if (!stack) {
                reply(chan, &m, -1);
                break;
            }
            vs.chan = child_chan;
            vs.task = m.task2;
            /* suspended here until the child execs or exits */
            long pid = clone(vfork_child, stack + stack_size,
                             CLONE_VM | CLONE_VFORK | SIGCHLD, &vs);
            close(child_chan);
            reply(chan, &m, pid);
            break;
        }
        case RC_URING_CLOSE:
#ifdef TERNRIG_HAVE_URING
            reply(chan, &m, uring_close(m.fd));
#else
            errno = ENOSYS;
            reply(chan, &m, -1);
#endif
            break;
        case RC_EXIT:
            close(chan);
            thread_leaving();
            syscall(SYS_exit, 0); /* this thread only */
            break;
        case RC_EXIT_GROUP:
            _exit(0);
        default:
            errno = EINVAL;
            reply(chan, &m, -1);
            break;
        }
    }
}

_Noreturn void real_task_loop(int chan, int self)
{
    serve_commands(chan, self);
    /* The channel closed: the controller is gone (a storm's worker
     * SIGKILLed, a run cut short).  The task dies as the model says a
     * trace's live processes die, by SIGKILL, never by a clean exit that
     * could win the race against PR_SET_PDEATHSIG: under the clean-exit
     * candidates a normal exit seals, a kill aborts. */
    kill(getpid(), SIGKILL);
    for (;;)
        pause();
}

_Noreturn void real_task_begin(int sock, int task, pid_t parent, pid_t pgid,
                               const char *dir, void (*drop)(void))
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* it died before prctl */
        _exit(1);
    setpgid(0, pgid);
    int chan = REAL_CHANNEL_BASE + task;
    if (dup3(sock, chan, O_CLOEXEC) < 0)
        _exit(127);
    syscall(SYS_close_range, 3, chan - 1, 0);
    syscall(SYS_close_range, chan + 1, ~0U, 0);
    if (chdir(dir) < 0)
        _exit(127);
    if (drop)
        drop(); /* dir may be gone from here on */
    real_task_loop(chan, task); /* never returns */
}

/* A spawner forks a storm run's first tasks, so that the stress worker
 * (the controller) never forks: after each of its own forks the worker
 * took a copy-on-write fault on every page it wrote while the task lived
 * (its model, its program, the run's state: about a hundred faults a
 * scenario).  The spawner touches a few pages between forks, and its
 * children start from its small image.  It and its children ignore
 * SIGCHLD: a run's first task is reaped at once, as a parent in the
 * model reaps. */
_Noreturn void real_spawner_loop(int chan)
{
    signal(SIGCHLD, SIG_IGN);
    resolve_self_exe(); /* once, for every task it forks */
    prctl(PR_SET_NAME, "ternrig-spawner");
    if (chdir("/") < 0) { /* holds no directory of a mount: its tasks */
    }                     /* chdir where each run says */
    pid_t me = getpid();
    struct real_msg m;
    int passed;
    while (receive(chan, &m, &passed) == 0) {
        if (m.cmd != RC_SPAWN || passed < 0 || m.task2 < 0 ||
            m.task2 >= REAL_CHANNEL_END - REAL_CHANNEL_BASE) {
            if (passed >= 0)
                close(passed);
            errno = EINVAL;
            reply(chan, &m, -1);
            continue;
        }
        m.path[sizeof m.path - 1] = 0;
        pid_t pid = fork();
        if (pid == 0) /* dies with the spawner */
            real_task_begin(passed, m.task2, me, m.fd, m.path, NULL);
        close(passed);
        reply(chan, &m, pid);
    }
    _exit(0); /* the worker closed the channel, or died */
}

int real_task_main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
#ifdef TERNRIG_HAVE_URING
    uring_unsafe = true; /* after exec: see uring_unsafe */
#endif
    int chan = atoi(argv[2]);
    fcntl(chan, F_SETFD, FD_CLOEXEC);
    real_task_loop(chan, atoi(argv[3])); /* never returns */
}
