/* trace_codec.c - the compact binary form of a program, for fuzzers.
 *
 * Payload: a sequence of statements.  Each starts with one byte whose low
 * five bits select the statement (modulo the number of statements) and whose
 * bits 5 and 6 are the `cloexec` and `as` flags; operand bytes follow, one
 * per name (modulo the namespace's limit) and a LEB128 varint per number.
 * A statement cut short by the end of the input is dropped.  Decoding is
 * total and allocates nothing.
 */
#include <stdio.h>
#include <string.h>
#include "trace.h"

enum operand { O_TASK, O_TASK2, O_FILE, O_FD, O_FD2, O_N };

/* Operand layout per statement (expect is handled on its own). */
static const uint8_t layout[OP_COUNT][5] = {
    [OP_SPAWN] = {O_TASK},
    [OP_KTHREAD] = {O_TASK},
    [OP_CREATE] = {O_TASK, O_FILE, O_FD},
    [OP_WRITE] = {O_TASK, O_FD, O_N},
    [OP_CLOSE] = {O_TASK, O_FD},
    [OP_URING_CLOSE] = {O_TASK, O_FD},
    [OP_CLOSE_RANGE] = {O_TASK},
    [OP_DUP] = {O_TASK, O_FD, O_FD2},
    [OP_DUP2] = {O_TASK, O_FD, O_FD2},
    [OP_FORK] = {O_TASK, O_TASK2},
    [OP_VFORK] = {O_TASK, O_TASK2},
    [OP_THREAD] = {O_TASK, O_TASK2},
    [OP_UNSHARE_FILES] = {O_TASK},
    [OP_EXEC] = {O_TASK},
    [OP_EXIT] = {O_TASK},
    [OP_EXIT_GROUP] = {O_TASK},
    [OP_KILL] = {O_TASK},
    [OP_SEND] = {O_TASK, O_FD, O_TASK2, O_FD2},
};
static const uint8_t layout_len[OP_COUNT] = {
    [OP_SPAWN] = 1, [OP_KTHREAD] = 1, [OP_CREATE] = 3, [OP_WRITE] = 3,
    [OP_CLOSE] = 2, [OP_URING_CLOSE] = 2, [OP_CLOSE_RANGE] = 1,
    [OP_DUP] = 3, [OP_DUP2] = 3, [OP_FORK] = 2, [OP_VFORK] = 2,
    [OP_THREAD] = 2, [OP_UNSHARE_FILES] = 1, [OP_EXEC] = 1, [OP_EXIT] = 1,
    [OP_EXIT_GROUP] = 1, [OP_KILL] = 1, [OP_SEND] = 4,
};

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

size_t trace_encode(const struct program *p, uint8_t *buf, size_t cap)
{
    struct wbuf w = {buf, cap, 0};
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        uint8_t flags = (uint8_t)(((s->flags & STEP_CLOEXEC) ? 0x20 : 0) |
                                  ((s->flags & STEP_AS) ? 0x40 : 0));
        wbyte(&w, (uint8_t)(s->op | flags));
        if (s->op == OP_EXPECT) {
            wbyte(&w, s->policies);
            wbyte(&w, s->xkind);
            wbyte(&w, s->xfind);
            wbyte(&w, (uint8_t)s->file);
            wvarint(&w, s->n);
            continue;
        }
        for (int k = 0; k < layout_len[s->op]; k++) {
            switch (layout[s->op][k]) {
            case O_TASK: wbyte(&w, (uint8_t)s->task); break;
            case O_TASK2: wbyte(&w, (uint8_t)s->task2); break;
            case O_FILE: wbyte(&w, (uint8_t)s->file); break;
            case O_FD: wbyte(&w, (uint8_t)s->fd); break;
            case O_FD2: wbyte(&w, (uint8_t)s->fd2); break;
            case O_N: wvarint(&w, s->n - 1); break;
            }
        }
    }
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

static bool decode_step(struct rbuf *r, struct step *s)
{
    uint8_t b;
    if (!rbyte(r, &b))
        return false;
    memset(s, 0, sizeof *s);
    s->op = (uint8_t)((b & 0x1f) % OP_COUNT);
    s->flags = (uint8_t)(((b & 0x20) ? STEP_CLOEXEC : 0) |
                         ((b & 0x40) ? STEP_AS : 0));
    if (s->op == OP_EXPECT) {
        uint8_t pol, kind, find, file;
        if (!rbyte(r, &pol) || !rbyte(r, &kind) || !rbyte(r, &find) ||
            !rbyte(r, &file) || !rvarint(r, &s->n))
            return false;
        s->flags = 0;
        s->policies = (uint8_t)(pol & POLICY_MASK_ALL);
        s->xkind = (uint8_t)(kind % EXPECT_KIND_COUNT);
        s->xfind = (uint8_t)(find % FIND_KIND_COUNT);
        s->file = (uint16_t)(file % MAX_FILE_NAMES);
        if (s->xkind != EXPECT_SEALED)
            s->n = 0;
        return true;
    }
    if (s->op != OP_CREATE)
        s->flags &= (uint8_t)~STEP_CLOEXEC;
    if (s->op != OP_CREATE && s->op != OP_SEND)
        s->flags &= (uint8_t)~STEP_AS;
    for (int k = 0; k < layout_len[s->op]; k++) {
        uint8_t v;
        uint32_t n;
        if (layout[s->op][k] == O_N) {
            if (!rvarint(r, &n))
                return false;
            s->n = n % MAX_WRITE + 1;
            continue;
        }
        if (!rbyte(r, &v))
            return false;
        switch (layout[s->op][k]) {
        case O_TASK: s->task = v % MAX_TASK_NAMES; break;
        case O_TASK2: s->task2 = v % MAX_TASK_NAMES; break;
        case O_FILE: s->file = v % MAX_FILE_NAMES; break;
        case O_FD: s->fd = v % MAX_FD_NAMES; break;
        case O_FD2: s->fd2 = v % MAX_FD_NAMES; break;
        default: break;
        }
    }
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
    if (!gen_ready)
        gen_names();
    program_init(out);
    unsigned mt = 0, mf = 0, md = 0;
    while (out->nsteps < limit) {
        struct step *s = &out->steps[out->nsteps];
        if (!decode_step(&r, s))
            break;
        if (s->op != OP_EXPECT) {
            if (s->task >= mt) mt = s->task + 1u;
            if (s->task2 >= mt) mt = s->task2 + 1u;
            if (s->fd >= md) md = s->fd + 1u;
            if (s->fd2 >= md) md = s->fd2 + 1u;
        }
        if (s->file >= mf)
            mf = s->file + 1u;
        out->nsteps++;
    }
    memcpy(out->task_names, gen_task, mt * sizeof gen_task[0]);
    memcpy(out->file_names, gen_file, mf * sizeof gen_file[0]);
    memcpy(out->fd_names, gen_fd, md * sizeof gen_fd[0]);
    out->ntasks = (uint16_t)mt;
    out->nfiles = (uint16_t)mf;
    out->nfds = (uint16_t)md;
}
