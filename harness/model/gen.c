/* gen.c - random valid programs by rejection on the model. */
#include <stdio.h>
#include <string.h>
#include "gen.h"

uint64_t gen_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
    return n ? (uint32_t)(gen_next(rng) % n) : 0;
}

/* A statement at random, by the weights of the statement table. */
static uint8_t pick_op(uint64_t *rng)
{
    unsigned total = 0;
    for (unsigned op = 0; op < OP_COUNT; op++)
        total += statement_of(op)->weight;
    unsigned r = below(rng, total);
    for (unsigned op = 0; op < OP_COUNT; op++) {
        unsigned w = statement_of(op)->weight;
        if (r < w)
            return (uint8_t)op;
        r -= w;
    }
    return OP_WRITE;
}

/* The kind of the word of `row` that fills `slot` (its operands and its
 * options' names), or -1 if none does. */
static int slot_kind(const struct statement *row, unsigned slot)
{
    for (int i = 0; i < row->noperands; i++)
        if (row->operands[i].slot == slot)
            return row->operands[i].kind;
    for (int k = 0; k < row->noptions; k++)
        if (row->options[k].kind == OPTION_NAME &&
            row->options[k].name.slot == slot)
            return row->options[k].name.kind;
    return -1;
}

/* A schedule option (SPEC v2 §3): its names are what the model says at
 * that point (a released task, the dying threads), not a random draw. */
static bool is_schedule(const struct statement_option *o)
{
    return o->name.kind == OPERAND_RELEASED_TASK ||
           o->name.kind == OPERAND_DYING_TASK;
}

/* Every slot gets a draw; then the kind of the word in it decides: a new
 * name is mostly the next unused one (sometimes one in use, which the
 * model rejects or, for a file, makes fail at run time), a name that must
 * exist is one in use. */
void gen_propose(struct step *s, uint64_t *rng, const struct gen_names *n)
{
    uint16_t tasks = n->tasks, files = n->files, fds = n->fds;
    memset(s, 0, sizeof *s);
    s->op = tasks ? pick_op(rng) : OP_SPAWN;
    const struct statement *row = statement_of(s->op);
    s->task = (uint16_t)below(rng, tasks);
    if (slot_kind(row, SLOT_TASK) == OPERAND_NEW_TASK)
        s->task = tasks < MAX_TASK_NAMES ? tasks : (uint16_t)below(rng, tasks);
    s->task2 = below(rng, 4) && tasks < MAX_TASK_NAMES
                   ? tasks
                   : (uint16_t)below(rng, tasks + 1u < MAX_TASK_NAMES
                                              ? tasks + 1u
                                              : MAX_TASK_NAMES);
    if (slot_kind(row, SLOT_TASK2) == OPERAND_TASK)
        s->task2 = (uint16_t)below(rng, tasks);
    unsigned fspace = files + 1u < MAX_FILE_NAMES ? files + 1u : MAX_FILE_NAMES;
    unsigned dspace = fds + 1u < MAX_FD_NAMES ? fds + 1u : MAX_FD_NAMES;
    s->file = (uint16_t)below(rng, fspace);
    s->fd = (uint16_t)below(rng, dspace);
    s->fd2 = (uint16_t)below(rng, dspace);
    if (slot_kind(row, SLOT_FILE) == OPERAND_NEW_FILE)
        s->file = files < MAX_FILE_NAMES && below(rng, 3)
                      ? files
                      : (uint16_t)below(rng, files ? files : 1);
    for (int k = 0; k < row->noptions; k++) {
        const struct statement_option *o = &row->options[k];
        if (is_schedule(o))
            continue; /* gen_schedule's, on the model */
        if (o->kind == OPTION_NAME && o->default_slot != SLOT_NONE) {
            /* always named: an fd named after a file is a new fd */
            if (o->default_slot == SLOT_FILE && fds < MAX_FD_NAMES)
                step_set_slot(s, o->name.slot, fds);
            s->flags |= o->flag;
        } else if (o->kind == OPTION_FLAG && !below(rng, 4)) {
            s->flags |= o->flag;
        }
    }
    /* a size up to 4096 (numbers of other kinds: in their range) */
    uint32_t lo = row->number_max ? row->number_min : 1;
    uint32_t hi = row->number_max ? row->number_max : MAX_WRITE;
    s->n = lo + below(rng, hi - lo < 4096 ? hi - lo + 1 : 4096);
}

