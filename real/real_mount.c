/* real_mount.c - a temporary mount of `ternrig fs`. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "real_mount.h"

#define FUSE_SUPER_MAGIC 0x65735546

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int is_fuse(const char *dir)
{
    struct statfs sf;
    return statfs(dir, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

int real_mount_start(struct real_mount *rm, const char *exe, enum policy pol,
                     char *why, size_t cap)
{
    return real_mount_start_ctx(rm, exe, pol, NULL, why, cap);
}

int real_mount_start_ctx(struct real_mount *rm, const char *exe,
                         enum policy pol, const char *context, char *why,
                         size_t cap)
{
    struct real_mount_opts o = {.context = context};
    return real_mount_start_opts(rm, exe, pol, &o, why, cap);
}

int real_mount_start_late(struct real_mount *rm, const char *exe,
                          enum policy pol, char *why, size_t cap)
{
    struct real_mount_opts o = {.late = true};
    return real_mount_start_opts(rm, exe, pol, &o, why, cap);
}

int real_mount_start_opts(struct real_mount *rm, const char *exe,
                          enum policy pol, const struct real_mount_opts *o,
                          char *why, size_t cap)
{
    const char *context = o->context;
    memset(rm, 0, sizeof *rm);
    snprintf(rm->dir, sizeof rm->dir, "/tmp/ternrig-real-XXXXXX");
    if (!mkdtemp(rm->dir)) {
        snprintf(why, cap, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(rm->log, sizeof rm->log, "%s.log", rm->dir);
    rm->pid = fork();
    if (rm->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        char map[32];
        snprintf(map, sizeof map, "%u", o->closetracker_map);
        const char *argv[16] = {"ternrig", "fs", "--policy", policy_name(pol),
                                "--context", context ? context : "auto",
                                "--log", rm->log};
        int n = 8;
        if (o->late)
            argv[n++] = "--log-late";
        if (o->closetracker_map) {
            argv[n++] = "--closetracker-map";
            argv[n++] = map;
        }
        argv[n++] = rm->dir; /* the mount point last */
        argv[n] = NULL;
        execv(exe ? exe : "/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    for (double t0 = now_s(); now_s() - t0 < 5; usleep(10000)) {
        if (is_fuse(rm->dir))
            return 0;
        int st;
        if (waitpid(rm->pid, &st, WNOHANG) == rm->pid) {
            rm->pid = 0;
            break;
        }
    }
    snprintf(why, cap, "ternrig fs --policy %s did not mount %s (needs root "
                       "and /dev/fuse%s; see its message above)",
             policy_name(pol), rm->dir,
             context && !strcmp(context, "bpf") ? ", and BPF" : "");
    real_mount_stop(rm);
    return -1;
}

int real_mount_stop(struct real_mount *rm)
{
    int rc = -1;
    if (rm->pid > 0) {
        kill(rm->pid, SIGTERM);
        for (double t0 = now_s(); now_s() - t0 < 5; usleep(10000)) {
            int st;
            if (waitpid(rm->pid, &st, WNOHANG) == rm->pid) {
                rc = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
                rm->pid = 0;
                break;
            }
        }
        if (rm->pid > 0) {
            kill(rm->pid, SIGKILL);
            waitpid(rm->pid, NULL, 0);
            rm->pid = 0;
        }
    }
    if (is_fuse(rm->dir)) {
        umount2(rm->dir, MNT_DETACH);
        rc = -1;
    }
    rmdir(rm->dir);
    unlink(rm->log);
    return rc;
}

bool real_mount_log(const char *dir, char *log, size_t cap)
{
    ssize_t n = cap ? getxattr(dir, "user.ternrig.log", log, cap - 1) : -1;
    if (cap)
        log[n > 0 ? n : 0] = 0;
    return n > 0;
}

int real_mount_log_usable(const char *log, char *why, size_t cap)
{
    struct stat st;
    if (stat(log, &st) < 0 || access(log, R_OK) < 0) {
        snprintf(why, cap, "its flush log %s: %s", log, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, cap, "its flush log %s is not a regular file", log);
        return -1;
    }
    return 0;
}

bool real_mount_policy(const char *dir, enum policy *pol)
{
    char v[64];
    ssize_t n = getxattr(dir, "user.ternrig.policy", v, sizeof v - 1);
    return n > 0 && policy_from_name(v, (size_t)n, pol);
}
