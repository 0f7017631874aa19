/* model_fixture.h - helpers shared by the model tests: parse a trace text,
 * run it (whole or statement by statement), look at tasks, files, mms and
 * the history. */
#ifndef TERNRIG_MODEL_FIXTURE_H
#define TERNRIG_MODEL_FIXTURE_H

#include "check.h"
#include "model.h"

__attribute__((unused)) static struct model *M;
__attribute__((unused)) static struct program P, P2;
__attribute__((unused)) static struct trace_error E;
__attribute__((unused)) static uint32_t ran; /* statements of P run so far */

__attribute__((destructor)) static void free_model(void) { model_free(M); }

__attribute__((unused)) static int parse(const char *text)
{
    memset(&E, 0, sizeof E);
    if (trace_parse(text, strlen(text), &P, &E) < 0) {
        fprintf(stderr, "  parse error at line %u: %s\n", E.line, E.msg);
        test_failed_ = 1;
        return -1;
    }
    if (!M)
        M = model_new();
    return M ? 0 : -1;
}

/* Run statements up to (not including) `upto`; -1 on a trace error. */
__attribute__((unused)) static int advance(uint32_t upto)
{
    for (; ran < upto && ran < P.nsteps; ran++)
        if (model_step(M, ran, &E) < 0) {
            fprintf(stderr, "  trace error at line %u: %s\n", E.line, E.msg);
            return -1;
        }
    return 0;
}

/* Parse, reset, run the first `n` statements (all when n is 0); no finish. */
__attribute__((unused)) static int load_n(const char *text, enum policy pol, uint32_t n)
{
    if (parse(text) < 0)
        return -1;
    model_reset(M, &P, pol);
    ran = 0;
    return advance(n ? n : P.nsteps);
}
#define LOAD(text) REQUIRE(load_n(text, POLICY_REFERENCE, 0) == 0)
#define LOADP(text, pol) REQUIRE(load_n(text, pol, 0) == 0)
#define LOADN(text, n) REQUIRE(load_n(text, POLICY_REFERENCE, n) == 0)
#define STEP_TO(n) REQUIRE(advance(n) == 0)

/* Parse and model_run (reset, steps, finish): returns its result. */
__attribute__((unused)) static int run(const char *text, enum policy pol)
{
    if (parse(text) < 0)
        return -9;
    memset(&E, 0, sizeof E);
    return model_run(M, &P, pol, &E);
}
#define RUN(text, pol)                                                         \
    do {                                                                       \
        int rc_ = run(text, pol);                                              \
        if (rc_ == -1)                                                         \
            fprintf(stderr, "  trace error at line %u: %s\n", E.line, E.msg); \
        REQUIRE(rc_ == 0);                                                     \
    } while (0)

__attribute__((unused)) static uint16_t lookup(const trace_name *names, uint16_t n, const char *s)
{
    for (uint16_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    fprintf(stderr, "  no name '%s' in the trace\n", s);
    test_failed_ = 1;
    return 0;
}
#define TK(s) lookup(P.task_names, P.ntasks, s)
#define FL(s) lookup(P.file_names, P.nfiles, s)
#define FD(s) lookup(P.fd_names, P.nfds, s)

__attribute__((unused)) static struct task_view task(const char *s) { return model_task(M, TK(s)); }
__attribute__((unused)) static struct file_view file(const char *s) { return model_file(M, FL(s)); }
__attribute__((unused)) static int fdnum(const char *t, const char *d)
{
    return model_fd_number(M, TK(t), FD(d));
}
__attribute__((unused)) static uint32_t holders(uint32_t mm, int grabs)
{
    uint32_t u, g;
    model_mm_holders(M, mm, &u, &g);
    return grabs ? g : u;
}
#define mm_users(mm) holders(mm, 0)
#define mm_grabs(mm) holders(mm, 1)

__attribute__((unused)) static const struct event *ev(int i) { return &model_history(M)->ev[i]; }
/* Index of the first event of `type` at or after `from`, or -1. */
__attribute__((unused)) static int next_ev(int from, int type)
{
    const struct history *h = model_history(M);
    for (int i = from < 0 ? 0 : from; i < (int)h->len; i++)
        if (h->ev[i].type == type)
            return i;
    return -1;
}
__attribute__((unused)) static int count_ev(int type)
{
    int n = 0;
    for (int i = next_ev(0, type); i >= 0; i = next_ev(i + 1, type))
        n++;
    return n;
}
/* The flush events, in order. */
__attribute__((unused)) static const struct event *fls[64];
__attribute__((unused)) static int flushes(void)
{
    int n = 0;
    for (int i = next_ev(0, EV_FLUSH); i >= 0 && n < 64;
         i = next_ev(i + 1, EV_FLUSH))
        fls[n++] = ev(i);
    return n;
}
/* The last event of `type`, or NULL. */
__attribute__((unused)) static const struct event *last_ev(int type)
{
    const struct event *r = NULL;
    for (int i = next_ev(0, type); i >= 0; i = next_ev(i + 1, type))
        r = ev(i);
    return r;
}

/* The trace must be a trace error at `line` whose message contains `word`,
 * under every policy (validity never depends on the policy). */
__attribute__((unused)) static void expect_error(const char *text, uint32_t line, const char *word,
                         int at)
{
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        int rc = run(text, (enum policy)pol);
        if (rc != -1 || E.line != line || !strstr(E.msg, word)) {
            fprintf(stderr,
                    "%s:%d: under %s: want a trace error at line %u "
                    "mentioning '%s', got rc %d line %u: %s\n",
                    __FILE__, at, policy_name((enum policy)pol), line, word,
                    rc, E.line, E.msg);
            test_failed_ = 1;
            return;
        }
    }
}
#define EXPECT_ERROR(text, line, word) expect_error(text, line, word, __LINE__)

/* Flush fls[i] closed file `f` at fd number `fd` for `cause`, run by task
 * `t` with context (ctx_leader, ctx_mm). */
__attribute__((unused)) static void flush_is(int i, const char *t, const char *f, int fd, int cause,
                     uint32_t leader, uint32_t mm, int at)
{
    const struct event *e = fls[i];
    if (e->task != TK(t) || e->file != FL(f) || e->fd != fd ||
        e->cause != cause || e->ctx_leader != leader || e->ctx_mm != mm) {
        fprintf(stderr,
                "%s:%d: flush %d: want %s %s fd %d cause %s leader %u mm %u; "
                "got %s %s fd %d cause %s leader %u mm %u\n",
                __FILE__, at, i, t, f, fd, close_cause_name(cause), leader,
                mm, P.task_names[e->task], P.file_names[e->file], e->fd,
                close_cause_name(e->cause), e->ctx_leader, e->ctx_mm);
        test_failed_ = 1;
    }
}
#define FLUSH_IS(i, t, f, fd, cause, leader, mm)                               \
    flush_is(i, t, f, fd, cause, leader, mm, __LINE__)

#endif
