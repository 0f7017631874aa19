/* trace_parse.c - text to program (SPEC §3), with FILE:LINE-ready errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "trace.h"

#define MAX_TOKENS (8 + MAX_TASK_NAMES) /* an `order` list may name every task */

struct token {
    const char *s;
    size_t len;
};

struct parser {
    struct program *p;
    struct trace_error *err;
    uint32_t line;
};

const char *trace_op_name(enum trace_op op)
{
    const struct statement *st = statement_of((unsigned)op);
    return st ? st->keyword : "?";
}

void program_init(struct program *p)
{
    p->nsteps = 0;
    p->ntasks = p->nfiles = p->nfds = 0;
    p->norder_names = 0;
}

/* Rewrite the order lists of p's steps into one run, in step order,
 * dropping what no step refers to any more. */
static void compact_order_names(struct program *p)
{
    uint16_t kept[MAX_ORDER_NAMES];
    uint16_t n = 0;
    for (uint32_t i = 0; i < p->nsteps; i++) {
        struct step *s = &p->steps[i];
        if (!(s->flags & STEP_ORDER))
            continue;
        memcpy(&kept[n], step_order(p, s), s->norder * sizeof kept[0]);
        s->order_at = n;
        n = (uint16_t)(n + s->norder);
    }
    memcpy(p->order_names, kept, n * sizeof kept[0]);
    p->norder_names = n;
}

int program_set_order(struct program *p, struct step *s,
                      const uint16_t *tasks, unsigned n)
{
    uint16_t copy[MAX_ORDER_NAMES];
    if (n > MAX_ORDER_NAMES)
        return -1;
    memcpy(copy, tasks, n * sizeof copy[0]);
    if (p->norder_names + n > MAX_ORDER_NAMES) {
        uint8_t had = s->flags;
        s->flags &= (uint8_t)~STEP_ORDER; /* its old list goes too */
        compact_order_names(p);
        s->flags = had;
        if (p->norder_names + n > MAX_ORDER_NAMES)
            return -1;
    }
    s->order_at = p->norder_names;
    s->norder = (uint8_t)n;
    s->flags |= STEP_ORDER;
    memcpy(&p->order_names[s->order_at], copy, n * sizeof copy[0]);
    p->norder_names = (uint16_t)(p->norder_names + n);
    return 0;
}

bool program_makes_file(const struct program *p, uint16_t f)
{
    for (uint32_t i = 0; i < p->nsteps; i++)
        if (statement_makes_file(p->steps[i].op) && p->steps[i].file == f)
            return true;
    return false;
}

void program_remove_step(struct program *p, uint32_t i)
{
    if (i >= p->nsteps)
        return;
    memmove(&p->steps[i], &p->steps[i + 1],
            (p->nsteps - i - 1) * sizeof p->steps[0]);
    p->nsteps--;
}

static int fail(struct parser *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
    ps->err->line = ps->line;
    return -1;
}

static bool tok_is(struct token t, const char *s)
{
    return strlen(s) == t.len && memcmp(t.s, s, t.len) == 0;
}

static const struct statement *statement_named(struct token t)
{
    return statement_by_keyword(t.s, t.len);
}

/* The length of "expect[" if `s` starts with it (an expect with a policy
 * list), else 0. */
static size_t policy_list_start(const char *s, size_t len)
{
    const char *kw = statement_of(OP_EXPECT)->keyword;
    size_t k = strlen(kw);
    return len > k && memcmp(s, kw, k) == 0 && s[k] == '[' ? k + 1 : 0;
}

/* Print a token for an error message, shortened and made printable. */
static const char *show(struct token t, char buf[40])
{
    size_t n = t.len < 32 ? t.len : 32, j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t.s[i];
        buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (t.len > n) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
    return buf;
}

