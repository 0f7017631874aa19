/* child_run.c - a contained child: own process group, death signal, time
 * limit, nothing of it left behind. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "child_run.h"

static volatile sig_atomic_t running_pgid; /* the command's group, or 0 */
static volatile sig_atomic_t stop_signal;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Async-signal-safe: kill and remember. */
static void on_stop(int sig)
{
    stop_signal = sig;
    if (running_pgid > 0)
        kill(-(pid_t)running_pgid, SIGKILL);
}

static void set_stop_handlers(void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h; /* no SA_RESTART: waits return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void child_run_catch_signals(void)
{
    set_stop_handlers(on_stop);
}

int child_run_release_signals(int rc)
{
    set_stop_handlers(SIG_DFL);
    return stop_signal ? 128 + stop_signal : rc;
}

int child_run_stop_signal(void)
{
    return stop_signal;
}

/* 0 when `path` is a file this process may execute, else -1 with errno. */
static int executable_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EACCES;
        return -1;
    }
    return access(path, X_OK);
}

int child_find_command(const char *cmd, char *why, size_t cap)
{
    if (!*cmd) {
        snprintf(why, cap, "an empty command name");
        return -1;
    }
    if (strchr(cmd, '/')) {
        if (cmd[0] != '/' || executable_file(cmd) == 0)
            return 0;
        snprintf(why, cap, "%s: %s", cmd, strerror(errno));
        return -1;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    int denied = 0;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || p[0] != '/')
            return 0; /* "" or relative: the working directory's */
        char full[4096];
        if (len + strlen(cmd) + 2 <= sizeof full) {
            snprintf(full, sizeof full, "%.*s/%s", (int)len, p, cmd);
            if (executable_file(full) == 0)
                return 0;
            denied |= errno == EACCES;
        }
        if (!end)
            break;
        p = end;
    }
    snprintf(why, cap, "%s: %s", cmd,
             denied ? strerror(EACCES) : "command not found");
    return -1;
}

/* In the child, after fork: never returns. */
static void exec_child(const struct child_spec *s, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* ternrig died before the death signal was set */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fds[3] = {s->in_fd, s->out_fd, s->err_fd};
    for (int k = 0; k < 3; k++)
        if (fds[k] >= 0 && fds[k] != k && dup2(fds[k], k) < 0)
            _exit(127);
    if (s->only_std_fds)
        syscall(SYS_close_range, 3u, ~0u, 0u);
    if (s->cwd && chdir(s->cwd) < 0) {
        fprintf(stderr, "ternrig: cannot enter %s: %s\n", s->cwd,
                strerror(errno));
        _exit(127);
    }
    for (const char *const *e = s->env_add; e && *e; e++)
        putenv((char *)*e);
    execvp(s->argv[0], s->argv);
    fprintf(stderr, "ternrig: cannot run %s: %s\n", s->argv[0],
            strerror(errno));
    _exit(127);
}

/* Wait for `pid` until it exits, the deadline passes or a stop signal
 * comes.  Returns true when it has exited (not yet reaped). */
static bool wait_exit(pid_t pid, double deadline)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        if (stop_signal)
            break;
        double left = deadline > 0 ? deadline - now_s() : 1.0;
        if (left <= 0)
            break;
        if (pfd < 0) { /* no pidfd: poll the child's state */
            siginfo_t si;
            si.si_pid = 0;
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
                    0 &&
                si.si_pid == pid)
                return true;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        struct pollfd p = {pfd, POLLIN, 0};
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        if (poll(&p, 1, ms) > 0) {
            close(pfd);
            return true;
        }
    }
    if (pfd >= 0)
        close(pfd);
    return false;
}

/* Kill what is left of group `pgid` and reap it: orphans come back to us
 * (we are a child subreaper), so when this returns none of them is alive
 * and their exit flushes are done.  Returns how many there were. */
static unsigned reap_group(pid_t pgid)
{
    unsigned n = 0;
    if (kill(-pgid, SIGKILL) < 0)
        return 0;
    for (double t0 = now_s(); now_s() - t0 < 5;) {
        int st;
        pid_t r = waitpid(-pgid, &st, WNOHANG);
        if (r > 0) {
            n += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
            continue;
        }
        if (r < 0 && errno == ECHILD) {
            if (kill(-pgid, 0) < 0)
                break; /* none left, not even someone else's child */
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return n;
}

int child_run(const struct child_spec *s, struct child_outcome *o, char *why,
              size_t cap)
{
    memset(o, 0, sizeof *o);
    if (stop_signal) {
        snprintf(why, cap, "interrupted");
        return -1;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fflush(NULL);
    double t0 = now_s();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        exec_child(s, parent);
    setpgid(pid, pid); /* also here: no race with a kill before the child's */
    running_pgid = pid;
    if (stop_signal) /* caught between the check above and now */
        kill(-pid, SIGKILL);
    bool exited = wait_exit(pid, s->timeout_s > 0 ? t0 + s->timeout_s : 0);
    if (!exited) {
        o->timed_out = !stop_signal;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL); /* even if not yet in its own group */
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    o->status = st;
    o->leftovers = reap_group(pid);
    running_pgid = 0;
    o->stopped_by = stop_signal;
    o->seconds = now_s() - t0;
    return 0;
}

int parse_time_limit(const char *arg, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !(v > 0) || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

int child_exit_code(const struct child_outcome *o)
{
    if (WIFEXITED(o->status))
        return WEXITSTATUS(o->status);
    if (WIFSIGNALED(o->status))
        return 128 + WTERMSIG(o->status);
    return 1;
}

void child_describe_end(const struct child_outcome *o, double timeout_s,
                        char *buf, size_t cap)
{
    if (WIFEXITED(o->status))
        snprintf(buf, cap, "exit %d", WEXITSTATUS(o->status));
    else if (WIFSIGNALED(o->status))
        snprintf(buf, cap, "killed by SIG%s",
                 sigabbrev_np(WTERMSIG(o->status))
                     ? sigabbrev_np(WTERMSIG(o->status))
                     : "?");
    else
        snprintf(buf, cap, "status %#x", o->status);
    size_t len = strlen(buf);
    if (o->timed_out)
        snprintf(buf + len, cap - len, " (time limit %g s)", timeout_s);
    else if (o->stopped_by)
        snprintf(buf + len, cap - len, " (ternrig got SIG%s)",
                 sigabbrev_np(o->stopped_by));
}
