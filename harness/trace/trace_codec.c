/* trace_codec.c - the compact binary form of a program, for fuzzers.
 *
 * Payload: a sequence of statements.  Each starts with one byte whose low
 * five bits are the statement's wire code (statements.h: stable; a code no
 * statement claims decodes as it did before there were codes) and whose
 * bits 5 and 6 are the `cloexec` and `as` flags; the operands follow in the
 * order of the statement's row, then the name of each `as` option, one
 * byte per name (modulo the namespace's limit) and a LEB128 varint per
 * number (less the row's minimum).  An expect has its own layout.  A
 * statement cut short by the end of the input is dropped.  Decoding is
 * total and allocates nothing.  tests/fixtures/codec_golden pins the
 * format.
 *
 * SPEC v2's options (`reuses X`, `order T...`) came later, so that stored
 * inputs keep their meaning they use the escape code 31 (until then decoded
 * as 31 % 19): the first byte is 31 with the `cloexec`/`as` bits, a second
 * byte holds the statement's wire code and bit 5 for `reuses`, bit 6 for
 * `order`; then the operands and names as above, then X's name byte, then
 * the order list: a count byte (modulo MAX_TASK_NAMES + 1) and one name
 * byte per thread.  A statement without them is written as before.
 */
#include <stdio.h>
#include <string.h>
#include "trace.h"

/* Expect kinds and finding kinds are written as their enum values; a value
 * beyond those of 2026-11 decodes modulo their count then (5 and 7), so
 * that a kind added later changes the meaning of its own value alone. */
#define EXPECT_KIND_LEGACY_COUNT 5
#define FINDING_KIND_LEGACY_COUNT 7
_Static_assert(EXPECT_KIND_COUNT >= EXPECT_KIND_LEGACY_COUNT,
               "expect kinds are only ever added");
_Static_assert(FIND_KIND_COUNT >= FINDING_KIND_LEGACY_COUNT,
               "finding kinds are only ever added");

#define WIRE_CLOEXEC 0x20
#define WIRE_AS 0x40
#define WIRE_ESCAPE STATEMENT_WIRE_ESCAPE /* a second byte: the code and ... */
#define WIRE_REUSES 0x20   /* ... `reuses X`                               */
#define WIRE_ORDER 0x40    /* ... `order T...`                             */
#define STEP_V2_OPTIONS (STEP_REUSES | STEP_ORDER)

/* The size of the namespace an operand kind names. */
static enum name_space name_space(unsigned kind)
{
    enum name_space ns = operand_space(kind);
    return ns == SPACE_NONE ? SPACE_FD : ns; /* numbers never get here */
}

static uint32_t namespace_size(unsigned kind)
{
    static const uint32_t size[] = {
        [SPACE_TASK] = MAX_TASK_NAMES,
        [SPACE_FILE] = MAX_FILE_NAMES,
        [SPACE_FD] = MAX_FD_NAMES,
    };
    return size[name_space(kind)];
}

bool trace_is_binary(const uint8_t *data, size_t len)
{
    return len >= TRACE_BIN_MAGIC_LEN &&
           memcmp(data, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN) == 0;
}

/* ---- encoding ---- */

struct wbuf {
    uint8_t *buf;
    size_t cap, len;
};

static void wbyte(struct wbuf *w, uint8_t b)
{
    if (w->len < w->cap)
        w->buf[w->len] = b;
    w->len++;
}

