/* test_gen.c - the random program generator (harness/model/gen.c), used by
 * the benches, the fuzzers' mutator and the stress scenarios: programs of
 * the length asked for, valid under every policy, that survive the printer,
 * the parser and the codec, and that carry SPEC v2's schedules (`reuses X`,
 * `order T...`) at the rates gen.c states; the user-space programs of the
 * storm carry none.  The rates are measured where the model says the
 * option could be given, so a generator that stops proposing one fails. */
#include "check.h"
#include "gen.h"

static struct program P, Q;
static char text_a[1 << 16], text_b[1 << 16];
static uint8_t bin[1 << 16];

/* Does statement `op` offer the option with flag `flag`? */
static bool offers(unsigned op, uint8_t flag)
{
    const struct statement *row = statement_of(op);
    for (int k = 0; row && k < row->noptions; k++)
        if (row->options[k].flag == flag)
            return true;
    return false;
}

struct sched_counts {
    unsigned programs, steps, asked;
    unsigned new_tasks, could_reuse, reuses;
    unsigned killers, kill_two, orders_two, permuted, orders_trivial;
};

/* Count the schedules of `p`, running it on `m`: each statement, against
 * what the model offered where it stands (released tasks, dying threads). */
static void count(struct model *m, const struct program *p,
                  struct sched_counts *c)
{
    struct trace_error err;
    model_reset(m, p, POLICY_REFERENCE);
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        uint16_t names[MAX_TASK_NAMES];
        if (offers(s->op, STEP_REUSES)) {
            c->new_tasks++;
            c->could_reuse += model_reusable_tasks(m, names) > 0;
            c->reuses += (s->flags & STEP_REUSES) != 0;
        }
        if (offers(s->op, STEP_ORDER)) {
            unsigned n = model_dying_threads(m, s, names);
            c->killers++;
            if (n >= 2) {
                c->kill_two++;
                if (s->flags & STEP_ORDER) {
                    c->orders_two++;
                    c->permuted += memcmp(step_order(p, s), names,
                                          n * sizeof names[0]) != 0;
                }
            } else if (s->flags & STEP_ORDER) {
                c->orders_trivial++;
            }
        }
        if (model_step(m, i, &err) < 0) {
            fprintf(stderr, "statement %u: %s\n", i + 1, err.msg);
            CHECK(!"a generated statement runs");
            return;
        }
    }
}

/* 400 programs of 16..128 statements from one seed. */
static void generate_many(struct model *m, uint64_t seed,
                          struct sched_counts *c,
                          void (*each)(struct model *, struct program *))
{
    uint64_t rng = seed;
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 400; i++) {
        uint32_t want = 16u << (i % 4); /* 16, 32, 64, 128 */
        gen_program(m, &P, want, &rng);
        c->programs++;
        c->asked += want;
        c->steps += P.nsteps;
        count(m, &P, c);
        if (each)
            each(m, &P);
    }
}

/* The generator fills the programs it is asked for (the schedule options
 * of SPEC v2 once made every proposal of a new task a trace error, and
 * the programs came out empty). */
TEST(programs_have_the_length_asked)
{
    struct model *m = model_new();
    REQUIRE(m);
    struct sched_counts c;
    generate_many(m, 11, &c, NULL);
    printf("generated %u statements of the %u asked\n", c.steps, c.asked);
    CHECK(c.steps * 100ull >= c.asked * 95ull);
    model_free(m);
}

/* Valid under every policy (validity never depends on it), bookkeeping
 * intact, and the same program after print + parse and encode + decode. */
static void valid_everywhere(struct model *m, struct program *p)
{
    struct trace_error err;
    char why[200];
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        model_reset(m, p, (enum policy)pol);
        for (uint32_t k = 0; k < p->nsteps; k++) {
            if (model_step(m, k, &err) < 0) {
                fprintf(stderr, "%s: statement %u: %s\n",
                        policy_name((enum policy)pol), k + 1, err.msg);
                CHECK(!"a generated program is valid under every policy");
                return;
            }
        }
        model_finish(m);
        if (model_check_invariants(m, why, sizeof why) < 0) {
            fprintf(stderr, "%s: %s\n", policy_name((enum policy)pol), why);
            CHECK(!"the model's bookkeeping holds");
            return;
        }
    }
    size_t la = trace_print(p, text_a, sizeof text_a);
    REQUIRE(la < sizeof text_a);
    REQUIRE(trace_parse(text_a, la, &Q, &err) == 0);
    CHECK(model_check(m, &Q, &err) == 0);
    size_t lb = trace_print(&Q, text_b, sizeof text_b);
    CHECK(la == lb && memcmp(text_a, text_b, la) == 0);
    size_t len = trace_encode(p, bin, sizeof bin);
    REQUIRE(len <= sizeof bin);
    trace_decode(bin, len, &Q);
    lb = trace_print(&Q, text_b, sizeof text_b);
    if (la != lb || memcmp(text_a, text_b, la) != 0) {
        fprintf(stderr, "--- printed ---\n%s--- encoded, decoded ---\n%s",
                text_a, text_b);
        CHECK(!"encode + decode gives the same program");
    }
}

