/* expect.h - a trace's `expect` statements checked against a verdict.
 *
 * Owns: the meaning of `expect` (SPEC §3): which statements apply to which
 * policy, and whether each holds.
 */
#ifndef TERNRIG_EXPECT_H
#define TERNRIG_EXPECT_H

#include "oracle.h"
#include "trace.h"

struct expect_failure {
    uint32_t step; /* the expect statement */
    char got[120]; /* what was found instead */
};

/* True if expect statement `s` applies under `policy`: a bare expect applies
 * to reference, expect[P,...] to the policies it lists. */
bool expect_applies(const struct step *s, enum policy policy);

/* False when the verdict cannot decide expect statement `s`: judged from
 * looks alone, a file never seen visible is transient or aborted, so
 * `expect F transient` and `expect F aborted` are open (every other
 * expectation is decided by what the looks prove). */
bool expect_judgeable(const struct step *s, const struct verdict *v);

/* Check every applicable expect that the verdict can judge.  Fills up to
 * `cap` failures, returns how many failed; `*applicable` is how many were
 * judged, `*unjudged` (may be NULL) how many applied but could not be. */
uint32_t expect_check(const struct program *p, enum policy policy,
                      const struct verdict *v, struct expect_failure *out,
                      uint32_t cap, uint32_t *applicable, uint32_t *unjudged);

#endif
