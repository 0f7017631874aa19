/* test_decode_total.c - the decoder is total: random, biased, truncated,
 * constant, long and text inputs all decode to bounded programs that
 * model_sanitize makes valid under every policy. */
#include "codec_fixture.h"

/* ------------------------------------------------------------- totality */

TEST(decode_random_inputs)
{
    struct pipeline pl = pipeline_new();
    uint8_t *buf = xmalloc(700);
    unsigned nonempty = 0, failures = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rnd_below(601);
        rnd_fill(buf, len);
        /* some inputs carry the magic */
        if (len >= 4 && rnd_below(8) == 0)
            memcpy(buf, TRACE_BIN_MAGIC, 4);
        /* the model runs cost the most: every policy on one in four */
        int ok = total_ok(&pl, buf, len, iter % 4 == 0);
        if (!ok && ++failures > 5)
            break; /* enough examples */
        CHECK(ok);
        nonempty += pl.q->nsteps > 0;
    }
    /* sanitize keeps something now and then */
    CHECK(nonempty > 100);
    free(buf);
    pipeline_free(&pl);
}

/* Random sequences of plausible statements: more of them survive sanitize,
 * so the model runs see richer programs. */
TEST(decode_biased_inputs)
{
    struct pipeline pl = pipeline_new();
    uint8_t buf[1024];
    unsigned kept = 0, failures = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = 0;
        unsigned ntasks = 1 + rnd_below(6), nfiles = 1 + rnd_below(4),
                 nfds = 1 + rnd_below(6);
        /* a spawn first, then statements over few names */
        buf[n++] = OP_SPAWN;
        buf[n++] = 0;
        while (n < sizeof buf - 16 && rnd_below(120)) {
            uint8_t op = (uint8_t)rnd_below(OP_COUNT);
            if (rnd_below(4) == 0)
                op = OP_CREATE;
            buf[n++] = (uint8_t)(op | (rnd_below(2) ? 0x20 : 0) |
                                 (rnd_below(2) ? 0x40 : 0));
            if (op == OP_EXPECT) {
                buf[n++] = (uint8_t)rnd();
                buf[n++] = (uint8_t)rnd_below(EXPECT_KIND_COUNT);
                buf[n++] = (uint8_t)rnd_below(FIND_KIND_COUNT);
                buf[n++] = (uint8_t)rnd_below(nfiles);
                buf[n++] = (uint8_t)rnd_below(40);
                continue;
            }
            /* up to four operand bytes, then maybe a varint */
            unsigned nops = op == OP_SEND ? 4
                            : (op == OP_CREATE || op == OP_WRITE ||
                               op == OP_DUP || op == OP_DUP2)
                                ? 3
                            : (op == OP_FORK || op == OP_VFORK ||
                               op == OP_THREAD || op == OP_CLOSE ||
                               op == OP_URING_CLOSE)
                                ? 2
                                : 1;
            for (unsigned k = 0; k < nops; k++) {
                unsigned lim = k == 0                      ? ntasks
                               : op == OP_CREATE && k == 1 ? nfiles
                               : op == OP_SEND && k == 2   ? ntasks
                               : (op == OP_FORK || op == OP_VFORK ||
                                  op == OP_THREAD)
                                   ? ntasks + 2
                                   : nfds;
                buf[n++] = (uint8_t)rnd_below(lim);
            }
            if (op == OP_WRITE) /* the size replaces the last operand */
                buf[n - 1] = (uint8_t)rnd_below(100);
        }
        int ok = total_ok(&pl, buf, n, 1);
        if (!ok && ++failures > 5)
            break;
        CHECK(ok);
        kept += pl.q->nsteps;
    }
    CHECK(kept > 4000 * 5);
    pipeline_free(&pl);
}