static void wvarint(struct wbuf *w, uint32_t v)
{
    while (v >= 0x80) {
        wbyte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    wbyte(w, (uint8_t)v);
}

static void encode_operand(struct wbuf *w, const struct statement *row,
                           const struct step *s, struct statement_operand o)
{
    if (o.kind == OPERAND_NUMBER)
        wvarint(w, s->n - row->number_min);
    else
        wbyte(w, (uint8_t)step_slot(s, o.slot));
}

/* An option's name is in the encoding when the option has a default name
 * (`as`: always written, as before v2) or was given. */
static bool name_encoded(const struct statement_option *o, uint8_t flags)
{
    return o->kind == OPTION_NAME &&
           (o->default_slot != SLOT_NONE || (flags & o->flag));
}

/* `order_names`: the program's lists (struct program's order_names). */
static void encode_step(struct wbuf *w, const uint16_t *order_names,
                        const struct step *s)
{
    const struct statement *row = statement_of(s->op);
    if (!row)
        return;
    uint8_t flags = (uint8_t)(((s->flags & STEP_CLOEXEC) ? WIRE_CLOEXEC : 0) |
                              ((s->flags & STEP_AS) ? WIRE_AS : 0));
    if (row->form != FORM_EXPECT && (s->flags & STEP_V2_OPTIONS)) {
        wbyte(w, (uint8_t)(WIRE_ESCAPE | flags));
        wbyte(w, (uint8_t)(row->wire |
                           ((s->flags & STEP_REUSES) ? WIRE_REUSES : 0) |
                           ((s->flags & STEP_ORDER) ? WIRE_ORDER : 0)));
    } else {
        wbyte(w, (uint8_t)(row->wire | flags));
    }
    if (row->form == FORM_EXPECT) {
        wbyte(w, s->policies);
        wbyte(w, s->xkind);
        wbyte(w, s->xfind);
        wbyte(w, (uint8_t)s->file);
        wvarint(w, s->n);
        return;
    }
    for (int k = 0; k < row->noperands; k++)
        encode_operand(w, row, s, row->operands[k]);
    for (int k = 0; k < row->noptions; k++)
        if (name_encoded(&row->options[k], s->flags))
            encode_operand(w, row, s, row->options[k].name);
    for (int k = 0; k < row->noptions; k++) {
        if (row->options[k].kind != OPTION_LIST ||
            !(s->flags & row->options[k].flag))
            continue;
        wbyte(w, s->norder);
        for (unsigned i = 0; i < s->norder; i++)
            wbyte(w, (uint8_t)order_names[s->order_at + i]);
    }
}

size_t trace_encode(const struct program *p, uint8_t *buf, size_t cap)
{
    struct wbuf w = {buf, cap, 0};
    for (uint32_t i = 0; i < p->nsteps; i++)
        encode_step(&w, p->order_names, &p->steps[i]);
    return w.len;
}

/* ---- decoding ---- */

struct rbuf {
    const uint8_t *p;
    size_t len, pos;
};

static bool rbyte(struct rbuf *r, uint8_t *out)
{
    if (r->pos >= r->len)
        return false;
    *out = r->p[r->pos++];
    return true;
}

static bool rvarint(struct rbuf *r, uint32_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        uint8_t b;
        if (!rbyte(r, &b))
            return false;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (uint32_t)v;
            return true;
        }
    }
    *out = (uint32_t)v; /* over-long: keep the low bits, stay total */
    return true;
}

static inline bool decode_operand(struct rbuf *r, const struct statement *row,
                           struct step *s, struct statement_operand o)
{
    if (o.kind == OPERAND_NUMBER) {
        uint32_t n;
        if (!rvarint(r, &n))
            return false;
        s->n = row->number_min + n % (row->number_max - row->number_min + 1);
        return true;
    }
    uint8_t v;
    if (!rbyte(r, &v))
        return false;
    step_set_slot(s, o.slot, v % namespace_size(o.kind));
    return true;
}

static bool decode_expect(struct rbuf *r, struct step *s)
{
    uint8_t pol, kind, find, file;
    if (!rbyte(r, &pol) || !rbyte(r, &kind) || !rbyte(r, &find) ||
        !rbyte(r, &file) || !rvarint(r, &s->n))
        return false;
    s->flags = 0;
    s->policies = (uint8_t)(pol & POLICY_MASK_ALL);
    s->xkind = (uint8_t)(kind < EXPECT_KIND_COUNT
                             ? kind
                             : kind % EXPECT_KIND_LEGACY_COUNT);
    s->xfind = (uint8_t)(find < FIND_KIND_COUNT
                             ? find
                             : find % FINDING_KIND_LEGACY_COUNT);
    s->file = (uint16_t)(file % MAX_FILE_NAMES);
    if (s->xkind != EXPECT_SEALED)
        s->n = 0;
    return true;
}

/* A list option's names: a count, then the names; kept in p's lists
 * (dropped, bytes read all the same, when they are full). */
static bool decode_list(struct rbuf *r, struct program *p, struct step *s,
                        const struct statement_option *o)
{
    uint8_t count, v;
    uint16_t names[MAX_TASK_NAMES];
    if (!rbyte(r, &count))
        return false;
    unsigned n = count % (MAX_TASK_NAMES + 1u);
    for (unsigned i = 0; i < n; i++) {
        if (!rbyte(r, &v))
            return false;
        names[i] = (uint16_t)(v % namespace_size(o->name.kind));
    }
    if (program_set_order(p, s, names, n) < 0)
        s->flags &= (uint8_t)~o->flag;
    return true;
}

