/* codec_fixture.h - helpers shared by the binary codec tests: programs,
 * comparison, the full validity check of a decoded program, the corpus. */
#ifndef TERNRIG_CODEC_FIXTURE_H
#define TERNRIG_CODEC_FIXTURE_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "model.h"
#include "corpus_files.h"
#include "gen.h"
#include "trace.h"

/* ------------------------------------------------------------- helpers */

__attribute__((unused)) static struct program *new_program(void)
{
    struct program *p = malloc(sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset(p, 0, sizeof *p);
    return p;
}

__attribute__((unused)) static void *xmalloc(size_t n)
{
    void *v = malloc(n ? n : 1);
    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return v;
}

__attribute__((unused)) static struct model *shared_model(void)
{
    static struct model *m;
    if (!m)
        m = model_new();
    if (!m) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return m;
}

/* Deterministic PRNG: the harness's own xorshift64* (gen.h). */
__attribute__((unused)) static uint64_t rng_state = 0x2545f4914f6cdd1dull;
__attribute__((unused)) static uint64_t rnd(void)
{
    return gen_next(&rng_state);
}
__attribute__((unused)) static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }
__attribute__((unused)) static void rnd_fill(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
}

__attribute__((unused)) static void show_bytes(const uint8_t *b, size_t n)
{
    fprintf(stderr, "  input (%zu bytes):", n);
    for (size_t i = 0; i < n && i < 96; i++)
        fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, n > 96 ? " ...\n" : "\n");
}

__attribute__((unused)) static char *print_alloc(const struct program *p)
{
    size_t need = trace_print(p, NULL, 0);
    char *buf = xmalloc(need + 1);
    trace_print(p, buf, need + 1);
    return buf;
}

/* Encode into a fresh buffer, optionally after the magic. */
__attribute__((unused)) static uint8_t *encode_alloc(const struct program *p, int magic, size_t *len)
{
    size_t need = trace_encode(p, NULL, 0);
    size_t off = magic ? TRACE_BIN_MAGIC_LEN : 0;
    uint8_t *buf = xmalloc(need + off);
    if (magic)
        memcpy(buf, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN);
    size_t got = trace_encode(p, buf + off, need);
    if (got != need)
        fprintf(stderr, "trace_encode: %zu then %zu bytes\n", need, got);
    *len = need + off;
    return buf;
}

/* The statement fields the encoding carries (all but the line). */
__attribute__((unused)) static int step_same(const struct step *a, const struct step *b)
{
    return a->op == b->op && a->flags == b->flags && a->xkind == b->xkind &&
           a->xfind == b->xfind && a->policies == b->policies &&
           a->task == b->task && a->task2 == b->task2 &&
           a->file == b->file && a->fd == b->fd && a->fd2 == b->fd2 &&
           a->n == b->n;
}

__attribute__((unused)) static int steps_same(const struct program *a, const struct program *b)
{
    if (a->nsteps != b->nsteps) {
        fprintf(stderr, "  nsteps %u != %u\n", a->nsteps, b->nsteps);
        return 0;
    }
    for (uint32_t i = 0; i < a->nsteps; i++) {
        const struct step *x = &a->steps[i], *y = &b->steps[i];
        bool schedule_same =
            (!(x->flags & STEP_REUSES) || x->reuses == y->reuses) &&
            (!(x->flags & STEP_ORDER) ||
             (x->norder == y->norder &&
              !memcmp(step_order(a, x), step_order(b, y),
                      x->norder * sizeof(uint16_t))));
        if (step_same(x, y) && !schedule_same) {
            fprintf(stderr, "  statement %u: reuses or order differ\n", i);
            return 0;
        }
        if (!step_same(x, y)) {
            fprintf(stderr,
                    "  statement %u differs: op %u/%u flags %u/%u "
                    "xkind %u/%u xfind %u/%u pol %u/%u task %u/%u "
                    "task2 %u/%u file %u/%u fd %u/%u fd2 %u/%u n %u/%u\n",
                    i, x->op, y->op, x->flags, y->flags, x->xkind, y->xkind,
                    x->xfind, y->xfind, x->policies, y->policies, x->task,
                    y->task, x->task2, y->task2, x->file, y->file, x->fd,
                    y->fd, x->fd2, y->fd2, x->n, y->n);
            return 0;
        }
    }
    return 1;
}

/* Identical programs: statements with their lines, and the name tables. */
__attribute__((unused)) static int programs_identical(const struct program *a,
                              const struct program *b)
{
    if (!steps_same(a, b))
        return 0;
    for (uint32_t i = 0; i < a->nsteps; i++)
        if (a->steps[i].line != b->steps[i].line)
            return 0;
    if (a->ntasks != b->ntasks || a->nfiles != b->nfiles ||
        a->nfds != b->nfds)
        return 0;
    for (unsigned i = 0; i < a->ntasks; i++)
        if (strcmp(a->task_names[i], b->task_names[i]))
            return 0;
    for (unsigned i = 0; i < a->nfiles; i++)
        if (strcmp(a->file_names[i], b->file_names[i]))
            return 0;
    for (unsigned i = 0; i < a->nfds; i++)
        if (strcmp(a->fd_names[i], b->fd_names[i]))
            return 0;
    return 1;
}

