/* findings.c - collected inputs -> minimized, deduplicated reproducers. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "findings.h"
#include "mechanism.h"
#include "minimize.h"
#include "shape.h"
#include "util.h"

static int cmp_shape(const void *a, const void *b)
{
    const struct shape *x = a, *y = b;
    if (x->policy != y->policy)
        return (int)x->policy - (int)y->policy;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    if (x->inputs != y->inputs)
        return x->inputs > y->inputs ? -1 : 1; /* the commonest first */
    return x->first_seconds < y->first_seconds ? -1
                                                : x->first_seconds >
                                                      y->first_seconds;
}

/* "POLICY.KIND.HASH.trb" ("kmod.lost-file.0123abcd.trb") -> policy, kind */
static bool parse_name(const char *name, enum policy *pol,
                       enum finding_kind *kind)
{
    const char *dot1 = strchr(name, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    size_t n = strlen(name);
    if (!dot2 || n < 4 || strcmp(name + n - 4, ".trb") != 0)
        return false;
    if (!policy_from_name(name, (size_t)(dot1 - name), pol))
        return false;
    *kind = finding_kind_from_name(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    return *kind != FIND_KIND_COUNT && !finding_is_hazard(*kind);
}

static int write_reproducer(struct shape *sh, const struct program *p,
                            struct judge *j, const char *dir,
                            const char *engine, const char *input)
{
    uint16_t file = 0;
    struct judgement out;
    judge_run(j, p, sh->policy, &out);
    char why[256] = "";
    for (uint32_t i = 0; i < out.verdict.nfindings; i++)
        if (out.verdict.findings[i].kind == sh->kind) {
            file = out.verdict.findings[i].file;
            finding_explain(&out.verdict.findings[i], p->file_names[file],
                            why, sizeof why);
            break;
        }
    FILE *f = fopen(sh->path, "w");
    if (!f) {
        fprintf(stderr, "ternrig fuzz: %s: %s\n", sh->path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "# ternrig fuzz finding: %s under the %s policy.\n"
            "# %s.\n"
            "# Mechanism: %s.\n"
            "# Found by %s after %.0f s (input %s), minimized at the trace\n"
            "# level.  Replay: ternrig replay --policy %s -v %s\n",
            finding_kind_name(sh->kind), policy_name(sh->policy), why,
            sh->mechanism, engine, sh->first_seconds, input,
            policy_name(sh->policy), sh->path);
    (void)dir;
    fputs(sh->text, f);
    fprintf(f, "expect[%s] violation %s %s\n", policy_name(sh->policy),
            finding_kind_name(sh->kind), p->file_names[file]);
    return fclose(f) == 0 ? 0 : -1;
}

/* Count a minimized program among those of its mechanism. */
static void note_program(struct shape *sh, const char *text)
{
    uint64_t h = shape_hash(text);
    for (unsigned i = 0; i < sh->programs && i < MAX_SHAPE_TEXTS; i++)
        if (sh->text_hash[i] == h)
            return;
    if (sh->programs < MAX_SHAPE_TEXTS)
        sh->text_hash[sh->programs] = h;
    sh->programs++;
}

int findings_process(const char *collect_dir, const char *findings_dir,
                     time_t start, const char *engine,
                     struct finding_set *out)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(collect_dir);
    if (!d)
        return 0; /* nothing collected */
    if (mkdir(findings_dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "ternrig fuzz: %s: %s\n", findings_dir,
                strerror(errno));
        closedir(d);
        return -1;
    }
    struct judge j;
    struct program *p = malloc(sizeof *p), *scratch = malloc(sizeof *p);
    size_t textcap = 1 << 20;
    char *text = malloc(textcap);
    if (!p || !scratch || !text || judge_init(&j) < 0) {
        free(p);
        free(scratch);
        free(text);
        closedir(d);
        fprintf(stderr, "ternrig fuzz: out of memory\n");
        return -1;
    }
    struct dirent *de;
    unsigned counter[POLICY_COUNT][FIND_KIND_COUNT] = {{0}};
    while ((de = readdir(d))) {
        enum policy pol;
        enum finding_kind kind;
        if (!parse_name(de->d_name, &pol, &kind))
            continue;
        out->inputs++;
        char path[4096], err[256];
        snprintf(path, sizeof path, "%s/%s", collect_dir, de->d_name);
        size_t len;
        char *data = read_file(path, 1 << 20, &len, err, sizeof err);
        struct stat st;
        if (!data || stat(path, &st) < 0) {
            free(data);
            out->unusable++;
            continue;
        }
        trace_decode((const uint8_t *)data, len, p);
        free(data);
        model_sanitize(j.model, p);
        if (!program_finds(&j, p, pol, kind, NULL)) {
            out->unusable++; /* a different build or TERNRIG_FUZZ_KIND */
            continue;
        }
        minimize_program(&j, p, scratch, pol, kind);
        canonicalize_names(p);
        trace_print(p, text, textcap);
        char mech[sizeof out->shapes[0].mechanism];
        if (!program_mechanism(&j, p, pol, kind, mech, sizeof mech)) {
            out->unusable++;
            continue;
        }
        double when = difftime(st.st_mtime, start);
        struct shape *sh = NULL;
        for (unsigned i = 0; i < out->nshapes && !sh; i++)
            if (out->shapes[i].policy == pol && out->shapes[i].kind == kind &&
                strcmp(out->shapes[i].mechanism, mech) == 0)
                sh = &out->shapes[i];
        bool write = false;
        if (!sh) {
            if (out->nshapes == MAX_SHAPES) {
                out->truncated = true;
                continue;
            }
            sh = &out->shapes[out->nshapes++];
            memset(sh, 0, sizeof *sh);
            sh->policy = pol;
            sh->kind = kind;
            snprintf(sh->mechanism, sizeof sh->mechanism, "%s", mech);
            sh->first_seconds = when;
            snprintf(sh->path, sizeof sh->path, "%s/%s-%s-%u.trace",
                     findings_dir, policy_name(pol), finding_kind_name(kind),
                     ++counter[pol][kind]);
            write = true;
        } else {
            if (when < sh->first_seconds)
                sh->first_seconds = when;
            write = strlen(text) < strlen(sh->text); /* a smaller program */
        }
        note_program(sh, text);
        if (write) {
            char *copy = strdup(text);
            if (!copy) {
                out->unusable++;
                continue;
            }
            free(sh->text);
            sh->text = copy;
            if (write_reproducer(sh, p, &j, findings_dir, engine,
                                 de->d_name) < 0) {
                out->unusable++;
                continue;
            }
        }
        sh->inputs++;
    }
    closedir(d);
    qsort(out->shapes, out->nshapes, sizeof out->shapes[0], cmp_shape);
    judge_destroy(&j);
    free(p);
    free(scratch);
    free(text);
    return 0;
}

void findings_free(struct finding_set *s)
{
    for (unsigned i = 0; i < s->nshapes; i++)
        free(s->shapes[i].text);
    s->nshapes = 0;
}

void findings_print(FILE *f, const struct finding_set *s)
{
    unsigned programs = 0;
    for (unsigned i = 0; i < s->nshapes; i++)
        programs += s->shapes[i].programs;
    fprintf(f,
            "\nFindings: %u collected input(s), %u distinct mechanism(s) "
            "(%u distinct program(s))%s\n\n",
            s->inputs, s->nshapes, programs,
            s->truncated ? " (more left out)" : "");
    if (s->nshapes == 0)
        return;
    fprintf(f, "%-18s %-20s %7s %8s %6s  %s\n", "policy", "kind", "inputs",
            "programs", "first", "mechanism -> reproducer (the smallest)");
    for (unsigned i = 0; i < s->nshapes; i++) {
        const struct shape *sh = &s->shapes[i];
        char when[32];
        snprintf(when, sizeof when, "%.0fs",
                 sh->first_seconds < 0 ? 0 : sh->first_seconds);
        fprintf(f, "%-18s %-20s %7u %8u %6s  %s\n%58s-> %s\n",
                policy_name(sh->policy), finding_kind_name(sh->kind),
                sh->inputs, sh->programs, when, sh->mechanism, "", sh->path);
    }
}
