/* bench_flush.c - flush latency of `ternrig fs` with its /proc lookups:
 * mounts it, then creates, writes 16 bytes to and closes N files, timing
 * each close(2) (the FUSE flush round trip, /proc reads and the core's
 * decision included).  Prints the median, p99 and files per second.
 * usage: bench_fs_flush TERNRIG [N]  (root and /dev/fuse needed) */
#define _GNU_SOURCE
#include "fs_fixture.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *why = fs_requirements();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s TERNRIG [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 5000;
    if (n < 1 || n > 1000000) {
        fprintf(stderr, "N must be 1..1000000\n");
        return 2;
    }
    struct real_mount m;
    if (fs_mount(&m, argv[1], "reference") < 0)
        return 1;
    double *lat = calloc((size_t)n, sizeof *lat);
    double t0 = now_s();
    int done = 0;
    for (int i = 0; lat && i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/f%d", m.dir, i);
        int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0 || write(fd, "0123456789abcdef", 16) != 16) {
            perror(p);
            break;
        }
        double a = now_s();
        close(fd);
        lat[done++] = now_s() - a;
    }
    double total = now_s() - t0;
    real_mount_stop(&m);
    if (done == 0)
        return 1;
    qsort(lat, (size_t)done, sizeof *lat, cmp_double);
    printf("ternrig fs, policy reference, %d files: create+write+close "
           "%.0f files/s; flush (close) latency median %.1f us, p99 %.1f "
           "us\n",
           done, done / total, lat[done / 2] * 1e6,
           lat[(size_t)(done * 0.99)] * 1e6);
    free(lat);
    return 0;
}
