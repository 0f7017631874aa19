/* lab.c - the policy lab's tables, drawn from its JSON (lab.h). */
#define _GNU_SOURCE /* open_memstream */
#include "lab.h"

#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "report.h"

bool lab_kind_is_safety(enum finding_kind k)
{
    return k == FIND_EARLY_SEAL || k == FIND_VISIBLE_AFTER_ABORT ||
           k == FIND_MUTATED_AFTER_SEAL;
}

int lab_check(const struct json *lab, char *why, size_t cap)
{
    const struct json *pols = lab ? json_get(lab, "policies") : NULL;
    if (!lab || lab->type != JSON_OBJECT ||
        strcmp(json_get_str(lab, "tool", ""), "ternrig lab")) {
        snprintf(why, cap, "not a ternrig lab result (no \"tool\":\"ternrig "
                           "lab\")");
        return -1;
    }
    if (json_get_num(lab, "version", 0) != 1) {
        snprintf(why, cap, "lab result version %g, this ternrig reads 1",
                 json_get_num(lab, "version", 0));
        return -1;
    }
    if (!pols || pols->type != JSON_ARRAY) {
        snprintf(why, cap, "a lab result without \"policies\"");
        return -1;
    }
    return 0;
}

#define LAB_ENGINES 2
static const char *const engine_names[LAB_ENGINES] = {"libfuzzer", "afl"};

enum { COL_POLICY, COL_FUZZ0, COL_FUZZ1, COL_CORPUS, COL_STRESS, COL_CLIENTS,
       NCOLS };

static const char *const col_titles[NCOLS] = {
    "policy",
    "fuzz, libFuzzer",
    "fuzz, AFL++",
    "corpus",
    "stress",
    "clients",
};

static const struct json *part(const struct json *lab, const char *name)
{
    const struct json *p = json_get(lab, name);
    return p && p->type == JSON_OBJECT ? p : NULL;
}

static bool part_ran(const struct json *lab, const char *name)
{
    const struct json *p = part(lab, name);
    const struct json *ran = p ? json_get(p, "ran") : NULL;
    return ran && ran->type == JSON_BOOL && ran->boolean;
}

static bool engine_ran(const struct json *lab, int e)
{
    const struct json *f = part(lab, "fuzz");
    const struct json *es = f ? json_get(f, "engines") : NULL;
    if (!es || es->type != JSON_ARRAY)
        return false;
    for (const struct json *x = es->first; x; x = x->next)
        if (!strcmp(json_get_str(x, "engine", ""), engine_names[e])) {
            const struct json *ran = json_get(x, "ran");
            return ran && ran->type == JSON_BOOL && ran->boolean;
        }
    return false;
}

/* kinds object: safety total and lost-file */
static void kinds_split(const struct json *obj, double *safety, double *lost)
{
    const struct json *k = obj ? json_get(obj, "kinds") : NULL;
    *safety = *lost = 0;
    for (int i = 0; i < FIND_KIND_COUNT; i++) {
        double n = k ? json_get_num(k, finding_kind_name((enum finding_kind)i),
                                    0)
                     : 0;
        if (lab_kind_is_safety((enum finding_kind)i))
            *safety += n;
        else if (i == FIND_LOST_FILE)
            *lost += n;
    }
}