TEST(programs_are_valid_under_every_policy_and_round_trip)
{
    struct model *m = model_new();
    REQUIRE(m);
    struct sched_counts c;
    generate_many(m, 23, &c, valid_everywhere);
    CHECK(c.reuses > 0 && c.orders_two > 0); /* schedules were in it */
    model_free(m);
}

/* The rates of gen.c: `reuses` on a third of the new tasks that could
 * reuse, `order` on half of the statements that kill two threads or more,
 * some of them not in creation order; a trivial list now and then. */
TEST(programs_carry_schedules_at_the_stated_rates)
{
    struct model *m = model_new();
    REQUIRE(m);
    struct sched_counts c;
    generate_many(m, 37, &c, NULL);
    double r = c.could_reuse ? (double)c.reuses / c.could_reuse : 0;
    double o = c.kill_two ? (double)c.orders_two / c.kill_two : 0;
    printf("%u programs, %u statements: %u new tasks, %u could reuse, "
           "%u say reuses (%.2f); %u kill/exit_group/exec, %u kill two "
           "threads or more, %u say order (%.2f), %u of them not in "
           "creation order; %u trivial orders\n",
           c.programs, c.steps, c.new_tasks, c.could_reuse, c.reuses, r,
           c.killers, c.kill_two, c.orders_two, o, c.permuted,
           c.orders_trivial);
    CHECK(c.could_reuse >= 300);
    CHECK(c.kill_two >= 100);
    CHECK(r > 0.25 && r < 0.42);
    CHECK(o > 0.38 && o < 0.62);
    CHECK(c.permuted * 4 >= c.orders_two); /* 2 threads: 1/2 permuted */
    CHECK(c.orders_trivial > 0);
    model_free(m);
}

/* A quarter of the programs set the close tracker's map, always first and
 * mostly small (gen_closetracker_map): the fuzzers can fill it; user
 * programs (the storm's, for real) never do.  With and without the map a
 * program's statements are the same random stream. */
TEST(a_quarter_of_programs_set_a_small_closetracker_map_first)
{
    struct model *m = model_new();
    REQUIRE(m);
    unsigned with = 0, small = 0, elsewhere = 0, programs = 400;
    uint64_t rng = 5;
    for (unsigned i = 0; i < programs; i++) {
        gen_program(m, &P, 32, &rng);
        for (uint32_t k = 1; k < P.nsteps; k++)
            elsewhere += P.steps[k].op == OP_CLOSETRACKER_MAP;
        if (P.nsteps && P.steps[0].op == OP_CLOSETRACKER_MAP) {
            with++;
            small += P.steps[0].n <= 16;
        }
    }
    printf("%u of %u programs set the map, %u of them to at most 16\n",
           with, programs, small);
    CHECK(with > programs / 6 && with < programs / 3);
    CHECK(small * 4 >= with * 3);
    CHECK_EQ_INT(elsewhere, 0);
    rng = 5;
    for (unsigned i = 0; i < 100; i++) {
        gen_program_user(m, &P, 32, &rng);
        for (uint32_t k = 0; k < P.nsteps; k++)
            elsewhere += P.steps[k].op == OP_CLOSETRACKER_MAP;
    }
    CHECK_EQ_INT(elsewhere, 0);
    model_free(m);
}

/* A model that ran the first `n` statements of `text` (parsed into P), or
 * NULL. */
static struct model *model_before(const char *text, uint32_t n)
{
    struct trace_error err;
    struct model *m = model_new();
    if (!m || trace_parse(text, strlen(text), &P, &err) < 0) {
        model_free(m);
        return NULL;
    }
    model_reset(m, &P, POLICY_REFERENCE);
    for (uint32_t i = 0; i < n; i++) {
        if (model_step(m, i, &err) < 0) {
            fprintf(stderr, "statement %u: %s\n", i + 1, err.msg);
            model_free(m);
            return NULL;
        }
    }
    return m;
}

