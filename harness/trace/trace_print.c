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
    put(o, "%s", statement_of(OP_EXPECT)->keyword);
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

const char *program_name(const struct program *p, unsigned kind, uint32_t i)
{
    switch (operand_space(kind)) {
    case SPACE_TASK: return p->task_names[i];
    case SPACE_FILE: return p->file_names[i];
    case SPACE_FD: return p->fd_names[i];
    default: return NULL;
    }
}

static void print_operand(struct out *o, const struct program *p,
                          const struct step *s, struct statement_operand w)
{
    uint32_t v = step_slot(s, w.slot);
    const char *name = program_name(p, w.kind, v);
    if (name)
        put(o, " %s", name);
    else
        put(o, " %u", v);
}

/* An option's name is written when it was given, or when it differs from
 * the name the parser would give it by default. */
static bool option_written(const struct program *p, const struct step *s,
                           const struct statement *row, const struct statement_option *opt)
{
    if (s->flags & opt->flag)
        return true;
    if (opt->kind != OPTION_NAME || opt->default_slot == SLOT_NONE)
        return false;
    for (int i = 0; i < row->noperands; i++)
        if (row->operands[i].slot == opt->default_slot)
            return strcmp(program_name(p, opt->name.kind,
                                       step_slot(s, opt->name.slot)),
                          program_name(p, row->operands[i].kind,
                                       step_slot(s, opt->default_slot))) != 0;
    return false;
}

static void print_step(struct out *o, const struct program *p,
                       const struct step *s)
{
    const struct statement *row = statement_of(s->op);
    if (!row)
        return;
    if (row->form == FORM_EXPECT) {
        print_expect(o, p, s);
        return;
    }
    int first = 0;
    if (row->form == FORM_BY_TASK) {
        put(o, "%s %s", p->task_names[s->task], row->keyword);
        first = 1;
    } else {
        put(o, "%s", row->keyword);
    }
    for (int i = first; i < row->noperands; i++)
        print_operand(o, p, s, row->operands[i]);
    for (int k = 0; k < row->noptions; k++) {
        const struct statement_option *opt = &row->options[k];
        if (!option_written(p, s, row, opt))
            continue;
        put(o, " %s", opt->keyword);
        if (opt->kind == OPTION_NAME)
            print_operand(o, p, s, opt->name);
        if (opt->kind == OPTION_LIST)
            for (unsigned i = 0; i < s->norder; i++)
                put(o, " %s", program_name(p, opt->name.kind,
                                           step_order(p, s)[i]));
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
