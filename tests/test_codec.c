/* test_codec.c - the binary encoding round-trips: corpus traces encode and
 * decode to the same statements and behave the same under every policy.
 * Totality of the decoder: test_decode_total.c. */
#include "codec_fixture.h"

TEST(corpus_encode_decode_roundtrip)
{
    const struct corpus *c = corpus();
    REQUIRE(c->n >= 40);
    struct program *q = new_program(), *r = new_program();
    for (int i = 0; i < c->n; i++) {
        const struct program *p = c->prog[i];
        REQUIRE(p->nsteps <= TRACE_DECODE_MAX_STEPS);
        for (int magic = 0; magic < 2; magic++) {
            size_t len, len2;
            uint8_t *b = encode_alloc(p, magic, &len);
            CHECK(len > (size_t)(magic ? TRACE_BIN_MAGIC_LEN : 0));
            CHECK_EQ_INT(trace_is_binary(b, len), magic);
            trace_decode(b, len, q);
            int same = steps_same(p, q);
            if (!same)
                fprintf(stderr, "  %s (magic %d)\n", c->name[i], magic);
            CHECK(same);
            CHECK(decoded_well_formed(q));
            /* no more names than the source used */
            CHECK(q->ntasks <= p->ntasks);
            CHECK(q->nfiles <= p->nfiles);
            CHECK(q->nfds <= p->nfds);
            /* encoding the decoded program gives the same bytes */
            uint8_t *b2 = encode_alloc(q, magic, &len2);
            CHECK_EQ_INT(len2, len);
            CHECK(len2 == len && memcmp(b, b2, len) == 0);
            /* and decoding those gives the same program again */
            trace_decode(b2, len2, r);
            CHECK(programs_identical(q, r));
            free(b);
            free(b2);
        }
    }
    free(q);
    free(r);
}

TEST(corpus_decoded_behaves_the_same)
{
    const struct corpus *c = corpus();
    REQUIRE(c->n > 0);
    struct model *m = shared_model();
    struct program *q = new_program(), *r = new_program();
    /* histories of p and decode(encode(p)) under every policy */
    struct event *ev = xmalloc(MAX_EVENTS * sizeof *ev);
    for (int i = 0; i < c->n; i++) {
        const struct program *p = c->prog[i];
        size_t len;
        uint8_t *b = encode_alloc(p, 1, &len);
        trace_decode(b, len, q);
        free(b);
        struct trace_error e;
        CHECK_EQ_INT(model_check(m, q, &e), 0);
        for (int pol = 0; pol < POLICY_COUNT; pol++) {
            CHECK_EQ_INT(model_run(m, p, (enum policy)pol, &e), 0);
            const struct history *h = model_history(m);
            uint32_t hl = h->len;
            memcpy(ev, h->ev, hl * sizeof *ev);
            CHECK_EQ_INT(model_run(m, q, (enum policy)pol, &e), 0);
            h = model_history(m);
            int same = h->len == hl &&
                       memcmp(ev, h->ev, hl * sizeof *ev) == 0;
            if (!same)
                fprintf(stderr, "  %s under %s: histories differ\n",
                        c->name[i], policy_name((enum policy)pol));
            CHECK(same);
        }
        /* a valid program is left alone by sanitize, decoded or not */
        copy_program(r, q);
        model_sanitize(m, r);
        CHECK(programs_identical(q, r));
        struct program *pp = new_program();
        copy_program(pp, p);
        model_sanitize(m, pp);
        CHECK(programs_identical(p, pp));
        /* the decoded program prints and parses back */
        CHECK(print_parse_ok(q, r));
        free(pp);
    }
    free(ev);
    free(q);
    free(r);
}

TEST(encode_respects_capacity)
{
    const struct corpus *c = corpus();
    REQUIRE(c->n > 0);
    const struct program *p = c->prog[0];
    size_t need = trace_encode(p, NULL, 0);
    REQUIRE(need > 8);
    uint8_t *full = xmalloc(need);
    CHECK_EQ_INT(trace_encode(p, full, need), need);
    uint8_t small[64];
    for (size_t cap = 0; cap < need && cap + 8 <= sizeof small; cap++) {
        memset(small, 0xaa, sizeof small);
        CHECK_EQ_INT(trace_encode(p, small, cap), need);
        CHECK(memcmp(small, full, cap) == 0);
        for (size_t k = cap; k < cap + 8; k++)
            CHECK(small[k] == 0xaa);
    }
    free(full);
}

