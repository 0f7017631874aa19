/* real_task.h - the command protocol between the real-replay controller and
 * the real tasks that stand for a trace's tasks.
 *
 * Owns: the messages and the task side (a loop that runs one syscall per
 * command and replies).  Each task has its own channel, a SOCK_SEQPACKET
 * socket kept at fd REAL_CHANNEL_BASE + task, far above the fds a trace
 * uses, so the trace's fds get the numbers the model gives them (lowest
 * free from 3) and close_range(3, REAL_CHANNEL_BASE - 1) spares channels.
 */
#ifndef TERNRIG_REAL_TASK_H
#define TERNRIG_REAL_TASK_H

#include <stdint.h>
#include <sys/types.h>

#define REAL_CHANNEL_BASE 900
#define REAL_CHANNEL_END (REAL_CHANNEL_BASE + 64)
/* An O_PATH fd of the executable itself, kept by every task through fork
 * and exec: an RC_EXEC runs the very binary the run started with, even
 * after a rebuild replaced the file at its path (real_task.c) */
#define REAL_EXE_FD (REAL_CHANNEL_END + 4)

enum real_cmd {
    RC_READY,       /* task -> controller: up (after start or exec)       */
    RC_CREATE,      /* open(path, O_CREAT|O_EXCL|O_WRONLY[|O_CLOEXEC])    */
    RC_WRITE,       /* write(fd, pattern, n)                               */
    RC_CLOSE,       /* close(fd)                                           */
    RC_CLOSE_RANGE, /* close_range(3, REAL_CHANNEL_BASE - 1, 0)            */
    RC_DUP,         /* dup(fd)                                             */
    RC_DUP2,        /* dup2(fd, fd2)                                       */
    RC_FORK,        /* fork; the child becomes task `task2` (channel sent) */
    RC_THREAD,      /* pthread_create; the thread becomes task `task2`     */
    RC_UNSHARE,     /* unshare(CLONE_FILES)                                */
    RC_EXEC,        /* execve(/proc/self/exe __task CHANNEL)               */
    RC_EXIT,        /* SYS_exit: this thread                               */
    RC_EXIT_GROUP,  /* exit_group                                          */
    RC_SEND,        /* sendmsg(SCM_RIGHTS fd) on the socket passed along   */
    RC_RECV,        /* recvmsg on the socket passed along: the new fd      */
    RC_VFORK,       /* clone(CLONE_VM|CLONE_VFORK): child is task `task2`  */
    RC_URING_CLOSE, /* IORING_OP_CLOSE(fd) through liburing                */
    RC_TMPFILE,     /* open(".", O_TMPFILE|O_WRONLY[|O_CLOEXEC]): the task's
                       cwd is the run's directory; reply: fd and ino       */
    RC_LINK,        /* linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH)       */
    RC_OPEN,        /* open(path, O_RDONLY); reply: fd and ino             */
    RC_SPAWN,       /* to a spawner: fork a run's first task `task2` on the
                       channel passed, in process group `fd` (0: a new
                       one), cwd `path`; reply: its pid                   */
};

#define REAL_CREATE_CLOEXEC 1u /* CREATE, TMPFILE: O_CLOEXEC             */
#define REAL_IO_URING 2u       /* WRITE: batched io_uring writes of the
                                  content pattern                        */

struct real_msg {
    int32_t cmd;     /* enum real_cmd */
    int32_t task2;   /* FORK/THREAD: the new task's index                 */
    int32_t fd, fd2;
    uint32_t n;      /* WRITE: bytes                                        */
    uint32_t flags;  /* REAL_CREATE_CLOEXEC, REAL_IO_URING                  */
    uint32_t file_id;/* WRITE with REAL_IO_URING: stress_file_id            */
    int32_t result;  /* reply: syscall result, or -errno                    */
    int32_t pid, tid;/* reply / READY: who the task is                      */
    char path[256];  /* CREATE, LINK (the new name), OPEN                   */
    /* reply to TMPFILE/OPEN: the file's inode (fstat), 0 when it failed.
     * A tmpfile's flush-log lines have no name until it is linked: the
     * controller matches them by this. */
    uint64_t ino;
};

/* Run the command loop of task `self` on channel fd `chan`.  Never
 * returns: when the channel closes, the task's process kills itself with
 * SIGKILL (the death the model gives a trace's live processes). */
_Noreturn void real_task_loop(int chan, int self);

/* In a process just forked to be a run's first task `task`: die with
 * the parent `parent` (PR_SET_PDEATHSIG; exit 1 if it is gone already),
 * join process group `pgid` (0: make one), keep only the channel `sock`,
 * at its fixed number, enter `dir`, give the forker's memory back with
 * `drop` (NULL: nothing to give) and run the command loop.  Exit 127
 * when a step fails. */
_Noreturn void real_task_begin(int sock, int task, pid_t parent, pid_t pgid,
                               const char *dir, void (*drop)(void));

/* Run a spawner on channel fd `chan` (real_exec.h, struct real_spawner):
 * RC_SPAWN after RC_SPAWN until the channel closes, then exit. */
_Noreturn void real_spawner_loop(int chan);

/* Entry point after exec: `ternrig __task CHANNEL TASK`. */
int real_task_main(int argc, char **argv);

#endif
