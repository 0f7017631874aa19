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
#include <sys/syscall.h>
#include <unistd.h>
#include "real_task.h"

static int reply(int chan, struct real_msg *m, long rc)
{
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
    if (fd < 0 || dup3(fd, want, O_CLOEXEC) < 0)
        return -1;
    close(fd);
    return want;
}

struct thread_start {
    int chan, task;
};

static void *thread_main(void *arg)
{
    struct thread_start ts = *(struct thread_start *)arg;
    free(arg);
    real_task_loop(ts.chan, ts.task);
    syscall(SYS_exit, 0);
    return NULL;
}

static void write_pattern(int fd, uint32_t n, struct real_msg *m, int chan)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    long done = 0;
    while (done < (long)n) {
        size_t k = n - (size_t)done < sizeof buf ? n - (size_t)done : sizeof buf;
        ssize_t w = write(fd, buf, k);
        if (w < 0) {
            reply(chan, m, -1);
            return;
        }
        done += w;
    }
    reply(chan, m, done);
}

void real_task_loop(int chan, int self)
{
    struct real_msg m = {0};
    m.cmd = RC_READY;
    reply(chan, &m, 0);
    int passed;
    while (receive(chan, &m, &passed) == 0) {
        switch (m.cmd) {
        case RC_CREATE:
            reply(chan, &m,
                  open(m.path,
                       O_CREAT | O_EXCL | O_WRONLY |
                           (m.flags ? O_CLOEXEC : 0),
                       0644));
            break;
        case RC_WRITE:
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
                /* keep only our own channel among the high fds */
                for (int fd = REAL_CHANNEL_BASE; fd < REAL_CHANNEL_END; fd++)
                    if (fd != child_chan)
                        close(fd);
                real_task_loop(child_chan, m.task2);
                _exit(0);
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
            execl("/proc/self/exe", "ternrig", "__task", cs, ts, (char *)NULL);
            fcntl(chan, F_SETFD, fl);
            reply(chan, &m, -1);
            break;
        }
        case RC_EXIT:
            close(chan);
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

int real_task_main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int chan = atoi(argv[2]);
    fcntl(chan, F_SETFD, FD_CLOEXEC);
    real_task_loop(chan, atoi(argv[3]));
    return 0;
}
