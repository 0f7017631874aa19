/* findings.h - from inputs that fired a violation to ready reproducers.
 *
 * Owns: turning the fuzz targets' collected inputs (POLICY.KIND.HASH.trb)
 * into findings: decoded, minimized at the trace level, canonically named,
 * deduplicated by (policy, kind, mechanism: the root cause read off the
 * history, mechanism.h) and written as .trace files that `ternrig replay`
 * reproduces, the smallest program of each mechanism.
 */
#ifndef TERNRIG_FINDINGS_H
#define TERNRIG_FINDINGS_H

#include <stdio.h>
#include <time.h>
#include "core.h"
#include "event.h"

#define MAX_SHAPES 256

#define MAX_SHAPE_TEXTS 32 /* distinct programs counted per mechanism */

/* One distinct finding: a (policy, kind, mechanism). */
struct shape {
    enum policy policy;
    enum finding_kind kind;
    char mechanism[192];   /* the root cause (mechanism.h)           */
    unsigned inputs;       /* collected inputs with this mechanism   */
    unsigned programs;     /* distinct minimized programs among them */
    uint64_t text_hash[MAX_SHAPE_TEXTS];
    double first_seconds;  /* since the run started                */
    char path[512];        /* the reproducer written: the smallest   */
    char *text;            /* its minimized program (malloc'd)       */
};

struct finding_set {
    struct shape shapes[MAX_SHAPES];
    unsigned nshapes;
    unsigned inputs, unusable;
    bool truncated;
};

/* Process every collected input in `collect_dir`, writing reproducers into
 * `findings_dir` (created).  `start` is when the run began (for first-found
 * times).  Returns 0, or -1 with a message on stderr. */
int findings_process(const char *collect_dir, const char *findings_dir,
                     time_t start, const char *engine,
                     struct finding_set *out);
void findings_free(struct finding_set *s);
/* The summary table: one line per mechanism, with its policy, kind,
 * inputs, distinct programs, first found and reproducer. */
void findings_print(FILE *f, const struct finding_set *s);

#endif