void gen_propose_live(struct step *s, uint64_t *rng, const struct gen_names *n,
                      const struct model *m)
{
    gen_propose(s, rng, n);
    const struct statement *row = statement_of(s->op);
    uint16_t live[MAX_TASK_NAMES], nlive = 0;
    for (uint16_t t = 0; t < n->tasks; t++)
        if (model_task_runnable(m, t))
            live[nlive++] = t;
    if (nlive == 0 || slot_kind(row, SLOT_TASK) == OPERAND_NEW_TASK)
        return;
    /* the actor is a task that can run; kill's target is a live task half
     * the time, else any name in use (a dead one is tried too) */
    bool actor = row->form == FORM_BY_TASK;
    if (actor || below(rng, 2))
        s->task = live[below(rng, nlive)];
    if (slot_kind(row, SLOT_TASK2) == OPERAND_TASK)
        s->task2 = live[below(rng, nlive)];
    if (!actor)
        return;
    uint16_t bound[MAX_FD_NAMES], nb = 0;
    for (uint16_t d = 0; d < n->fds; d++)
        if (model_fd_bound(m, s->task, d))
            bound[nb++] = d;
    for (unsigned slot = SLOT_FD; slot <= SLOT_FD2 && nb; slot++) {
        int kind = slot_kind(row, slot);
        if (kind == OPERAND_FD ||
            (kind == OPERAND_ANY_FD && below(rng, 2)))
            step_set_slot(s, slot, bound[below(rng, nb)]);
    }
}

