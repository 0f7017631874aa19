/* cmd_report.c - `ternrig report`: a nightly run's pieces merged into
 * nightly.json, then rendered as report.html, summary.md and junit.xml.
 *
 * nightly.json:
 *   {"tool":"ternrig nightly","version":1,"started":"2024-05-01T02:00:00Z",
 *    "policy":"reference", "meta":{...DIR/meta.json...},
 *    "steps":[{"name","status":"pass|fail|skip|error","seconds","log",
 *              "note"}...],                      (DIR/steps.jsonl)
 *    "fuzz":[...each fuzz.json below DIR, plus "dir"...],
 *    "stress":[...each `ternrig stress` report below DIR, plus "dir" and
 *              "label" (embedded, or the mount)...],
 *    "findings":[{"source":"fuzz|stress","policy","kind","reproducer"
 *                 (relative to DIR),"first_s","shape","mechanism" (the
 *                 root cause, mechanism.h),"statements" (of the minimized
 *                 program),"status":"known|variant|new|unreadable",
 *                 "known_as" (the corpus trace, for known and variant),
 *                 "add","error"}...],
 *    "new_under_policy":N (distinct (kind, mechanism)s of the new
 *                 findings under the policy), "exit":0|1|2,
 *    "lab":{...a lab.json below DIR (`ternrig lab`), when there is one...}}
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "corpus.h"
#include "json.h"
#include "mechanism.h"
#include "lab.h"
#include "report.h"
#include "shape.h"
#include "json_file.h"
#include "util.h"

/* Paths are built in PATH_MAX buffers from arguments whose lengths are
 * checked up front, so gcc's worst-case truncation analysis does not
 * apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_HISTORY 30
#define JSON_FILE_LIMIT (64u << 20)

static const char report_help[] =
    "usage: ternrig report [--policy P] [--corpus DIR] [--history DIR] "
    "OUTDIR\n"
    "\n"
    "Merge what a nightly run left in OUTDIR into OUTDIR/nightly.json and\n"
    "render it as OUTDIR/report.html (one self-contained page: tables and\n"
    "inline SVG charts, no script, no network), OUTDIR/summary.md and\n"
    "OUTDIR/junit.xml.  ci/nightly.sh calls it; it reads\n"
    "  OUTDIR/meta.json     facts about the run (optional; \"started\" is\n"
    "                       the night's timestamp)\n"
    "  OUTDIR/steps.jsonl   one JSON object per step: name, status\n"
    "                       (pass, fail, skip, error), seconds, log, note\n"
    "  every fuzz.json      written by `ternrig fuzz` (execs/s, coverage\n"
    "                       over time, findings), and every JSON report of\n"
    "                       `ternrig stress`, found below OUTDIR\n"
    "Every finding's reproducer is normalized and its shape looked up in the\n"
    "corpus (see `ternrig corpus --help` for what a shape is), and named by\n"
    "its mechanism, the root cause `ternrig fuzz` dedups by: the findings\n"
    "not in the corpus are counted and listed one per (policy, kind,\n"
    "mechanism), with how many there were and the smallest reproducer.  A\n"
    "finding of a new shape whose mechanism a corpus trace shows under the\n"
    "same (policy, kind) is a variant of that trace: the same bug, counted\n"
    "as known and listed apart.\n"
    "\n"
    "  -p, --policy P    the policy under test (default reference)\n"
    "  -c, --corpus DIR  the corpus (default corpus/traces)\n"
    "  -H, --history DIR previous nights' nightly.json files (DIR/*.json or\n"
    "                    DIR/*/nightly.json) for the trend\n"
    "  -h, --help        this help\n"
    "\n"
    "Exit status: 0 every finding under the policy under test is known\n"
    "(its shape, or as a variant its mechanism, is in the corpus), 1 one is\n"
    "new, 2 a step reported an error (status\n"
    "\"error\": the night cannot be trusted), a JSON file below OUTDIR is\n"
    "broken, a step line is not as above (an unknown status, seconds not a\n"
    "number), the corpus is missing, empty or has a bad trace, or bad\n"
    "usage.  Each of these is an error step in the report too.\n";

