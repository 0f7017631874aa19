/* test_mutator.c - the fuzzers' structure-aware mutator (fuzz/mutator.c),
 * through its AFL++ interface (the libFuzzer one shares every line but the
 * entry points), with no engine: a small population grown from `spawn a`,
 * as a fuzzer would.  Every mutant is a valid program under every policy
 * as it comes out (the fuzz target's sanitizer has nothing to drop), and
 * the mutator adds, drops and changes `reuses` and inserts, drops and
 * permutes `order` lists, each at a measurable rate. */
#include "check.h"
#include "model.h"
#include "trace.h"

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
                       uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

#define POP 48
#define MAX_INPUT 4096

struct input {
    size_t len;
    uint8_t b[MAX_INPUT];
};
static struct input pop[POP];
static struct program parent, child;

/* How a mutant's schedules differ from its parent's, for mutants whose
 * statements are the parent's but for their schedules. */
struct changes {
    unsigned mutants, valid, schedule_only;
    unsigned long long steps;
    unsigned with_reuses, with_order;
    unsigned reuses_added, reuses_dropped, reuses_changed;
    unsigned order_added, order_dropped, order_permuted;
};

/* The same statement, schedule aside. */
static bool same_but_schedule(const struct step *a, const struct step *b)
{
    uint8_t mask = (uint8_t)~(STEP_REUSES | STEP_ORDER);
    return a->op == b->op && (a->flags & mask) == (b->flags & mask) &&
           a->task == b->task && a->task2 == b->task2 &&
           a->file == b->file && a->fd == b->fd && a->fd2 == b->fd2 &&
           a->n == b->n && a->xkind == b->xkind && a->xfind == b->xfind &&
           a->policies == b->policies;
}

static void classify(struct changes *c)
{
    if (parent.nsteps != child.nsteps)
        return;
    for (uint32_t i = 0; i < child.nsteps; i++)
        if (!same_but_schedule(&parent.steps[i], &child.steps[i]))
            return;
    c->schedule_only++;
    for (uint32_t i = 0; i < child.nsteps; i++) {
        const struct step *a = &parent.steps[i], *b = &child.steps[i];
        bool ra = a->flags & STEP_REUSES, rb = b->flags & STEP_REUSES;
        c->reuses_added += !ra && rb;
        c->reuses_dropped += ra && !rb;
        c->reuses_changed += ra && rb && a->reuses != b->reuses;
        bool oa = a->flags & STEP_ORDER, ob = b->flags & STEP_ORDER;
        c->order_added += !oa && ob;
        c->order_dropped += oa && !ob;
        c->order_permuted += oa && ob && a->norder == b->norder &&
                             memcmp(step_order(&parent, a),
                                    step_order(&child, b),
                                    a->norder * sizeof(uint16_t)) != 0;
    }
}

/* The mutant is valid as it is, under every policy, and the model's
 * bookkeeping holds after it. */
static bool valid_everywhere(struct model *m, const uint8_t *b, size_t len)
{
    struct trace_error err;
    char why[200];
    trace_decode(b, len, &child);
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        if (model_run(m, &child, (enum policy)pol, &err) < 0) {
            static char text[1 << 16];
            trace_print(&child, text, sizeof text);
            fprintf(stderr, "%s: line %u: %s\n--- mutant ---\n%s",
                    policy_name((enum policy)pol), err.line, err.msg, text);
            return false;
        }
        if (model_check_invariants(m, why, sizeof why) < 0) {
            fprintf(stderr, "%s: %s\n", policy_name((enum policy)pol), why);
            return false;
        }
    }
    return true;
}

/* Mutate a population that starts as `start` (`spawn a` when NULL): each
 * round mutates a random member (splicing with another now and then, as
 * AFL++ does) and, when `grow`, keeps the mutant in a random slot. */
static void evolve(unsigned seed, unsigned rounds, const uint8_t *start,
                   size_t start_len, bool grow, struct changes *c)
{
    struct model *m = model_new();
    void *mu = afl_custom_init(NULL, seed);
    if (!m || !mu) {
        CHECK(!"mutator and model start");
        model_free(m);
        return;
    }
    memset(c, 0, sizeof *c);
    for (int i = 0; i < POP; i++) {
        if (start) {
            memcpy(pop[i].b, start, start_len);
            pop[i].len = start_len;
        } else {
            pop[i].len = 2; /* spawn a: statement code 0, task 0 */
            pop[i].b[0] = pop[i].b[1] = 0;
        }
    }
    uint64_t rng = seed * 2654435761u + 1;
    for (unsigned r = 0; r < rounds; r++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        struct input *in = &pop[rng % POP];
        struct input *other = &pop[(rng >> 20) % POP];
        uint8_t *out = NULL;
        size_t len = afl_custom_fuzz(mu, in->b, in->len, &out, other->b,
                                     other->len, MAX_INPUT);
        c->mutants++;
        if (!out || len == 0 || len > MAX_INPUT)
            continue;
        if (!valid_everywhere(m, out, len)) {
            CHECK(!"every mutant is valid under every policy");
            break;
        }
        c->valid++;
        c->steps += child.nsteps;
        trace_decode(in->b, in->len, &parent);
        trace_decode(out, len, &child);
        classify(c);
        bool has_r = false, has_o = false;
        for (uint32_t i = 0; i < child.nsteps; i++) {
            has_r |= (child.steps[i].flags & STEP_REUSES) != 0;
            has_o |= (child.steps[i].flags & STEP_ORDER) &&
                     child.steps[i].norder >= 2;
        }
        c->with_reuses += has_r;
        c->with_order += has_o;
        if (!grow)
            continue;
        struct input *slot = &pop[(rng >> 40) % POP];
        memcpy(slot->b, out, len);
        slot->len = len;
    }
    afl_custom_deinit(mu);
    model_free(m);
}