/* The cells of one policy's row. */
static void row_cells(const struct json *lab, const struct json *pol,
                      char cells[NCOLS][128])
{
    snprintf(cells[COL_POLICY], 128, "%s", json_get_str(pol, "policy", "?"));
    const struct json *fz = json_get(pol, "fuzz");
    for (int e = 0; e < LAB_ENGINES; e++) {
        char *c = cells[COL_FUZZ0 + e];
        const struct json *r = fz ? json_get(fz, engine_names[e]) : NULL;
        if (!part(lab, "fuzz"))
            snprintf(c, 128, "not run");
        else if (!engine_ran(lab, e))
            snprintf(c, 128, "n/a");
        else if (!r || json_get_num(r, "median", -1) < 0)
            snprintf(c, 128, "error");
        else
            snprintf(c, 128, "%g (%g)", json_get_num(r, "median", 0),
                     json_get_num(r, "median_safety", 0));
    }
    const struct json *co = json_get(pol, "corpus");
    if (!part_ran(lab, "corpus") || !co) {
        snprintf(cells[COL_CORPUS], 128, "not run");
    } else {
        double s, l;
        kinds_split(co, &s, &l);
        s = json_get_num(co, "safety", 0);
        snprintf(cells[COL_CORPUS], 128, "%g / %g; %g/%g hold", s, l,
                 json_get_num(co, "hold", 0), json_get_num(co, "traces", 0));
    }
    const struct json *st = json_get(pol, "stress");
    const struct json *ran = st ? json_get(st, "ran") : NULL;
    if (!part_ran(lab, "stress") || !st)
        snprintf(cells[COL_STRESS], 128, "not run");
    else if (!ran || ran->type != JSON_BOOL || !ran->boolean)
        snprintf(cells[COL_STRESS], 128, "n/a");
    else {
        double s, l;
        kinds_split(st, &s, &l);
        snprintf(cells[COL_STRESS], 128, "%g / %g in %g", s, l,
                 json_get_num(st, "scenarios", 0));
    }
    const struct json *cl = json_get(pol, "clients");
    ran = cl ? json_get(cl, "ran") : NULL;
    if (!part_ran(lab, "clients") || !cl)
        snprintf(cells[COL_CLIENTS], 128, "not run");
    else if (!ran || ran->type != JSON_BOOL || !ran->boolean)
        snprintf(cells[COL_CLIENTS], 128, "n/a");
    else {
        int n = snprintf(cells[COL_CLIENTS], 128, "%g / %g / %g / %g / %g",
                         json_get_num(cl, "exact", 0),
                         json_get_num(cl, "empty", 0),
                         json_get_num(cl, "truncated", 0),
                         json_get_num(cl, "lost", 0),
                         json_get_num(cl, "error", 0));
        if (json_get_num(cl, "skipped", 0) > 0 && n > 0 && n < 128)
            snprintf(cells[COL_CLIENTS] + n, (size_t)(128 - n),
                     ", %g skipped", json_get_num(cl, "skipped", 0));
    }
}

/* What each column counts, and how the numbers were taken. */
static void legend(FILE *f, const struct json *lab, const char *bullet,
                   const char *code)
{
    const struct json *fz = part(lab, "fuzz");
    const struct json *seeds = fz ? json_get(fz, "seeds") : NULL;
    if (fz)
        fprintf(f, "%sfuzz: distinct mechanisms found (of them, safety: "
               "early-seal, visible-after-abort, mutated-after-seal), "
               "median of %zu seed%s, %gs per seed and policy, one job, no "
               "sanitizers",
            bullet, seeds && seeds->type == JSON_ARRAY ? seeds->count : 0,
            seeds && seeds->count == 1 ? "" : "s",
            fz ? json_get_num(fz, "seconds", 0) : 0);
    const struct json *es = fz ? json_get(fz, "engines") : NULL;
    for (const struct json *e = es ? es->first : NULL; e; e = e->next) {
        const struct json *ran = json_get(e, "ran");
        if (!ran || ran->type != JSON_BOOL || !ran->boolean)
            fprintf(f, "; %s%s%s n/a: %s", code,
                    json_get_str(e, "engine", "?"), code,
                    json_get_str(e, "why", ""));
    }
    if (fz)
        fprintf(f, "\n");
    const struct json *co = part(lab, "corpus");
    if (co)
        fprintf(f, "%scorpus: traces with a safety violation / with lost-file, "
               "in the model; traces whose expectations hold (%s%s%s)\n",
            bullet, code, co ? json_get_str(co, "dir", "") : "", code);
    const struct json *st = part(lab, "stress");
    if (st) {
        fprintf(f, "%sstress: safety violations / lost-file on the embedded "
                   "filesystem in N scenarios, %gs storm, seed %g",
                bullet, json_get_num(st, "seconds", 0),
                json_get_num(st, "seed", 0));
        if (!part_ran(lab, "stress"))
            fprintf(f, " (not run: %s)", json_get_str(st, "why", ""));
        fprintf(f, "\n");
    }
    const struct json *cl = part(lab, "clients");
    if (cl) {
        fprintf(f, "%sclients: real programs exact / empty / truncated / "
                   "lost / error (%sternrig clients%s)",
                bullet, code, code);
        if (!part_ran(lab, "clients"))
            fprintf(f, " (not run: %s)", json_get_str(cl, "why", ""));
        fprintf(f, "\n");
    }
}

