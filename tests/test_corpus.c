/* test_corpus.c - the corpus is complete: together its traces use every
 * statement, expect every finding kind the model can produce under some
 * policy, and each trace states expectations for every policy. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <malloc.h>
#include "check.h"
#include "gen.h"
#include "judge.h"

static struct program prog;
static struct judge jd;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

struct coverage {
    unsigned traces;
    bool op[OP_COUNT];
    bool expected_kind[FIND_KIND_COUNT];
    bool found_kind[FIND_KIND_COUNT];
    bool exec_by_nonleader, kill_zombie, dup2_onto_open, send_as, cloexec;
};

/* Walk the corpus; for each trace check it and add to the coverage. */
static void survey(struct coverage *c)
{
    DIR *d = opendir(CORPUS_DIR);
    REQUIRE(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 7 || strcmp(de->d_name + n - 6, ".trace") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, de->d_name);
        size_t len;
        char *text = slurp(path, &len);
        struct trace_error err;
        if (!text || trace_parse(text, len, &prog, &err) < 0) {
            fprintf(stderr, "%s:%u: %s\n", path, err.line, err.msg);
            CHECK(!"corpus trace parses");
            continue;
        }
        c->traces++;
        unsigned per_policy[POLICY_COUNT] = {0};
        for (uint32_t i = 0; i < prog.nsteps; i++) {
            const struct step *s = &prog.steps[i];
            c->op[s->op] = true;
            if (s->op == OP_CREATE && (s->flags & STEP_CLOEXEC))
                c->cloexec = true;
            if (s->op == OP_SEND && (s->flags & STEP_AS))
                c->send_as = true;
            for (int p = 0; p < POLICY_COUNT; p++)
                per_policy[p] += expect_applies(s, (enum policy)p);
            if (s->op == OP_EXPECT && s->xkind == EXPECT_FINDING)
                c->expected_kind[s->xfind] = true;
        }
        for (int p = 0; p < POLICY_COUNT; p++)
            if (per_policy[p] == 0) {
                fprintf(stderr, "%s: no expectation for %s\n", path,
                        policy_name((enum policy)p));
                CHECK(!"every trace has expectations for every policy");
            }
        for (int p = 0; p < POLICY_COUNT; p++) {
            struct judgement j;
            REQUIRE(judge_run(&jd, &prog, (enum policy)p, &j) == 0);
            for (uint32_t k = 0; k < j.verdict.nfindings; k++)
                c->found_kind[j.verdict.findings[k].kind] = true;
            /* structural features, read off the history */
            const struct history *h = model_history(jd.model);
            for (uint32_t e = 0; e < h->len; e++) {
                const struct event *ev = &h->ev[e];
                if (ev->type == EV_CLOSE && ev->cause == CLOSE_DUP2)
                    c->dup2_onto_open = true;
                if (ev->type == EV_OP && ev->op == OP_EXEC &&
                    model_proc_name(jd.model, ev->proc) != ev->task)
                    c->exec_by_nonleader = true;
            }
        }
    }
    closedir(d);
}

TEST(corpus_covers_statements_and_findings)
{
    REQUIRE(judge_init(&jd) == 0);
    static struct coverage c;
    survey(&c);
    CHECK(c.traces >= 29); /* 25 scenarios + the 4 shared samples */
    for (int op = 0; op < OP_COUNT; op++)
        if (!c.op[op]) {
            fprintf(stderr, "no corpus trace uses '%s'\n",
                    trace_op_name((enum trace_op)op));
            CHECK(!"every statement is used");
        }
    for (int k = 0; k < FIND_KIND_COUNT; k++) {
        if (k == FIND_MUTATED_AFTER_SEAL) /* only a real mount shows it */
            continue;
        if (!c.expected_kind[k] || !c.found_kind[k]) {
            fprintf(stderr, "kind %s: expected %d, found %d\n",
                    finding_kind_name((enum finding_kind)k),
                    c.expected_kind[k], c.found_kind[k]);
            CHECK(!"every kind is expected and found somewhere");
        }
    }
    CHECK(c.cloexec);
    CHECK(c.send_as);
    CHECK(c.dup2_onto_open);
    CHECK(c.exec_by_nonleader);
    judge_destroy(&jd);
}

/* The model's bookkeeping holds after every statement of many random
 * programs under every policy (fuzz_reference checks the same while it
 * fuzzes). */
TEST(invariants_hold_on_generated_programs)
{
    static struct program p;
    struct model *m = model_new();
    REQUIRE(m);
    uint64_t rng = 7;
    char why[200];
    struct trace_error err;
    unsigned short_ones = 0;
    for (int i = 0; i < 300; i++) {
        unsigned want = 8u + (unsigned)(i % 120);
        gen_program(m, &p, want, &rng);
        short_ones += p.nsteps < want; /* the limits left nothing valid */
        for (int pol = 0; pol < POLICY_COUNT; pol++) {
            model_reset(m, &p, (enum policy)pol);
            for (uint32_t k = 0; k < p.nsteps; k++) {
                REQUIRE(model_step(m, k, &err) == 0);
                if (model_check_invariants(m, why, sizeof why) < 0) {
                    fprintf(stderr, "program %d statement %u: %s\n", i, k,
                            why);
                    CHECK(!"invariants hold");
                    model_free(m);
                    return;
                }
            }
            model_finish(m);
            CHECK(model_check_invariants(m, why, sizeof why) == 0);
        }
    }
    /* the generator makes the programs it is asked for (it once made
     * none: every proposal carried an invalid schedule option) */
    if (short_ones > 3)
        fprintf(stderr, "%u of 300 programs came out short\n", short_ones);
    CHECK(short_ones <= 3);
    model_free(m);
}

/* The fuzzers run the model hundreds of thousands of times a second: once
 * set up, running programs through model, oracle and expects must not
 * allocate at all (fixed pools, limits.h). */
TEST(steady_state_allocates_nothing)
{
    static struct program progs[20];
    struct judge j;
    REQUIRE(judge_init(&j) == 0);
    uint64_t rng = 42;
    for (int i = 0; i < 20; i++)
        gen_program(j.model, &progs[i], 16u << (i % 3 * 2), &rng);
    struct judgement out;
    judge_run(&j, &progs[0], POLICY_REFERENCE, &out); /* warm up stdio etc. */
    char *volatile probe = malloc(65536); /* past tcache; volatile: kept */
    REQUIRE(probe);
    probe[0] = 1;
    struct mallinfo2 before = mallinfo2();
    free(probe);
    struct mallinfo2 after_free = mallinfo2();
    if (before.uordblks == after_free.uordblks) {
        judge_destroy(&j);
        SKIP("mallinfo2 does not see allocations here (sanitizer "
             "allocator); the plain build checks this");
    }
    before = mallinfo2();
    for (int round = 0; round < 50; round++)
        for (int i = 0; i < 20; i++)
            for (int p = 0; p < POLICY_COUNT; p++)
                judge_run(&j, &progs[i], (enum policy)p, &out);
    struct mallinfo2 after = mallinfo2();
    CHECK_EQ_INT(after.uordblks, before.uordblks);
    CHECK_EQ_INT(after.hblkhd, before.hblkhd);
    judge_destroy(&j);
}

int main(void)
{
    return run_tests();
}
