/* report_facts.c - what the report reads off a nightly record (see
 * report_facts.h). */
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "event.h"
#include "report.h"
#include "report_facts.h"

/* A corpus path as the report names it: its file name. */
const char *rpt_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void rpt_esc(FILE *f, const char *s)
{
    report_html_text(f, s);
}

/* --- facts pulled out of the record -------------------------------------- */

int rpt_policy_index(const char *name)
{
    enum policy p;
    if (name && policy_from_name(name, strlen(name), &p))
        return (int)p;
    return -1;
}

int rpt_kind_index(const char *name)
{
    if (!name)
        return -1;
    enum finding_kind k = finding_kind_from_name(name, strlen(name));
    return k < FIND_KIND_COUNT ? (int)k : -1;
}

/* What a finding is counted by: its mechanism (the root cause, as `ternrig
 * fuzz` names it, mechanism.h), else its shape (an unreadable reproducer,
 * or a night recorded before findings had mechanisms). */
const char *rpt_finding_key(const struct json *fd)
{
    const char *m = json_get_str(fd, "mechanism", NULL);
    return m ? m : json_get_str(fd, "shape", "?");
}

/* The mechanism as the report shows it: a real run's finding that the
 * model does not show has none (it is counted by its shape). */
void rpt_put_mechanism(FILE *f, const struct json *fd, bool html)
{
    const char *m = json_get_str(fd, "mechanism", NULL);
    const char *shape = json_get_str(fd, "shape", "?");
    if (!m && !strcmp(json_get_str(fd, "status", ""), "unreadable"))
        m = "unreadable";
    if (!m)
        fputs("not shown by the model (shape ", f);
    if (html)
        rpt_esc(f, m ? m : shape);
    else
        fputs(m ? m : shape, f);
    if (!m)
        fputc(')', f);
}

/* A variant: another shape of a root cause a corpus trace shows under the
 * same (policy, kind), the same bug (mechanism.h). */
bool rpt_finding_variant(const struct json *fd)
{
    return !strcmp(json_get_str(fd, "status", ""), "variant");
}

/* Known: its shape is in the corpus, or it is a variant of a trace there. */
bool rpt_finding_known(const struct json *fd)
{
    return !strcmp(json_get_str(fd, "status", ""), "known") ||
           rpt_finding_variant(fd);
}

bool rpt_same_finding(const struct json *a, const struct json *b)
{
    return !strcmp(json_get_str(a, "policy", "?"),
                   json_get_str(b, "policy", "?")) &&
           !strcmp(json_get_str(a, "kind", "?"),
                   json_get_str(b, "kind", "?")) &&
           !strcmp(rpt_finding_key(a), rpt_finding_key(b));
}

/* Distinct (kind, mechanism)s under policy `pol` (and kind `kind` unless
 * it is -1) in a night's findings. */
unsigned rpt_distinct_count(const struct json *night, int pol, int kind)
{
    unsigned n = 0;
    EACH (fd, json_get(night, "findings")) {
        if (rpt_policy_index(json_get_str(fd, "policy", NULL)) != pol ||
            (kind >= 0 &&
             rpt_kind_index(json_get_str(fd, "kind", NULL)) != kind))
            continue;
        bool dup = false;
        EACH (e, json_get(night, "findings")) {
            if (e == fd || dup)
                break;
            dup = rpt_same_finding(e, fd);
        }
        n += !dup;
    }
    return n;
}


/* The findings that are not known (`variants`: that are variants) under
 * `policy` (every policy when NULL), one group per (policy, kind,
 * mechanism) in order of first appearance.  A malloc'd array (NULL when
 * none or out of memory). */
struct group *rpt_finding_groups(const struct json *findings,
                                 const char *policy, bool variants,
                                 size_t *n)
{
    *n = 0;
    struct group *g = findings && findings->count
                          ? calloc(findings->count, sizeof *g)
                          : NULL;
    if (!g)
        return NULL;
    EACH (fd, findings) {
        if ((variants ? !rpt_finding_variant(fd) : rpt_finding_known(fd)) ||
            (policy && strcmp(json_get_str(fd, "policy", ""), policy)))
            continue;
        size_t i = 0;
        while (i < *n && !rpt_same_finding(g[i].best, fd))
            i++;
        if (i == *n)
            g[(*n)++].best = fd;
        else if (json_get_num(fd, "statements", 1e9) <
                 json_get_num(g[i].best, "statements", 1e9))
            g[i].best = fd; /* the smallest reproducer */
        g[i].count++;
        const char *src = json_get_str(fd, "source", "");
        g[i].fuzz |= !strcmp(src, "fuzz");
        g[i].stress |= !strcmp(src, "stress");
    }
    return g;
}

struct group *rpt_new_groups(const struct json *findings, const char *policy,
                             size_t *n)
{
    return rpt_finding_groups(findings, policy, false, n);
}

const char *rpt_group_sources(const struct group *g)
{
    return g->fuzz && g->stress ? "fuzz, stress"
           : g->fuzz            ? "fuzz"
           : g->stress          ? "stress"
                                : "?";
}

unsigned report_new_count(const struct json *findings, const char *policy)
{
    size_t n;
    struct group *g = rpt_new_groups(findings, policy, &n);
    if (!g) /* none, or out of memory: then count every new finding */
        EACH (fd, findings)
            n += !rpt_finding_known(fd) &&
                 (!policy || !strcmp(json_get_str(fd, "policy", ""), policy));
    free(g);
    return (unsigned)n;
}

unsigned rpt_new_count(const struct json *night)
{
    return report_new_count(json_get(night, "findings"), NULL);
}

double rpt_fuzz_execs(const struct json *night)
{
    double t = 0;
    EACH (run, json_get(night, "fuzz"))
        t += json_get_num(json_get(run, "totals"), "execs", 0);
    return t;
}

double rpt_stress_total(const struct json *night, const char *what)
{
    double t = 0;
    EACH (run, json_get(night, "stress"))
        t += json_get_num(json_get(run, "totals"), what, 0);
    return t;
}

const char *rpt_night_date(const struct json *night)
{
    return json_get_str(night, "started", "?");
}

/* The policy under test: the night's, else the default, as `ternrig report`
 * takes it. */
const char *rpt_night_policy(const struct json *night)
{
    return json_get_str(night, "policy", policy_name(POLICY_REFERENCE));
}

const char *rpt_status_word(const struct json *night)
{
    double e = json_get_num(night, "exit", 2);
    return e == 0 ? "clean" : e == 1 ? "NEW FINDING" : "setup error";
}
