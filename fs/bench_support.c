/* bench_support.c - the filesystem benches' shared helpers. */
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