__attribute__((unused)) static void copy_program(struct program *to, const struct program *from)
{
    memcpy(to, from, sizeof *to);
}

/* Structural sanity of a decoded program: limits, indices inside the name
 * tables, generated names, operands in range. */
__attribute__((unused)) static int decoded_well_formed(const struct program *p)
{
    if (p->nsteps > MAX_STEPS || p->ntasks > MAX_TASK_NAMES ||
        p->nfiles > MAX_FILE_NAMES || p->nfds > MAX_FD_NAMES)
        return 0;
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        if (s->op >= OP_COUNT || s->line != 0)
            return 0;
        if (s->op == OP_EXPECT) {
            if (s->xkind >= EXPECT_KIND_COUNT ||
                s->xfind >= FIND_KIND_COUNT ||
                (s->policies & ~POLICY_MASK_ALL) || s->flags ||
                s->file >= p->nfiles)
                return 0;
            if (s->xkind != EXPECT_SEALED && s->n != 0)
                return 0;
            continue;
        }
        if (s->task >= p->ntasks || s->task2 >= p->ntasks ||
            s->fd >= p->nfds || s->fd2 >= p->nfds)
            return 0;
        const struct statement *row = statement_of(s->op);
        for (int k = 0; k < row->noperands; k++) {
            struct statement_operand o = row->operands[k];
            if (o.kind == OPERAND_NUMBER &&
                (s->n < row->number_min || s->n > row->number_max))
                return 0;
            if (operand_space(o.kind) == SPACE_FILE && s->file >= p->nfiles)
                return 0;
        }
        uint8_t offered = 0;
        for (int k = 0; k < row->noptions; k++)
            offered |= row->options[k].flag;
        if (s->flags & ~offered)
            return 0;
        if ((s->flags & STEP_REUSES) && s->reuses >= p->ntasks)
            return 0;
        if (s->flags & STEP_ORDER) {
            if (s->order_at + s->norder > p->norder_names)
                return 0;
            for (unsigned k = 0; k < s->norder; k++)
                if (step_order(p, s)[k] >= p->ntasks)
                    return 0;
        }
    }
    char want[24];
    for (unsigned i = 0; i < p->ntasks; i++) {
        snprintf(want, sizeof want, "p%u", i);
        if (strcmp(p->task_names[i], want))
            return 0;
    }
    for (unsigned i = 0; i < p->nfiles; i++) {
        snprintf(want, sizeof want, "f%u", i);
        if (strcmp(p->file_names[i], want))
            return 0;
    }
    for (unsigned i = 0; i < p->nfds; i++) {
        snprintf(want, sizeof want, "d%u", i);
        if (strcmp(p->fd_names[i], want))
            return 0;
    }
    return 1;
}

/* Every expect names a file that some statement creates. */
__attribute__((unused)) static int expects_name_created_files(const struct program *p)
{
    int created[MAX_FILE_NAMES] = {0};
    for (uint32_t i = 0; i < p->nsteps; i++)
        if (statement_makes_file(p->steps[i].op))
            created[p->steps[i].file] = 1;
    for (uint32_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].op == OP_EXPECT &&
            p->steps[i].xkind != EXPECT_CLEAN && !created[p->steps[i].file])
            return 0;
    return 1;
}

/* print -> parse succeeds and prints the same text. */
__attribute__((unused)) static int print_parse_ok(const struct program *p, struct program *scratch)
{
    char *t1 = print_alloc(p);
    struct trace_error e;
    memset(&e, 0, sizeof e);
    int ok = 1;
    if (trace_parse(t1, strlen(t1), scratch, &e) != 0) {
        fprintf(stderr, "  printed program does not parse: line %u: %s\n",
                e.line, e.msg);
        ok = 0;
    } else {
        char *t2 = print_alloc(scratch);
        if (strcmp(t1, t2) != 0) {
            fprintf(stderr, "  print(parse(print(p))) != print(p)\n");
            ok = 0;
        }
        if (scratch->nsteps != p->nsteps)
            ok = 0;
        free(t2);
    }
    free(t1);
    return ok;
}

/* The full totality property for the decode of `data`.  Returns 1 when all
 * holds; prints the failing property otherwise. */
struct pipeline {
    struct program *p, *q, *r;
};

__attribute__((unused)) static struct pipeline pipeline_new(void)
{
    return (struct pipeline){new_program(), new_program(), new_program()};
}

