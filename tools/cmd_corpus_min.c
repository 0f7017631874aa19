/* cmd_corpus_min.c - `ternrig corpus min`: the fuzz seed corpora merged
 * and minimized by libFuzzer (-merge=1), one directory per target. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd_corpus.h"
#include "commands.h"
#include "util.h"

/* Paths are built in PATH_MAX buffers from arguments whose lengths are
 * checked up front, so gcc's worst-case truncation analysis does not
 * apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static unsigned count_files(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* libFuzzer -merge=1 of `inputs` into the empty directory `into`. */
static int merge(const char *bin, const char *into, char **inputs, int n,
                 const char *log, const char *collect)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *args[8 + 64];
        int k = 0;
        args[k++] = (char *)bin;
        args[k++] = "-merge=1";
        args[k++] = "-max_len=512";
        args[k++] = (char *)into;
        for (int i = 0; i < n && i < 64; i++)
            args[k++] = inputs[i];
        args[k] = NULL;
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("TERNRIG_FUZZ_COLLECT", collect, 1); /* never abort */
        execv(bin, args);
        fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    return corpus_child_status(pid) == 0 ? 0 : -1;
}

int corpus_min_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},
        {"fuzz-dir", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL, *given = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': given = optarg; break;
        case 'h': return policy_help(corpus_help);
        default: return usage_error("corpus", "bad option");
        }
    }
    if (!out)
        return usage_error("corpus", "min: --out DIR is required");
    if (argc - optind > 60)
        return usage_error("corpus", "min: at most 60 inputs");
    if (strlen(out) > 1024)
        return usage_error("corpus", "min: path too long");
    char fuzz_dir[PATH_MAX];
    if (!fuzz_find_dir("libfuzzer", given, true, fuzz_dir, sizeof fuzz_dir)) {
        fprintf(stderr,
                "ternrig corpus min: no libFuzzer targets found%s%s.\n"
                "Build them first:  cmake --preset fuzz && cmake --build "
                "--preset fuzz\n",
                given ? " in " : "", given ? given : "");
        return 2;
    }
    char collect[PATH_MAX];
    snprintf(collect, sizeof collect, "%s/.collect", out);
    if (make_dirs(collect) < 0) {
        fprintf(stderr, "ternrig corpus min: cannot create %s: %s\n", out,
                strerror(errno));
        return 2;
    }
    static const char *const others[] = {"fuzz_decode", "fuzz_trace_parse"};
    char targets[2 * POLICY_COUNT + 2][64];
    int nt = 0;
    for (int p = 0; p < POLICY_COUNT; p++) {
        char t[48];
        fuzz_target_name((enum policy)p, t, sizeof t);
        snprintf(targets[nt++], sizeof targets[0], "%s", t);
        snprintf(targets[nt++], sizeof targets[0], "%s_bytes", t);
    }
    for (int k = 0; k < 2; k++)
        snprintf(targets[nt++], sizeof targets[0], "%s", others[k]);
    printf("%-30s %8s %8s\n", "target", "inputs", "kept");
    int rc = 0;
    for (int t = 0; t < nt && rc == 0; t++) {
        /* the byte-level targets share the structure-aware ones' seeds */
        char base[64];
        snprintf(base, sizeof base, "%s", targets[t]);
        char *sfx = strstr(base, "_bytes");
        char bin[PATH_MAX], dest[PATH_MAX], fresh[PATH_MAX], log[PATH_MAX];
        char paths[64][PATH_MAX];
        char *inputs[64];
        int n = 0;
        unsigned before = 0;
        snprintf(bin, sizeof bin, "%s/%s", fuzz_dir, targets[t]);
        if (access(bin, X_OK) != 0)
            continue;
        snprintf(dest, sizeof dest, "%s/%s", out, targets[t]);
        snprintf(fresh, sizeof fresh, "%s/%s.new", out, targets[t]);
        snprintf(log, sizeof log, "%s/%s.log", out, targets[t]);
        snprintf(paths[n++], PATH_MAX, "%s/seeds/%s", fuzz_dir, targets[t]);
        if (sfx) {
            *sfx = 0;
            snprintf(paths[n++], PATH_MAX, "%s/seeds/%s", fuzz_dir, base);
        }
        snprintf(paths[n++], PATH_MAX, "%s", dest);
        for (int i = optind; i < argc && n < 62; i++) {
            snprintf(paths[n], PATH_MAX, "%.2000s/%s", argv[i], targets[t]);
            if (is_dir(paths[n])) {
                n++;
                continue;
            }
            snprintf(paths[n], PATH_MAX, "%.2000s/corpus/%s", argv[i],
                     targets[t]);
            if (is_dir(paths[n]))
                n++;
        }
        int ni = 0;
        for (int i = 0; i < n; i++)
            if (is_dir(paths[i])) {
                inputs[ni++] = paths[i];
                before += count_files(paths[i]);
            }
        remove_tree(fresh);
        if (make_dirs(fresh) < 0 ||
            merge(bin, fresh, inputs, ni, log, collect) < 0) {
            fprintf(stderr, "ternrig corpus min: merging %s failed, see %s\n",
                    targets[t], log);
            rc = 2;
            break;
        }
        if (remove_tree(dest) < 0 || rename(fresh, dest) < 0) {
            fprintf(stderr, "ternrig corpus min: cannot replace %s: %s\n", dest,
                    strerror(errno));
            rc = 2;
            break;
        }
        unlink(log);
        printf("%-30s %8u %8u\n", targets[t], before, count_files(dest));
    }
    remove_tree(collect);
    if (rc == 0)
        printf("ternrig corpus min: minimized corpora in %s\n", out);
    return rc;
}

