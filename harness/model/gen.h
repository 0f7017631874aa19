/* gen.h - random valid programs, for benchmarks, fuzzers and stress.
 *
 * Owns: the choice of random statements, and of their schedules (`reuses`,
 * `order`: gen_schedule).  Each candidate statement is checked by running
 * it on the model (which validates before it mutates), so every generated
 * program is valid under every policy.
 */
#ifndef TERNRIG_GEN_H
#define TERNRIG_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include "model.h"
#include "trace.h"

/* xorshift64*: a small deterministic generator; never seed with 0. */
uint64_t gen_next(uint64_t *state);
/* Put the n names of `v` in a uniformly random order (an `order` list). */
void gen_shuffle(uint16_t *v, unsigned n, uint64_t *rng);

/* How many names of each namespace a program uses so far (names are
 * indices; a proposal may also use the next, new one). */
struct gen_names {
    uint16_t tasks, files, fds;
};

/* Propose one random statement over the names in use (or a new one).  It may
 * be invalid where it lands; callers check it on the model. */
void gen_propose(struct step *s, uint64_t *rng, const struct gen_names *n);
/* Like gen_propose, but drawing the acting task among the tasks that can
 * run now in `m` (the model after the statements before it) and the fds
 * among those bound in its table: most proposals are then valid. */
void gen_propose_live(struct step *s, uint64_t *rng, const struct gen_names *n,
                      const struct model *m);
/* Give proposal `s` of `p` the schedule options it may carry where it
 * lands (SPEC v2 §3), at the rates stated in gen.c: `reuses X` of a task
 * that `m` (the model after the statements before `s`) says is released
 * and not reused, `order` as a permutation of exactly the threads that `s`
 * kills there.  Any option `s` had is dropped first.  The options are
 * valid whenever the statement itself is.  gen_propose() and
 * gen_propose_live() leave schedules out: callers that want them call
 * this. */
void gen_schedule(struct program *p, struct step *s, uint64_t *rng,
                  const struct model *m);
/* The X of a `reuses`, among the `n` tasks of `released` (from
 * model_reusable_tasks(m)), weighted as gen.c states towards those whose
 * task_struct an open file still names. */
uint16_t gen_pick_reusable(const struct model *m, const uint16_t *released,
                           unsigned n, uint64_t *rng);
/* `s` becomes `closetracker_map N` with a small N (SPEC v2: it comes only
 * first): the generator puts one first in a quarter of its programs, the
 * mutator adds, resizes and drops it. */
void gen_closetracker_map(struct step *s, uint64_t *rng);
/* Count the names statement `s` introduces. */
void gen_note(const struct step *s, struct gen_names *n);
void gen_names_of(const struct program *p, struct gen_names *n);
/* Give every name slot its generated name (p0.., f0.., d0..) and set the
 * name counts to the limits, as the decoder's names. */
void gen_name_all(struct program *p);

/* Fill `p` with a valid program of `nsteps` statements (fewer if the limits
 * leave no valid statement), no expects.  `m` is used as scratch. */
void gen_program(struct model *m, struct program *p, uint32_t nsteps,
                 uint64_t *rng);

/* The same with user-space statements only (no kernel threads) and no
 * schedule options: what a real run can perform as written (the kernel
 * chooses its own exit order and task_struct reuse; see stress/scenario.c
 * for why the storm's scenarios use this). */
void gen_program_user(struct model *m, struct program *p, uint32_t nsteps,
                      uint64_t *rng);

/* A weighting over gen_program_user's proposals: false turns statement
 * kind `op` down (drawing from `rng` keeps the program a pure function of
 * the seed); `n`, the names in use so far.  A turned-down proposal is not
 * a miss: the generator proposes again. */
typedef bool (*gen_keep_fn)(uint8_t op, uint64_t *rng,
                            const struct gen_names *n);
/* gen_program_user with each proposal first offered to `keep`. */
void gen_program_user_kept(struct model *m, struct program *p,
                           uint32_t nsteps, uint64_t *rng, gen_keep_fn keep);

#endif