/* gen_schedule alone: on a statement where no schedule fits, nothing; on
 * one where it does, only what the model offers. */
TEST(schedule_proposals_are_the_models_views)
{
    struct model *m = model_before("spawn p\np thread t\np thread u\n"
                                   "u exit\nkill p\nspawn q\n", 4);
    REQUIRE(m);
    uint64_t rng = 5;
    unsigned orders = 0, reuses = 0;
    for (int i = 0; i < 200; i++) {
        struct step *kill = &P.steps[4];
        gen_schedule(&P, kill, &rng, m);
        if (kill->flags & STEP_ORDER) {
            orders++;
            CHECK_EQ_INT(kill->norder, 2); /* p and t: u is gone */
            uint16_t a = step_order(&P, kill)[0], b = step_order(&P, kill)[1];
            CHECK((a == 0 && b == 1) || (a == 1 && b == 0));
        }
        struct step *spawn = &P.steps[5];
        gen_schedule(&P, spawn, &rng, m);
        if (spawn->flags & STEP_REUSES) {
            reuses++;
            CHECK_EQ_INT(spawn->reuses, 2); /* u: released, not reused */
        }
    }
    CHECK(orders > 60 && orders < 140);
    CHECK(reuses > 35 && reuses < 100);
    model_free(m);
}

/* X of a `reuses` leans to a task_struct that an open file still names as
 * its owner: after t's exec, f (open in t's table) names p's; u's is
 * released too, and named by nothing. */
TEST(reuses_lean_to_a_task_struct_a_file_still_names)
{
    struct model *m = model_before("spawn p\np thread t\np thread u\n"
                                   "u exit\np create f\nt exec\nt fork q\n",
                                   6);
    REQUIRE(m);
    CHECK(model_released_still_named(m, 0));  /* p: f's owner */
    CHECK(!model_released_still_named(m, 2)); /* u */
    CHECK(!model_released_still_named(m, 1)); /* t: alive */
    uint64_t rng = 9;
    unsigned p = 0, u = 0;
    for (int i = 0; i < 600; i++) {
        struct step *fork = &P.steps[6];
        gen_schedule(&P, fork, &rng, m);
        if (fork->flags & STEP_REUSES) {
            p += fork->reuses == 0;
            u += fork->reuses == 2;
        }
    }
    printf("reuses p %u times, u %u times\n", p, u);
    CHECK(p + u > 120 && p + u < 280); /* a third of 600 */
    CHECK(p > 5 * u);                  /* 7/8 against 1/8 */
    CHECK(u > 0);
    model_free(m);
}

/* What the storm runs for real carries no schedule (the kernel takes its
 * own: stress/scenario.c) and no kernel thread. */
TEST(user_programs_carry_no_schedules)
{
    struct model *m = model_new();
    REQUIRE(m);
    uint64_t rng = 3;
    unsigned steps = 0;
    for (int i = 0; i < 200; i++) {
        gen_program_user(m, &P, 64, &rng);
        steps += P.nsteps;
        for (uint32_t k = 0; k < P.nsteps; k++) {
            CHECK(!(P.steps[k].flags & (STEP_REUSES | STEP_ORDER)));
            CHECK(P.steps[k].op != OP_KTHREAD);
        }
    }
    CHECK(steps >= 200u * 60u);
    model_free(m);
}

/* SPEC v2's statements run for real (the real executor, the storm): none
 * of them is refused, and the storm's programs use them. */
TEST(user_programs_use_spec_v2_statements)
{
    CHECK(!statement_not_real(OP_TMPFILE));
    CHECK(!statement_not_real(OP_LINK));
    CHECK(!statement_not_real(OP_OPEN));
    CHECK(!statement_not_real(OP_CLOSETRACKER_MAP));
    CHECK(statement_not_real(OP_KTHREAD) != NULL);
    struct model *m = model_new();
    REQUIRE(m);
    uint64_t rng = 11;
    unsigned seen[OP_COUNT] = {0};
    for (int i = 0; i < 200; i++) {
        gen_program_user(m, &P, 64, &rng);
        for (uint32_t k = 0; k < P.nsteps; k++)
            seen[P.steps[k].op]++;
    }
    printf("in 200 storm programs: %u tmpfile, %u link, %u open\n",
           seen[OP_TMPFILE], seen[OP_LINK], seen[OP_OPEN]);
    CHECK(seen[OP_TMPFILE] > 0);
    CHECK(seen[OP_LINK] > 0);
    CHECK(seen[OP_OPEN] > 0);
    model_free(m);
}

int main(void)
{
    return run_tests();
}
