/* mutator.c - structure-aware mutation of binary programs, for libFuzzer
 * (LLVMFuzzerCustomMutator / LLVMFuzzerCustomCrossOver) and AFL++
 * (afl_custom_init / afl_custom_fuzz / afl_custom_deinit, built as a shared
 * library with -DTERNRIG_AFL_MUTATOR) from the same code.
 *
 * A mutant is made from whole statements: insert a statement that is valid
 * where it lands (proposed at random, checked on the model run up to that
 * point, with the schedule options the generator gives), delete one or a
 * run of statements, swap two, rewrite one operand (task, file, fd, size,
 * flags) or the statement itself, duplicate one, change the schedule of
 * one (SPEC v2 §3: add, drop or change its `reuses`; insert, drop or
 * permute its `order`, from the model's views at that point), or splice
 * with another input.  The result is made valid (statements broken by the
 * change are dropped; a schedule that no longer fits is dropped alone, see
 * model_sanitize) and encoded, so every mutant is a meaningful program.  A
 * small share of mutations is left to the byte level.  An input that is
 * one of the last mutants made here is valid already and is not made
 * valid again (MADE_SLOTS).
 */
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "model.h"
#include "trace.h"

/* The hashes of the last mutants made, by hash modulo MADE_SLOTS (a
 * newer one takes an older one's slot).  A mutant is valid when made
 * (made valid, then encoded), so when it comes back as the input of the
 * next mutation (libFuzzer stacks up to -mutate_depth mutations on one
 * input, and keeps mutants as corpus units) it needs no model_sanitize:
 * a model run saved.  A hash that only matches by chance costs nothing
 * worse than a mutation of an invalid program, which the final
 * model_sanitize makes valid as always. */
#define MADE_SLOTS 16384

struct mutator {
    struct model *model;
    struct program prog, other;
    uint64_t made[MADE_SLOTS];
    uint8_t out[1 << 16];
};

static uint64_t input_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h | 1; /* 0 marks a free slot */
}

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

/* Run the model over statements 0..pos-1 of mu->prog.  False if one of
 * them is a trace error (an earlier mutation broke it). */
static bool run_prefix(struct mutator *mu, uint32_t pos)
{
    struct trace_error err;
    model_reset(mu->model, &mu->prog, POLICY_REFERENCE);
    for (uint32_t i = 0; i < pos; i++)
        if (model_step(mu->model, i, &err) < 0)
            return false;
    return true;
}

/* Insert at `pos` a statement valid after the statements before it: make
 * room (the program keeps every statement, so its order lists stay whole),
 * run the prefix once, then try proposals there, each with the schedule
 * the generator would give it (a rejected statement leaves the model as it
 * was). */
static void insert_valid(struct mutator *mu, uint32_t pos, uint64_t *rng)
{
    struct program *p = &mu->prog;
    if (p->nsteps >= TRACE_DECODE_MAX_STEPS)
        return;
    struct gen_names n;
    gen_names_of(p, &n);
    struct trace_error err;
    memmove(&p->steps[pos + 1], &p->steps[pos],
            (p->nsteps - pos) * sizeof p->steps[0]);
    p->nsteps++;
    memset(&p->steps[pos], 0, sizeof p->steps[pos]);
    bool ok = run_prefix(mu, pos);
    for (int attempt = 0; ok && attempt < 16; attempt++) {
        struct step *cand = &p->steps[pos];
        gen_propose_live(cand, rng, &n, mu->model);
        gen_schedule(p, cand, rng, mu->model);
        if (model_step(mu->model, pos, &err) == 0)
            return;
    }
    program_remove_step(p, pos);
}

_Static_assert(MAX_TASK_NAMES <= 64, "a set of task names fits in 64 bits");

/* True if `list` (n names) is a permutation of `want` (nw names). */
static bool same_names(const uint16_t *list, unsigned n, const uint16_t *want,
                       unsigned nw)
{
    if (n != nw)
        return false;
    uint64_t a = 0, b = 0;
    for (unsigned i = 0; i < n; i++) {
        a |= 1ull << list[i];
        b |= 1ull << want[i];
    }
    return a == b && __builtin_popcountll(a) == (int)n;
}

/* How a schedule mutation changes an `order` list or a `reuses`: a
 * statement without the option gets one; one with it loses it a third of
 * the time, else a list is permuted (two names swapped, or all shuffled)
 * and a `reuses` names another released task when there is one (X drawn
 * as the generator draws it: gen_pick_reusable).  A list
 * that no longer names exactly the dying threads (the statements before
 * it changed) is drawn anew. */
