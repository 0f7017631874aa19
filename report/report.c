/* report.c - nightly.json to report.html (summary.md and junit.xml are
 * report_text.c's; what they all read off the record, report_facts.c's). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "event.h"
#include "lab.h"
#include "report.h"
#include "report_facts.h"


static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c",
                                      "#ff7f0e", "#9467bd", "#8c564b",
                                      "#e377c2", "#17becf"};
#define NCOLORS (sizeof palette / sizeof palette[0])

/* --- escaping and numbers ------------------------------------------------ */

void report_html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A link target: only paths inside the output directory (relative, no
 * scheme, no "//", no ".." segment); else no link. */
static bool safe_href(const char *s)
{
    if (!s || !*s || strstr(s, "//") || strchr(s, ':') || s[0] == '/')
        return false;
    for (const char *p = s; (p = strstr(p, "..")); p += 2)
        if ((p == s || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
            return false;
    return true;
}

static void human(char *buf, size_t cap, double v)
{
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(buf, cap, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, cap, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, cap, "%.3gk", v / 1e3);
    else if (a == floor(a))
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.3g", v);
}

/* The smallest "nice" number (1, 2, 5 x 10^k) at or above v. */
static double nice_ceil(double v)
{
    if (v <= 0)
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int k = 0; k < 4; k++) {
        double m = (k == 0 ? 1 : k == 1 ? 2 : k == 2 ? 5 : 10) * p;
        if (m >= v)
            return m;
    }
    return 10 * p;
}

/* --- the chart ----------------------------------------------------------- */

void svg_line_chart(FILE *f, const char *title, const char *xlabel,
                    const char *ylabel, const struct chart_series *s,
                    size_t nseries)
{
    const double W = 720, H = 280, L = 64, R = 16, T = 28, B = 44;
    const double pw = W - L - R, ph = H - T - B;
    double xmax = 0, ymax = 0;
    size_t points = 0;
    for (size_t i = 0; i < nseries; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            if (!isfinite(s[i].x[k]) || !isfinite(s[i].y[k]))
                continue;
            xmax = fmax(xmax, s[i].x[k]);
            ymax = fmax(ymax, s[i].y[k]);
            points++;
        }
    fprintf(f, "<figure>\n<figcaption>");
    rpt_esc(f, title);
    fprintf(f, "</figcaption>\n");
    if (points == 0) {
        fprintf(f, "<p class=\"none\">No data.</p>\n</figure>\n");
        return;
    }
    xmax = nice_ceil(xmax);
    ymax = nice_ceil(ymax);
    size_t legend_rows = (nseries + 3) / 4;
    double height = H + 18.0 * (double)legend_rows;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n"
            "<title>",
            W, height, W, height);
    rpt_esc(f, title);
    fprintf(f,
            "</title>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
            "height=\"%.0f\" class=\"plot\"/>\n",
            L, T, pw, ph);
    char lab[32];
    for (int k = 0; k <= 4; k++) { /* grid and tick labels */
        double y = T + ph - ph * k / 4.0, x = L + pw * k / 4.0;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "class=\"grid\"/>\n",
                L, y, L + pw, y);
        human(lab, sizeof lab, ymax * k / 4.0);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ytick\">%s</text>\n",
                L - 6, y + 4, lab);
        human(lab, sizeof lab, xmax * k / 4.0);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"xtick\">%s</text>\n", x,
                T + ph + 16, lab);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"xlabel\">", L + pw / 2,
            T + ph + 34);
    rpt_esc(f, xlabel);
    fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" class=\"ylabel\">", L,
            T - 10);
    rpt_esc(f, ylabel);
    fprintf(f, "</text>\n");
    for (size_t i = 0; i < nseries; i++) {
        const char *color = palette[i % NCOLORS];
        fprintf(f,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                "points=\"",
                color);
        for (size_t k = 0; k < s[i].n; k++) {
            if (!isfinite(s[i].x[k]) || !isfinite(s[i].y[k]))
                continue;
            double y = fmin(fmax(s[i].y[k], 0), ymax); /* no rate < 0 */
            fprintf(f, "%s%.1f,%.1f", k ? " " : "", L + pw * s[i].x[k] / xmax,
                    T + ph - ph * y / ymax);
        }
        fprintf(f, "\"><title>");
        rpt_esc(f, s[i].name);
        fprintf(f, "</title></polyline>\n");
        if (s[i].n == 1) /* a single point shows as a dot */
            fprintf(f,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    L + pw * s[i].x[0] / xmax, T + ph - ph * s[i].y[0] / ymax,
                    color);
        double lx = L + (double)(i % 4) * (pw / 4),
               ly = H + 18.0 * (double)(i / 4);
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"4\" "
                "fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                "class=\"legend\">",
                lx, ly - 6, color, lx + 16, ly);
        rpt_esc(f, s[i].name);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n</figure>\n");
}

