/* gen.h - random valid programs, for benchmarks, fuzzers and stress.
 *
 * Owns: the choice of random statements.  Each candidate statement is
 * checked by running it on the model (which validates before it mutates),
 * so every generated program is valid under every policy.
 */
#ifndef TERNRIG_GEN_H
#define TERNRIG_GEN_H

#include <stdint.h>
#include "model.h"
#include "trace.h"

/* xorshift64*: a small deterministic generator; never seed with 0. */
uint64_t gen_next(uint64_t *state);

/* Fill `p` with a valid program of `nsteps` statements (fewer if the limits
 * leave no valid statement), no expects.  `m` is used as scratch. */
void gen_program(struct model *m, struct program *p, uint32_t nsteps,
                 uint64_t *rng);

#endif