TEST(decode_every_truncation)
{
    const struct corpus *c = corpus();
    REQUIRE(c->n >= 4);
    struct pipeline pl = pipeline_new();
    struct program *full = new_program();
    /* the four longest corpus traces */
    int pick[4] = {-1, -1, -1, -1};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < c->n; i++) {
            int used = 0;
            for (int j = 0; j < k; j++)
                used |= pick[j] == i;
            if (!used && (pick[k] < 0 ||
                          c->prog[i]->nsteps > c->prog[pick[k]]->nsteps))
                pick[k] = i;
        }
    for (int k = 0; k < 4; k++) {
        const struct program *p = c->prog[pick[k]];
        for (int magic = 0; magic < 2; magic++) {
            size_t len;
            uint8_t *b = encode_alloc(p, magic, &len);
            trace_decode(b, len, full);
            size_t from = magic ? TRACE_BIN_MAGIC_LEN : 0;
            for (size_t cut = 0; cut <= len; cut++) {
                /* copy so that ASan sees reads past the cut */
                uint8_t *t = xmalloc(cut);
                memcpy(t, b, cut);
                CHECK(total_ok(&pl, t, cut, 1));
                /* a cut drops the statement it splits: the decoded
                 * statements are a prefix of the full ones */
                if (cut >= from) {
                    const struct program *d = pl.p;
                    CHECK(d->nsteps <= full->nsteps);
                    for (uint32_t i = 0; i < d->nsteps && i < full->nsteps;
                         i++)
                        CHECK(step_same(&d->steps[i], &full->steps[i]));
                }
                free(t);
            }
            /* the full input decodes to all of it */
            CHECK_EQ_INT(full->nsteps, p->nsteps);
            free(b);
        }
    }
    free(full);
    pipeline_free(&pl);
}

TEST(decode_constant_buffers)
{
    struct pipeline pl = pipeline_new();
    size_t sizes[] = {1, 2, 3, 4, 5, 7, 64, 600, 4096, 1u << 20};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t len = sizes[si];
        uint8_t *b = xmalloc(len);
        for (int v = 0; v < 256; v++) {
            /* every byte value on the small sizes; 0x00 and 0xff always */
            if (len > 600 && v != 0 && v != 0xff && v != 0x7f && v != 0x80)
                continue;
            memset(b, v, len);
            CHECK(total_ok(&pl, b, len, len <= 4096 || v == 0));
            CHECK(pl.p->nsteps <= TRACE_DECODE_MAX_STEPS);
        }
        free(b);
    }
    /* all zeros: statement 0 (spawn p0) repeated, capped */
    uint8_t *z = xmalloc(1u << 20);
    memset(z, 0, 1u << 20);
    trace_decode(z, 1u << 20, pl.p);
    CHECK_EQ_INT(pl.p->nsteps, TRACE_DECODE_MAX_STEPS);
    CHECK_EQ_INT(pl.p->steps[0].op, OP_SPAWN);
    CHECK_EQ_INT(pl.p->ntasks, 1);
    /* sanitize keeps the first spawn only */
    model_sanitize(shared_model(), pl.p);
    CHECK_EQ_INT(pl.p->nsteps, 1);
    /* all 0xff: the escape (31), then code 31 again: the legacy row of
     * code 31 (31 % 19) with the flags it lacks dropped, operands 0xff */
    memset(z, 0xff, 1u << 20);
    trace_decode(z, 1u << 20, pl.p);
    CHECK(pl.p->nsteps <= TRACE_DECODE_MAX_STEPS);
    CHECK(pl.p->nsteps > 0);
    CHECK_EQ_INT(pl.p->steps[0].op, 31 % STATEMENT_WIRE_LEGACY_COUNT);
    CHECK_EQ_INT(pl.p->steps[0].flags, 0);
    free(z);
    pipeline_free(&pl);
}