static void mutate_order(struct program *p, struct step *s,
                         const struct model *m, uint64_t *rng)
{
    uint16_t dying[MAX_TASK_NAMES], list[MAX_TASK_NAMES];
    unsigned n = model_dying_threads(m, s, dying);
    bool has = s->flags & STEP_ORDER;
    if (has && (n < 2 || below(rng, 3) == 0)) { /* drop: version 1's */
        s->flags &= (uint8_t)~STEP_ORDER;
        s->norder = 0;
        return;
    }
    if (has && same_names(step_order(p, s), s->norder, dying, n)) {
        memcpy(list, step_order(p, s), n * sizeof list[0]);
        if (below(rng, 2)) { /* swap two names */
            unsigned a = below(rng, n), b = below(rng, n - 1);
            b += b >= a;
            uint16_t t = list[a];
            list[a] = list[b];
            list[b] = t;
        } else {
            gen_shuffle(list, n, rng);
        }
    } else { /* insert, or replace a list that no longer fits */
        memcpy(list, dying, n * sizeof list[0]);
        gen_shuffle(list, n, rng);
    }
    program_set_order(p, s, list, n); /* full: left as it was */
}

static void mutate_reuses(struct step *s, const struct model *m,
                          uint64_t *rng)
{
    uint16_t released[MAX_TASK_NAMES];
    unsigned n = model_reusable_tasks(m, released);
    bool has = s->flags & STEP_REUSES;
    if (has && (n == 0 || below(rng, 3) == 0)) { /* drop: fresh memory */
        s->flags &= (uint8_t)~STEP_REUSES;
        s->reuses = 0;
        return;
    }
    if (n == 0)
        return;
    uint16_t x = gen_pick_reusable(m, released, n, rng);
    if (has && n > 1 && x == s->reuses) { /* another one */
        unsigned at = 0;
        while (released[at] != x)
            at++;
        x = released[(at + 1 + below(rng, n - 1)) % n];
    }
    s->reuses = x;
    s->flags |= STEP_REUSES;
}

/* The schedule options statement `s`'s row offers (STEP_* bits). */
static uint8_t schedule_flags(const struct step *s)
{
    const struct statement *row = statement_of(s->op);
    uint8_t f = 0;
    for (int k = 0; row && k < row->noptions; k++)
        f |= row->options[k].flag & (STEP_REUSES | STEP_ORDER);
    return f;
}

/* Whether a schedule mutation can change statement `s` where the model
 * `m` stands: it has an option to drop or permute, or the model offers
 * one (a released task; two dying threads or more, as one alone has only
 * the default schedule). */
static bool schedule_can_change(const struct step *s, const struct model *m)
{
    uint8_t f = schedule_flags(s);
    uint16_t names[MAX_TASK_NAMES];
    if (s->flags & f)
        return true;
    if (f & STEP_REUSES)
        return model_reusable_tasks(m, names) > 0;
    if (f & STEP_ORDER)
        return model_dying_threads(m, s, names) >= 2;
    return false;
}

/* Change the schedule of one statement whose schedule can change (one
 * pass of the model finds them; a second runs up to the one drawn): a
 * `reuses` or `order` valid where it stands.  False when none can (the
 * caller mutates otherwise). */
static bool mutate_schedule(struct mutator *mu, uint64_t *rng)
{
    struct program *p = &mu->prog;
    struct trace_error err;
    uint32_t at[TRACE_DECODE_MAX_STEPS], n = 0;
    model_reset(mu->model, p, POLICY_REFERENCE);
    for (uint32_t i = 0; i < p->nsteps && n < TRACE_DECODE_MAX_STEPS; i++) {
        if (schedule_can_change(&p->steps[i], mu->model))
            at[n++] = i;
        if (model_step(mu->model, i, &err) < 0)
            break; /* an earlier mutation broke it: what is before only */
    }
    if (n == 0)
        return false;
    uint32_t i = at[below(rng, n)];
    run_prefix(mu, i);
    struct step *s = &p->steps[i];
    if (schedule_flags(s) & STEP_ORDER)
        mutate_order(p, s, mu->model, rng);
    else
        mutate_reuses(s, mu->model, rng);
    return true;
}

/* The close tracker's map (SPEC v2: `closetracker_map N`, first or not at
 * all): set one with a small size, resize it, or drop it. */