/* Series built from JSON, owned here. */
struct series_set {
    struct chart_series s[64];
    char names[64][96];
    double *buf[64];
    size_t n;
};

static double *series_new(struct series_set *ss, const char *name, size_t n)
{
    if (ss->n == 64)
        return NULL;
    double *b = calloc(2 * (n ? n : 1), sizeof *b);
    if (!b)
        return NULL;
    size_t i = ss->n++;
    snprintf(ss->names[i], sizeof ss->names[i], "%s", name);
    ss->buf[i] = b;
    ss->s[i] = (struct chart_series){ss->names[i], b, b + n, n};
    return b;
}

static void series_free(struct series_set *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        free(ss->buf[i]);
    ss->n = 0;
}

/* --- HTML sections ------------------------------------------------------- */

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;"
    "max-width:1100px}\n"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}\n"
    "td.n{text-align:right}\n"
    "td.zero{color:#999}td.hit{background:#fde2e2}\n"
    "a.new{font-weight:bold;color:#b00}\n"
    ".pass{color:#070}.fail{color:#b00;font-weight:bold}.skip{color:#a60}\n"
    ".banner{padding:.6em 1em;border-radius:4px;font-weight:bold}\n"
    ".banner.clean{background:#e3f6e3}.banner.bad{background:#fde2e2}\n"
    "figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}\n"
    "svg .plot{fill:#fafafa;stroke:#999}svg .grid{stroke:#e4e4e4}\n"
    "svg text{font-size:11px;fill:#333}svg .ytick{text-anchor:end}\n"
    "svg .xtick,svg .xlabel{text-anchor:middle}\n"
    "code{background:#f3f3f3;padding:0 .2em}\n"
    "p.none{color:#777;font-style:italic}\n";

