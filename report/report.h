/* report.h - a nightly run as a page, a summary and JUnit XML.
 *
 * Owns: rendering the merged nightly record (nightly.json, built by
 * `ternrig report`, see cmd_report.c for its fields) and the previous
 * nights' records into
 *   - report.html: one self-contained page (inline CSS and SVG, no script,
 *     no network): the steps, the per-policy table of what each policy gets
 *     wrong (kind x distinct mechanisms, mechanism.h, with links to the
 *     reproducers), the findings not in the corpus one line per (policy,
 *     kind, mechanism) with a count and the smallest reproducer, the
 *     variants of corpus traces (status "variant": a new shape of a
 *     mechanism the corpus shows, counted as known), time to first
 *     detection per (policy, kind), stress throughput and fuzzing
 *     execs/s and coverage over time as line charts, and the trend against
 *     previous nights;
 *   - summary.md: the same facts in Markdown, without charts;
 *   - junit.xml: one test case per step, per known finding under the
 *     policy under test, and per mechanism of its new ones (which fail).
 * Pure: it reads the trees and writes to the FILE it is given.
 */
#ifndef TERNRIG_REPORT_H
#define TERNRIG_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "json.h"

/* `history`: previous nights' records, oldest first. */
void report_html(FILE *f, const struct json *night,
                 const struct json *const *history, size_t nhistory);
void report_markdown(FILE *f, const struct json *night,
                     const struct json *const *history, size_t nhistory);
void report_junit(FILE *f, const struct json *night);

/* The new findings (nightly.json's "findings": neither their shape nor,
 * as a variant, their mechanism in the corpus), under `policy` (every
 * policy when NULL), counted once per
 * (policy, kind, mechanism): what the report lists and the exit status
 * counts. */
unsigned report_new_count(const struct json *findings, const char *policy);

/* One line chart as inline SVG (exposed for tests and reuse). */
struct chart_series {
    const char *name;
    const double *x, *y;
    size_t n;
};
void svg_line_chart(FILE *f, const char *title, const char *xlabel,
                    const char *ylabel, const struct chart_series *s,
                    size_t nseries);

/* Text in HTML: & < > " ' escaped (NULL prints nothing). */
void report_html_text(FILE *f, const char *s);

#endif