static int check_name(struct parser *ps, struct token t, const char *what)
{
    char b[40];
    if (t.len > MAX_NAME_LEN)
        return fail(ps, "%s name '%s' is too long (at most %d characters)",
                    what, show(t, b), MAX_NAME_LEN);
    bool ok = t.len > 0 && t.s[0] >= 'a' && t.s[0] <= 'z';
    for (size_t i = 1; ok && i < t.len; i++) {
        char c = t.s[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok)
        return fail(ps, "bad %s name '%s': names match [a-z][a-z0-9_]{0,15}",
                    what, show(t, b));
    return 0;
}

/* Intern a name in one namespace; returns its index or -1 on error. */
static int intern(struct parser *ps, trace_name *table, uint16_t *count,
                  unsigned limit, struct token t, const char *what)
{
    if (check_name(ps, t, what) < 0)
        return -1;
    for (unsigned i = 0; i < *count; i++)
        if (strlen(table[i]) == t.len && memcmp(table[i], t.s, t.len) == 0)
            return (int)i;
    if (*count >= limit)
        return fail(ps, "too many %s names (at most %u in a trace)", what,
                    limit);
    memcpy(table[*count], t.s, t.len);
    table[*count][t.len] = 0;
    return (*count)++;
}

static int task_name(struct parser *ps, struct token t)
{
    char b[40];
    if (statement_named(t))
        return fail(ps, "'%s' is a statement keyword, not a task name",
                    show(t, b));
    return intern(ps, ps->p->task_names, &ps->p->ntasks, MAX_TASK_NAMES, t,
                  "task");
}

static int file_name(struct parser *ps, struct token t)
{
    return intern(ps, ps->p->file_names, &ps->p->nfiles, MAX_FILE_NAMES, t,
                  "file");
}

static int fd_name(struct parser *ps, struct token t)
{
    return intern(ps, ps->p->fd_names, &ps->p->nfds, MAX_FD_NAMES, t, "fd");
}

static int number(struct parser *ps, struct token t, uint32_t lo, uint32_t hi,
                  const char *what, uint32_t *out)
{
    char b[40];
    uint64_t v = 0;
    if (t.len == 0)
        goto bad;
    for (size_t i = 0; i < t.len; i++) {
        if (t.s[i] < '0' || t.s[i] > '9')
            goto bad;
        if (v <= UINT32_MAX) /* saturate: anything larger is out of range */
            v = v * 10 + (uint64_t)(t.s[i] - '0');
    }
    if (v < lo || v > hi)
        return fail(ps, "%s %s out of range (%u..%u)", what, show(t, b), lo,
                    hi);
    *out = (uint32_t)v;
    return 0;
bad:
    return fail(ps, "%s '%s' is not a number", what, show(t, b));
}

static int arity(struct parser *ps, const struct statement *st)
{
    return fail(ps, "wrong number of arguments to '%s': usage: %s",
                st->keyword, st->usage);
}

#define TRY(x)                                                                 \
    do {                                                                       \
        if ((x) < 0)                                                           \
            return -1;                                                         \
    } while (0)

/* Store the result of an intern into a field, failing on -1. */
#define NAME(field, call)                                                      \
    do {                                                                       \
        int v_ = (call);                                                       \
        if (v_ < 0)                                                            \
            return -1;                                                         \
        (field) = (uint16_t)v_;                                                \
    } while (0)

static int parse_policies(struct parser *ps, struct token t, uint8_t *mask)
{
    char b[40];
    /* t is "expect[...]" */
    size_t head = policy_list_start(t.s, t.len);
    const char *s = t.s + head, *end = t.s + t.len - 1;
    if (t.len < head + 2 || *end != ']')
        return fail(ps, "bad policy list '%s': expect[P1,P2] ...", show(t, b));
    *mask = 0;
    while (s <= end) {
        const char *c = s;
        while (c < end && *c != ',')
            c++;
        enum policy pol;
        struct token name = {s, (size_t)(c - s)};
        if (!policy_from_name(s, name.len, &pol)) {
            char all[120];
            policy_names_joined(all, sizeof all, ", ");
            return fail(ps, "unknown policy '%s' (policies: %s)",
                        show(name, b), all);
        }
        *mask |= (uint8_t)(1u << pol);
        s = c + 1;
    }
    return 0;
}

static int parse_expect(struct parser *ps, struct token *tk, int n,
                        struct step *st)
{
    char b[40];
    st->op = OP_EXPECT;
    if (policy_list_start(tk[0].s, tk[0].len))
        TRY(parse_policies(ps, tk[0], &st->policies));
    if (n == 2 && tok_is(tk[1], "clean")) {
        st->xkind = EXPECT_CLEAN;
        return 0;
    }
    if (n >= 3 && (tok_is(tk[2], "sealed") || tok_is(tk[2], "aborted") ||
                   tok_is(tk[2], "transient"))) {
        NAME(st->file, file_name(ps, tk[1]));
        if (tok_is(tk[2], "sealed")) {
            if (n != 4)
                return arity(ps, statement_of(OP_EXPECT));
            st->xkind = EXPECT_SEALED;
            return number(ps, tk[3], 0, UINT32_MAX, "byte count", &st->n);
        }
        if (n != 3)
            return arity(ps, statement_of(OP_EXPECT));
        st->xkind = tok_is(tk[2], "aborted") ? EXPECT_ABORTED
                                             : EXPECT_TRANSIENT;
        return 0;
    }
    if (n >= 2 && (tok_is(tk[1], "violation") || tok_is(tk[1], "hazard"))) {
        if (n != 4)
            return arity(ps, statement_of(OP_EXPECT));
        bool hazard = tok_is(tk[1], "hazard");
        enum finding_kind k = finding_kind_from_name(tk[2].s, tk[2].len);
        if (k == FIND_KIND_COUNT)
            return fail(ps, "unknown %s kind '%s'",
                        hazard ? "hazard" : "violation", show(tk[2], b));
        if (finding_is_hazard(k) != hazard)
            return fail(ps, "'%s' is a %s, not a %s: expect %s %s F",
                        show(tk[2], b), hazard ? "violation" : "hazard",
                        hazard ? "hazard" : "violation",
                        hazard ? "violation" : "hazard", show(tk[2], b));
        st->xkind = EXPECT_FINDING;
        st->xfind = (uint8_t)k;
        NAME(st->file, file_name(ps, tk[3]));
        return 0;
    }
    return arity(ps, statement_of(OP_EXPECT));
}

/* Intern one word of a statement as its kind says, into its slot. */
static int operand(struct parser *ps, const struct statement *row,
                   struct statement_operand o, struct token t, struct step *st)
{
    int v;
    switch (operand_space(o.kind)) {
    case SPACE_TASK: v = task_name(ps, t); break;
    case SPACE_FILE: v = file_name(ps, t); break;
    case SPACE_FD: v = fd_name(ps, t); break;
    default:
        return number(ps, t, row->number_min, row->number_max,
                      row->number_what, &st->n);
    }
    if (v < 0)
        return -1;
    step_set_slot(st, o.slot, (uint32_t)v);
    return 0;
}

/* The names of a list option (`order T1 T2`), into the program's lists. */
static int list_option(struct parser *ps, const struct statement *row,
                       const struct statement_option *o, struct token *tk,
                       int n, struct step *st)
{
    uint16_t names[MAX_ORDER_NAMES];
    if (n > MAX_TASK_NAMES)
        return fail(ps, "'%s' lists %d names (at most %d)", o->keyword, n,
                    MAX_TASK_NAMES);
    struct statement_operand into = {o->name.kind, SLOT_TASK};
    for (int i = 0; i < n; i++) {
        struct step one = {0};
        TRY(operand(ps, row, into, tk[i], &one));
        names[i] = one.task;
    }
    if (program_set_order(ps->p, st, names, (unsigned)n) < 0)
        return fail(ps, "too many names in '%s' lists (at most %d in a "
                        "trace)",
                    o->keyword, MAX_ORDER_NAMES);
    return 0;
}

/* The words of statement `row` after its keyword and actor: first the
 * shape (how many operands, which options, each at most once), then the
 * names in the order they are written, the default names last. */
static int parse_operands(struct parser *ps, const struct statement *row,
                          struct token *tk, int n, int first,
                          struct step *st)
{
    int npos = row->noperands - first;
    if (n < npos)
        return arity(ps, row);
    int given[STATEMENT_MAX_OPTIONS]; /* token of each option, or -1 */
    for (int k = 0; k < STATEMENT_MAX_OPTIONS; k++)
        given[k] = -1;
    for (int i = npos; i < n; i++) {
        int k = 0;
        while (k < row->noptions && !tok_is(tk[i], row->options[k].keyword))
            k++;
        if (k == row->noptions || given[k] >= 0)
            return arity(ps, row);
        given[k] = i;
        if (row->options[k].kind == OPTION_NAME && ++i >= n)
            return arity(ps, row);
        if (row->options[k].kind == OPTION_LIST)
            i = n; /* the list runs to the end of the statement */
    }
    for (int i = 0; i < npos; i++)
        TRY(operand(ps, row, row->operands[first + i], tk[i], st));
    for (int k = 0; k < row->noptions; k++) {
        const struct statement_option *o = &row->options[k];
        if (given[k] >= 0)
            st->flags |= o->flag;
        if (o->kind == OPTION_LIST && given[k] >= 0)
            TRY(list_option(ps, row, o, tk + given[k] + 1,
                            n - given[k] - 1, st));
        if (o->kind != OPTION_NAME)
            continue;
        if (given[k] >= 0) {
            TRY(operand(ps, row, o->name, tk[given[k] + 1], st));
        } else if (o->default_slot != SLOT_NONE) {
            /* named like the operand in default_slot, in this namespace */
            int w = 0;
            while (w < npos && row->operands[first + w].slot != o->default_slot)
                w++;
            TRY(operand(ps, row, o->name, tk[w], st));
        }
    }
    return 0;
}

static int parse_task_statement(struct parser *ps, struct token *tk, int n,
                                struct step *st)
{
    char b[40];
    const struct statement *row = n >= 2 ? statement_named(tk[1]) : NULL;
    if (!row || row->form != FORM_BY_TASK) {
        if (n >= 2)
            return fail(ps, "unknown statement '%s %s'", show(tk[0], b),
                        show(tk[1], (char[40]){0}));
        return fail(ps, "unknown statement '%s'", show(tk[0], b));
    }
    st->op = row->op;
    TRY(operand(ps, row, row->operands[0], tk[0], st));
    return parse_operands(ps, row, tk + 2, n - 2, 1, st);
}

static int parse_line(struct parser *ps, const char *s, size_t len)
{
    struct token tk[MAX_TOKENS + 1];
    int n = 0;
    size_t i = 0;
    char b[40];
    while (i < len) {
        char c = s[i];
        if (c == '#')
            break;
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        size_t start = i;
        if (n == 0 && policy_list_start(s + i, len - i)) {
            /* A policy list: one token up to ']', blanks inside dropped by
             * requiring none (keeps the grammar simple). */
            while (i < len && s[i] != ']' && s[i] != '#' && s[i] != ' ' &&
                   s[i] != '\t')
                i++;
            if (i < len && s[i] == ']')
                i++;
        } else {
            while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
                   s[i] != '#')
                i++;
        }
        if (n == MAX_TOKENS)
            return fail(ps, "too many words on one line");
        tk[n].s = s + start;
        tk[n].len = i - start;
        for (size_t j = 0; j < tk[n].len; j++) {
            unsigned char ch = (unsigned char)tk[n].s[j];
            if (ch < 0x20 || ch >= 0x7f)
                return fail(ps, "unexpected byte 0x%02x", ch);
        }
        n++;
    }
    if (n == 0)
        return 0;
    struct program *p = ps->p;
    if (p->nsteps >= MAX_STEPS)
        return fail(ps, "too many statements (at most %d in a trace)",
                    MAX_STEPS);
    struct step *st = &p->steps[p->nsteps];
    memset(st, 0, sizeof *st);
    st->line = ps->line;
    const struct statement *row = statement_named(tk[0]);
    if (policy_list_start(tk[0].s, tk[0].len))
        row = statement_of(OP_EXPECT);
    if (!row) {
        TRY(parse_task_statement(ps, tk, n, st));
    } else if (row->form == FORM_EXPECT) {
        TRY(parse_expect(ps, tk, n, st));
    } else if (row->form == FORM_KEYWORD_FIRST) {
        st->op = row->op;
        TRY(parse_operands(ps, row, tk + 1, n - 1, 0, st));
    } else {
        return fail(ps, "'%s' needs a task before it: usage: %s",
                    show(tk[0], b), row->usage);
    }
    p->nsteps++;
    return 0;
}

/* An expect that names a file no statement creates is a trace error. */
static int check_expected_files(struct parser *ps)
{
    const struct program *p = ps->p;
    bool created[MAX_FILE_NAMES] = {0};
    for (uint32_t i = 0; i < p->nsteps; i++)
        if (statement_makes_file(p->steps[i].op))
            created[p->steps[i].file] = true;
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        if (s->op == OP_EXPECT && s->xkind != EXPECT_CLEAN &&
            !created[s->file]) {
            ps->line = s->line;
            return fail(ps, "expect names file '%s' that no statement "
                            "creates",
                        p->file_names[s->file]);
        }
    }
    return 0;
}

int trace_parse(const char *text, size_t len, struct program *out,
                struct trace_error *err)
{
    struct parser ps = {out, err, 0};
    program_init(out);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        ps.line++;
        if (parse_line(&ps, text + i, e - i) < 0)
            return -1;
        i = e + 1;
    }
    return check_expected_files(&ps);
}
