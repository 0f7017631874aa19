/* bench_support.c - the filesystem benches' shared helpers. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_support.h"

const char *bench_fs_requirements(void)
{
    if (geteuid() != 0)
        return "needs root to mount FUSE";
    if (access("/dev/fuse", R_OK | W_OK) != 0)
        return "needs /dev/fuse";
    return NULL;
}

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_fs_mount(struct real_mount *m, const char *ternrig,
                   const char *policy, const char *context, char *why,
                   size_t cap)
{
    enum policy pol;
    if (!policy_from_name(policy, strlen(policy), &pol)) {
        snprintf(why, cap, "unknown policy '%s'", policy);
        return -1;
    }
    return real_mount_start_ctx(m, ternrig, pol, context, why, cap);
}
