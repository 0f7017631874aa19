/* fs_fixture.h - mount `ternrig fs` in a temporary directory for a test,
 * and take it down again whatever happens (LTP-style: the test declares
 * what it needs, root and /dev/fuse, and is skipped loudly without them). */
#ifndef TERNRIG_FS_FIXTURE_H
#define TERNRIG_FS_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
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

#include "real_mount.h"

/* Returns NULL when the test can run, else why it must be skipped. */
static const char *fs_requirements(void)
{
    if (geteuid() != 0)
        return "needs root to mount FUSE";
    if (access("/dev/fuse", R_OK | W_OK) != 0)
        return "needs /dev/fuse";
    return NULL;
}

/* The start of a mount test's main(): -1 to go on; else the exit status
 * (77, skipped loudly, without root or /dev/fuse; 2 without the path of
 * the ternrig to mount, its only argument). */
__attribute__((unused)) static int fs_test_start(int argc, char **argv)
{
    const char *why = fs_requirements();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s TERNRIG\n", argv[0]);
        return 2;
    }
    return -1;
}

/* Whether readdir of `dir` returns `name` (visible files are listed,
 * transient ones are not). */
__attribute__((unused)) static bool dir_lists(const char *dir,
                                              const char *name)
{
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *de;
    while (d && (de = readdir(d)))
        found |= strcmp(de->d_name, name) == 0;
    if (d)
        closedir(d);
    return found;
}

__attribute__((unused)) static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The log line of `m` that names file `name` and contains `needle`: the
 * nth such line (from 0), or the last one when nth < 0.  Copied into out;
 * returns false when there is none. */
__attribute__((unused)) static bool log_line(const struct real_mount *m,
                                             const char *name,
                                             const char *needle, int nth,
                                             char *out, size_t cap)
{
    FILE *f = fopen(m->log, "r");
    char *line = NULL, want[80];
    size_t lcap = 0;
    bool found = false;
    snprintf(want, sizeof want, "\"name\":\"%s\"", name);
    while (f && getline(&line, &lcap, f) > 0) {
        if (!strstr(line, want) || !strstr(line, needle))
            continue;
        if (nth > 0) {
            nth--;
            continue;
        }
        line[strcspn(line, "\n")] = 0;
        snprintf(out, cap, "%s", line);
        found = true;
        if (nth == 0)
            break;
    }
    free(line);
    if (f)
        fclose(f);
    return found;
}

#ifdef TERNRIG_HAVE_URING
#include <liburing.h>
/* IORING_OP_CLOSE of `fd` on a fresh ring: the completion's result, or
 * -1000 (no ring) / -1001 (no completion). */
__attribute__((unused)) static int uring_close_fd(int fd)
{
    struct io_uring ring;
    if (io_uring_queue_init(2, &ring, 0) != 0)
        return -1000;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_close(sqe, fd);
    struct io_uring_cqe *cqe;
    int res = -1001;
    if (io_uring_submit_and_wait(&ring, 1) == 1 &&
        io_uring_wait_cqe(&ring, &cqe) == 0) {
        res = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
    }
    io_uring_queue_exit(&ring);
    return res;
}
#endif

/* A thread that closes `fd` and says who it was (pthread_create arg). */
struct thread_close {
    int fd;
    pid_t tid;
};

__attribute__((unused)) static void *close_and_report(void *arg)
{
    struct thread_close *tc = arg;
    tc->tid = gettid();
    close(tc->fd);
    return NULL;
}

/* Mount `ternrig fs` (the binary `ternrig`) in a temp dir: real_mount.c,
 * the same code `replay --real` uses. */
static int fs_mount_ctx(struct real_mount *m, const char *ternrig,
                        const char *policy, const char *context)
{
    enum policy pol;
    char why[256];
    if (!policy_from_name(policy, strlen(policy), &pol))
        return -1;
    if (real_mount_start_ctx(m, ternrig, pol, context, why, sizeof why) < 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    return 0;
}

__attribute__((unused)) static int fs_mount(struct real_mount *m,
                                            const char *ternrig,
                                            const char *policy)
{
    return fs_mount_ctx(m, ternrig, policy, NULL);
}

#endif