static void mutate_map(struct program *p, uint64_t *rng)
{
    bool has = p->nsteps && p->steps[0].op == OP_CLOSETRACKER_MAP;
    if (has && below(rng, 3) == 0) {
        program_remove_step(p, 0);
        return;
    }
    struct step s;
    gen_closetracker_map(&s, rng);
    if (has) {
        p->steps[0].n = s.n;
        return;
    }
    if (p->nsteps >= TRACE_DECODE_MAX_STEPS)
        return;
    memmove(&p->steps[1], &p->steps[0], p->nsteps * sizeof p->steps[0]);
    p->steps[0] = s;
    p->nsteps++;
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

/* Two statements have the same shape when their operands are of the same
 * kinds in the same order (create and tmpfile; close, uring_close and
 * link): one can replace the other and every name still fits, so a known
 * path is retried with the sibling statement (a regular file's finding
 * becomes a tmpfile's).  Derived from the statement table. */
static bool same_shape(const struct statement *a, const struct statement *b)
{
    if (a->form != b->form || a->noperands != b->noperands)
        return false;
    for (int i = 0; i < a->noperands; i++)
        if (a->operands[i].kind != b->operands[i].kind ||
            a->operands[i].slot != b->operands[i].slot)
            return false;
    return true;
}

/* A statement of the same shape as `op` (not `op`), or `op` if none. */
static uint8_t sibling_statement(uint8_t op, uint64_t *rng)
{
    const struct statement *st = statement_of(op);
    uint8_t cand[OP_COUNT];
    unsigned n = 0;
    for (unsigned o = 0; st && o < OP_COUNT; o++)
        if (o != op && statement_of(o)->weight > 0 &&
            same_shape(st, statement_of(o)))
            cand[n++] = (uint8_t)o;
    return n ? cand[below(rng, n)] : op;
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
    default: /* another statement: often one of the same shape */
        s->op = below(rng, 2) ? sibling_statement(s->op, rng)
                              : any_statement(rng);
        /* a schedule the new statement cannot carry goes */
        s->flags &= (uint8_t)~((STEP_REUSES | STEP_ORDER) &
                               ~schedule_flags(s));
        break;
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
    uint32_t choice = below(rng, other ? 10 : 9);
    if (n == 0)
        choice = 0;
    else if (choice == 8 && below(rng, 4) == 0)
        mutate_map(p, rng); /* the map is the close tracker's schedule */
    else if (choice == 8 && !mutate_schedule(mu, rng))
        choice = 0; /* nothing can carry a schedule: grow instead */
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
    case 7: /* duplicate a statement somewhere later (sharing its order
             * list, which the lists' compaction copies apart) */
        if (n < TRACE_DECODE_MAX_STEPS) {
            uint32_t a = below(rng, n), at = a + 1 + below(rng, n - a);
            struct step t = p->steps[a];
            memmove(&p->steps[at + 1], &p->steps[at],
                    (n - at) * sizeof p->steps[0]);
            p->steps[at] = t;
            p->nsteps++;
        }
        break;
    case 8: /* the schedule of one statement: done above */
        break;
    default: { /* splice: our prefix, the other input's suffix */
        trace_decode(other, other_size, &mu->other);
        uint32_t cut = below(rng, n + 1);
        uint32_t from = below(rng, mu->other.nsteps + 1);
        uint32_t take = mu->other.nsteps - from;
        uint32_t room = cut < TRACE_DECODE_MAX_STEPS
                            ? TRACE_DECODE_MAX_STEPS - cut
                            : 0;
        if (take > room)
            take = room;
        memcpy(&p->steps[cut], &mu->other.steps[from],
               take * sizeof p->steps[0]);
        p->nsteps = cut + take;
        /* their order lists are the other program's: copy them over, one
         * by one (until then a step has none, so that a compaction of the
         * lists never reads another program's index) */
        for (uint32_t k = 0; k < take; k++)
            p->steps[cut + k].flags &= (uint8_t)~STEP_ORDER;
        for (uint32_t k = 0; k < take; k++) {
            const struct step *o = &mu->other.steps[from + k];
            if (o->flags & STEP_ORDER)
                program_set_order(p, &p->steps[cut + k],
                                  step_order(&mu->other, o), o->norder);
        }
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
    uint64_t h = input_hash(data, size);
    if (mu->made[h % MADE_SLOTS] != h) /* not one of ours: make it valid */
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
    if (len > max)
        return 0;
    h = input_hash(out, len);
    mu->made[h % MADE_SLOTS] = h;
    return len;
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
