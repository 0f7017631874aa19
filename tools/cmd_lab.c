/* cmd_lab.c - `ternrig lab`: every policy of the descriptor side by side:
 * what the fuzzers find in a fixed time, the corpus's outcomes, a stress
 * storm's findings and the real programs' matrix (lab.h draws the
 * tables).  The parts run the other commands' code in this process or in
 * a forked child of it (fuzz and clients, whose signal handling and
 * printing are their own), never through a shell. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sys/param.h> /* PATH_MAX (harness/events has a limits.h) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "child_run.h"
#include "commands.h"
#include "judge.h"
#include "json.h"
#include "lab.h"
#include "load.h"
#include "json_file.h"
#include "util.h"
#ifdef TERNRIG_HAVE_REAL
#include "stress.h"
#endif

/* Paths are built from an --out checked up front (at most 1024 bytes). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static const char lab_help[] =
    "usage: ternrig lab [--policy P] [--quick] [--fuzz-time T] [--seeds N]\n"
    "                   [--engines E,...] [--stress-time T] [--only PARTS]\n"
    "                   [--corpus DIR] [--clients DIR] [--out DIR]\n"
    "                   [--json | --markdown]\n"
    "       ternrig lab --from LAB.json [--json | --markdown | --html]\n"
    "\n"
    "Measure every flush policy of the descriptor side by side:\n"
    "  fuzz     the distinct violation mechanisms `ternrig fuzz` finds in a\n"
    "           fixed time per policy, for every engine built (libFuzzer,\n"
    "           AFL++), one job without sanitizers, median over seeds\n"
    "  corpus   the corpus traces in the model: traces with each finding,\n"
    "           and whether their expectations hold (`ternrig replay`)\n"
    "  stress   a storm on the embedded filesystem (`ternrig stress`):\n"
    "           its violations by kind\n"
    "  clients  real programs on the embedded filesystem (`ternrig\n"
    "           clients`): exact / empty / truncated / lost / error\n"
    "and print them as one table (terminal, --markdown, or --json).  Parts\n"
    "that cannot run here are said so, never shown as passing: stress and\n"
    "clients need root and /dev/fuse; an engine needs its fuzz build\n"
    "(cmake --preset fuzz-nosan, afl-nosan) and, for AFL++, afl-fuzz.\n"
    "Progress goes to stderr.  OUT/lab.json keeps the result; `ternrig\n"
    "report` shows OUT/lab.json (or any lab.json in its directory) as a\n"
    "section of report.html.\n"
    "\n"
    "  -p, --policy P       one policy (default: every policy)\n"
    "  -q, --quick          small times for a test: --fuzz-time 1s --seeds 1\n"
    "                       --stress-time 1s (options after it still count)\n"
    "  -t, --fuzz-time T    per engine, policy and seed: 30s, 2m (default "
    "20s)\n"
    "  -n, --seeds N        seeds 1..N per engine and policy; the table shows\n"
    "                       the median (default 3)\n"
    "  -e, --engines LIST   libfuzzer,afl (default: both)\n"
    "  -s, --stress-time T  the storm per policy (default 20s)\n"
    "      --only PARTS     fuzz,corpus,stress,clients (default: all)\n"
    "      --corpus DIR     the traces (default corpus/traces)\n"
    "      --clients DIR    the client scripts (default corpus/clients)\n"
    "  -o, --out DIR        where the runs' outputs and lab.json go (default\n"
    "                       ternrig-lab-out; made, or refused with exit 2,\n"
    "                       before anything runs)\n"
    "  -j, --json           print the result as JSON instead of the table\n"
    "  -M, --markdown       print the table as Markdown (README.md)\n"
    "      --html           with --from: the report's HTML section\n"
    "  -f, --from FILE      draw a saved lab.json; run nothing\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 done (whatever was found), 2 bad usage, a part that\n"
    "failed to run, or an unreadable --from, 130 interrupted.\n";

enum { PART_FUZZ = 1, PART_CORPUS = 2, PART_STRESS = 4, PART_CLIENTS = 8,
       PART_ALL = 15 };
#define LAB_ENGINES 2
#define LAB_MAX_SEEDS 32
static const char *const engines[LAB_ENGINES] = {"libfuzzer", "afl"};

struct lab_opts {
    unsigned policies, parts;
    bool engine[LAB_ENGINES];
    long fuzz_s;
    unsigned seeds;
    double stress_s;
    bool quick, json, markdown, html;
    const char *corpus, *clients, *out, *from;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
#ifdef TERNRIG_HAVE_REAL
    stress_request_stop(); /* a storm running stops early */
