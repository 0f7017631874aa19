/* report_text.c - a nightly record as summary.md and junit.xml (see
 * report.h). */
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "event.h"
#include "report.h"
#include "report_facts.h"

/* --- Markdown ------------------------------------------------------------ */

/* A markdown list item for group g: "- POLICY KIND: MECHANISM; N findings
 * (SOURCES)", the caller ends it.  Returns the group's finding. */
static const struct json *md_group(FILE *f, const struct group *g)
{
    const struct json *fd = g->best;
    fprintf(f, "- %s %s: ", json_get_str(fd, "policy", "?"),
            json_get_str(fd, "kind", "?"));
    rpt_put_mechanism(f, fd, false);
    fprintf(f, "; %u finding%s (%s)", g->count, g->count == 1 ? "" : "s",
            rpt_group_sources(g));
    return fd;
}

void report_markdown(FILE *f, const struct json *night,
                     const struct json *const *history, size_t nhistory)
{
    fprintf(f, "# ternrig nightly, %s\n\n", rpt_night_date(night));
    fprintf(f, "Policy under test: `%s`. Result: **%s**",
            rpt_night_policy(night), rpt_status_word(night));
    double nn = json_get_num(night, "new_under_policy", 0);
    if (nn > 0)
        fprintf(f, " (%.0f finding%s, distinct mechanisms, not in the "
                   "corpus)",
                nn, nn == 1 ? "" : "s");
    fprintf(f, ".\n\n## Steps\n\n| step | status | seconds | note |\n"
               "|---|---|---|---|\n");
    EACH (st, json_get(night, "steps"))
        fprintf(f, "| %s | %s | %.1f | %s |\n", json_get_str(st, "name", "?"),
                json_get_str(st, "status", "?"), json_get_num(st, "seconds", 0),
                json_get_str(st, "note", ""));
    fprintf(f, "\n## What each policy gets wrong (distinct mechanisms)\n\n"
               "| kind |");
    for (int p = 0; p < POLICY_COUNT; p++)
        fprintf(f, " %s |", policy_name((enum policy)p));
    fprintf(f, "\n|---|");
    for (int p = 0; p < POLICY_COUNT; p++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (int k = 0; k < FIND_KIND_COUNT; k++) {
        if (finding_is_hazard((enum finding_kind)k))
            continue;
        fprintf(f, "| %s |", finding_kind_name((enum finding_kind)k));
        for (int p = 0; p < POLICY_COUNT; p++)
            fprintf(f, " %u |", rpt_distinct_count(night, p, k));
        fprintf(f, "\n");
    }
    fprintf(f, "\n## Findings not in the corpus (one per mechanism)\n\n");
    size_t ng;
    struct group *g = rpt_new_groups(json_get(night, "findings"), NULL, &ng);
    for (size_t i = 0; i < ng; i++) {
        const struct json *fd = md_group(f, &g[i]);
        fprintf(f, ", the smallest: `%s`", json_get_str(fd, "reproducer", "?"));
        const char *err = json_get_str(fd, "error", NULL);
        if (err)
            fprintf(f, ", unreadable: %s\n", err);
        else
            fprintf(f, "; keep it with `%s`\n", json_get_str(fd, "add", ""));
    }
    free(g);
    if (!ng)
        fprintf(f, "None.\n");
    g = rpt_finding_groups(json_get(night, "findings"), NULL, true, &ng);
    if (ng)
        fprintf(f, "\n## Variants of corpus traces (counted as known)\n\n");
    for (size_t i = 0; i < ng; i++) {
        const struct json *fd = md_group(f, &g[i]);
        fprintf(f, ", as `%s`\n",
                rpt_base_name(json_get_str(fd, "known_as", "?")));
    }
    free(g);
    fprintf(f, "\n## Runs\n\n");
    EACH (run, json_get(night, "fuzz"))
        fprintf(f,
                "- fuzz, %s (%s): %.0f s, %.0f executions, %.0f inputs with a "
                "violation\n",
                json_get_str(run, "engine", "?"),
                json_get_str(run, "mutator", "?"),
                json_get_num(run, "seconds", 0),
                json_get_num(json_get(run, "totals"), "execs", 0),
                json_get_num(run, "inputs", 0));
    EACH (run, json_get(night, "stress"))
        fprintf(f,
                "- stress, %s, policy %s: %.0f s, %.0f scenarios, %.0f "
                "violations\n",
                json_get_str(run, "label", "?"),
                json_get_str(run, "policy", "?"),
                json_get_num(run, "duration_s", 0),
                json_get_num(json_get(run, "totals"), "scenarios", 0),
                json_get_num(json_get(run, "totals"), "violations", 0));
    if (nhistory) {
        fprintf(f, "\n## Trend\n\n| night | status | new |");
        for (int p = 0; p < POLICY_COUNT; p++)
            fprintf(f, " %s |", policy_name((enum policy)p));
        fprintf(f, "\n|---|---|---|");
        for (int p = 0; p < POLICY_COUNT; p++)
            fprintf(f, "---|");
        fprintf(f, "\n");
        for (size_t i = 0; i <= nhistory; i++) {
            const struct json *nt = i < nhistory ? history[i] : night;
            fprintf(f, "| %s%s | %s | %u |", rpt_night_date(nt),
                    i == nhistory ? " (tonight)" : "", rpt_status_word(nt),
                    rpt_new_count(nt));
            for (int p = 0; p < POLICY_COUNT; p++)
                fprintf(f, " %u |", rpt_distinct_count(nt, p, -1));
            fprintf(f, "\n");
        }
    }
    fprintf(f, "\nThe full report, with charts: `report.html`.\n");
}

/* --- JUnit --------------------------------------------------------------- */

static void xml_attr(FILE *f, const char *s) { rpt_esc(f, s); }

void report_junit(FILE *f, const struct json *night)
{
    const char *policy = rpt_night_policy(night);
    unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
    EACH (st, json_get(night, "steps")) {
        tests++;
        const char *s = json_get_str(st, "status", "");
        failures += !strcmp(s, "fail");
        errors += !strcmp(s, "error");
        skipped += !strcmp(s, "skip");
    }
    /* a known finding passes; the new ones fail, one case per mechanism */
    size_t ng;
    struct group *g = rpt_new_groups(json_get(night, "findings"), policy, &ng);
    EACH (fd, json_get(night, "findings"))
        tests += !strcmp(json_get_str(fd, "policy", ""), policy) &&
                 rpt_finding_known(fd);
    tests += (unsigned)ng;
    failures += (unsigned)ng;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites>\n<testsuite name=\"ternrig nightly\" "
            "tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
            "timestamp=\"",
            tests, failures, errors, skipped);
    xml_attr(f, rpt_night_date(night));
    fprintf(f, "\">\n");
    EACH (st, json_get(night, "steps")) {
        const char *s = json_get_str(st, "status", "");
        fprintf(f, "<testcase classname=\"nightly.steps\" name=\"");
        xml_attr(f, json_get_str(st, "name", "?"));
        fprintf(f, "\" time=\"%.1f\"", json_get_num(st, "seconds", 0));
        if (!strcmp(s, "pass")) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n<%s message=\"",
                !strcmp(s, "fail")    ? "failure"
                : !strcmp(s, "error") ? "error"
                                      : "skipped");
        xml_attr(f, json_get_str(st, "note", s));
        fprintf(f, "\"/>\n</testcase>\n");
    }
    EACH (fd, json_get(night, "findings")) {
        if (strcmp(json_get_str(fd, "policy", ""), policy) ||
            !rpt_finding_known(fd))
            continue;
        fprintf(f, "<testcase classname=\"nightly.findings.");
        xml_attr(f, policy);
        fprintf(f, "\" name=\"");
        xml_attr(f, json_get_str(fd, "kind", "?"));
        fprintf(f, " ");
        xml_attr(f, json_get_str(fd, "reproducer", "?"));
        fprintf(f, "\"/>\n");
    }
    for (size_t i = 0; i < ng; i++) {
        const struct json *fd = g[i].best;
        fprintf(f, "<testcase classname=\"nightly.findings.");
        xml_attr(f, policy);
        fprintf(f, "\" name=\"");
        xml_attr(f, json_get_str(fd, "kind", "?"));
        fprintf(f, ": ");
        rpt_put_mechanism(f, fd, true);
        fprintf(f, "\">\n<failure message=\"");
        xml_attr(f, json_get_str(fd, "kind", "?"));
        fprintf(f, " under ");
        xml_attr(f, policy);
        fprintf(f, ": not in the corpus (%u finding%s of this mechanism, "
                   "the smallest: ",
                g[i].count, g[i].count == 1 ? "" : "s");
        xml_attr(f, json_get_str(fd, "reproducer", "?"));
        fprintf(f, ")\">");
        const char *err = json_get_str(fd, "error", NULL);
        if (err) {
            fprintf(f, "unreadable reproducer: ");
            rpt_esc(f, err);
        } else {
            fprintf(f, "Keep it as a regression test: ");
            rpt_esc(f, json_get_str(fd, "add", ""));
        }
        fprintf(f, "</failure>\n</testcase>\n");
    }
    free(g);
    fprintf(f, "</testsuite>\n</testsuites>\n");
}