/* Why a policy's stress or clients cell says n/a. */
static void na_notes(FILE *f, const struct json *lab, const char *prefix)
{
    const struct json *pols = json_get(lab, "policies");
    for (const struct json *p = pols->first; p; p = p->next) {
        static const char *const parts[] = {"stress", "clients"};
        for (int i = 0; i < 2; i++) {
            const struct json *x = json_get(p, parts[i]);
            const struct json *ran = x ? json_get(x, "ran") : NULL;
            if (x && part_ran(lab, parts[i]) && ran &&
                ran->type == JSON_BOOL && !ran->boolean)
                fprintf(f, "%s%s n/a under %s: %s\n", prefix, parts[i],
                        json_get_str(p, "policy", "?"),
                        json_get_str(x, "why", ""));
        }
    }
}

void lab_print_text(FILE *f, const struct json *lab)
{
    const struct json *pols = json_get(lab, "policies");
    int w[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        w[c] = (int)strlen(col_titles[c]);
    char cells[NCOLS][128];
    for (const struct json *p = pols->first; p; p = p->next) {
        row_cells(lab, p, cells);
        for (int c = 0; c < NCOLS; c++)
            if ((int)strlen(cells[c]) > w[c])
                w[c] = (int)strlen(cells[c]);
    }
    fprintf(f, "The policy lab%s: what each policy gets wrong, and what it "
               "costs real programs\n\n",
            json_get(lab, "quick") && json_get(lab, "quick")->boolean
                ? " (quick mode)"
                : "");
    for (int c = 0; c < NCOLS; c++)
        fprintf(f, "%-*s%s", c == NCOLS - 1 ? 0 : w[c], col_titles[c],
                c == NCOLS - 1 ? "\n" : "  ");
    for (const struct json *p = pols->first; p; p = p->next) {
        row_cells(lab, p, cells);
        for (int c = 0; c < NCOLS; c++)
            fprintf(f, "%-*s%s", c == NCOLS - 1 ? 0 : w[c], cells[c],
                    c == NCOLS - 1 ? "\n" : "  ");
    }
    fprintf(f, "\n");
    legend(f, lab, "  ", "");
    na_notes(f, lab, "  ");
}

static void md_escape(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
}

void lab_print_markdown(FILE *f, const struct json *lab)
{
    const struct json *pols = json_get(lab, "policies");
    fprintf(f, "|");
    for (int c = 0; c < NCOLS; c++)
        fprintf(f, " %s |", col_titles[c]);
    fprintf(f, "\n|");
    for (int c = 0; c < NCOLS; c++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    char cells[NCOLS][128];
    for (const struct json *p = pols->first; p; p = p->next) {
        row_cells(lab, p, cells);
        fprintf(f, "| `%s` |", cells[COL_POLICY]);
        for (int c = 1; c < NCOLS; c++) {
            fprintf(f, " ");
            md_escape(f, cells[c]);
            fprintf(f, " |");
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    legend(f, lab, "- ", "`");
    na_notes(f, lab, "- ");
}

void lab_print_html(FILE *f, const struct json *lab)
{
    const struct json *pols = json_get(lab, "policies");
    fprintf(f, "<section id=\"lab\"><h2>The policy lab</h2>\n"
               "<p>What each policy gets wrong, and what it costs real "
               "programs (<code>ternrig lab</code>%s).</p>\n<table><tr>",
            json_get(lab, "quick") && json_get(lab, "quick")->boolean
                ? ", quick mode"
                : "");
    for (int c = 0; c < NCOLS; c++) {
        fprintf(f, "<th>");
        report_html_text(f, col_titles[c]);
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr>\n");
    char cells[NCOLS][128];
    for (const struct json *p = pols->first; p; p = p->next) {
        row_cells(lab, p, cells);
        fprintf(f, "<tr>");
        for (int c = 0; c < NCOLS; c++) {
            fprintf(f, c == COL_POLICY ? "<td><code>" : "<td>");
            report_html_text(f, cells[c]);
            fprintf(f, c == COL_POLICY ? "</code></td>" : "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n<ul>\n");
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        legend(m, lab, "", "");
        na_notes(m, lab, "");
        fclose(m);
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl)
                *nl = 0;
            fprintf(f, "<li>");
            report_html_text(f, line);
            fprintf(f, "</li>\n");
        }
        free(text);
    }
    fprintf(f, "</ul></section>\n");
}
