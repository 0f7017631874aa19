/* mutator.c - structure-aware mutation of binary programs, for libFuzzer
 * (LLVMFuzzerCustomMutator / LLVMFuzzerCustomCrossOver) and AFL++
 * (afl_custom_init / afl_custom_fuzz / afl_custom_deinit, built as a shared
 * library with -DTERNRIG_AFL_MUTATOR) from the same code.
 *
 * A mutant is made from whole statements: insert a statement that is valid
 * where it lands (proposed at random, checked on the model run up to that
 * point), delete one or a run of statements, swap two, rewrite one operand
 * (task, file, fd, size, flags) or the statement itself, duplicate one, or
 * splice with another input.  The result is made valid (statements broken by
 * the change are dropped) and encoded, so every mutant is a meaningful
 * program.  A small share of mutations is left to the byte level.
 */
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "model.h"
#include "trace.h"

struct mutator {
    struct model *model;
    struct program prog, other;
    uint8_t out[1 << 16];
};

static struct mutator *mutator_new(void)
{
    struct mutator *mu = calloc(1, sizeof *mu);
    if (mu && !(mu->model = model_new())) {
        free(mu);
        mu = NULL;
    }
    return mu;
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
    return n ? (uint32_t)(gen_next(rng) % n) : 0;
}

/* Insert at `pos` a statement valid after the statements before it: run the
 * prefix once, then try proposals there (a rejected statement leaves the
 * model as it was). */
static void insert_valid(struct mutator *mu, uint32_t pos, uint64_t *rng)
{
    struct program *p = &mu->prog;
    if (p->nsteps >= TRACE_DECODE_MAX_STEPS)
        return;
    struct gen_names n;
    gen_names_of(p, &n);
    struct trace_error err;
    uint32_t total = p->nsteps;
    struct step saved = p->steps[pos];
    p->nsteps = pos + 1;
    model_reset(mu->model, p, POLICY_REFERENCE);
    bool ok = true;
    for (uint32_t i = 0; i < pos && ok; i++)
        ok = model_step(mu->model, i, &err) == 0;
    for (int attempt = 0; ok && attempt < 16; attempt++) {
        struct step cand;
        gen_propose_live(&cand, rng, &n, mu->model);
        p->steps[pos] = cand;
        if (model_step(mu->model, pos, &err) == 0) {
            p->steps[pos] = saved;
            memmove(&p->steps[pos + 1], &p->steps[pos],
                    (total - pos) * sizeof p->steps[0]);
            p->steps[pos] = cand;
            p->nsteps = total + 1;
            return;
        }
    }
    p->steps[pos] = saved;
    p->nsteps = total;
}

/* Any statement the generator proposes (expect aside), all alike. */
static uint8_t any_statement(uint64_t *rng)
{
    unsigned count = 0;
    for (unsigned op = 0; op < OP_COUNT; op++)
        count += statement_of(op)->weight > 0;
    unsigned pick = below(rng, count);
    for (unsigned op = 0; op < OP_COUNT; op++)
        if (statement_of(op)->weight > 0 && pick-- == 0)
            return (uint8_t)op;
    return OP_WRITE;
}

static void rewrite_operand(struct program *p, uint32_t i, uint64_t *rng)
{
    struct step *s = &p->steps[i];
    struct gen_names n;
    gen_names_of(p, &n);
    switch (below(rng, 7)) {
    case 0: s->task = (uint16_t)below(rng, n.tasks + 1u); break;
    case 1: s->task2 = (uint16_t)below(rng, n.tasks + 1u); break;
    case 2: s->file = (uint16_t)below(rng, n.files + 1u); break;
    case 3: s->fd = (uint16_t)below(rng, n.fds + 1u); break;
    case 4: s->fd2 = (uint16_t)below(rng, n.fds + 1u); break;
    case 5: s->n = 1 + below(rng, below(rng, 2) ? 64 : MAX_WRITE); break;
    default: s->op = any_statement(rng); break;
    }
    if (s->task >= MAX_TASK_NAMES) s->task = 0;
    if (s->task2 >= MAX_TASK_NAMES) s->task2 = 0;
    if (s->file >= MAX_FILE_NAMES) s->file = 0;
    if (s->fd >= MAX_FD_NAMES) s->fd = 0;
    if (s->fd2 >= MAX_FD_NAMES) s->fd2 = 0;
}

