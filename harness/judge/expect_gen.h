/* expect_gen.h - expectations written from the model.
 *
 * Owns: turning the model's verdicts under every policy into `expect`
 * statements (SPEC §3) that describe them completely: every created file's
 * final state, then every finding (`violation`/`hazard KIND F`), or `clean`
 * when there is none.  Bare `expect` lines hold for reference; for the other
 * policies one `expect[P1,P2,...]` line lists every policy it holds for, in
 * order of first appearance.  The corpus workflow (`ternrig corpus add`,
 * and `corpus fill` for one policy) uses it; a person still checks the
 * result against SPEC §2.
 */
#ifndef TERNRIG_EXPECT_GEN_H
#define TERNRIG_EXPECT_GEN_H

#include "judge.h"

/* The expect lines for `p` (a valid program; its own expects are ignored),
 * each ending in a newline, into `buf`.  Returns the length needed (like
 * snprintf), or 0 when `p` is not a valid program. */
size_t expectations_text(struct judge *j, const struct program *p, char *buf,
                         size_t cap);
/* The same for one policy: `expect[P] ...` lines (bare `expect` for
 * reference), in the order expectations_text gives them. */
size_t expectations_text_for(struct judge *j, const struct program *p,
                             enum policy pol, char *buf, size_t cap);

#endif
