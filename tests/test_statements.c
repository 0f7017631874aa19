/* test_statements.c - the statement table (harness/trace/statements.h) is whole
 * and the places that derive from it agree with it: wire codes are the
 * stable ones, every row's usage and options parse and print back, and
 * fuzz/ternrig.dict is what the table makes.
 *
 *   test_statements --write-dictionary fuzz/ternrig.dict   rewrites it */
#include "check.h"
#include "corpus_files.h"
#include "trace.h"

/* The wire codes of the binary form: fixed for ever. */
static const struct {
    const char *keyword;
    uint8_t wire;
} stable_codes[] = {
    {"spawn", 0},        {"kthread", 1},      {"create", 2},
    {"write", 3},        {"close", 4},        {"uring_close", 5},
    {"close_range", 6},  {"dup", 7},          {"dup2", 8},
    {"fork", 9},         {"vfork", 10},       {"thread", 11},
    {"unshare_files", 12}, {"exec", 13},      {"exit", 14},
    {"exit_group", 15},  {"kill", 16},        {"send", 17},
    {"expect", 18},
};

TEST(rows_are_whole_and_distinct)
{
    bool wire_used[STATEMENT_WIRE_CODES] = {0};
    for (unsigned op = 0; op < OP_COUNT; op++) {
        const struct statement *st = statement_of(op);
        REQUIRE(st);
        CHECK_EQ_INT(st->op, op);
        CHECK(st->keyword && st->usage);
        CHECK(statement_by_keyword(st->keyword, strlen(st->keyword)) == st);
        REQUIRE(st->wire < STATEMENT_WIRE_CODES);
        CHECK(!wire_used[st->wire]);
        wire_used[st->wire] = true;
        CHECK(st->noperands <= STATEMENT_MAX_OPERANDS);
        CHECK(st->noptions <= STATEMENT_MAX_OPTIONS);
        /* never proposed: expect, and closetracker_map (only first) */
        CHECK((st->form == FORM_EXPECT || st->op == OP_CLOSETRACKER_MAP) ==
              (st->weight == 0));
        /* a statement by a task starts with the acting task */
        if (st->form == FORM_BY_TASK)
            CHECK(st->noperands >= 1 &&
                  st->operands[0].kind == OPERAND_TASK &&
                  st->operands[0].slot == SLOT_TASK);
        /* each slot is filled once */
        unsigned slots = 0;
        for (int i = 0; i < st->noperands; i++) {
            CHECK(!(slots & (1u << st->operands[i].slot)));
            slots |= 1u << st->operands[i].slot;
            if (st->operands[i].kind == OPERAND_NUMBER)
                CHECK(st->number_min <= st->number_max && st->number_max &&
                      st->number_what);
        }
        for (int k = 0; k < st->noptions; k++) {
            const struct statement_option *o = &st->options[k];
            CHECK(o->flag == STEP_AS || o->flag == STEP_CLOEXEC ||
                  o->flag == STEP_REUSES || o->flag == STEP_ORDER);
            /* the codec writes the name of an option that has no default
             * only when given, and knows two such flags */
            if (o->kind == OPTION_NAME && o->default_slot == SLOT_NONE)
                CHECK(o->flag == STEP_REUSES);
            if (o->kind == OPTION_LIST)
                CHECK(o->flag == STEP_ORDER);
            CHECK(st->wire != STATEMENT_WIRE_ESCAPE);
            if (o->kind == OPTION_NAME) {
                CHECK(!(slots & (1u << o->name.slot)));
                slots |= 1u << o->name.slot;
            }
        }
    }
}

TEST(wire_codes_are_the_stable_ones)
{
    for (size_t i = 0; i < sizeof stable_codes / sizeof stable_codes[0]; i++) {
        const char *kw = stable_codes[i].keyword;
        const struct statement *st = statement_by_keyword(kw, strlen(kw));
        REQUIRE(st);
        CHECK_EQ_INT(st->wire, stable_codes[i].wire);
        CHECK(statement_by_wire(stable_codes[i].wire) == st);
    }
    /* a code no row claims decodes as before the table: code % 19 */
    for (unsigned code = 0; code < 256; code++) {
        const struct statement *st = statement_by_wire((uint8_t)code);
        REQUIRE(st);
        unsigned low = code & 0x1f;
        bool claimed = false;
        for (unsigned op = 0; op < OP_COUNT; op++)
            claimed |= statement_of(op)->wire == low;
        if (!claimed)
            CHECK_EQ_INT(st->wire, low % STATEMENT_WIRE_LEGACY_COUNT);
        else
            CHECK_EQ_INT(st->wire, low);
    }
}

