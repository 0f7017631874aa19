/* trace_print.c - program to text that trace_parse() reads back. */
#include <stdio.h>
#include <string.h>
#include "trace.h"

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void print_expect(struct out *o, const struct program *p,
                         const struct step *s)
{
    put(o, "expect");
    if (s->policies) {
        const char *sep = "[";
        for (int i = 0; i < POLICY_COUNT; i++)
            if (s->policies & (1u << i)) {
                put(o, "%s%s", sep, policy_name((enum policy)i));
                sep = ",";
            }
        put(o, "]");
    }
    const char *f = p->file_names[s->file];
    switch (s->xkind) {
    case EXPECT_SEALED: put(o, " %s sealed %u", f, s->n); break;
    case EXPECT_ABORTED: put(o, " %s aborted", f); break;
    case EXPECT_TRANSIENT: put(o, " %s transient", f); break;
    case EXPECT_CLEAN: put(o, " clean"); break;
    default:
        put(o, " %s %s %s",
            finding_is_hazard((enum finding_kind)s->xfind) ? "hazard"
                                                           : "violation",
            finding_kind_name((enum finding_kind)s->xfind), f);
        break;
    }
}

static void print_step(struct out *o, const struct program *p,
                       const struct step *s)
{
    const char *t = p->task_names[s->task];
    const char *op = trace_op_name((enum trace_op)s->op);
    switch (s->op) {
    case OP_SPAWN:
    case OP_KTHREAD:
    case OP_KILL:
        put(o, "%s %s", op, t);
        break;
    case OP_CREATE:
        put(o, "%s create %s", t, p->file_names[s->file]);
        if ((s->flags & STEP_AS) ||
            strcmp(p->fd_names[s->fd], p->file_names[s->file]) != 0)
            put(o, " as %s", p->fd_names[s->fd]);
        if (s->flags & STEP_CLOEXEC)
            put(o, " cloexec");
        break;
    case OP_WRITE:
        put(o, "%s write %s %u", t, p->fd_names[s->fd], s->n);
        break;
    case OP_CLOSE:
    case OP_URING_CLOSE:
        put(o, "%s %s %s", t, op, p->fd_names[s->fd]);
        break;
    case OP_DUP:
    case OP_DUP2:
        put(o, "%s %s %s %s", t, op, p->fd_names[s->fd], p->fd_names[s->fd2]);
        break;
    case OP_FORK:
    case OP_VFORK:
    case OP_THREAD:
        put(o, "%s %s %s", t, op, p->task_names[s->task2]);
        break;
    case OP_SEND:
        put(o, "%s send %s %s", t, p->fd_names[s->fd],
            p->task_names[s->task2]);
        if ((s->flags & STEP_AS) || s->fd2 != s->fd)
            put(o, " as %s", p->fd_names[s->fd2]);
        break;
    case OP_EXPECT:
        print_expect(o, p, s);
        break;
    default:
        put(o, "%s %s", t, op);
        break;
    }
}

size_t trace_print_step(const struct program *p, const struct step *s,
                        char *buf, size_t cap)
{
    struct out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    print_step(&o, p, s);
    return o.len;
}

size_t trace_print(const struct program *p, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    for (uint32_t i = 0; i < p->nsteps; i++) {
        print_step(&o, p, &p->steps[i]);
        put(&o, "\n");
    }
    return o.len;
}
