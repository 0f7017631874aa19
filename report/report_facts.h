/* report_facts.h - what the report's writers read off a nightly record:
 * its policies and kinds, each finding's key and status (known, variant,
 * new), the findings grouped per (policy, kind, mechanism), the night's
 * totals; and HTML escaping.  Private to report/: report.c (the page)
 * and report_text.c (summary.md, junit.xml) share them.
 */
#ifndef TERNRIG_REPORT_FACTS_H
#define TERNRIG_REPORT_FACTS_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"

#define EACH(v, arr)                                                           \
    for (const struct json *v = (arr) ? (arr)->first : NULL; v; v = v->next)

/* One line of "findings not in the corpus": a (policy, kind, mechanism),
 * how many findings it has and the smallest of their reproducers. */
struct group {
    const struct json *best;
    unsigned count;
    bool fuzz, stress;
};

/* A corpus path as the report names it: its file name. */
const char *rpt_base_name(const char *path);
/* `s` as HTML text (report_html_text). */
void rpt_esc(FILE *f, const char *s);
/* A policy's or a kind's index by name, or -1. */
int rpt_policy_index(const char *name);
int rpt_kind_index(const char *name);

/* What a finding is counted by: its mechanism (the root cause, as `ternrig
 * fuzz` names it, mechanism.h), else its shape (an unreadable reproducer,
 * or a night recorded before findings had mechanisms). */
const char *rpt_finding_key(const struct json *fd);
/* The mechanism as the report shows it: a real run's finding that the
 * model does not show has none (it is counted by its shape). */
void rpt_put_mechanism(FILE *f, const struct json *fd, bool html);
/* A variant: another shape of a root cause a corpus trace shows under the
 * same (policy, kind), the same bug (mechanism.h). */
bool rpt_finding_variant(const struct json *fd);
/* Known: its shape is in the corpus, or it is a variant of a trace there. */
bool rpt_finding_known(const struct json *fd);
/* The same (policy, kind, key). */
bool rpt_same_finding(const struct json *a, const struct json *b);
/* Distinct (kind, mechanism)s under policy `pol` (and kind `kind` unless
 * it is -1) in a night's findings. */
unsigned rpt_distinct_count(const struct json *night, int pol, int kind);

/* The findings that are not known (`variants`: that are variants) under
 * `policy` (every policy when NULL), one group per (policy, kind,
 * mechanism) in order of first appearance.  A malloc'd array (NULL when
 * none or out of memory). */
struct group *rpt_finding_groups(const struct json *findings,
                                 const char *policy, bool variants,
                                 size_t *n);
/* rpt_finding_groups of the new ones. */
struct group *rpt_new_groups(const struct json *findings, const char *policy,
                             size_t *n);
/* "fuzz", "stress" or "fuzz, stress": who found a group's findings. */
const char *rpt_group_sources(const struct group *g);

/* The night's new findings, once per (policy, kind, mechanism). */
unsigned rpt_new_count(const struct json *night);
/* The night's fuzz executions, and a stress total (`what`: "forks"...). */
double rpt_fuzz_execs(const struct json *night);
double rpt_stress_total(const struct json *night, const char *what);
/* The night's start, as meta.json says. */
const char *rpt_night_date(const struct json *night);
/* The policy under test: the night's, else the default, as `ternrig report`
 * takes it. */
const char *rpt_night_policy(const struct json *night);
/* "clean", "NEW FINDING" or "setup error", from the night's exit. */
const char *rpt_status_word(const struct json *night);

#endif
