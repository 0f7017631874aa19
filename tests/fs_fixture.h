/* fs_fixture.h - mount `ternrig fs` in a temporary directory for a test,
 * and take it down again whatever happens (LTP-style: the test declares
 * what it needs, root and /dev/fuse, and is skipped loudly without them). */
#ifndef TERNRIG_FS_FIXTURE_H
#define TERNRIG_FS_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546

struct mounted {
    char dir[256];
    char log[300];
    pid_t fs_pid;
};

/* Returns NULL when the test can run, else why it must be skipped. */
static const char *fs_requirements(void)
{
    if (geteuid() != 0)
        return "needs root to mount FUSE";
    if (access("/dev/fuse", R_OK | W_OK) != 0)
        return "needs /dev/fuse";
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool is_fuse(const char *dir)
{
    struct statfs sf;
    return statfs(dir, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

/* Start `ternrig fs` on a fresh temp dir; waits (5 s at most) until it is
 * mounted.  Returns 0, or -1. */
static int fs_mount(struct mounted *m, const char *ternrig, const char *policy)
{
    snprintf(m->dir, sizeof m->dir, "/tmp/ternrig-fs-XXXXXX");
    if (!mkdtemp(m->dir))
        return -1;
    snprintf(m->log, sizeof m->log, "%s.log", m->dir);
    unlink(m->log);
    m->fs_pid = fork();
    if (m->fs_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
        execl(ternrig, ternrig, "fs", "--policy", policy, "--log", m->log,
              m->dir, (char *)NULL);
        _exit(127);
    }
    for (double t0 = now_s(); now_s() - t0 < 5;) {
        if (is_fuse(m->dir))
            return 0;
        int st;
        if (waitpid(m->fs_pid, &st, WNOHANG) == m->fs_pid) {
            m->fs_pid = 0;
            break;
        }
        usleep(20000);
    }
    fprintf(stderr, "ternrig fs did not mount %s\n", m->dir);
    return -1;
}

/* SIGTERM the filesystem, wait (5 s, then SIGKILL and a lazy unmount), and
 * remove the temp dir.  Returns 0 when it unmounted cleanly by itself. */
static int fs_unmount(struct mounted *m)
{
    int rc = -1;
    if (m->fs_pid > 0) {
        kill(m->fs_pid, SIGTERM);
        for (double t0 = now_s(); now_s() - t0 < 5;) {
            int st;
            if (waitpid(m->fs_pid, &st, WNOHANG) == m->fs_pid) {
                rc = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
                m->fs_pid = 0;
                break;
            }
            usleep(20000);
        }
        if (m->fs_pid > 0) {
            kill(m->fs_pid, SIGKILL);
            waitpid(m->fs_pid, NULL, 0);
        }
    }
    if (is_fuse(m->dir)) {
        rc = -1;
        umount2(m->dir, MNT_DETACH);
    }
    rmdir(m->dir);
    return rc;
}

#endif