static struct json *load_json(const char *path, char *err, size_t errcap)
{
    return read_json_file(path, JSON_FILE_LIMIT, err, errcap);
}

struct merge {
    const char *dir;       /* OUTDIR as given */
    char absdir[PATH_MAX]; /* and resolved, to relativize absolute paths */
    struct json *night;
    struct json *steps, *fuzz, *stress, *findings;
    struct json *lab; /* a `ternrig lab` result, or NULL */
    bool oom;
};

static void put(struct merge *m, struct json *obj, const char *key,
                struct json *v)
{
    if (json_append(obj, key, v) < 0)
        m->oom = true;
}

static void problem(struct merge *m, const char *what, const char *why)
{
    fprintf(stderr, "ternrig report: %s\n", why); /* why says where */
    struct json *st = json_new(JSON_OBJECT);
    if (!st) {
        m->oom = true;
        return;
    }
    char name[512];
    snprintf(name, sizeof name, "report: %s", what);
    put(m, st, "name", json_new_string(name));
    put(m, st, "status", json_new_string("error"));
    put(m, st, "seconds", json_new_number(0));
    put(m, st, "note", json_new_string(why));
    put(m, m->steps, NULL, st);
}

/* A step line as the help describes it, or why not: a name, a status of
 * the four, seconds a number >= 0, log and note strings.  A value nobody
 * knows would be rendered as if it meant something. */
static bool step_invalid(const struct json *st, char *why, size_t cap)
{
    static const char *const statuses[] = {"pass", "fail", "skip", "error"};
    const struct json *name = json_get(st, "name");
    const struct json *status = json_get(st, "status");
    const struct json *secs = json_get(st, "seconds");
    if (!name || name->type != JSON_STRING) {
        snprintf(why, cap, "a step needs a \"name\" string");
        return true;
    }
    bool known = false;
    for (size_t i = 0; status && status->type == JSON_STRING && i < 4; i++)
        known |= !strcmp(status->string, statuses[i]);
    if (!known) {
        snprintf(why, cap, "step '%.64s': \"status\" must be pass, fail, "
                           "skip or error",
                 name->string);
        return true;
    }
    if (secs && (secs->type != JSON_NUMBER || !(secs->number >= 0))) {
        snprintf(why, cap, "step '%.64s': \"seconds\" must be a number >= 0",
                 name->string);
        return true;
    }
    for (const char *const *k = (const char *const[]){"log", "note", NULL};
         *k; k++) {
        const struct json *v = json_get(st, *k);
        if (v && v->type != JSON_STRING) {
            snprintf(why, cap, "step '%.64s': \"%s\" must be a string",
                     name->string, *k);
            return true;
        }
    }
    return false;
}

static void load_steps(struct merge *m)
{
    char path[PATH_MAX], err[512];
    snprintf(path, sizeof path, "%s/steps.jsonl", m->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n <= 1)
            continue;
        struct json *st = json_parse(line, (size_t)n, err, sizeof err);
        if (!st || st->type != JSON_OBJECT) {
            char why[PATH_MAX + 600];
            snprintf(why, sizeof why, "%s:%u: %s", path, lineno,
                     st ? "not a JSON object" : err);
            problem(m, "steps.jsonl", why);
            json_free(st);
            continue;
        }
        char bad[256];
        if (step_invalid(st, bad, sizeof bad)) {
            char why[PATH_MAX + 600];
            snprintf(why, sizeof why, "%s:%u: %s", path, lineno, bad);
            problem(m, "steps.jsonl", why);
            json_free(st);
            continue;
        }
        put(m, m->steps, NULL, st);
    }
    free(line);
    fclose(f);
}

/* OUTDIR-relative path of `rel` inside subdirectory `sub` ("" for OUTDIR). */
static void join(char *out, size_t cap, const char *sub, const char *rel)
{
    if (rel[0] == '/' || !sub[0])
        snprintf(out, cap, "%s", rel);
    else
        snprintf(out, cap, "%s/%s", sub, rel);
}