/* From `spawn a` alone, mutants stay valid and come to carry both
 * schedules. */
TEST(mutants_from_spawn_a_are_valid_and_reach_schedules)
{
    struct changes c;
    evolve(1, 20000, NULL, 0, true, &c);
    printf("from spawn a: %u mutants, %u valid (%.1f statements on "
           "average); with a reuses: %u, with an order of two or more: %u\n",
           c.mutants, c.valid, c.valid ? (double)c.steps / c.valid : 0.0,
           c.with_reuses, c.with_order);
    CHECK(c.valid * 10 >= c.mutants * 9);
    CHECK(c.with_reuses * 200 >= c.valid); /* at least 0.5 % */
    CHECK(c.with_order > 0);
    evolve(99, 8000, NULL, 0, true, &c);
    CHECK(c.valid * 10 >= c.mutants * 9);
    CHECK(c.with_reuses > 0 && c.with_order > 0);
}

/* Programs with schedules to change, mutated again and again (no
 * population: each mutant's parent is one of them): each kind of change
 * happens, and every mutant is valid. */
static const char *const RICH[] = {
    /* a kill of three threads, a group exit of two, reuses given and not */
    "spawn p\np create f\np thread t\np thread u\nt unshare_files\n"
    "u create g\nkill p order u t p\nspawn q reuses t\nq thread v\n"
    "q exit_group order v q\nspawn r\nr thread w\nr exit_group\n",
    /* the ABA of an old leader's task_struct */
    "spawn a\na thread b\na create f\na write f 2\nb exec\n"
    "b fork c reuses a\nc close f\n",
};

TEST(schedule_mutations_add_drop_change_and_permute)
{
    static uint8_t seeds[2][MAX_INPUT];
    size_t lens[2];
    struct trace_error err;
    for (int i = 0; i < 2; i++) {
        REQUIRE(trace_parse(RICH[i], strlen(RICH[i]), &parent, &err) == 0);
        lens[i] = trace_encode(&parent, seeds[i], sizeof seeds[i]);
        REQUIRE(lens[i] > 0 && lens[i] <= MAX_INPUT);
    }
    struct changes c, sum;
    memset(&sum, 0, sizeof sum);
    for (int i = 0; i < 2; i++) {
        evolve(7 + (unsigned)i, 10000, seeds[i], lens[i], false, &c);
        CHECK(c.valid * 10 >= c.mutants * 9);
        sum.valid += c.valid;
        sum.schedule_only += c.schedule_only;
        sum.reuses_added += c.reuses_added;
        sum.reuses_dropped += c.reuses_dropped;
        sum.reuses_changed += c.reuses_changed;
        sum.order_added += c.order_added;
        sum.order_dropped += c.order_dropped;
        sum.order_permuted += c.order_permuted;
    }
    printf("from two programs with schedules: %u valid mutants, %u changed "
           "only schedules: reuses +%u -%u ~%u, order +%u -%u ~%u\n",
           sum.valid, sum.schedule_only, sum.reuses_added,
           sum.reuses_dropped, sum.reuses_changed, sum.order_added,
           sum.order_dropped, sum.order_permuted);
    CHECK(sum.reuses_added >= 10);
    CHECK(sum.reuses_dropped >= 10);
    CHECK(sum.reuses_changed >= 10);
    CHECK(sum.order_added >= 10);
    CHECK(sum.order_dropped >= 10);
    CHECK(sum.order_permuted >= 10);
}

/* The close tracker's map (SPEC v2: first or nowhere): from `spawn a` the
 * mutator comes to set it, resize it and drop it, and every mutant stays
 * valid (a map statement anywhere but first would not be). */
TEST(map_mutations_set_resize_and_drop_the_closetracker_map)
{
    struct model *m = model_new();
    void *mu = afl_custom_init(NULL, 3);
    REQUIRE(m && mu);
    static uint8_t cur[MAX_INPUT];
    size_t len = 2;
    cur[0] = cur[1] = 0; /* spawn a */
    unsigned set = 0, resized = 0, dropped = 0, mutants = 0;
    for (int r = 0; r < 20000; r++) {
        uint8_t *out = NULL;
        size_t n = afl_custom_fuzz(mu, cur, len, &out, cur, len, MAX_INPUT);
        if (!out || n == 0 || n > MAX_INPUT)
            continue;
        mutants++;
        if (!valid_everywhere(m, out, n)) {
            CHECK(!"every mutant is valid under every policy");
            break;
        }
        trace_decode(cur, len, &parent);
        trace_decode(out, n, &child);
        bool had = parent.nsteps && parent.steps[0].op == OP_CLOSETRACKER_MAP;
        bool has = child.nsteps && child.steps[0].op == OP_CLOSETRACKER_MAP;
        set += !had && has;
        dropped += had && !has;
        resized += had && has && parent.steps[0].n != child.steps[0].n;
        if (child.nsteps < 40) { /* a walk that stays short */
            memcpy(cur, out, n);
            len = n;
        }
    }
    printf("%u mutants: map set %u, resized %u, dropped %u\n", mutants, set,
           resized, dropped);
    CHECK(set >= 10 && resized >= 10 && dropped >= 10);
    afl_custom_deinit(mu);
    model_free(m);
}

int main(void)
{
    return run_tests();
}
