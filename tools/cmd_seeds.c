/* cmd_seeds.c - `ternrig seeds`: the fuzzers' seed corpora, from traces. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"
#include "judge.h"
#include "load.h"
#include "util.h"

static const char seeds_help[] =
    "usage: ternrig seeds --out DIR PATH...\n"
    "\n"
    "Write the seed corpus of every fuzz target from the traces in PATH\n"
    "(files or directories), one subdirectory per target:\n"
    "  DIR/fuzz_POLICY/       each trace encoded (expects dropped) when it has\n"
    "                         no violation under POLICY (a seed that already\n"
    "                         fails would stop the fuzzer), plus `spawn a`\n"
    "  DIR/fuzz_POLICY_bytes/ the same, for the byte-level targets\n"
    "  DIR/fuzz_decode/       every trace encoded\n"
    "  DIR/fuzz_trace_parse/  every trace as text\n"
    "\n"
    "  -o, --out DIR   output directory (created)\n"
    "  -h, --help      this help\n";

/* fuzz target name of a policy: fuzz_kmod_2024 */
void fuzz_target_name(enum policy p, char *buf, size_t cap)
{
    snprintf(buf, cap, "fuzz_%s", policy_name(p));
    for (char *c = buf; *c; c++)
        if (*c == '-')
            *c = '_';
}


static int write_blob(const char *dir, const char *name, const void *data,
                      size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "ternrig seeds: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static const char *base_name(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    snprintf(buf, cap, "%s", b ? b + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot)
        *dot = 0;
    return buf;
}

static bool has_violation(struct judge *j, const struct program *p,
                          enum policy pol)
{
    struct judgement out;
    if (judge_run(j, p, pol, &out) < 0)
        return true;
    for (uint32_t i = 0; i < out.verdict.nfindings; i++)
        if (!finding_is_hazard((enum finding_kind)out.verdict.findings[i].kind))
            return true;
    return false;
}

int cmd_seeds(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(seeds_help, stdout); return 0;
        default: return usage_error("seeds", "bad option");
        }
    }
    if (!out)
        return usage_error("seeds", "--out DIR is required");
    if (optind >= argc)
        return usage_error("seeds", "no trace given");

    struct judge j;
    struct program *p = malloc(sizeof *p);
    uint8_t *bin = malloc(1 << 16);
    if (!p || !bin || judge_init(&j) < 0) {
        fprintf(stderr, "ternrig seeds: out of memory\n");
        free(p);
        free(bin);
        return 2;
    }
    char dir[4096], name[256], err[512];
    /* every trace read before anything is written: a trace error partway
     * leaves no half-written DIR behind */
    struct path_list all = {.cmd = "seeds"};
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++)
        if (collect_traces(argv[i], &all, err, sizeof err) < 0) {
            fprintf(stderr, "ternrig seeds: %s\n", err);
            rc = 2;
        }
    for (size_t k = 0; k < all.n && rc == 0; k++)
        if (load_program(all.paths[k], p, j.model, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            rc = 2;
        }
    if (rc) {
        fprintf(stderr, "ternrig seeds: nothing written to %s\n", out);
        path_list_free(&all);
        judge_destroy(&j);
        free(p);
        free(bin);
        return rc;
    }
    struct stat ost;
    bool made = stat(out, &ost) != 0; /* ours to remove if a write fails */
    unsigned written = 0;
    const char *fixed[] = {"fuzz_decode", "fuzz_trace_parse"};
    for (int k = 0; k < 2 && rc == 0; k++) {
        snprintf(dir, sizeof dir, "%s/%s", out, fixed[k]);
        rc = make_dirs(dir);
    }
    for (int pol = 0; pol < POLICY_COUNT && rc == 0; pol++) {
        char t[64];
        fuzz_target_name((enum policy)pol, t, sizeof t);
        for (int bytes = 0; bytes < 2 && rc == 0; bytes++) {
            snprintf(dir, sizeof dir, "%s/%s%s", out, t, bytes ? "_bytes" : "");
            /* the smallest seed: one process */
            const uint8_t spawn_a[] = {OP_SPAWN, 0};
            rc = make_dirs(dir) < 0 ? -1
                                  : write_blob(dir, "spawn-a", spawn_a,
                                               sizeof spawn_a);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "ternrig seeds: cannot create %s: %s\n", dir,
                strerror(errno));
        rc = 2;
    }
    for (size_t k = 0; k < all.n && rc == 0; k++) {
        size_t len;
        char *text = read_file(all.paths[k], TRACE_FILE_LIMIT, &len, err,
                               sizeof err);
        if (!text || load_program(all.paths[k], p, j.model, err,
                                  sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            free(text);
            rc = 2;
            break;
        }
        base_name(all.paths[k], name, sizeof name);
        snprintf(dir, sizeof dir, "%s/fuzz_trace_parse", out);
        rc |= write_blob(dir, name, text, len);
        free(text);
        size_t n = trace_encode(p, bin, 1 << 16);
        snprintf(dir, sizeof dir, "%s/fuzz_decode", out);
        rc |= write_blob(dir, name, bin, n);
        for (uint32_t s = 0; s < p->nsteps;) /* seeds need no expects */
            if (p->steps[s].op == OP_EXPECT)
                program_remove_step(p, s);
            else
                s++;
        n = trace_encode(p, bin, 1 << 16);
        for (int pol = 0; pol < POLICY_COUNT; pol++) {
            if (has_violation(&j, p, (enum policy)pol))
                continue;
            char t[64];
            fuzz_target_name((enum policy)pol, t, sizeof t);
            for (int bytes = 0; bytes < 2; bytes++) {
                snprintf(dir, sizeof dir, "%s/%s%s", out, t,
                         bytes ? "_bytes" : "");
                rc |= write_blob(dir, name, bin, n);
            }
        }
        written++;
        if (rc)
            rc = 2;
    }
    path_list_free(&all);
    if (rc == 0) {
        printf("ternrig seeds: %u traces -> %s\n", written, out);
    } else if (made) {
        remove_tree(out);
        fprintf(stderr, "ternrig seeds: %s removed (it was incomplete)\n",
                out);
    }
    judge_destroy(&j);
    free(p);
    free(bin);
    return rc;
}