TEST(decode_long_inputs)
{
    struct pipeline pl = pipeline_new();
    size_t len = 1u << 20;
    uint8_t *b = xmalloc(len);
    for (int k = 0; k < 6; k++) {
        rnd_fill(b, len);
        if (k & 1)
            memcpy(b, TRACE_BIN_MAGIC, 4);
        CHECK(total_ok(&pl, b, len, 1));
        /* raw fuzzer bytes stop at the fuzzers' cap; a file with the magic
         * (written by encode) may hold up to MAX_STEPS */
        CHECK(pl.p->nsteps ==
              ((k & 1) ? MAX_STEPS : TRACE_DECODE_MAX_STEPS));
    }
    /* a corpus trace repeated: the cap cuts it at a statement boundary */
    const struct corpus *c = corpus();
    REQUIRE(c->n > 0);
    size_t el;
    uint8_t *e = encode_alloc(c->prog[0], 0, &el);
    size_t n = 0;
    while (n + el <= len) {
        memcpy(b + n, e, el);
        n += el;
    }
    CHECK(total_ok(&pl, b, n, 1));
    CHECK_EQ_INT(pl.p->nsteps, TRACE_DECODE_MAX_STEPS);
    for (uint32_t i = 0; i < pl.p->nsteps; i++)
        CHECK(step_same(&pl.p->steps[i],
                        &c->prog[0]->steps[i % c->prog[0]->nsteps]));
    free(e);
    free(b);
    pipeline_free(&pl);
}

/* Text given to the decoder by mistake (a .trace file is not binary) is
 * just bytes: it decodes totally too. */
TEST(decode_text_inputs)
{
    const struct corpus *c = corpus();
    REQUIRE(c->n > 0);
    struct pipeline pl = pipeline_new();
    for (int i = 0; i < c->n; i++) {
        size_t len;
        char *text = read_file(c->name[i], &len);
        CHECK(text != NULL);
        if (!text)
            continue;
        CHECK(!trace_is_binary((const uint8_t *)text, len));
        CHECK(total_ok(&pl, (const uint8_t *)text, len, 1));
        free(text);
    }
    pipeline_free(&pl);
}