static bool decode_step(struct rbuf *r, struct program *p, struct step *s)
{
    uint8_t b, v2 = 0;
    if (!rbyte(r, &b))
        return false;
    memset(s, 0, sizeof *s);
    uint8_t code = b;
    if ((b & (STATEMENT_WIRE_CODES - 1)) == WIRE_ESCAPE) {
        if (!rbyte(r, &code))
            return false;
        v2 = (uint8_t)(((code & WIRE_REUSES) ? STEP_REUSES : 0) |
                       ((code & WIRE_ORDER) ? STEP_ORDER : 0));
    }
    const struct statement *row = statement_by_wire(code);
    s->op = row->op;
    if (row->form == FORM_EXPECT)
        return decode_expect(r, s);
    uint8_t offered = 0; /* the flags of the options the statement has */
    for (int k = 0; k < row->noptions; k++)
        offered |= row->options[k].flag;
    s->flags = (uint8_t)((((b & WIRE_CLOEXEC) ? STEP_CLOEXEC : 0) |
                          ((b & WIRE_AS) ? STEP_AS : 0) | v2) & offered);
    for (int k = 0; k < row->noperands; k++)
        if (!decode_operand(r, row, s, row->operands[k]))
            return false;
    for (int k = 0; k < row->noptions; k++)
        if (name_encoded(&row->options[k], s->flags) &&
            !decode_operand(r, row, s, row->options[k].name))
            return false;
    for (int k = 0; k < row->noptions; k++)
        if (row->options[k].kind == OPTION_LIST &&
            (s->flags & row->options[k].flag) &&
            !decode_list(r, p, s, &row->options[k]))
            return false;
    return true;
}

static trace_name gen_task[MAX_TASK_NAMES], gen_file[MAX_FILE_NAMES],
    gen_fd[MAX_FD_NAMES];
static bool gen_ready;

static void gen_names(void)
{
    for (int i = 0; i < MAX_TASK_NAMES; i++)
        snprintf(gen_task[i], sizeof gen_task[i], "p%d", i);
    for (int i = 0; i < MAX_FILE_NAMES; i++)
        snprintf(gen_file[i], sizeof gen_file[i], "f%d", i);
    for (int i = 0; i < MAX_FD_NAMES; i++)
        snprintf(gen_fd[i], sizeof gen_fd[i], "d%d", i);
    gen_ready = true;
}

void trace_decode(const uint8_t *data, size_t len, struct program *out)
{
    struct rbuf r = {data, len, 0};
    uint32_t limit = TRACE_DECODE_MAX_STEPS;
    if (trace_is_binary(data, len)) { /* a file written by encode */
        r.pos = TRACE_BIN_MAGIC_LEN;
        limit = MAX_STEPS;
    }
    program_init(out);
    unsigned mt = 0, mf = 0, md = 0;
    while (out->nsteps < limit) {
        struct step *s = &out->steps[out->nsteps];
        if (!decode_step(&r, out, s))
            break;
        if (s->op != OP_EXPECT) {
            if (s->task >= mt) mt = s->task + 1u;
            if (s->task2 >= mt) mt = s->task2 + 1u;
            if ((s->flags & STEP_REUSES) && s->reuses >= mt)
                mt = s->reuses + 1u;
            for (unsigned i = 0; (s->flags & STEP_ORDER) && i < s->norder; i++)
                if (step_order(out, s)[i] >= mt)
                    mt = step_order(out, s)[i] + 1u;
            if (s->fd >= md) md = s->fd + 1u;
            if (s->fd2 >= md) md = s->fd2 + 1u;
        }
        if (s->file >= mf)
            mf = s->file + 1u;
        out->nsteps++;
    }
    trace_generated_names(out, mt, mf, md);
}

void trace_generated_names(struct program *p, unsigned ntasks,
                           unsigned nfiles, unsigned nfds)
{
    if (!gen_ready)
        gen_names();
    memcpy(p->task_names, gen_task, ntasks * sizeof gen_task[0]);
    memcpy(p->file_names, gen_file, nfiles * sizeof gen_file[0]);
    memcpy(p->fd_names, gen_fd, nfds * sizeof gen_fd[0]);
    p->ntasks = (uint16_t)ntasks;
    p->nfiles = (uint16_t)nfiles;
    p->nfds = (uint16_t)nfds;
}

