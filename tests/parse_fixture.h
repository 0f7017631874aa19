/* parse_fixture.h - helpers shared by the trace-language tests: parse and
 * print into fresh programs, compare programs, check error lines, list the
 * corpus, a deterministic random source. */
#ifndef TERNRIG_PARSE_FIXTURE_H
#define TERNRIG_PARSE_FIXTURE_H

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

#define TEXT_CAP (1u << 20)

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

__attribute__((unused)) static int parse_str(const char *text, struct program *p,
                     struct trace_error *err)
{
    memset(err, 0, sizeof *err);
    return trace_parse(text, strlen(text), p, err);
}

/* Print the whole program into a fresh malloc'd string. */
__attribute__((unused)) static char *print_alloc(const struct program *p)
{
    size_t need = trace_print(p, NULL, 0);
    char *buf = malloc(need + 1);
    if (!buf)
        exit(2);
    size_t got = trace_print(p, buf, need + 1);
    if (got != need)
        fprintf(stderr, "trace_print: %zu then %zu bytes\n", need, got);
    return buf;
}

/* Show a text for a diagnostic: control bytes escaped. */
__attribute__((unused)) static void show_text(const char *text, size_t len)
{
    fputs("  text: \"", stderr);
    for (size_t i = 0; i < len && i < 400; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n')
            fputs("\\n", stderr);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fputs(len > 400 ? "...\"\n" : "\"\n", stderr);
}

/* True when parsing `len` bytes of `text` fails at `line` with a message
 * containing `needle`; prints what happened otherwise. */
__attribute__((unused)) static int err_is_n(const char *text, size_t len, uint32_t line,
                    const char *needle)
{
    struct program *p = new_program();
    struct trace_error e;
    memset(&e, 0, sizeof e);
    int rc = trace_parse(text, len, p, &e);
    int ok = rc == -1 && e.line == line && strstr(e.msg, needle) != NULL;
    if (!ok) {
        fprintf(stderr, "  parse error mismatch\n");
        show_text(text, len);
        fprintf(stderr, "  want: -1 at line %u, message containing '%s'\n",
                line, needle);
        if (rc == 0)
            fprintf(stderr, "  got:  accepted (%u statements)\n", p->nsteps);
        else
            fprintf(stderr, "  got:  %d at line %u: %s\n", rc, e.line, e.msg);
    }
    free(p);
    return ok;
}

__attribute__((unused)) static int err_is(const char *text, uint32_t line, const char *needle)
{
    return err_is_n(text, strlen(text), line, needle);
}

/* A bad statement on line 6 of an otherwise fine trace (comments, blank
 * lines and statements before it, more statements after it). */
#define PREFIX "# a header comment\n\nspawn a   # trailing comment\n" \
               "a create f\n\t \n"
#define PREFIX_LINES 5
__attribute__((unused)) static int bad_line(const char *stmt, const char *needle)
{
    char text[512];
    snprintf(text, sizeof text, "%s%s\nspawn zz\na close f\n", PREFIX, stmt);
    return err_is(text, PREFIX_LINES + 1, needle);
}

/* Parse a trace that must be accepted; returns the program (caller frees)
 * or NULL after printing the error. */
__attribute__((unused)) static struct program *must_parse(const char *text)
{
    struct program *p = new_program();
    struct trace_error e;
    if (parse_str(text, p, &e) != 0) {
        fprintf(stderr, "  unexpected parse error at line %u: %s\n", e.line,
                e.msg);
        show_text(text, strlen(text));
        free(p);
        return NULL;
    }
    return p;
}

__attribute__((unused)) static int step_fields_eq(const struct step *a, const struct step *b)
{
    return a->op == b->op && a->flags == b->flags && a->xkind == b->xkind &&
           a->xfind == b->xfind && a->policies == b->policies &&
           a->n == b->n;
}

/* Two programs state the same statements: same fields and the same names
 * (compared as strings, each program through its own tables). */
__attribute__((unused)) static int programs_same(const struct program *a, const struct program *b)
{
    if (a->nsteps != b->nsteps) {
        fprintf(stderr, "  nsteps %u != %u\n", a->nsteps, b->nsteps);
        return 0;
    }
    for (uint32_t i = 0; i < a->nsteps; i++) {
        const struct step *x = &a->steps[i], *y = &b->steps[i];
        int ok = step_fields_eq(x, y);
        /* the names each program gives its words, as the table lists
         * them: operands, option names, order lists */
        const struct statement *row = statement_of(x->op);
        if (x->op == OP_EXPECT) {
            if (x->xkind != EXPECT_CLEAN)
                ok = ok && !strcmp(a->file_names[x->file],
                                   b->file_names[y->file]);
        } else {
            for (int k = 0; ok && k < row->noperands + row->noptions; k++) {
                struct statement_operand o;
                if (k < row->noperands) {
                    o = row->operands[k];
                } else {
                    const struct statement_option *opt =
                        &row->options[k - row->noperands];
                    if (opt->kind == OPTION_LIST) {
                        ok = ok && x->norder == y->norder;
                        for (unsigned w = 0; ok && w < x->norder; w++)
                            ok = !strcmp(a->task_names[step_order(a, x)[w]],
                                         b->task_names[step_order(b, y)[w]]);
                        continue;
                    }
                    if (opt->kind != OPTION_NAME ||
                        (opt->default_slot == SLOT_NONE &&
                         !(x->flags & opt->flag)))
                        continue;
                    o = opt->name;
                }
                const char *na = program_name(a, o.kind, step_slot(x, o.slot));
                const char *nb = program_name(b, o.kind, step_slot(y, o.slot));
                if (na && nb)
                    ok = !strcmp(na, nb);
            }
        }
        if (!ok) {
            char s1[256], s2[256];
            trace_print_step(a, x, s1, sizeof s1);
            trace_print_step(b, y, s2, sizeof s2);
            fprintf(stderr, "  statement %u differs: '%s' vs '%s'\n", i, s1,
                    s2);
            return 0;
        }
    }
    return 1;
}

/* The round trip property on a parsed program `p` of source `src`:
 * print(p) parses, states the same program and prints identically; the line
 * numbers of the printed program are 1..n. */
__attribute__((unused)) static int roundtrip_ok(const struct program *p, const char *what)
{
    char *t1 = print_alloc(p);
    struct program *q = new_program();
    struct trace_error e;
    int ok = 1;
    if (parse_str(t1, q, &e) != 0) {
        fprintf(stderr, "  %s: printed text does not parse: line %u: %s\n",
                what, e.line, e.msg);
        show_text(t1, strlen(t1));
        ok = 0;
    } else {
        char *t2 = print_alloc(q);
        if (strcmp(t1, t2) != 0) {
            fprintf(stderr, "  %s: print(parse(print(p))) != print(p)\n",
                    what);
            show_text(t1, strlen(t1));
            show_text(t2, strlen(t2));
            ok = 0;
        }
        if (!programs_same(p, q)) {
            fprintf(stderr, "  %s: reparsed program differs\n", what);
            ok = 0;
        }
        for (uint32_t i = 0; i < q->nsteps; i++)
            if (q->steps[i].line != i + 1) {
                fprintf(stderr, "  %s: printed statement %u on line %u\n",
                        what, i, q->steps[i].line);
                ok = 0;
                break;
            }
        free(t2);
    }
    free(q);
    free(t1);
    return ok;
}

/* Deterministic PRNG: the harness's own xorshift64* (gen.h). */
__attribute__((unused)) static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
__attribute__((unused)) static uint64_t rnd(void)
{
    return gen_next(&rng_state);
}
__attribute__((unused)) static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

#endif