struct classify {
    struct judge j;
    struct program *p, *scratch;
    struct corpus_index ix;
};

static void add_finding(struct merge *m, struct classify *c, const char *source,
                        const char *sub, const char *policy, const char *kind,
                        const char *repro, double first_s)
{
    struct json *fd = json_new(JSON_OBJECT);
    if (!fd) {
        m->oom = true;
        return;
    }
    char rel[PATH_MAX], full[PATH_MAX * 2], err[768];
    join(rel, sizeof rel, sub, repro ? repro : "?");
    size_t n = strlen(m->absdir);
    if (n && !strncmp(rel, m->absdir, n) && rel[n] == '/') /* inside DIR */
        memmove(rel, rel + n + 1, strlen(rel + n + 1) + 1);
    if (rel[0] == '/')
        snprintf(full, sizeof full, "%s", rel);
    else
        snprintf(full, sizeof full, "%s/%s", m->dir, rel);
    put(m, fd, "source", json_new_string(source));
    put(m, fd, "policy", json_new_string(policy ? policy : "?"));
    put(m, fd, "kind", json_new_string(kind ? kind : "?"));
    put(m, fd, "reproducer", json_new_string(rel));
    if (first_s >= 0)
        put(m, fd, "first_s", json_new_number(first_s));
    enum policy pol;
    enum finding_kind k =
        kind ? finding_kind_from_name(kind, strlen(kind)) : FIND_KIND_COUNT;
    char *shape = NULL;
    if (!policy || !policy_from_name(policy, strlen(policy), &pol) ||
        k == FIND_KIND_COUNT) {
        snprintf(err, sizeof err, "unknown policy or kind");
    } else if (!repro) {
        snprintf(err, sizeof err, "no reproducer");
    } else if (finding_load(&c->j, full, c->p, c->scratch, false, &pol, &k,
                            &shape, err, sizeof err) == 0) {
        err[0] = 0;
    }
    if (shape) {
        char hash[32];
        snprintf(hash, sizeof hash, "%012llx",
                 (unsigned long long)(shape_hash(shape) & 0xffffffffffffull));
        put(m, fd, "shape", json_new_string(hash));
        /* the root cause, as `ternrig fuzz` names it (mechanism.h): the
         * report counts and lists what is not in the corpus by it */
        char mech[192];
        bool named = program_mechanism(&c->j, c->p, pol, k, mech, sizeof mech);
        if (named)
            put(m, fd, "mechanism", json_new_string(mech));
        put(m, fd, "statements", json_new_number(c->p->nsteps));
        const struct corpus_entry *e =
            corpus_index_find(&c->ix, shape, (int)pol, (int)k);
        /* another shape of a root cause a corpus trace shows under the
         * same (policy, kind): the same bug (mechanism.h), a variant */
        const struct corpus_entry *v =
            !e && named ? corpus_index_find_mechanism(&c->ix, mech, (int)pol,
                                                      (int)k)
                        : NULL;
        put(m, fd, "status", json_new_string(e ? "known" : v ? "variant" : "new"));
        if (e || v)
            put(m, fd, "known_as", json_new_string((e ? e : v)->path));
        char add[PATH_MAX * 2 + 128];
        snprintf(add, sizeof add,
                 "build/ternrig corpus add --policy %s --kind %s %s", policy,
                 kind, full);
        put(m, fd, "add", json_new_string(add));
    } else {
        put(m, fd, "shape", json_new_string(rel)); /* distinct per file */
        put(m, fd, "status", json_new_string("unreadable"));
        put(m, fd, "error", json_new_string(err));
    }
    free(shape);
    put(m, m->findings, NULL, fd);
}