void gen_shuffle(uint16_t *v, unsigned n, uint64_t *rng)
{
    for (unsigned i = n; i > 1; i--) { /* Fisher-Yates */
        unsigned j = below(rng, i);
        uint16_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* How often a proposal carries a schedule.  `reuses`: on a third of the
 * new tasks while some task_struct is released and not reused (the kernel
 * reuses 0-98 % of the time, SPEC v2 §2: a third keeps fresh memory and
 * reuse both common); X is, three times in four, one that an open file
 * still names as its owner when there is one (only such a reuse can change
 * a flush: model_released_still_named), else any of them.  `order`: on
 * half of the statements that kill two threads or more, a permutation
 * drawn uniformly (the other half keep version 1's schedule, which no
 * `order` can write: every exit_mm first); on one in sixteen that kill one
 * thread or none, the list that changes nothing (one name, or none), so
 * that the printer, the codec and the sanitizer see those lists too. */
#define GEN_REUSES_ONE_IN 3
#define GEN_REUSES_NAMED_IN_4 3
#define GEN_ORDER_ONE_IN 2
#define GEN_TRIVIAL_ORDER_ONE_IN 16

uint16_t gen_pick_reusable(const struct model *m, const uint16_t *released,
                           unsigned n, uint64_t *rng)
{
    uint16_t named[MAX_TASK_NAMES];
    unsigned nn = 0;
    for (unsigned i = 0; i < n; i++)
        if (model_released_still_named(m, released[i]))
            named[nn++] = released[i];
    if (nn && below(rng, 4) < GEN_REUSES_NAMED_IN_4)
        return named[below(rng, nn)];
    return released[below(rng, n)];
}

void gen_schedule(struct program *p, struct step *s, uint64_t *rng,
                  const struct model *m)
{
    const struct statement *row = statement_of(s->op);
    s->flags &= (uint8_t)~(STEP_REUSES | STEP_ORDER);
    s->norder = 0;
    s->reuses = 0;
    for (int k = 0; row && k < row->noptions; k++) {
        const struct statement_option *o = &row->options[k];
        uint16_t names[MAX_TASK_NAMES];
        if (o->name.kind == OPERAND_RELEASED_TASK) {
            unsigned n = model_reusable_tasks(m, names);
            if (n && below(rng, GEN_REUSES_ONE_IN) == 0) {
                step_set_slot(s, o->name.slot,
                              gen_pick_reusable(m, names, n, rng));
                s->flags |= o->flag;
            }
        } else if (o->name.kind == OPERAND_DYING_TASK) {
            unsigned n = model_dying_threads(m, s, names);
            if (below(rng, n >= 2 ? GEN_ORDER_ONE_IN
                                  : GEN_TRIVIAL_ORDER_ONE_IN) != 0)
                continue;
            gen_shuffle(names, n, rng);
            program_set_order(p, s, names, n); /* full: no order */
        }
    }
}

/* The names a statement brings into being: its new tasks, files and fds. */
static void note_word(const struct step *s, struct statement_operand o,
                      struct gen_names *n)
{
    uint16_t *count = o.kind == OPERAND_NEW_TASK   ? &n->tasks
                      : o.kind == OPERAND_NEW_FILE ? &n->files
                      : o.kind == OPERAND_NEW_FD ||
                              o.kind == OPERAND_ANY_FD
                          ? &n->fds
                          : NULL;
    uint32_t v = step_slot(s, o.slot);
    if (count && v + 1u > *count)
        *count = (uint16_t)(v + 1u);
}

void gen_note(const struct step *s, struct gen_names *n)
{
    const struct statement *row = statement_of(s->op);
    if (!row || row->form == FORM_EXPECT)
        return;
    /* Task 0 and fd 0 count as in use from the first statement on (the
     * generator always did so: its random streams stay the same). */
    if (n->tasks == 0)
        n->tasks = 1;
    if (n->fds == 0)
        n->fds = 1;
    for (int i = 0; i < row->noperands; i++)
        note_word(s, row->operands[i], n);
    for (int k = 0; k < row->noptions; k++)
        if (row->options[k].kind == OPTION_NAME)
            note_word(s, row->options[k].name, n);
}

void gen_names_of(const struct program *p, struct gen_names *n)
{
    n->tasks = n->files = n->fds = 0;
    for (uint32_t i = 0; i < p->nsteps; i++)
        gen_note(&p->steps[i], n);
}

void gen_name_all(struct program *p)
{
    trace_generated_names(p, MAX_TASK_NAMES, MAX_FILE_NAMES, MAX_FD_NAMES);
}

static void generate(struct model *m, struct program *p, uint32_t nsteps,
                     uint64_t *rng, bool user_only, gen_keep_fn keep);

/* Map sizes: small, so that a program of a few dozen statements can fill
 * the map (half of them 1 or 2), sometimes TernFS's own. */
void gen_closetracker_map(struct step *s, uint64_t *rng)
{
    memset(s, 0, sizeof *s);
    s->op = OP_CLOSETRACKER_MAP;
    uint64_t r = gen_next(rng);
    s->n = r % 8 == 0 ? CLOSETRACKER_MAP_DEFAULT
                      : (uint32_t)(1 + (r >> 8) % (r % 2 ? 2 : 16));
}

void gen_program(struct model *m, struct program *p, uint32_t nsteps,
                 uint64_t *rng)
{
    generate(m, p, nsteps, rng, false, NULL);
}

void gen_program_user(struct model *m, struct program *p, uint32_t nsteps,
                      uint64_t *rng)
{
    generate(m, p, nsteps, rng, true, NULL);
}

void gen_program_user_kept(struct model *m, struct program *p,
                           uint32_t nsteps, uint64_t *rng, gen_keep_fn keep)
{
    generate(m, p, nsteps, rng, true, keep);
}

/* `user_only`: no kernel threads and no schedules (gen.h); `keep`, when
 * given, may turn a proposal down before the model sees it (gen.h). */
static void generate(struct model *m, struct program *p, uint32_t nsteps,
                     uint64_t *rng, bool user_only, gen_keep_fn keep)
{
    struct trace_error err;
    program_init(p);
    /* The model reads the name counts at reset: give it the whole space. */
    gen_name_all(p);
    model_reset(m, p, POLICY_REFERENCE);
    struct gen_names n = {0, 0, 0};
    if (nsteps > MAX_STEPS)
        nsteps = MAX_STEPS;
    /* A quarter of the programs set the close tracker's map first, drawn
     * from a stream of their own so that the statements after it are
     * the ones a program without it gets. */
    uint64_t side = *rng ^ 0xC105E7AC4E5ull;
    if (!user_only && nsteps > 0 && gen_next(&side) % 4 == 0) {
        gen_closetracker_map(&p->steps[0], &side);
        p->steps[0].line = 1;
        p->nsteps = 1;
        struct trace_error e0;
        if (model_step(m, 0, &e0) < 0)
            p->nsteps = 0;
    }
    unsigned misses = 0;
    while (p->nsteps < nsteps && misses < 1000) {
        struct step *s = &p->steps[p->nsteps];
        gen_propose(s, rng, &n);
        if (user_only && statement_not_real(s->op)) { /* not for real */
            misses++;
            continue;
        }
        if (keep && !keep(s->op, rng, &n))
            continue; /* not a miss: the caller's weighting */
        if (!user_only)
            gen_schedule(p, s, rng, m);
        s->line = p->nsteps + 1;
        p->nsteps++;
        if (model_step(m, p->nsteps - 1, &err) < 0) {
            p->nsteps--;
            misses++;
            continue;
        }
        misses = 0;
        gen_note(s, &n);
    }
    p->ntasks = n.tasks ? n.tasks : 1;
    p->nfiles = n.files ? n.files : 1;
    p->nfds = n.fds ? n.fds : 1;
}