/* One structural mutation of mu->prog. */
static void mutate_once(struct mutator *mu, uint64_t *rng,
                        const uint8_t *other, size_t other_size)
{
    struct program *p = &mu->prog;
    uint32_t n = p->nsteps;
    uint32_t choice = below(rng, other ? 9 : 8);
    if (n == 0)
        choice = 0;
    switch (choice) {
    case 0: case 1: case 2: /* insert, often at the end: scenarios grow */
        insert_valid(mu, below(rng, 2) ? n : below(rng, n + 1), rng);
        break;
    case 3: /* delete one statement or a run */
        if (n) {
            uint32_t at = below(rng, n);
            uint32_t len = below(rng, 4) ? 1 : 1 + below(rng, n - at);
            while (len--)
                program_remove_step(p, at);
        }
        break;
    case 4: { /* swap two statements */
        uint32_t a = below(rng, n), b = below(rng, n);
        struct step t = p->steps[a];
        p->steps[a] = p->steps[b];
        p->steps[b] = t;
        break;
    }
    case 5: case 6: /* rewrite an operand or the statement */
        rewrite_operand(p, below(rng, n), rng);
        break;
    case 7: /* duplicate a statement somewhere later */
        if (n < TRACE_DECODE_MAX_STEPS) {
            uint32_t a = below(rng, n), at = a + 1 + below(rng, n - a);
            struct step t = p->steps[a];
            memmove(&p->steps[at + 1], &p->steps[at],
                    (n - at) * sizeof p->steps[0]);
            p->steps[at] = t;
            p->nsteps++;
        }
        break;
    default: { /* splice: our prefix, the other input's suffix */
        trace_decode(other, other_size, &mu->other);
        uint32_t cut = below(rng, n + 1);
        uint32_t from = below(rng, mu->other.nsteps + 1);
        uint32_t take = mu->other.nsteps - from;
        if (cut + take > TRACE_DECODE_MAX_STEPS)
            take = TRACE_DECODE_MAX_STEPS - cut;
        memcpy(&p->steps[cut], &mu->other.steps[from],
               take * sizeof p->steps[0]);
        p->nsteps = cut + take;
        break;
    }
    }
}

/* Decode, mutate 1-4 times, make valid, encode into out (at most max). */
static size_t ternrig_mutate(struct mutator *mu, const uint8_t *data,
                             size_t size, uint8_t *out, size_t max,
                             uint64_t seed, const uint8_t *other,
                             size_t other_size)
{
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    trace_decode(data, size, &mu->prog);
    gen_name_all(&mu->prog);
    model_sanitize(mu->model, &mu->prog);
    unsigned rounds = 1 + below(&rng, 4);
    for (unsigned r = 0; r < rounds; r++)
        mutate_once(mu, &rng, other, other_size);
    model_sanitize(mu->model, &mu->prog);
    size_t len = trace_encode(&mu->prog, out, max);
    while (len > max && mu->prog.nsteps > 0) { /* drop the tail to fit */
        mu->prog.nsteps--;
        model_sanitize(mu->model, &mu->prog);
        len = trace_encode(&mu->prog, out, max);
    }
    return len <= max ? len : 0;
}

#ifndef TERNRIG_AFL_MUTATOR

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                 const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size,
                                 unsigned int seed);

static struct mutator *the_mutator(void)
{
    static struct mutator *mu;
    if (!mu && !(mu = mutator_new()))
        abort();
    return mu;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    if (seed % 10 == 0) /* a share of plain byte mutations keeps variety */
        return LLVMFuzzerMutate(data, size, max_size);
    struct mutator *mu = the_mutator();
    size_t len = ternrig_mutate(mu, data, size, mu->out,
                                max_size < sizeof mu->out ? max_size
                                                          : sizeof mu->out,
                                seed, NULL, 0);
    if (len == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    memcpy(data, mu->out, len);
    return len;
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                 const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size,
                                 unsigned int seed)
{
    struct mutator *mu = the_mutator();
    return ternrig_mutate(mu, data1, size1, out, max_out_size, seed, data2,
                          size2);
}

#else /* AFL++ custom mutator interface */

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
                       uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

struct afl_mutator {
    struct mutator *mu;
    uint64_t rng;
};

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    struct afl_mutator *am = calloc(1, sizeof *am);
    if (!am || !(am->mu = mutator_new())) {
        free(am);
        return NULL;
    }
    am->rng = seed ? seed : 1;
    return am;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
                       uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size)
{
    struct afl_mutator *am = data;
    uint64_t seed = gen_next(&am->rng);
    size_t cap = max_size < sizeof am->mu->out ? max_size
                                               : sizeof am->mu->out;
    bool splice = add_buf && add_buf_size && seed % 8 == 0;
    size_t len = ternrig_mutate(am->mu, buf, buf_size, am->mu->out, cap, seed,
                                splice ? add_buf : NULL,
                                splice ? add_buf_size : 0);
    *out_buf = am->mu->out;
    return len;
}

void afl_custom_deinit(void *data)
{
    struct afl_mutator *am = data;
    if (am) {
        model_free(am->mu->model);
        free(am->mu);
        free(am);
    }
}

#endif
