/* reproducer.h - the storm's findings as traces.
 *
 * Owns: the .trace files a storm writes for what it found: a violation's
 * reproducer (OUT/reproducers/KIND-N.trace, eight of a kind, with its
 * evidence in comments and the mount's outcome as an expectation) and a
 * file seen with bytes never written to it (OUT/content/SCEN.trace, with
 * a line on the progress stream).  One that cannot be written (OUT not
 * a directory, a full disk) is counted in stress_result.unwritten with
 * the first reason, said on the progress stream, and its partial file
 * removed: never a silent loss.
 */
#ifndef TERNRIG_REPRODUCER_H
#define TERNRIG_REPRODUCER_H

#include <stdint.h>
#include "scenario.h"
#include "stress.h"
#include "supervisor.h"

/* The reproducer of finding `f` of `sc`, whose program as it ran is in
 * s->prog; its path into sf->reproducer (empty: none written, because
 * there are eight of its kind already, or counted as unwritten). */
void storm_write_reproducer(struct sup *s, const struct scenario *sc,
                            const struct scen_finding *f,
                            struct stress_finding *sf);

/* A look `o` at a file of `sc` found byte `bad` wrong (`got`: the byte
 * read, and the one written above it). */
void save_content_mismatch(struct sup *s, const struct scenario *sc,
                           const struct scen_obs *o, uint64_t bad,
                           uint32_t got);

#endif