/* Varints: over-long and maximal encodings decode totally. */
TEST(decode_varint_edges)
{
    struct pipeline pl = pipeline_new();
    /* spawn p0, p0 create f0 as d0, p0 write d0 <varint> */
    const uint8_t head[] = {OP_SPAWN, 0, OP_CREATE, 0, 0, 0, OP_WRITE, 0, 0};
    const uint8_t tails[][8] = {
        {0x00},                               /* 1 byte */
        {0xff, 0xff, 0x3f},                   /* MAX_WRITE-1 -> MAX_WRITE */
        {0x80, 0x80, 0x40},                   /* 2^20 -> wraps to 1 */
        {0xff, 0xff, 0xff, 0xff, 0x0f},       /* 2^32-1 */
        {0xff, 0xff, 0xff, 0xff, 0xff},       /* over-long, no end */
        {0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, /* over-long, then a byte */
        {0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
    };
    const size_t tlen[] = {1, 3, 3, 5, 5, 6, 6};
    const uint32_t want[] = {1, MAX_WRITE, 1, (uint32_t)(0xffffffffu % MAX_WRITE) + 1};
    for (size_t t = 0; t < sizeof tlen / sizeof tlen[0]; t++) {
        uint8_t b[32];
        memcpy(b, head, sizeof head);
        memcpy(b + sizeof head, tails[t], tlen[t]);
        size_t len = sizeof head + tlen[t];
        CHECK(total_ok(&pl, b, len, 1));
        REQUIRE(pl.p->nsteps >= 3);
        CHECK_EQ_INT(pl.p->steps[2].op, OP_WRITE);
        CHECK(pl.p->steps[2].n >= 1 && pl.p->steps[2].n <= MAX_WRITE);
        if (t < sizeof want / sizeof want[0])
            CHECK_EQ_INT(pl.p->steps[2].n, want[t]);
        /* every cut of it */
        for (size_t cut = 0; cut <= len; cut++)
            CHECK(total_ok(&pl, b, cut, 0));
    }
    /* an expect sealed with the largest count */
    const uint8_t ex[] = {OP_SPAWN, 0, OP_CREATE, 0, 0, 0,
                          OP_EXPECT, 0, EXPECT_SEALED, 0, 0,
                          0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK(total_ok(&pl, ex, sizeof ex, 1));
    REQUIRE(pl.p->nsteps == 3);
    CHECK_EQ_INT(pl.p->steps[2].n, 0xffffffffu);
    pipeline_free(&pl);
}

/* Inputs whose histories grow as large as a decoded program allows: 256
 * fds copied into 64 processes and torn down.  Sanitize must still leave a
 * valid program that runs under every policy. */
static uint32_t reference_history_len(const struct program *p)
{
    struct model *m = shared_model();
    struct trace_error e;
    if (model_run(m, p, POLICY_REFERENCE, &e) != 0)
        return 0;
    return model_history(m)->len;
}

TEST(decode_history_heavy_inputs)
{
    struct pipeline pl = pipeline_new();
    uint8_t *b = xmalloc(8192);
    /* A: spawn p0; p0 create f0 as d0; 255 dups of d0; 63 forks that stay
     * alive: the final SIGKILLs tear down 64 tables of 256 fds. */
    size_t n = 0;
    b[n++] = OP_SPAWN; b[n++] = 0;
    b[n++] = OP_CREATE | 0x40; b[n++] = 0; b[n++] = 0; b[n++] = 0;
    for (int i = 1; i < 256; i++) {
        b[n++] = OP_DUP; b[n++] = 0; b[n++] = 0; b[n++] = (uint8_t)i;
    }
    for (int i = 1; i < 64; i++) {
        b[n++] = OP_FORK; b[n++] = 0; b[n++] = (uint8_t)i;
    }
    CHECK(total_ok(&pl, b, n, 1));
    CHECK_EQ_INT(pl.q->nsteps, 2 + 255 + 63);
    CHECK(reference_history_len(pl.q) > 32000);

    /* B: as A, then the children close_range, exec, write, unshare and
     * exit in turn until the statement cap (all valid or dropped). */
    static const uint8_t ops[] = {OP_CLOSE_RANGE, OP_EXEC, OP_UNSHARE_FILES,
                                  OP_EXIT_GROUP, OP_EXIT};
    for (int r = 0; n < 8000; r++) {
        uint8_t t = (uint8_t)(1 + r % 63);
        if (r % 7 == 3) {
            b[n++] = OP_WRITE; b[n++] = t; b[n++] = (uint8_t)(r % 256);
            b[n++] = (uint8_t)(r % 100);
        } else {
            b[n++] = ops[r % 5]; b[n++] = t;
        }
    }
    CHECK(total_ok(&pl, b, n, 1));
    CHECK(pl.p->nsteps == TRACE_DECODE_MAX_STEPS);
    CHECK(reference_history_len(pl.q) > 32000);

    /* C: 256 fds, 30 forks, then threads of p0 that unshare (a private
     * copy of 256 fds each), with kills of the children in between. */
    n = 0;
    b[n++] = OP_SPAWN; b[n++] = 0;
    b[n++] = OP_CREATE; b[n++] = 0; b[n++] = 0; b[n++] = 0;
    for (int i = 1; i < 256; i++) {
        b[n++] = OP_DUP; b[n++] = 0; b[n++] = 0; b[n++] = (uint8_t)i;
    }
    for (int i = 1; i <= 30; i++) {
        b[n++] = OP_FORK; b[n++] = 0; b[n++] = (uint8_t)i;
    }
    for (int i = 31; i < 64; i++) {
        b[n++] = OP_THREAD; b[n++] = 0; b[n++] = (uint8_t)i;
        b[n++] = OP_UNSHARE_FILES; b[n++] = (uint8_t)i;
        if (i - 30 <= 30) { /* the forked children only */
            b[n++] = OP_KILL; b[n++] = (uint8_t)(i - 30);
        }
    }
    CHECK(total_ok(&pl, b, n, 1));
    CHECK_EQ_INT(pl.q->nsteps, 2 + 255 + 30 + 2 * 33 + 30);
    CHECK(reference_history_len(pl.q) > 32000);
    CHECK(total_ok(&pl, b, n, 1));
    free(b);
    pipeline_free(&pl);
}

int main(void)
{
    return run_tests();
}
