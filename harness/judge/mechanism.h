/* mechanism.h - the root cause of a finding, for deduplication.
 *
 * Owns: naming the mechanism behind a finding, read off the history the
 * oracle judged: the flush (or link, or create) that decided, what the core
 * decided there, and the lifecycle facts that fed the decision (who
 * flushed: the creator or another process, a thread or the leader; why:
 * close(2), io_uring, close_range, dup2, close-on-exec, teardown; the
 * flusher's mm gone while the process lives on; a stale owner pointer that
 * a reused task_struct matched; owner->mm read through it; a close the
 * close tracker did not count).  Two findings with the same mechanism are
 * the same bug however their programs differ (the order of independent
 * statements, names, sizes), as OSS-Fuzz dedups crashes by stack.
 */
#ifndef TERNRIG_MECHANISM_H
#define TERNRIG_MECHANISM_H

#include <stddef.h>
#include "core.h"
#include "event.h"
#include "judge.h"
#include "oracle.h"

/* Writes the mechanism of finding `f` of history `h` under `policy` as one
 * short line ("seal: close(2) by another process"); returns its length
 * (like snprintf). */
size_t finding_mechanism(const struct history *h, const struct finding *f,
                         enum policy policy, char *buf, size_t cap);

/* The mechanism of program `p`'s first `kind` finding under `policy` (the
 * one `ternrig fuzz` and `ternrig report` both name a reproducer by).
 * False when `p` shows no such finding (or is invalid). */
bool program_mechanism(struct judge *j, const struct program *p,
                       enum policy policy, enum finding_kind kind, char *buf,
                       size_t cap);

#endif