static void take_fuzz(struct merge *m, struct classify *c, struct json *run,
                      const char *sub)
{
    put(m, run, "dir", json_new_string(sub));
    const struct json *fds = json_get(run, "findings");
    for (const struct json *fd = fds ? fds->first : NULL; fd; fd = fd->next)
        add_finding(m, c, "fuzz", sub, json_get_str(fd, "policy", NULL),
                    json_get_str(fd, "kind", NULL),
                    json_get_str(fd, "reproducer", NULL),
                    json_get_num(fd, "first_s", -1));
    put(m, m->fuzz, NULL, run);
}

static void take_stress(struct merge *m, struct classify *c, struct json *run,
                        const char *sub)
{
    const char *mount = json_get_str(run, "mount", "embedded");
    put(m, run, "dir", json_new_string(sub));
    put(m, run, "label", json_new_string(mount));
    const char *policy = json_get_str(run, "policy", NULL);
    const struct json *fds = json_get(run, "findings");
    for (const struct json *fd = fds ? fds->first : NULL; fd; fd = fd->next)
        add_finding(m, c, "stress", sub, policy, json_get_str(fd, "kind", NULL),
                    json_get_str(fd, "reproducer", NULL),
                    json_get_num(fd, "t", -1));
    put(m, m->stress, NULL, run);
}

/* Every *.json below OUTDIR, in path order, at any depth, through the
 * walker every command shares (FIFOs skipped, symlink loops ended, each
 * file once, what is left out said). */
static void walk(struct merge *m, struct classify *c)
{
    static const char *const json_names[] = {".json", NULL};
    struct path_list l = {.cmd = "report"};
    char err[768];
    if (collect_files(m->dir, json_names, &l, err, sizeof err) < 0) {
        problem(m, "walk", err);
        path_list_free(&l);
        return;
    }
    size_t dl = strlen(m->dir);
    for (size_t i = 0; i < l.n; i++) {
        const char *rel = l.paths[i] + dl + 1; /* OUTDIR/rel */
        if (!strcmp(rel, "nightly.json") || !strcmp(rel, "meta.json"))
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s", rel);
        char *slash = strrchr(sub, '/');
        if (slash)
            *slash = 0;
        else
            sub[0] = 0;
        struct json *v = load_json(l.paths[i], err, sizeof err);
        const char *tool = json_get_str(v, "tool", "");
        if (!v) {
            problem(m, rel, err);
        } else if (!strcmp(tool, "ternrig fuzz")) {
            take_fuzz(m, c, v, sub);
            v = NULL;
        } else if (!strcmp(tool, "ternrig stress")) {
            take_stress(m, c, v, sub);
            v = NULL;
        } else if (!strcmp(tool, "ternrig lab")) {
            char why[256];
            if (lab_check(v, why, sizeof why) < 0)
                problem(m, rel, why);
            else if (m->lab)
                problem(m, rel, "a second lab.json: the first one is shown");
            else {
                m->lab = v;
                v = NULL;
            }
        }
        json_free(v);
    }
    path_list_free(&l);
}

static int cmp_night(const void *a, const void *b)
{
    const struct json *x = *(const struct json *const *)a;
    const struct json *y = *(const struct json *const *)b;
    return strcmp(json_get_str(x, "started", ""),
                  json_get_str(y, "started", ""));
}

