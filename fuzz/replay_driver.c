/* replay_driver.c - run a fuzz target without a fuzzing engine: every file
 * named on the command line (directories are walked one level) goes through
 * LLVMFuzzerTestOneInput once (TERNRIG_REPLAY_REPEAT=N: N times, read once:
 * a fixed workload for `fuzz/bench.sh --collect-cost`).  The same targets
 * thus replay as plain tests with any compiler. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long repeat = 1;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    for (unsigned long k = 0; k < repeat; k++)
        LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned ran = 0, bad = 0;
    const char *rep = getenv("TERNRIG_REPLAY_REPEAT");
    if (rep && *rep) {
        char *end;
        repeat = strtoul(rep, &end, 10);
        if (*end || repeat < 1 || repeat > 1000000) {
            fprintf(stderr, "TERNRIG_REPLAY_REPEAT: want 1..1000000\n");
            return 2;
        }
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            bad++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad += run_file(argv[i]) < 0;
            ran++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], de->d_name);
            bad += run_file(p) < 0;
            ran++;
        }
        if (d)
            closedir(d);
    }
    printf("%s: %u input(s) replayed, %u unreadable\n", argv[0], ran, bad);
    return bad ? 2 : (ran ? 0 : 2);
}
