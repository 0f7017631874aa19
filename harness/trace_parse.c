/* trace_parse.c - text to program (SPEC §3), with FILE:LINE-ready errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "trace.h"

#define MAX_TOKENS 10

struct token {
    const char *s;
    size_t len;
};

struct parser {
    struct program *p;
    struct trace_error *err;
    uint32_t line;
};

static const char *const op_names[OP_COUNT] = {
    [OP_SPAWN] = "spawn",
    [OP_KTHREAD] = "kthread",
    [OP_CREATE] = "create",
    [OP_WRITE] = "write",
    [OP_CLOSE] = "close",
    [OP_URING_CLOSE] = "uring_close",
    [OP_CLOSE_RANGE] = "close_range",
    [OP_DUP] = "dup",
    [OP_DUP2] = "dup2",
    [OP_FORK] = "fork",
    [OP_VFORK] = "vfork",
    [OP_THREAD] = "thread",
    [OP_UNSHARE_FILES] = "unshare_files",
    [OP_EXEC] = "exec",
    [OP_EXIT] = "exit",
    [OP_EXIT_GROUP] = "exit_group",
    [OP_KILL] = "kill",
    [OP_SEND] = "send",
    [OP_EXPECT] = "expect",
};

/* The usage of each statement that a task performs, for arity errors. */
static const char *const op_usage[OP_COUNT] = {
    [OP_SPAWN] = "spawn P",
    [OP_KTHREAD] = "kthread K",
    [OP_CREATE] = "P create F [as D] [cloexec]",
    [OP_WRITE] = "P write D N",
    [OP_CLOSE] = "P close D",
    [OP_URING_CLOSE] = "P uring_close D",
    [OP_CLOSE_RANGE] = "P close_range",
    [OP_DUP] = "P dup D D2",
    [OP_DUP2] = "P dup2 D D2",
    [OP_FORK] = "P fork Q",
    [OP_VFORK] = "P vfork Q",
    [OP_THREAD] = "P thread T",
    [OP_UNSHARE_FILES] = "P unshare_files",
    [OP_EXEC] = "P exec",
    [OP_EXIT] = "P exit",
    [OP_EXIT_GROUP] = "P exit_group",
    [OP_KILL] = "kill P",
    [OP_SEND] = "P send D Q [as D2]",
    [OP_EXPECT] = ("expect[P,...] F sealed N | F aborted | F transient | "
                   "clean | violation KIND F | hazard KIND F"),
};

const char *trace_op_name(enum trace_op op)
{
    return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}

void program_init(struct program *p)
{
    p->nsteps = 0;
    p->ntasks = p->nfiles = p->nfds = 0;
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

static int op_from_token(struct token t)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (tok_is(t, op_names[i]))
            return i;
    return -1;
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
    if (op_from_token(t) >= 0)
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

static int arity(struct parser *ps, enum trace_op op)
{
    return fail(ps, "wrong number of arguments to '%s': usage: %s",
                op_names[op], op_usage[op]);
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
    const char *s = t.s + 7, *end = t.s + t.len - 1;
    if (t.len < 9 || *end != ']')
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
    if (tk[0].len > 6)
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
                return arity(ps, OP_EXPECT);
            st->xkind = EXPECT_SEALED;
            return number(ps, tk[3], 0, UINT32_MAX, "byte count", &st->n);
        }
        if (n != 3)
            return arity(ps, OP_EXPECT);
        st->xkind = tok_is(tk[2], "aborted") ? EXPECT_ABORTED
                                             : EXPECT_TRANSIENT;
        return 0;
    }
    if (n >= 2 && (tok_is(tk[1], "violation") || tok_is(tk[1], "hazard"))) {
        if (n != 4)
            return arity(ps, OP_EXPECT);
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
    return arity(ps, OP_EXPECT);
}

static int parse_task_statement(struct parser *ps, struct token *tk, int n,
                                struct step *st)
{
    char b[40];
    int op = n >= 2 ? op_from_token(tk[1]) : -1;
    if (op < 0 || op == OP_SPAWN || op == OP_KTHREAD || op == OP_KILL ||
        op == OP_EXPECT) {
        if (n >= 2)
            return fail(ps, "unknown statement '%s %s'", show(tk[0], b),
                        show(tk[1], (char[40]){0}));
        return fail(ps, "unknown statement '%s'", show(tk[0], b));
    }
    st->op = (uint8_t)op;
    NAME(st->task, task_name(ps, tk[0]));
    switch (op) {
    case OP_CREATE: {
        if (n < 3 || n > 6)
            return arity(ps, op);
        NAME(st->file, file_name(ps, tk[2]));
        struct token fd = tk[2];
        for (int i = 3; i < n; i++) {
            if (tok_is(tk[i], "as") && i + 1 < n && !(st->flags & STEP_AS)) {
                st->flags |= STEP_AS;
                fd = tk[++i];
            } else if (tok_is(tk[i], "cloexec") &&
                       !(st->flags & STEP_CLOEXEC)) {
                st->flags |= STEP_CLOEXEC;
            } else {
                return arity(ps, op);
            }
        }
        NAME(st->fd, fd_name(ps, fd));
        return 0;
    }
    case OP_WRITE:
        if (n != 4)
            return arity(ps, op);
        NAME(st->fd, fd_name(ps, tk[2]));
        return number(ps, tk[3], 1, MAX_WRITE, "write size", &st->n);
    case OP_CLOSE:
    case OP_URING_CLOSE:
        if (n != 3)
            return arity(ps, op);
        NAME(st->fd, fd_name(ps, tk[2]));
        return 0;
    case OP_DUP:
    case OP_DUP2:
        if (n != 4)
            return arity(ps, op);
        NAME(st->fd, fd_name(ps, tk[2]));
        NAME(st->fd2, fd_name(ps, tk[3]));
        return 0;
    case OP_FORK:
    case OP_VFORK:
    case OP_THREAD:
        if (n != 3)
            return arity(ps, op);
        NAME(st->task2, task_name(ps, tk[2]));
        return 0;
    case OP_SEND:
        if (n != 4 && !(n == 6 && tok_is(tk[4], "as")))
            return arity(ps, op);
        NAME(st->fd, fd_name(ps, tk[2]));
        NAME(st->task2, task_name(ps, tk[3]));
        if (n == 6) {
            st->flags |= STEP_AS;
            NAME(st->fd2, fd_name(ps, tk[5]));
        } else {
            st->fd2 = st->fd;
        }
        return 0;
    default: /* close_range, unshare_files, exec, exit, exit_group */
        return n == 2 ? 0 : arity(ps, op);
    }
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
        if (n == 0 && len - i >= 7 && memcmp(s + i, "expect[", 7) == 0) {
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
    int op = op_from_token(tk[0]);
    if (tk[0].len >= 7 && memcmp(tk[0].s, "expect[", 7) == 0)
        op = OP_EXPECT;
    switch (op) {
    case OP_SPAWN:
    case OP_KTHREAD:
    case OP_KILL:
        st->op = (uint8_t)op;
        if (n != 2)
            return arity(ps, op);
        NAME(st->task, task_name(ps, tk[1]));
        break;
    case OP_EXPECT:
        TRY(parse_expect(ps, tk, n, st));
        break;
    case -1:
        TRY(parse_task_statement(ps, tk, n, st));
        break;
    default:
        return fail(ps, "'%s' needs a task before it: usage: %s",
                    show(tk[0], b), op_usage[op]);
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
        if (p->steps[i].op == OP_CREATE)
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