/* Previous nights, oldest first, at most MAX_HISTORY, not tonight's. */
static size_t load_history(const char *hdir, const char *tonight,
                           struct json **out)
{
    DIR *d = opendir(hdir);
    if (!d) {
        fprintf(stderr, "ternrig report: history %s: %s (no trend)\n", hdir,
                strerror(errno));
        return 0;
    }
    struct json *all[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512) {
        if (de->d_name[0] == '.')
            continue;
        char path[PATH_MAX * 2], err[768];
        size_t len = strlen(de->d_name);
        snprintf(path, sizeof path, "%s/%s", hdir, de->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            snprintf(path, sizeof path, "%s/%s/nightly.json", hdir, de->d_name);
        else if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
            continue;
        if (access(path, R_OK) != 0)
            continue;
        struct json *v = load_json(path, err, sizeof err);
        if (!v) {
            fprintf(stderr, "ternrig report: history: %s (skipped)\n", err);
            continue;
        }
        if (strcmp(json_get_str(v, "tool", ""), "ternrig nightly") ||
            !strcmp(json_get_str(v, "started", ""), tonight)) {
            json_free(v);
            continue;
        }
        all[n++] = v;
    }
    closedir(d);
    qsort(all, n, sizeof all[0], cmp_night);
    size_t skip = n > MAX_HISTORY ? n - MAX_HISTORY : 0;
    for (size_t i = 0; i < skip; i++)
        json_free(all[i]);
    for (size_t i = skip; i < n; i++)
        out[i - skip] = all[i];
    return n - skip;
}

typedef void (*renderer)(FILE *, const struct json *,
                         const struct json *const *, size_t);

/* Write OUTDIR/name through a temporary file. */
static int write_out(const char *dir, const char *name,
                     const struct json *night, renderer render,
                     const struct json *const *hist, size_t nh)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "ternrig report: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    render(f, night, hist, nh);
    if (close_output(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "ternrig report: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void render_json(FILE *f, const struct json *night,
                        const struct json *const *h, size_t n)
{
    (void)h;
    (void)n;
    json_write(f, night);
    fputc('\n', f);
}

static void render_junit(FILE *f, const struct json *night,
                         const struct json *const *h, size_t n)
{
    (void)h;
    (void)n;
    report_junit(f, night);
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"corpus", required_argument, 0, 'c'},
        {"history", required_argument, 0, 'H'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *policy = policy_name(POLICY_REFERENCE); /* the default */
    const char *corpus = "corpus/traces", *history = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:c:H:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("report", optarg, &pol))
                return 2;
            policy = optarg;
            break;
        }
        case 'c': corpus = optarg; break;
        case 'H': history = optarg; break;
        case 'h': return policy_help(report_help);
        default: return usage_error("report", "bad option");
        }
    }
    if (optind + 1 != argc)
        return usage_error("report", "give one output directory");
    const char *dir = argv[optind];
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return usage_error("report", "%s: not a directory", dir);
    if (strlen(dir) > 1024)
        return usage_error("report", "path too long");
    /* the four outputs checked before the night is read: none written
     * when one of them cannot be */
    static const char *const outputs[] = {"nightly.json", "report.html",
                                          "summary.md", "junit.xml"};
    for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
        char path[PATH_MAX], why[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[i]);
        if (prepare_output_file(path, why, sizeof why) < 0) {
            fprintf(stderr, "ternrig report: %s\n", why);
            return 2;
        }
    }

    struct classify cl = {0};
    cl.p = malloc(sizeof *cl.p);
    cl.scratch = malloc(sizeof *cl.scratch);
    if (!cl.p || !cl.scratch || judge_init(&cl.j) < 0) {
        fprintf(stderr, "ternrig report: out of memory\n");
        free(cl.p);
        free(cl.scratch);
        return 2;
    }
    char err[768];
    struct merge m = {dir,
                      "",
                      json_new(JSON_OBJECT),
                      json_new(JSON_ARRAY),
                      json_new(JSON_ARRAY),
                      json_new(JSON_ARRAY),
                      json_new(JSON_ARRAY),
                      NULL,
                      false};
    if (!m.night || !m.steps || !m.fuzz || !m.stress || !m.findings)
        m.oom = true;
    if (!realpath(dir, m.absdir))
        m.absdir[0] = 0;
    /* without the corpus no finding can be known: a setup error, never a
     * night of "new" findings */
    struct stat cst;
    if (m.oom) {
        /* said below */
    } else if (stat(corpus, &cst) < 0 || !S_ISDIR(cst.st_mode)) {
        char why[1024];
        snprintf(why, sizeof why, "--corpus %s: %s (run from the repository, "
                                  "or give --corpus DIR)",
                 corpus, stat(corpus, &cst) < 0 ? strerror(errno)
                                                : "not a directory");
        problem(&m, "corpus", why);
    } else if (corpus_index_load(&cl.ix, corpus, &cl.j, err, sizeof err) < 0) {
        char why[1024];
        snprintf(why, sizeof why, "the corpus has a bad trace: %s", err);
        problem(&m, "corpus", why);
    } else if (cl.ix.n == 0) {
        char why[1024];
        snprintf(why, sizeof why, "--corpus %s: no .trace or .trb files in "
                                  "it",
                 corpus);
        problem(&m, "corpus", why);
    }
    char mpath[PATH_MAX];
    snprintf(mpath, sizeof mpath, "%s/meta.json", dir);
    struct json *meta = NULL;
    if (!m.oom && access(mpath, F_OK) == 0 &&
        !(meta = load_json(mpath, err, sizeof err)))
        problem(&m, "meta.json", err);
    char started[64];
    time_t now = time(NULL);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (json_get_str(meta, "started", NULL))
        snprintf(started, sizeof started, "%s",
                 json_get_str(meta, "started", NULL));
    if (!m.oom) {
        load_steps(&m);
        walk(&m, &cl);
    }
    /* distinct new mechanisms under the policy under test (as the report
     * lists them); errors from the steps */
    unsigned fresh = report_new_count(m.findings, policy);
    bool setup_error = false;
    for (const struct json *s = m.steps ? m.steps->first : NULL; s; s = s->next)
        setup_error |= !strcmp(json_get_str(s, "status", ""), "error");
    int exit_status = setup_error ? 2 : fresh ? 1 : 0;
    if (!m.oom) {
        put(&m, m.night, "tool", json_new_string("ternrig nightly"));
        put(&m, m.night, "version", json_new_number(1));
        put(&m, m.night, "started", json_new_string(started));
        put(&m, m.night, "policy", json_new_string(policy));
        put(&m, m.night, "meta", meta ? meta : json_new(JSON_OBJECT));
        meta = NULL;
        put(&m, m.night, "steps", m.steps);
        put(&m, m.night, "fuzz", m.fuzz);
        put(&m, m.night, "stress", m.stress);
        put(&m, m.night, "findings", m.findings);
        m.steps = m.fuzz = m.stress = m.findings = NULL;
        if (m.lab)
            put(&m, m.night, "lab", m.lab);
        m.lab = NULL;
        put(&m, m.night, "new_under_policy", json_new_number(fresh));
        put(&m, m.night, "exit", json_new_number(exit_status));
    }
    struct json *hist[MAX_HISTORY];
    size_t nh = history && !m.oom ? load_history(history, started, hist) : 0;
    int wrc = 0;
    if (m.oom) {
        fprintf(stderr, "ternrig report: out of memory\n");
        wrc = -1;
    } else {
        const struct json *const *h = (const struct json *const *)hist;
        wrc |= write_out(dir, "nightly.json", m.night, render_json, h, nh);
        wrc |= write_out(dir, "report.html", m.night, report_html, h, nh);
        wrc |= write_out(dir, "summary.md", m.night, report_markdown, h, nh);
        wrc |= write_out(dir, "junit.xml", m.night, render_junit, h, nh);
    }
    if (wrc == 0 && setup_error)
        printf("ternrig report: %s/report.html, summary.md, nightly.json, "
               "junit.xml: the night cannot be trusted (an error, see "
               "above and in the report)\n",
               dir);
    else if (wrc == 0)
        printf("ternrig report: %s/report.html, summary.md, nightly.json, "
               "junit.xml: %u finding%s under %s not in the corpus (one "
               "per mechanism)\n",
               dir, fresh, fresh == 1 ? "" : "s", policy);
    for (size_t i = 0; i < nh; i++)
        json_free(hist[i]);
    json_free(meta);
    json_free(m.night);
    json_free(m.steps);
    json_free(m.fuzz);
    json_free(m.stress);
    json_free(m.findings);
    json_free(m.lab);
    corpus_index_free(&cl.ix);
    judge_destroy(&cl.j);
    free(cl.p);
    free(cl.scratch);
    return wrc ? 2 : exit_status;
}