TEST(magic_detection)
{
    const uint8_t magic[] = "TRB1";
    CHECK(trace_is_binary(magic, 4));
    CHECK(!trace_is_binary(magic, 3));
    CHECK(!trace_is_binary(magic, 0));
    CHECK(!trace_is_binary((const uint8_t *)"TRB2xx", 6));
    CHECK(!trace_is_binary((const uint8_t *)"trb1xx", 6));
    CHECK(!trace_is_binary((const uint8_t *)"spawn a\n", 8));
    /* the magic alone is an empty program; a short prefix of it is payload */
    struct program *p = new_program();
    trace_decode(magic, 4, p);
    CHECK_EQ_INT(p->nsteps, 0);
    CHECK_EQ_INT(p->ntasks, 0);
    /* an encoded payload never starts with the magic: op bytes keep their
     * low five bits below OP_COUNT */
    const struct corpus *c = corpus();
    for (int i = 0; i < c->n; i++) {
        size_t len;
        uint8_t *b = encode_alloc(c->prog[i], 0, &len);
        CHECK(!trace_is_binary(b, len));
        for (size_t k = 0; k < 1 && k < len; k++)
            CHECK((b[k] & 0x1f) < OP_COUNT);
        free(b);
    }
    free(p);
}

/* A hand-built program with every statement kind and edge operands. */
TEST(all_statement_kinds_roundtrip)
{
    static const char *text =
        "closetracker_map 2\n"
        "spawn a\nkthread k\na create f as fd1 cloexec\na create g\n"
        "a tmpfile tf as tfd cloexec\na link tfd\na open g as ro\n"
        "a open tf\nspawn s2 reuses k\na fork s3 reuses b\n"
        "kill a order t a\nb exit_group order\nc exec order b c\n"
        "a create h cloexec\na create i as i\n"
        "a write fd1 1\na write g 1048576\na write g 127\na write g 128\n"
        "a write g 16384\na write g 16385\na close g\na uring_close h\n"
        "a dup fd1 x\na dup2 x fd1\na fork b\na vfork c\na thread t\n"
        "t unshare_files\nc exec\nb exit\nt exit_group\nkill a\n"
        "a send fd1 b\na send fd1 b as y\na send fd1 b as fd1\n"
        "a close_range\n"
        "expect f sealed 0\nexpect f sealed 127\nexpect f sealed 128\n"
        "expect f sealed 4294967295\nexpect f aborted\nexpect f transient\n"
        "expect clean\nexpect[kmod] clean\n"
        "expect[reference,kmod,kmod-2024,fuse-naive,fuse-closetracker] "
        "violation early-seal g\n"
        "expect[fuse-closetracker] hazard kernel-create-refused i\n";
    struct program *p = new_program(), *q = new_program();
    struct trace_error e;
    REQUIRE(trace_parse(text, strlen(text), p, &e) == 0);
    for (int magic = 0; magic < 2; magic++) {
        size_t len, len2;
        uint8_t *b = encode_alloc(p, magic, &len);
        trace_decode(b, len, q);
        CHECK(steps_same(p, q));
        uint8_t *b2 = encode_alloc(q, magic, &len2);
        CHECK(len == len2 && memcmp(b, b2, len) == 0);
        free(b);
        free(b2);
    }
    /* every op appears */
    int seen[OP_COUNT] = {0};
    for (uint32_t i = 0; i < p->nsteps; i++)
        seen[p->steps[i].op] = 1;
    for (int op = 0; op < OP_COUNT; op++)
        CHECK(seen[op]);
    /* printed names are the generated ones; the text parses back */
    struct program *r = new_program();
    CHECK(print_parse_ok(q, r));
    free(r);
    free(p);
    free(q);
}

int main(void)
{
    return run_tests();
}