/* ---- the fuzz dictionary ---- */

/* Statement `row` with small operands - the first name of a namespace is
 * `base`, the next base + 1 - and the options in `flags`; an option not
 * given takes its default name, as the parser gives it; a list holds the
 * two next names, at the start of `list`. */
static void sample_step(const struct statement *row, uint8_t flags,
                        unsigned base, struct step *s, uint16_t list[2])
{
    memset(s, 0, sizeof *s);
    s->op = row->op;
    s->flags = flags;
    s->n = row->number_max ? row->number_min + 9 : 0;
    if (row->form == FORM_EXPECT) {
        s->xkind = EXPECT_CLEAN;
        return;
    }
    unsigned next[3] = {base, base, base}; /* per enum name_space */
    for (int k = 0; k < row->noperands; k++)
        if (row->operands[k].kind != OPERAND_NUMBER)
            step_set_slot(s, row->operands[k].slot,
                          next[name_space(row->operands[k].kind)]++);
    for (int k = 0; k < row->noptions; k++) {
        const struct statement_option *o = &row->options[k];
        if (o->kind == OPTION_LIST && (flags & o->flag)) {
            enum name_space ns = name_space(o->name.kind);
            list[0] = (uint16_t)next[ns]++;
            list[1] = (uint16_t)next[ns]++;
            s->norder = 2;
            s->order_at = 0;
        }
        if (o->kind != OPTION_NAME)
            continue;
        enum name_space ns = name_space(o->name.kind);
        uint32_t v = next[ns]++;
        for (int i = 0; !(flags & o->flag) && i < row->noperands; i++)
            if (row->operands[i].slot == o->default_slot &&
                name_space(row->operands[i].kind) == ns)
                v = step_slot(s, o->default_slot); /* the same name */
        step_set_slot(s, o->name.slot, v);
    }
}

static void dict_entry(struct wbuf *w, const char *name, const char *option,
                       const struct step *s, const uint16_t list[2])
{
    uint8_t bytes[32];
    struct wbuf enc = {bytes, sizeof bytes, 0};
    encode_step(&enc, list, s);
    size_t n = enc.len < sizeof bytes ? enc.len : sizeof bytes;
    char line[256];
    int len = snprintf(line, sizeof line, "%s%s%s=\"", name,
                       option ? "_" : "", option ? option : "");
    for (size_t i = 0; i < n && len < 200; i++)
        len += snprintf(line + len, sizeof line - (size_t)len, "\\x%02x",
                        bytes[i]);
    snprintf(line + len, sizeof line - (size_t)len, "\"\n");
    for (const char *c = line; *c; c++)
        wbyte(w, (uint8_t)*c);
}

size_t trace_fuzz_dictionary(char *buf, size_t cap)
{
    struct wbuf w = {(uint8_t *)buf, cap, 0};
    static const char head[] =
        "# Byte-level dictionary for the binary program encoding, written "
        "from the\n# statement table (harness/trace/statements.c) by "
        "trace_fuzz_dictionary():\n# one entry per statement with small "
        "operands, one per option, and one with\n# the next names (_1).\n# Do not edit: "
        "test_statements --write-dictionary fuzz/ternrig.dict\n";
    for (const char *c = head; *c; c++)
        wbyte(&w, (uint8_t)*c);
    for (unsigned op = 0; op < OP_COUNT; op++) {
        const struct statement *row = statement_of(op);
        struct step s;
        uint16_t list[2] = {0, 0};
        sample_step(row, 0, 0, &s, list);
        dict_entry(&w, row->keyword, NULL, &s, list);
        for (int k = 0; k < row->noptions; k++) {
            sample_step(row, row->options[k].flag, 0, &s, list);
            dict_entry(&w, row->keyword, row->options[k].keyword, &s, list);
        }
        if (row->form != FORM_EXPECT) { /* the same by a second task */
            sample_step(row, 0, 1, &s, list);
            dict_entry(&w, row->keyword, "1", &s, list);
        }
    }
    if (w.len < cap)
        buf[w.len] = 0;
    else if (cap)
        buf[cap - 1] = 0;
    return w.len;
}