#endif
}

static bool can_mount(char *why, size_t cap)
{
    if (geteuid() != 0) {
        snprintf(why, cap, "needs root to mount FUSE");
        return false;
    }
    if (access("/dev/fuse", W_OK) != 0) {
        snprintf(why, cap, "needs a writable /dev/fuse");
        return false;
    }
    return true;
}

/* Run a command's entry point in a forked child, its stdout sent to our
 * stderr (progress, not the lab's result); its exit status, or -1. */
static int run_command(int (*cmd)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        int rc = cmd(argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static struct json *read_json(const char *path, char *why, size_t cap)
{
    return read_json_file(path, 64u << 20, why, cap);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- fuzz: `ternrig fuzz` per engine, policy and seed ---- */

static void part_fuzz(FILE *j, const struct lab_opts *o, bool ran[LAB_ENGINES],
                      enum policy pol, int *rc)
{
    fprintf(j, "\"fuzz\":{");
    bool first = true;
    for (int e = 0; e < LAB_ENGINES && !stop; e++) {
        if (!ran[e])
            continue;
        double found[LAB_MAX_SEEDS], safety[LAB_MAX_SEEDS];
        unsigned n = 0;
        fprintf(j, "%s\"%s\":{\"runs\":[", first ? "" : ",", engines[e]);
        first = false;
        for (unsigned s = 1; s <= o->seeds && !stop; s++) {
            char dir[PATH_MAX], t[32], seed[32], why[PATH_MAX + 64] = "";
            snprintf(dir, sizeof dir, "%s/fuzz/%s-%s-seed%u", o->out,
                     engines[e], policy_name(pol), s);
            snprintf(t, sizeof t, "%lds", o->fuzz_s);
            snprintf(seed, sizeof seed, "%u", s);
            fprintf(stderr, "ternrig lab: fuzz %s, %s, seed %u, %s\n",
                    engines[e], policy_name(pol), s, t);
            remove_tree(dir);
            char *argv[] = {"fuzz", "--policy", (char *)policy_name(pol),
                            "--engine", (char *)engines[e], "--time", t,
                            "--jobs", "1", "--no-sanitize", "--seed", seed,
                            "--out", dir, NULL};
            int r = run_command(cmd_fuzz, argv);
            unsigned mech = 0, safe = 0;
            if (r != 0 && r != 1) { /* 1: a finding under reference */
                snprintf(why, sizeof why, "ternrig fuzz: exit %d (%s/logs)",
                         r, dir);
            } else {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/fuzz.json", dir);
                struct json *fj = read_json(path, why, sizeof why);
                const struct json *fs = fj ? json_get(fj, "findings") : NULL;
                for (const struct json *f = fs ? fs->first : NULL; f;
                     f = f->next) {
                    const char *k = json_get_str(f, "kind", "");
                    if (strcmp(json_get_str(f, "policy", ""),
                               policy_name(pol)))
                        continue;
                    mech++;
                    safe += lab_kind_is_safety(
                        finding_kind_from_name(k, strlen(k)));
                }
                json_free(fj);
            }
            fprintf(j, "%s{\"seed\":%u,\"mechanisms\":%u,\"safety\":%u,"
                       "\"error\":",
                    s > 1 ? "," : "", s, mech, safe);
            json_string(j, why);
            fprintf(j, "}");
            if (why[0]) {
                fprintf(stderr, "ternrig lab: %s\n", why);
                *rc = 2;
            } else {
                found[n] = mech;
                safety[n++] = safe;
            }
        }
        fprintf(j, "]");
        if (n == o->seeds)
            fprintf(j, ",\"median\":%g,\"median_safety\":%g",
                    median(found, n), median(safety, n));
        fprintf(j, "}");
    }
    fprintf(j, "}");
}

/* ---- corpus: every trace in the model ---- */

static int part_corpus(FILE *j, const struct lab_opts *o, struct judge *jd,
                       struct program *p, const struct path_list *traces,
                       enum policy pol)
{
    unsigned hold = 0, errors = 0, kinds[FIND_KIND_COUNT] = {0}, safety = 0;
    for (size_t i = 0; i < traces->n; i++) {
        char err[512];
        if (load_program(traces->paths[i], p, jd->model, err, sizeof err) <
            0) {
            if (pol == (enum policy)__builtin_ctz(o->policies))
                fprintf(stderr, "%s\n", err);
            errors++;
            continue;
        }
        struct judgement jm;
        judge_run(jd, p, pol, &jm);
        if (jm.trace_error) {
            errors++;
            continue;
        }
        hold += jm.failed == 0;
        bool seen[FIND_KIND_COUNT] = {0};
        for (uint32_t k = 0; k < jm.verdict.nfindings; k++)
            seen[jm.verdict.findings[k].kind] = true;
        bool unsafe = false;
        for (int k = 0; k < FIND_KIND_COUNT; k++) {
            kinds[k] += seen[k];
            unsafe |= seen[k] && lab_kind_is_safety((enum finding_kind)k);
        }
        safety += unsafe;
    }
    fprintf(j, "\"corpus\":{\"traces\":%zu,\"hold\":%u,\"errors\":%u,"
               "\"safety\":%u,\"kinds\":{",
            traces->n, hold, errors, safety);
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        fprintf(j, "%s\"%s\":%u", k ? "," : "",
                finding_kind_name((enum finding_kind)k), kinds[k]);
    fprintf(j, "}}");
    return errors ? -1 : 0;
}

/* ---- stress: one storm per policy ---- */

#define LAB_STRESS_SEED 1

static void part_stress(FILE *j, const struct lab_opts *o, enum policy pol,
                        int *rc)
{
    fprintf(j, "\"stress\":{");
#ifdef TERNRIG_HAVE_REAL
    static struct stress_result r;
    memset(&r, 0, sizeof r);
    char out[PATH_MAX], why[300] = "";
    snprintf(out, sizeof out, "%s/stress/%s", o->out, policy_name(pol));
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct stress_options so = {
        .policy = pol, .duration_s = o->stress_s,
        .workers = (unsigned)(cores > 0 ? (cores * 4 > 64 ? 64 : cores * 4)
                                        : 4),
        .seed = LAB_STRESS_SEED, .kill_rate = 2, .steps = 32,
        .interleave = 2, .out_dir = out, .progress = stderr,
        .notices = stderr};
    fprintf(stderr, "ternrig lab: stress, %s, %gs\n", policy_name(pol),
            o->stress_s);
    if (stress_run(&so, &r, why, sizeof why) < 0) {
        /* a policy the embedded fs cannot run is n/a, not an error */
        fprintf(stderr, "ternrig lab: stress under %s: %s\n",
                policy_name(pol), why);
        fprintf(j, "\"ran\":false,\"why\":");
        json_string(j, why);
        fprintf(j, "}");
        return;
    }
    if (r.unwritten)
        *rc = 2;
    fprintf(j, "\"ran\":true,\"why\":\"\",\"scenarios\":%llu,"
               "\"violations\":%llu,\"elapsed_s\":%.1f,\"kinds\":{",
            (unsigned long long)r.c.scenarios,
            (unsigned long long)r.c.violations, r.elapsed_s);
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        fprintf(j, "%s\"%s\":%llu", k ? "," : "",
                finding_kind_name((enum finding_kind)k),
                (unsigned long long)r.by_kind[k]);
    fprintf(j, "}}");
#else
    (void)o;
    (void)pol;
    (void)rc;
    fprintf(j, "\"ran\":false,\"why\":\"built without libfuse3\"}");
#endif
}

/* ---- clients: `ternrig clients --json`, counted per policy ---- */

static struct json *run_clients(const struct lab_opts *o, char *why,
                                size_t cap)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/clients.json", o->out);
    remove(path);
    char *argv[8] = {"clients", "--dir", (char *)o->clients, "--json", path};
    int argc = 5;
    if (o->policies != POLICY_MASK_ALL) {
        argv[argc++] = "--policy";
        argv[argc++] = (char *)policy_name(
            (enum policy)__builtin_ctz(o->policies));
    }
    argv[argc] = NULL;
    fprintf(stderr, "ternrig lab: clients (%s)\n", o->clients);
    int r = run_command(cmd_clients, argv);
    if (r != 0 && r != 1) { /* 1: a cell differs from its prediction */
        snprintf(why, cap, "ternrig clients: exit %d", r);
        return NULL;
    }
    return read_json(path, why, cap);
}

static void part_clients(FILE *j, const struct json *cj, enum policy pol)
{
    const char *name = policy_name(pol);
    fprintf(j, "\"clients\":{");
    const struct json *ps = json_get(cj, "policies");
    for (const struct json *p = ps ? ps->first : NULL; p; p = p->next) {
        const struct json *ran = json_get(p, "ran");
        if (strcmp(json_get_str(p, "policy", ""), name) || !ran ||
            ran->type != JSON_BOOL || ran->boolean)
            continue;
        fprintf(j, "\"ran\":false,\"why\":");
        json_string(j, json_get_str(p, "na", ""));
        fprintf(j, "}");
        return;
    }
    unsigned counts[5] = {0}, skipped = 0;
    static const char *const names[5] = {"exact", "empty", "truncated",
                                         "lost", "error"};
    const struct json *cs = json_get(cj, "clients");
    for (const struct json *c = cs ? cs->first : NULL; c; c = c->next) {
        if (json_get_str(c, "skipped", "")[0]) {
            skipped++;
            continue;
        }
        if (json_get_str(c, "control_error", "")[0]) {
            counts[4]++;
            continue;
        }
        const struct json *cells = json_get(c, "cells");
        const struct json *cell = cells ? json_get(cells, name) : NULL;
        const char *v = cell ? json_get_str(cell, "cell", "") : "";
        for (int i = 0; i < 5; i++)
            counts[i] += !strcmp(v, names[i]);
    }
    fprintf(j, "\"ran\":true,\"why\":\"\"");
    for (int i = 0; i < 5; i++)
        fprintf(j, ",\"%s\":%u", names[i], counts[i]);
    fprintf(j, ",\"skipped\":%u}", skipped);
}

/* ---- the whole run ---- */

static void part_header(FILE *j, const char *name, bool ran, const char *why)
{
    fprintf(j, ",\"%s\":{\"ran\":%s,\"why\":", name, ran ? "true" : "false");
    json_string(j, why);
}

static int lab_run(const struct lab_opts *o, FILE *j)
{
    int rc = 0;
    bool want_fuzz = o->parts & PART_FUZZ, want_stress = o->parts & PART_STRESS,
         want_clients = o->parts & PART_CLIENTS,
         want_corpus = o->parts & PART_CORPUS;
    char mount_why[128] = "";
#ifdef TERNRIG_HAVE_REAL
    bool mount_ok = can_mount(mount_why, sizeof mount_why);
#else
    bool mount_ok = false;
    snprintf(mount_why, sizeof mount_why, "built without libfuse3");
    (void)can_mount;
#endif
    if ((want_stress || want_clients) && !mount_ok)
        fprintf(stderr, "ternrig lab: SKIPPING %s%s%s: %s\n",
                want_stress ? "stress" : "",
                want_stress && want_clients ? " and " : "",
                want_clients ? "clients" : "", mount_why);

    /* which engines can run */
    bool eran[LAB_ENGINES] = {0};
    char ewhy[LAB_ENGINES][256];
    for (int e = 0; e < LAB_ENGINES; e++) {
        char dir[PATH_MAX], why[64];
        ewhy[e][0] = 0;
        if (!o->engine[e])
            snprintf(ewhy[e], sizeof ewhy[e], "not asked for");
        else if (!fuzz_find_dir(engines[e], NULL, false, dir, sizeof dir))
            snprintf(ewhy[e], sizeof ewhy[e],
                     "no %s build without sanitizers (cmake --preset %s && "
                     "cmake --build --preset %s)",
                     engines[e], e ? "afl-nosan" : "fuzz-nosan",
                     e ? "afl-nosan" : "fuzz-nosan");
        else if (e == 1 && child_find_command("afl-fuzz", why, sizeof why) < 0)
            snprintf(ewhy[e], sizeof ewhy[e], "no afl-fuzz (apt-get install "
                                              "afl++)");
        else
            eran[e] = true;
        if (want_fuzz && o->engine[e] && !eran[e])
            fprintf(stderr, "ternrig lab: SKIPPING fuzz with %s: %s\n",
                    engines[e], ewhy[e]);
    }

    fprintf(j, "{\"tool\":\"ternrig lab\",\"version\":1,\"quick\":%s",
            o->quick ? "true" : "false");
    if (want_fuzz) {
        fprintf(j, ",\"fuzz\":{\"seconds\":%ld,\"seeds\":[", o->fuzz_s);
        for (unsigned s = 1; s <= o->seeds; s++)
            fprintf(j, "%s%u", s > 1 ? "," : "", s);
        fprintf(j, "],\"engines\":[");
        for (int e = 0; e < LAB_ENGINES; e++) {
            fprintf(j, "%s{\"engine\":\"%s\",\"ran\":%s,\"why\":", e ? "," : "",
                    engines[e], eran[e] ? "true" : "false");
            json_string(j, ewhy[e]);
            fprintf(j, "}");
        }
        fprintf(j, "]}");
    }
    struct path_list traces = {.cmd = "lab"};
    char cwhy[600] = "";
    bool corpus_ok = false;
    if (want_corpus) {
        corpus_ok = collect_traces(o->corpus, &traces, cwhy, sizeof cwhy) >= 0;
        if (!corpus_ok) {
            fprintf(stderr, "ternrig lab: corpus: %s\n", cwhy);
            rc = 2;
        }
        part_header(j, "corpus", corpus_ok, cwhy);
        fprintf(j, ",\"dir\":");
        json_string(j, o->corpus);
        fprintf(j, "}");
    }
    if (want_stress) {
        part_header(j, "stress", mount_ok, mount_ok ? "" : mount_why);
        fprintf(j, ",\"seconds\":%g,\"seed\":%d}", o->stress_s,
                LAB_STRESS_SEED);
    }
    struct json *cj = NULL;
    char clwhy[600] = "";
    if (want_clients && mount_ok && !stop) {
        cj = run_clients(o, clwhy, sizeof clwhy);
        if (!cj) {
            fprintf(stderr, "ternrig lab: clients: %s\n", clwhy);
            rc = 2;
        }
    }
    if (want_clients) {
        part_header(j, "clients", cj != NULL, mount_ok ? clwhy : mount_why);
        fprintf(j, "}");
    }

    struct judge jd;
    struct program *p = malloc(sizeof *p);
    if (!p || judge_init(&jd) < 0) {
        fprintf(stderr, "ternrig lab: out of memory\n");
        free(p);
        path_list_free(&traces);
        json_free(cj);
        return 2;
    }
    fprintf(j, ",\"policies\":[");
    bool firstp = true;
    for (int pol = 0; pol < POLICY_COUNT && !stop; pol++) {
        if (!(o->policies & (1u << pol)))
            continue;
        fprintf(j, "%s{\"policy\":\"%s\"", firstp ? "" : ",",
                policy_name((enum policy)pol));
        firstp = false;
        if (want_corpus && corpus_ok) {
            fprintf(j, ",");
            if (part_corpus(j, o, &jd, p, &traces, (enum policy)pol) < 0)
                rc = 2;
        }
        if (want_clients && cj) {
            fprintf(j, ",");
            part_clients(j, cj, (enum policy)pol);
        }
        if (want_fuzz) {
            fprintf(j, ",");
            part_fuzz(j, o, eran, (enum policy)pol, &rc);
        }
        if (want_stress && mount_ok && !stop) {
            fprintf(j, ",");
            part_stress(j, o, (enum policy)pol, &rc);
        }
        fprintf(j, "}");
    }
    fprintf(j, "]}\n");
    judge_destroy(&jd);
    free(p);
    path_list_free(&traces);
    json_free(cj);
    return rc;
}

/* ---- printing ---- */

static int show(const struct lab_opts *o, const struct json *lab,
                const char *text)
{
    char why[256];
    if (lab_check(lab, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig lab: %s: %s\n", o->from ? o->from : "result",
                why);
        return 2;
    }
    if (o->json)
        fputs(text, stdout);
    else if (o->markdown)
        lab_print_markdown(stdout, lab);
    else if (o->html)
        lab_print_html(stdout, lab);
    else
        lab_print_text(stdout, lab);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "ternrig lab: stdout: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}

static int parse_parts(const char *s, unsigned *out)
{
    static const char *const names[] = {"fuzz", "corpus", "stress",
                                        "clients"};
    *out = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned bit = 0;
        for (int i = 0; i < 4; i++)
            if (strlen(names[i]) == n && !strncmp(s, names[i], n))
                bit = 1u << i;
        if (!bit)
            return -1;
        *out |= bit;
        s += n;
        if (*s == ',')
            s++;
    }
    return *out ? 0 : -1;
}

int cmd_lab(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"quick", no_argument, 0, 'q'},
        {"fuzz-time", required_argument, 0, 't'},
        {"seeds", required_argument, 0, 'n'},
        {"engines", required_argument, 0, 'e'},
        {"stress-time", required_argument, 0, 's'},
        {"only", required_argument, 0, 'O'},
        {"corpus", required_argument, 0, 'C'},
        {"clients", required_argument, 0, 'L'},
        {"out", required_argument, 0, 'o'},
        {"json", no_argument, 0, 'j'},
        {"markdown", no_argument, 0, 'M'},
        {"html", no_argument, 0, 'H'},
        {"from", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct lab_opts o = {.policies = POLICY_MASK_ALL, .parts = PART_ALL,
                         .engine = {true, true}, .fuzz_s = 20, .seeds = 3,
                         .stress_s = 20, .corpus = "corpus/traces",
                         .clients = "corpus/clients",
                         .out = "ternrig-lab-out"};
    int c;
    long v;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:qt:n:e:s:o:jMf:h", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("lab", optarg, &pol))
                return 2;
            o.policies = 1u << pol;
            break;
        }
        case 'q':
            o.quick = true;
            o.fuzz_s = 1;
            o.seeds = 1;
            o.stress_s = 1;
            break;
        case 't':
            if ((o.fuzz_s = parse_seconds(optarg)) <= 0 ||
                o.fuzz_s > 24 * 3600)
                return usage_error("lab", "bad --fuzz-time '%s' (e.g. 20s, "
                                          "2m)", optarg);
            break;
        case 'n':
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > LAB_MAX_SEEDS)
                return usage_error("lab", "bad --seeds '%s' (1..%d)", optarg,
                                   LAB_MAX_SEEDS);
            o.seeds = (unsigned)v;
            break;
        case 'e': {
            o.engine[0] = o.engine[1] = false;
            for (const char *s = optarg; *s;) {
                size_t n = strcspn(s, ",");
                int found = -1;
                for (int e = 0; e < LAB_ENGINES; e++)
                    if (strlen(engines[e]) == n && !strncmp(s, engines[e], n))
                        found = e;
                if (found < 0)
                    return usage_error("lab", "unknown engine in '%s' "
                                              "(libfuzzer, afl)", optarg);
                o.engine[found] = true;
                s += n + (s[n] == ',');
            }
            if (!o.engine[0] && !o.engine[1])
                return usage_error("lab", "--engines: name one");
            break;
        }
        case 's':
            if ((v = parse_seconds(optarg)) <= 0 || v > 24 * 3600)
                return usage_error("lab", "bad --stress-time '%s' (e.g. 20s, "
                                          "2m)", optarg);
            o.stress_s = (double)v;
            break;
        case 'O':
            if (parse_parts(optarg, &o.parts) < 0)
                return usage_error("lab", "bad --only '%s' (fuzz, corpus, "
                                          "stress, clients, comma-separated)",
                                   optarg);
            break;
        case 'C': o.corpus = optarg; break;
        case 'L': o.clients = optarg; break;
        case 'o': o.out = optarg; break;
        case 'j': o.json = true; break;
        case 'M': o.markdown = true; break;
        case 'H': o.html = true; break;
        case 'f': o.from = optarg; break;
        case 'h': return policy_help(lab_help);
        default: return usage_error("lab", "bad option");
        }
    }
    if (optind != argc)
        return usage_error("lab", "unexpected argument '%s'", argv[optind]);
    if (o.json + o.markdown + o.html > 1)
        return usage_error("lab", "--json, --markdown and --html exclude "
                                  "each other");
    if (o.html && !o.from)
        return usage_error("lab", "--html draws a saved result: give --from");
    if (o.from) {
        char why[PATH_MAX + 64];
        size_t len;
        char *text = read_file(o.from, 64u << 20, &len, why, sizeof why);
        if (!text) {
            fprintf(stderr, "ternrig lab: %s\n", why);
            return 2;
        }
        struct json *lab = json_parse(text, len, why, sizeof why);
        if (!lab) {
            fprintf(stderr, "ternrig lab: %s:%s\n", o.from, why);
            free(text);
            return 2;
        }
        int rc = show(&o, lab, text);
        json_free(lab);
        free(text);
        return rc;
    }
    if (strlen(o.out) > 1024)
        return usage_error("lab", "--out: path too long (at most 1024 bytes)");
    char why[PATH_MAX + 64], path[PATH_MAX];
    if (prepare_output_dir(o.out, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig lab: --out %s\n", why);
        return 2;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char *text = NULL;
    size_t len = 0;
    FILE *j = open_memstream(&text, &len);
    if (!j) {
        fprintf(stderr, "ternrig lab: out of memory\n");
        return 2;
    }
    int rc = lab_run(&o, j);
    fclose(j);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (stop) {
        fprintf(stderr, "ternrig lab: interrupted\n");
        free(text);
        return 130;
    }
    snprintf(path, sizeof path, "%s/lab.json", o.out);
    FILE *f = fopen(path, "w");
    if (f)
        fputs(text, f);
    if (!f || close_output(f) < 0) {
        fprintf(stderr, "ternrig lab: %s: %s\n", path, strerror(errno));
        rc = 2;
    }
    struct json *lab = json_parse(text, len, why, sizeof why);
    if (!lab) { /* a bug of ours: say so, keep the text */
        fprintf(stderr, "ternrig lab: the result does not parse (%s): %s\n",
                why, path);
        free(text);
        return 2;
    }
    int src = show(&o, lab, text);
    json_free(lab);
    free(text);
    fprintf(stderr, "ternrig lab: %s\n", path);
    return rc ? rc : src;
}
