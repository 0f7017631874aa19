/* bench_flush.c - flush latency of `ternrig fs`, with /proc contexts and
 * with BPF contexts: mounts it (policy reference, the default: /proc can
 * serve it, so both sources can be timed) once per context source,
 * then creates, writes 16 bytes to and closes N files, timing each close(2)
 * (the FUSE flush round trip, the context lookup and the core's decision
 * included).  Prints the median, p99 and files per second of each, and the
 * cost of the BPF context per flush (the difference of the medians).
 * usage: bench_fs_flush TERNRIG [N] [proc|bpf]  (root and /dev/fuse needed;
 * without a context, both, BPF only when it loads) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_support.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Returns the median flush latency in seconds, or -1. */
static double bench(const char *ternrig, const char *context, int n)
{
    struct real_mount m;
    char why[256];
    if (real_mount_start_ctx(&m, ternrig, POLICY_REFERENCE, context, why,
                             sizeof why) < 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    double *lat = calloc((size_t)n, sizeof *lat);
    double t0 = bench_now_s();
    int done = 0;
    for (int i = 0; lat && i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/f%d", m.dir, i);
        int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0 || write(fd, "0123456789abcdef", 16) != 16) {
            perror(p);
            break;
        }
        double a = bench_now_s();
        close(fd);
        lat[done++] = bench_now_s() - a;
    }
    double total = bench_now_s() - t0;
    real_mount_stop(&m);
    if (done == 0) {
        free(lat);
        return -1;
    }
    qsort(lat, (size_t)done, sizeof *lat, cmp_double);
    double median = lat[done / 2];
    printf("ternrig fs, policy %s, %-4s contexts, %d files: "
           "create+write+close %.0f files/s; flush (close) latency median "
           "%.1f us, p99 %.1f us\n",
           policy_name(POLICY_REFERENCE), context, done, done / total,
           median * 1e6,
           lat[(size_t)(done * 0.99)] * 1e6);
    free(lat);
    return median;
}

int main(int argc, char **argv)
{
    const char *why = bench_fs_requirements();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s TERNRIG [N] [proc|bpf]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 5000;
    if (n < 1 || n > 1000000) {
        fprintf(stderr, "N must be 1..1000000\n");
        return 2;
    }
    if (argc > 3)
        return bench(argv[1], argv[3], n) < 0 ? 1 : 0;
    double proc = bench(argv[1], "proc", n);
    double bpf = bench(argv[1], "bpf", n);
    if (proc < 0)
        return 1;
    if (bpf < 0)
        printf("BPF contexts did not load: no comparison\n");
    else
        printf("BPF context instead of /proc: %+.1f us per flush (median)\n",
               (bpf - proc) * 1e6);
    return 0;
}