TEST(kills_land_where_they_did)
{
    static const char *const killable[] = {
        "create", "write", "close", "uring_close", "close_range", "dup",
        "dup2", "unshare_files", "exec", "exit", "exit_group",
        "tmpfile", "link", "open",
    };
    unsigned n = 0;
    for (unsigned op = 0; op < OP_COUNT; op++) {
        bool want = false;
        for (size_t i = 0; i < sizeof killable / sizeof killable[0]; i++)
            want |= strcmp(killable[i], statement_of(op)->keyword) == 0;
        CHECK_EQ_INT(statement_kill_may_land(op), want);
        n += want;
    }
    CHECK_EQ_INT(n, sizeof killable / sizeof killable[0]);
    CHECK(!statement_kill_may_land(OP_COUNT));
}

/* Replace the usage's placeholders by names: P->a, Q->q, F->f, D->d ...
 * and give every option; then it parses back to one statement. */
static void instantiate(const char *usage, char *out, size_t cap)
{
    static const struct {
        const char *from, *to;
    } words[] = {{"P", "a"}, {"K", "a"}, {"Q", "q"}, {"T", "q"},
                 {"F", "f"}, {"D", "d"}, {"D2", "e"}, {"N", "7"},
                 {"X", "x"}, {"T...", "t u"}};
    size_t n = 0;
    out[0] = 0;
    const char *s = usage;
    while (*s && n + 20 < cap) {
        while (*s == ' ' || *s == '[' || *s == ']')
            s++;
        size_t len = strcspn(s, " []");
        if (!len)
            break;
        const char *w = NULL;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (strlen(words[i].from) == len && !strncmp(words[i].from, s, len))
                w = words[i].to;
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? " " : "",
                              w ? (int)strlen(w) : (int)len, w ? w : s);
        s += len;
    }
}

TEST(every_usage_parses_and_prints_back)
{
    static struct program p;
    for (unsigned op = 0; op < OP_COUNT; op++) {
        const struct statement *st = statement_of(op);
        if (st->form == FORM_EXPECT)
            continue;
        char line[128], text[160], back[160];
        instantiate(st->usage, line, sizeof line);
        snprintf(text, sizeof text, "%s\n", line);
        struct trace_error err;
        int rc = trace_parse(text, strlen(text), &p, &err);
        if (rc)
            fprintf(stderr, "%s: %s\n", line, err.msg);
        REQUIRE(rc == 0);
        REQUIRE(p.nsteps == 1);
        CHECK_EQ_INT(p.steps[0].op, op);
        for (int k = 0; k < st->noptions; k++)
            CHECK(p.steps[0].flags & st->options[k].flag);
        trace_print_step(&p, &p.steps[0], back, sizeof back);
        CHECK_EQ_STR(back, line);
    }
}

TEST(the_fuzz_dictionary_is_the_tables)
{
    size_t need = trace_fuzz_dictionary(NULL, 0) + 1, len;
    char *made = malloc(need);
    REQUIRE(made);
    trace_fuzz_dictionary(made, need);
    char *stored = read_file(FUZZ_DICT, &len);
    REQUIRE(stored);
    if (strcmp(made, stored) != 0)
        fprintf(stderr, "fuzz/ternrig.dict is not the table's: run "
                        "test_statements --write-dictionary %s\n",
                FUZZ_DICT);
    CHECK(strcmp(made, stored) == 0);
    /* one entry per statement, per option, and per statement with the next
     * names */
    unsigned entries = 0;
    for (unsigned op = 0; op < OP_COUNT; op++)
        entries += 1u + statement_of(op)->noptions +
                   (statement_of(op)->form != FORM_EXPECT);
    unsigned lines = 0;
    for (const char *c = made; *c; c++)
        lines += *c == '=';
    CHECK_EQ_INT(lines, entries);
    free(made);
    free(stored);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-dictionary") == 0) {
        size_t need = trace_fuzz_dictionary(NULL, 0) + 1;
        char *text = malloc(need);
        FILE *f = fopen(argv[2], "w");
        if (!text || !f)
            return 2;
        trace_fuzz_dictionary(text, need);
        fputs(text, f);
        return fclose(f) == 0 ? 0 : 2;
    }
    return run_tests();
}
