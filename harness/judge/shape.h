/* shape.h - when two reproducers are the same finding.
 *
 * Owns: the definition of a shape.  A program's shape is its statement
 * sequence after normalizing: `expect` statements dropped, names made
 * canonical in order of first use (tasks a, b, c...; files f, g, h...; fds
 * as canonicalize_names), and every write size set to 1.  Two reproducers
 * that differ only in names, write sizes, comments or expectations have the
 * same shape; the corpus keeps one trace per shape, with expectations for
 * every policy, so a shape already in the corpus is a known finding
 * whatever policy it was found under.  The shape hash is FNV-1a 64 of the
 * shape's text, and names corpus files.
 */
#ifndef TERNRIG_SHAPE_H
#define TERNRIG_SHAPE_H

#include "judge.h"

/* Drop expects and canonicalize `p` in place (write sizes are kept: this is
 * the form a corpus trace is written in).  When `minimize` and `p` shows
 * `kind` under `policy`, first shrink it while it still does (minimize.h);
 * returns whether it was minimized.  `scratch` is a second buffer. */
bool finding_normalize(struct judge *j, struct program *p,
                       struct program *scratch, enum policy policy,
                       enum finding_kind kind, bool minimize);

/* The shape text of `p` (which is not changed) into `buf`: returns the
 * length it needed, like snprintf.  `scratch` is a second buffer. */
size_t program_shape(const struct program *p, struct program *scratch,
                     char *buf, size_t cap);

/* FNV-1a 64 of a shape text. */
uint64_t shape_hash(const char *text);

#endif
