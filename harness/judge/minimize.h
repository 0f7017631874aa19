/* minimize.h - reproducers at the trace level: shrink a program while the
 * same (policy, finding kind) still fires, and give it canonical names, so
 * that two findings with the same shape print the same.
 *
 * Owns: trace-level minimization (syzkaller style: delete statements while
 * the bug still fires) and canonical naming.  Byte-level minimizers
 * (libFuzzer -minimize_crash, afl-tmin) shrink bytes, not steps.
 */
#ifndef TERNRIG_MINIMIZE_H
#define TERNRIG_MINIMIZE_H

#include "judge.h"

/* Does `p` (valid) give a finding of `kind` under `policy`?  Sets *file to
 * the first such finding's file. */
bool program_finds(struct judge *j, const struct program *p,
                   enum policy policy, enum finding_kind kind,
                   uint16_t *file);

/* Shrink `p` while it still finds `kind` under `policy`: drop expects, then
 * delete chunks of statements (halving down to single statements, statements
 * made invalid by a deletion going with it), until no deletion keeps the
 * finding.  `p` must find `kind` to begin with.  Returns the number of
 * candidate programs tried.  `scratch` is a second program buffer. */
uint32_t minimize_program(struct judge *j, struct program *p,
                          struct program *scratch, enum policy policy,
                          enum finding_kind kind);

/* Rename in order of first appearance: tasks a, b, c...; files f, g, h...;
 * an fd named like its file when it is created without `as`, else d1, d2...
 * Drops names no statement uses. */
void canonicalize_names(struct program *p);

#endif