__attribute__((unused)) static void pipeline_free(struct pipeline *pl)
{
    free(pl->p);
    free(pl->q);
    free(pl->r);
}

__attribute__((unused)) static int total_ok(struct pipeline *pl, const uint8_t *data, size_t len,
                    int run_policies)
{
    struct model *m = shared_model();
    struct program *p = pl->p, *q = pl->q, *r = pl->r;
    struct trace_error e;
    const char *bad = NULL;

    trace_decode(data, len, p);
    if (!decoded_well_formed(p)) {
        bad = "decoded program is not well formed";
        goto out;
    }
    /* the raw decoded program prints and parses back, unless an expect
     * names a file no statement creates (a parse error by design) */
    {
        char *t1 = print_alloc(p);
        memset(&e, 0, sizeof e);
        int rc = trace_parse(t1, strlen(t1), q, &e);
        if (rc != 0 && (expects_name_created_files(p) ||
                        !strstr(e.msg, "no statement creates"))) {
            fprintf(stderr, "  line %u: %s\n", e.line, e.msg);
            bad = "raw decoded program does not parse";
        } else if (rc == 0) {
            char *t2 = print_alloc(q);
            if (strcmp(t1, t2) != 0)
                bad = "raw decoded program: print(parse(print)) differs";
            free(t2);
        }
        free(t1);
        if (bad)
            goto out;
    }
    /* decode(encode(decode(x))) == decode(x), and the bytes are stable */
    {
        size_t l1, l2;
        int magic = p->nsteps > TRACE_DECODE_MAX_STEPS; /* raw caps at 512 */
        uint8_t *b1 = encode_alloc(p, magic, &l1);
        trace_decode(b1, l1, q);
        uint8_t *b2 = encode_alloc(q, magic, &l2);
        if (!programs_identical(p, q))
            bad = "decode(encode(decode(x))) != decode(x)";
        else if (l1 != l2 || memcmp(b1, b2, l1) != 0)
            bad = "encode(decode(encode(decode(x)))) bytes differ";
        free(b1);
        free(b2);
        if (bad)
            goto out;
    }
    /* a valid decoded program (model and parser agree) survives sanitize */
    copy_program(q, p);
    memset(&e, 0, sizeof e);
    int valid = model_check(m, p, &e) == 0 && expects_name_created_files(p);
    model_sanitize(m, q);
    if (valid && !programs_identical(p, q)) {
        bad = "sanitize changed a valid program";
        goto out;
    }
    if (q->nsteps > p->nsteps) {
        bad = "sanitize added statements";
        goto out;
    }
    /* the sanitized program is valid ... */
    memset(&e, 0, sizeof e);
    if (model_check(m, q, &e) != 0) {
        fprintf(stderr, "  sanitized program: line %u (statement?): %s\n",
                e.line, e.msg);
        bad = "sanitized program fails model_check";
        goto out;
    }
    if (!expects_name_created_files(q)) {
        bad = "sanitized program keeps an expect of an uncreated file";
        goto out;
    }
    /* ... sanitize is idempotent ... */
    copy_program(r, q);
    model_sanitize(m, r);
    if (!programs_identical(q, r)) {
        bad = "sanitize is not idempotent";
        goto out;
    }
    /* ... it prints and parses back ... */
    if (!print_parse_ok(q, r)) {
        bad = "sanitized program does not print and parse back";
        goto out;
    }
    /* ... and runs under every policy */
    if (run_policies)
        for (int pol = 0; pol < POLICY_COUNT; pol++) {
            memset(&e, 0, sizeof e);
            if (model_run(m, q, (enum policy)pol, &e) != 0) {
                fprintf(stderr, "  policy %s: line %u: %s\n",
                        policy_name((enum policy)pol), e.line, e.msg);
                bad = "sanitized program fails model_run";
                goto out;
            }
        }
out:
    if (bad) {
        fprintf(stderr, "  %s\n", bad);
        show_bytes(data, len);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- corpus */

struct corpus {
    int n;
    char *name[MAX_CORPUS];
    struct program *prog[MAX_CORPUS];
};

/* The corpus, parsed once, sorted by file name. */
__attribute__((unused)) static const struct corpus *corpus(void)
{
    static struct corpus c;
    static int loaded;
    if (loaded)
        return &c;
    loaded = 1;
    char *names[MAX_CORPUS];
    int n = corpus_files(names);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *text = read_file(names[i], &len);
        struct program *p = new_program();
        struct trace_error e;
        if (!text || trace_parse(text, len, p, &e) != 0) {
            fprintf(stderr, "  %s does not parse\n", names[i]);
            free(p);
            free(names[i]);
        } else {
            c.name[c.n] = names[i];
            c.prog[c.n++] = p;
        }
        free(text);
    }
    return &c;
}

#endif