static void html_steps(FILE *f, const struct json *night)
{
    const struct json *steps = json_get(night, "steps");
    fprintf(f, "<h2 id=\"steps\">Steps</h2>\n");
    if (!steps || !steps->count) {
        fprintf(f, "<p class=\"none\">No steps recorded.</p>\n");
        return;
    }
    fprintf(f, "<table>\n<tr><th>step</th><th>status</th><th>seconds</th>"
               "<th>log</th><th>note</th></tr>\n");
    EACH (st, steps) {
        const char *status = json_get_str(st, "status", "?");
        const char *log = json_get_str(st, "log", NULL);
        fprintf(f, "<tr><td>");
        rpt_esc(f, json_get_str(st, "name", "?"));
        fprintf(f, "</td><td class=\"%s\">",
                !strcmp(status, "pass")   ? "pass"
                : !strcmp(status, "skip") ? "skip"
                                          : "fail");
        rpt_esc(f, status);
        fprintf(f, "</td><td class=\"n\">%.1f</td><td>",
                json_get_num(st, "seconds", 0));
        if (safe_href(log)) {
            fprintf(f, "<a href=\"");
            rpt_esc(f, log);
            fprintf(f, "\">");
            rpt_esc(f, log);
            fprintf(f, "</a>");
        }
        fprintf(f, "</td><td>");
        rpt_esc(f, json_get_str(st, "note", ""));
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

static void html_policy_table(FILE *f, const struct json *night)
{
    fprintf(f, "<h2 id=\"findings\">What each policy gets wrong</h2>\n"
               "<p>Distinct findings tonight, by fuzzing and stress, per "
               "policy and kind: distinct mechanisms (root causes), as "
               "<code>ternrig fuzz</code> counts them. Each number is "
               "followed by links to its reproducers; "
               "<a class=\"new\">bold red</a> ones are not in the corpus "
               "yet.</p>\n<table>\n<tr><th>kind</th>");
    for (int p = 0; p < POLICY_COUNT; p++)
        fprintf(f, "<th>%s</th>", policy_name((enum policy)p));
    fprintf(f, "</tr>\n");
    for (int k = 0; k < FIND_KIND_COUNT; k++) {
        bool any = false;
        for (int p = 0; p < POLICY_COUNT && !any; p++)
            any = rpt_distinct_count(night, p, k) > 0;
        if (finding_is_hazard((enum finding_kind)k) && !any)
            continue;
        fprintf(f, "<tr><td>%s%s</td>", finding_kind_name((enum finding_kind)k),
                finding_is_hazard((enum finding_kind)k) ? " (hazard)" : "");
        for (int p = 0; p < POLICY_COUNT; p++) {
            unsigned n = rpt_distinct_count(night, p, k);
            fprintf(f, "<td class=\"n %s\">%u", n ? "hit" : "zero", n);
            unsigned i = 0;
            EACH (fd, json_get(night, "findings")) {
                if (rpt_policy_index(json_get_str(fd, "policy", NULL)) != p ||
                    rpt_kind_index(json_get_str(fd, "kind", NULL)) != k)
                    continue;
                const char *repro = json_get_str(fd, "reproducer", NULL);
                bool fresh = !rpt_finding_known(fd);
                i++;
                if (!safe_href(repro))
                    continue;
                fprintf(f, " <a href=\"");
                rpt_esc(f, repro);
                fprintf(f, "\"%s title=\"", fresh ? " class=\"new\"" : "");
                rpt_esc(f, json_get_str(fd, "source", ""));
                fprintf(f, ": ");
                rpt_esc(f, repro);
                fprintf(f, "\">#%u</a>", i);
            }
            fprintf(f, "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n");
}

/* The start of a table row for group g: policy, kind, mechanism, count
 * and sources, then an open cell for the caller.  Returns its finding. */
static const struct json *html_group_row(FILE *f, const struct group *g)
{
    const struct json *fd = g->best;
    fprintf(f, "<tr><td>");
    rpt_esc(f, json_get_str(fd, "policy", "?"));
    fprintf(f, "</td><td>");
    rpt_esc(f, json_get_str(fd, "kind", "?"));
    fprintf(f, "</td><td>");
    rpt_put_mechanism(f, fd, true);
    fprintf(f, "</td><td class=\"n\">%u</td><td>%s</td><td>", g->count,
            rpt_group_sources(g));
    return fd;
}

/* The variants of corpus traces: counted as known, listed apart, one
 * line per mechanism with the trace that has it. */
static void html_variants(FILE *f, const struct json *night)
{
    size_t ng;
    struct group *g =
        rpt_finding_groups(json_get(night, "findings"), NULL, true, &ng);
    if (ng == 0) {
        free(g);
        return;
    }
    fprintf(f, "<h3 id=\"variants\">Variants of corpus traces</h3>\n"
               "<p>New shapes of a root cause that a corpus trace already "
               "shows under the same policy and kind: the same bug, so they "
               "count as known.</p>\n<table>\n<tr><th>policy</th>"
               "<th>kind</th><th>mechanism</th><th>findings</th>"
               "<th>found by</th><th>corpus trace</th></tr>\n");
    for (size_t i = 0; i < ng; i++) {
        const struct json *fd = html_group_row(f, &g[i]);
        rpt_esc(f, rpt_base_name(json_get_str(fd, "known_as", "?")));
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
    free(g);
}

static void html_new_findings(FILE *f, const struct json *night)
{
    fprintf(f, "<h2 id=\"new\">Findings not in the corpus</h2>\n");
    size_t ng;
    struct group *g = rpt_new_groups(json_get(night, "findings"), NULL, &ng);
    if (ng == 0) {
        fprintf(f, "<p>None: every finding tonight has a shape the corpus "
                   "already holds.</p>\n");
        free(g);
        return;
    }
    fprintf(f, "<p>One line per distinct mechanism (the root cause: the "
               "decision that went wrong and the facts that fed it), with "
               "the number of findings that share it and the smallest of "
               "their reproducers.</p>\n<table>\n<tr><th>policy</th>"
               "<th>kind</th><th>mechanism</th><th>findings</th>"
               "<th>found by</th><th>smallest reproducer</th>"
               "<th>to keep it as a regression test</th></tr>\n");
    const char *tested = rpt_night_policy(night);
    /* the policy under test first, then the others */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ng; i++) {
            const struct json *fd = g[i].best;
            if ((strcmp(json_get_str(fd, "policy", ""), tested) == 0) != !pass)
                continue;
            html_group_row(f, &g[i]);
            const char *repro = json_get_str(fd, "reproducer", "?");
            if (safe_href(repro)) {
                fprintf(f, "<a class=\"new\" href=\"");
                rpt_esc(f, repro);
                fprintf(f, "\">");
                rpt_esc(f, repro);
                fprintf(f, "</a>");
            } else {
                rpt_esc(f, repro);
            }
            const char *error = json_get_str(fd, "error", NULL);
            fprintf(f, "</td><td>");
            if (error) {
                fprintf(f, "unreadable: ");
                rpt_esc(f, error);
            } else {
                fprintf(f, "<code>");
                rpt_esc(f, json_get_str(fd, "add", ""));
                fprintf(f, "</code>");
            }
            fprintf(f, "</td></tr>\n");
        }
    fprintf(f, "</table>\n");
    free(g);
}

/* (policy, kind) -> first detection per source. */
struct first_row {
    int policy, kind;
    double when[8];
};

static void html_first_detection(FILE *f, const struct json *night)
{
    char sources[8][96];
    unsigned ns = 0;
    static struct first_row rows[POLICY_COUNT * FIND_KIND_COUNT];
    unsigned nr = 0;
    for (int p = 0; p < POLICY_COUNT; p++)
        for (int k = 0; k < FIND_KIND_COUNT; k++) {
            rows[nr].policy = p;
            rows[nr].kind = k;
            for (int s = 0; s < 8; s++)
                rows[nr].when[s] = -1;
            nr++;
        }
    EACH (run, json_get(night, "fuzz")) {
        if (ns == 8)
            break;
        snprintf(sources[ns], sizeof sources[ns], "fuzz, %s (%s)",
                 json_get_str(run, "engine", "?"),
                 json_get_str(run, "mutator", "?"));
        EACH (fd, json_get(run, "findings")) {
            int p = rpt_policy_index(json_get_str(fd, "policy", NULL));
            int k = rpt_kind_index(json_get_str(fd, "kind", NULL));
            double t = json_get_num(fd, "first_s", -1);
            if (p < 0 || k < 0 || t < 0)
                continue;
            double *w = &rows[p * FIND_KIND_COUNT + k].when[ns];
            if (*w < 0 || t < *w)
                *w = t;
        }
        ns++;
    }
    EACH (run, json_get(night, "stress")) {
        if (ns == 8)
            break;
        int p = rpt_policy_index(json_get_str(run, "policy", NULL));
        snprintf(sources[ns], sizeof sources[ns], "stress, %s",
                 json_get_str(run, "label", "?"));
        EACH (fd, json_get(run, "first_detection")) {
            int k = rpt_kind_index(fd->key);
            if (p >= 0 && k >= 0 && fd->type == JSON_NUMBER)
                rows[p * FIND_KIND_COUNT + k].when[ns] = fd->number;
        }
        ns++;
    }
    fprintf(f, "<h2 id=\"first\">Time to first detection</h2>\n");
    unsigned shown = 0;
    for (unsigned r = 0; r < nr; r++) {
        bool any = false;
        for (unsigned s = 0; s < ns; s++)
            any |= rows[r].when[s] >= 0;
        if (!any)
            continue;
        if (!shown++) {
            fprintf(f, "<p>Seconds from the start of each run until the "
                       "first finding of each (policy, kind).</p>\n<table>\n"
                       "<tr><th>policy / kind</th>");
            for (unsigned s = 0; s < ns; s++) {
                fprintf(f, "<th>");
                rpt_esc(f, sources[s]);
                fprintf(f, "</th>");
            }
            fprintf(f, "</tr>\n");
        }
        fprintf(f, "<tr><td>%s / %s</td>",
                policy_name((enum policy)rows[r].policy),
                finding_kind_name((enum finding_kind)rows[r].kind));
        for (unsigned s = 0; s < ns; s++) {
            if (rows[r].when[s] >= 0)
                fprintf(f, "<td class=\"n\">%.1f</td>", rows[r].when[s]);
            else
                fprintf(f, "<td class=\"n zero\">-</td>");
        }
        fprintf(f, "</tr>\n");
    }
    if (shown)
        fprintf(f, "</table>\n");
    else
        fprintf(f, "<p class=\"none\">Nothing was found tonight.</p>\n");
}

/* Stress: rates between successive cumulative timeline samples. */
static void html_stress_charts(FILE *f, const struct json *night)
{
    static const char *const what[] = {"steps", "scenarios"};
    fprintf(f, "<h2 id=\"stress\">Stress</h2>\n");
    const struct json *runs = json_get(night, "stress");
    if (!runs || !runs->count) {
        fprintf(f, "<p class=\"none\">No stress run tonight.</p>\n");
        return;
    }
    fprintf(f, "<table>\n<tr><th>run</th><th>policy</th><th>seconds</th>"
               "<th>scenarios</th><th>steps</th><th>forks</th><th>execs</th>"
               "<th>kills</th><th>violations</th></tr>\n");
    EACH (run, runs) {
        const struct json *t = json_get(run, "totals");
        fprintf(f, "<tr><td>");
        rpt_esc(f, json_get_str(run, "label", "?"));
        fprintf(f, "</td><td>");
        rpt_esc(f, json_get_str(run, "policy", "?"));
        fprintf(f, "</td><td class=\"n\">%.0f</td>",
                json_get_num(run, "duration_s", 0));
        static const char *const cols[] = {"scenarios", "steps", "forks",
                                           "execs",     "kills", "violations"};
        for (int c = 0; c < 6; c++)
            fprintf(f, "<td class=\"n\">%.0f</td>",
                    json_get_num(t, cols[c], 0));
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n");
    for (int w = 0; w < 2; w++) {
        struct series_set ss = {0};
        EACH (run, runs) {
            const struct json *tl = json_get(run, "timeline");
            size_t n = tl ? tl->count : 0;
            double *b = series_new(&ss, json_get_str(run, "label", "?"), n);
            if (!b)
                break;
            double prev_t = 0, prev_v = 0;
            size_t i = 0;
            EACH (sample, tl) {
                double t = json_get_num(sample, "t", NAN);
                double v = json_get_num(sample, what[w], NAN);
                double dt = t - prev_t;
                b[i] = t;
                b[n + i] = dt > 0 ? (v - prev_v) / dt : NAN;
                prev_t = t;
                prev_v = v;
                i++;
            }
        }
        char title[96], ylabel[64];
        snprintf(title, sizeof title, "Stress throughput: %s per second",
                 what[w]);
        snprintf(ylabel, sizeof ylabel, "%s/s", what[w]);
        svg_line_chart(f, title, "seconds", ylabel, ss.s, ss.n);
        series_free(&ss);
    }
}

static void html_fuzz_charts(FILE *f, const struct json *night)
{
    fprintf(f, "<h2 id=\"fuzz\">Fuzzing</h2>\n");
    const struct json *runs = json_get(night, "fuzz");
    if (!runs || !runs->count) {
        fprintf(f, "<p class=\"none\">No fuzz run tonight.</p>\n");
        return;
    }
    fprintf(f, "<table>\n<tr><th>engine</th><th>mutator</th><th>seconds</th>"
               "<th>jobs</th><th>executions</th><th>inputs with a "
               "violation</th><th>distinct mechanisms</th></tr>\n");
    EACH (run, runs) {
        char ex[32];
        human(ex, sizeof ex, json_get_num(json_get(run, "totals"), "execs", 0));
        const struct json *fds = json_get(run, "findings");
        fprintf(f, "<tr><td>");
        rpt_esc(f, json_get_str(run, "engine", "?"));
        fprintf(f, "</td><td>");
        rpt_esc(f, json_get_str(run, "mutator", "?"));
        fprintf(f,
                "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td><td "
                "class=\"n\">%s</td><td class=\"n\">%.0f</td>"
                "<td class=\"n\">%zu</td></tr>\n",
                json_get_num(run, "seconds", 0), json_get_num(run, "jobs", 0),
                ex, json_get_num(run, "inputs", 0), fds ? fds->count : 0);
    }
    fprintf(f, "</table>\n");
    static const char *const titles[] = {"Fuzzing: executions per second",
                                         "Fuzzing: coverage"};
    static const char *const ylabels[] = {"execs/s", "edges / features"};
    for (int w = 0; w < 2; w++) {
        struct series_set ss = {0};
        EACH (run, runs) {
            EACH (ser, json_get(run, "series")) {
                const struct json *sm = json_get(ser, "samples");
                size_t n = sm ? sm->count : 0;
                char name[96];
                snprintf(name, sizeof name, "%s #%.0f",
                         json_get_str(ser, "policy", "?"),
                         json_get_num(ser, "job", 0));
                double *b = series_new(&ss, name, n);
                if (!b)
                    break;
                size_t i = 0;
                EACH (sample, sm) {
                    /* [t, execs, execs_per_s, coverage] */
                    const struct json *t = sample->first;
                    const struct json *v = t ? t->next : NULL;
                    v = v ? v->next : NULL;
                    if (w == 1 && v)
                        v = v->next;
                    b[i] = t && t->type == JSON_NUMBER ? t->number : NAN;
                    b[n + i] = v && v->type == JSON_NUMBER ? v->number : NAN;
                    i++;
                }
            }
        }
        svg_line_chart(f, titles[w], "seconds", ylabels[w], ss.s, ss.n);
        series_free(&ss);
    }
}

static void html_trend(FILE *f, const struct json *night,
                       const struct json *const *history, size_t nh)
{
    fprintf(f, "<h2 id=\"trend\">Trend</h2>\n");
    if (nh == 0) {
        fprintf(f, "<p class=\"none\">No previous nights (give --history "
                   "DIR).</p>\n");
        return;
    }
    const struct json *prev = history[nh - 1];
    fprintf(f, "<p>Against the previous night (");
    rpt_esc(f, rpt_night_date(prev));
    fprintf(f, "), distinct findings (mechanisms) per policy:");
    for (int p = 0; p < POLICY_COUNT; p++) {
        unsigned a = rpt_distinct_count(prev, p, -1),
                 b = rpt_distinct_count(night, p, -1);
        fprintf(f, " %s %u&#8594;%u%s", policy_name((enum policy)p), a, b,
                b > a   ? " (more)"
                : b < a ? " (fewer)"
                        : "");
        fputc(p + 1 < POLICY_COUNT ? ',' : '.', f);
    }
    fprintf(f, "</p>\n<table>\n<tr><th>night</th><th>status</th>"
               "<th>new</th>");
    for (int p = 0; p < POLICY_COUNT; p++)
        fprintf(f, "<th>%s</th>", policy_name((enum policy)p));
    fprintf(f, "<th>fuzz execs</th><th>stress scenarios</th>"
               "<th>stress violations</th></tr>\n");
    for (size_t i = 0; i <= nh; i++) {
        const struct json *n = i < nh ? history[i] : night;
        char ex[32];
        human(ex, sizeof ex, rpt_fuzz_execs(n));
        fprintf(f, "<tr><td>");
        rpt_esc(f, rpt_night_date(n));
        fprintf(f, "%s</td><td>%s</td><td class=\"n\">%u</td>",
                i == nh ? " (tonight)" : "", rpt_status_word(n),
                rpt_new_count(n));
        for (int p = 0; p < POLICY_COUNT; p++)
            fprintf(f, "<td class=\"n\">%u</td>", rpt_distinct_count(n, p, -1));
        fprintf(f,
                "<td class=\"n\">%s</td><td class=\"n\">%.0f</td><td "
                "class=\"n\">%.0f</td></tr>\n",
                ex, rpt_stress_total(n, "scenarios"),
                rpt_stress_total(n, "violations"));
    }
    fprintf(f, "</table>\n");
    struct series_set ss = {0};
    for (int p = 0; p < POLICY_COUNT; p++) {
        double *b = series_new(&ss, policy_name((enum policy)p), nh + 1);
        if (!b)
            break;
        for (size_t i = 0; i <= nh; i++) {
            b[i] = (double)i + 1;
            b[nh + 1 + i] =
                (double)rpt_distinct_count(i < nh ? history[i] : night, p, -1);
        }
    }
    svg_line_chart(f, "Distinct findings (mechanisms) per night", "night",
                   "mechanisms",
                   ss.s, ss.n);
    series_free(&ss);
}

void report_html(FILE *f, const struct json *night,
                 const struct json *const *history, size_t nhistory)
{
    const char *date = rpt_night_date(night);
    const char *policy = rpt_night_policy(night);
    bool clean = json_get_num(night, "exit", 2) == 0;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n<title>ternrig nightly ");
    rpt_esc(f, date);
    fprintf(f,
            "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
            "<h1>ternrig nightly, ",
            css);
    rpt_esc(f, date);
    fprintf(f, "</h1>\n<p class=\"banner %s\">Policy under test: ",
            clean ? "clean" : "bad");
    rpt_esc(f, policy);
    fprintf(f, ". ");
    double nn = json_get_num(night, "new_under_policy", 0);
    if (json_get_num(night, "exit", 2) == 2)
        fprintf(f, "A step could not run (setup error).");
    else if (nn > 0)
        fprintf(f, "%.0f finding%s (distinct mechanisms) not in the corpus.",
                nn, nn == 1 ? "" : "s");
    else
        fprintf(f, "No finding outside the corpus.");
    fprintf(f, "</p>\n<p>");
    const struct json *meta = json_get(night, "meta");
    EACH (m, meta) {
        if (m->type != JSON_STRING && m->type != JSON_NUMBER)
            continue;
        fprintf(f, "%s", m == meta->first ? "" : " &#183; ");
        rpt_esc(f, m->key);
        fprintf(f, ": ");
        if (m->type == JSON_STRING)
            rpt_esc(f, m->string);
        else
            fprintf(f, "%g", m->number);
    }
    fprintf(f, "</p>\n");
    html_steps(f, night);
    html_policy_table(f, night);
    html_new_findings(f, night);
    html_variants(f, night);
    html_first_detection(f, night);
    html_stress_charts(f, night);
    html_fuzz_charts(f, night);
    html_trend(f, night, history, nhistory);
    const struct json *lab = json_get(night, "lab");
    char why[128];
    if (lab && lab_check(lab, why, sizeof why) == 0)
        lab_print_html(f, lab);
    fprintf(f, "</body>\n</html>\n");
}

