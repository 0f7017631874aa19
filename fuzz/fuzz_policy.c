/* fuzz_policy.c - the fuzz target of one flush policy, compiled once per
 * policy of the core's descriptor with -DTERNRIG_FUZZ_POLICY=POLICY_<ID>
 * into fuzz_<name> (fuzz/CMakeLists.txt, .clusterfuzzlite/build.sh).
 *
 * Input: a binary program (trace.h), any bytes.  It is decoded, made valid
 * (invalid statements dropped) and run through the model under the policy,
 * then judged by the oracle.  A violation aborts, printing the program as a
 * text trace, unless TERNRIG_FUZZ_COLLECT names a directory: then the input
 * is saved there as POLICY.KIND.HASH.trb and fuzzing goes on (`ternrig fuzz`
 * uses this).
 *
 * Collect mode costs nothing on an input without a violation (nothing
 * beyond the judging every mode does: no formatting, allocation or I/O),
 * and little on one with: the violation's mechanism (mechanism.h, the root
 * cause `ternrig fuzz` dedups by) is formatted into a fixed buffer and
 * looked up in a fixed table, and the input is written only when it shows
 * a mechanism this process has not saved yet, or is smaller than the
 * smallest it saved for it (at most COLLECT_PER_MECH inputs per mechanism).
 * Keyed by mechanism rather than by kind, a second bug of a kind is saved
 * even when its first input is larger than the first bug's.
 *
 * TERNRIG_FUZZ_STATS=1 prints, at exit, how many executions had a counted
 * violation and how many mechanisms were collected (the count is one
 * addition per execution, in every mode).
 *
 * TERNRIG_FUZZ_KIND=KIND counts only that kind (the detection benchmark);
 * TERNRIG_FUZZ_KIND=none counts none: no violation aborts or is saved (the
 * baseline of `fuzz/bench.sh --collect-cost`).  TERNRIG_FUZZ_SCHEDULE=1
 * counts only the findings that the program's schedules make (the
 * benchmark of SPEC v2's schedules): the same program without its `order`
 * and `reuses` options (version 1's exit order, fresh memory) does not show
 * that kind.  TERNRIG_FUZZ_MECHANISM=TEXT counts only the findings whose
 * mechanism (mechanism.h: "link refused: stale owner pointer ...")
 * contains TEXT: the benchmark of one root cause.  With
 * `check_invariants`, the model's bookkeeping is checked
 * after every statement and any break aborts: the reference target, the
 * policy meant to be correct, does so as a self-check of model and oracle.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "judge.h"
#include "mechanism.h"

#ifndef TERNRIG_FUZZ_POLICY
#error "compile with -DTERNRIG_FUZZ_POLICY=POLICY_<ID> (fuzz/CMakeLists.txt)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COLLECT_MECHS 256   /* distinct mechanisms saved per process     */
#define COLLECT_PER_MECH 8  /* inputs saved per mechanism, each smaller  */

struct fuzz_state {
    struct judge judge;
    struct program prog;
    const char *collect;       /* TERNRIG_FUZZ_COLLECT */
    int only_kind;             /* TERNRIG_FUZZ_KIND, or -1 */
    bool only_schedule;        /* TERNRIG_FUZZ_SCHEDULE */
    const char *only_mechanism; /* TERNRIG_FUZZ_MECHANISM, or NULL */
    struct program plain;      /* only_schedule: prog without schedules */
    /* collect mode: what this process saved, per (kind, mechanism) */
    struct collected {
        uint64_t key;     /* hash of kind and mechanism; 0: a free slot */
        uint32_t smallest; /* the size of the smallest input saved        */
        uint32_t saved;
    } mechs[COLLECT_MECHS];
    unsigned nmechs;
    unsigned long violating; /* executions with a counted violation */
    char mech[256];            /* the finding at hand's mechanism          */
    size_t mech_len;
    char text[1 << 16];
};

static struct fuzz_state *the_state;

static void print_stats(void)
{
    fprintf(stderr, "ternrig fuzz target: %lu execution(s) with a counted "
                    "violation, %u mechanism(s) collected\n",
            the_state->violating, the_state->nmechs);
}

static struct fuzz_state *fuzz_state(void)
{
    if (the_state)
        return the_state;
    struct fuzz_state *st;
    the_state = st = calloc(1, sizeof *st);
    if (!st || judge_init(&st->judge) < 0) {
        fprintf(stderr, "ternrig fuzz target: out of memory\n");
        abort();
    }
    st->collect = getenv("TERNRIG_FUZZ_COLLECT");
    const char *stats = getenv("TERNRIG_FUZZ_STATS");
    if (stats && *stats && strcmp(stats, "0") != 0)
        atexit(print_stats);
    const char *sch = getenv("TERNRIG_FUZZ_SCHEDULE");
    st->only_schedule = sch && *sch && strcmp(sch, "0") != 0;
    const char *mech = getenv("TERNRIG_FUZZ_MECHANISM");
    st->only_mechanism = mech && *mech ? mech : NULL;
    st->only_kind = -1;
    const char *k = getenv("TERNRIG_FUZZ_KIND");
    if (k && !strcmp(k, "none")) {
        st->only_kind = FIND_KIND_COUNT; /* matches no kind */
    } else if (k && *k) {
        st->only_kind = finding_kind_from_name(k, strlen(k));
        if (st->only_kind == FIND_KIND_COUNT) {
            fprintf(stderr, "TERNRIG_FUZZ_KIND: unknown kind '%s'\n", k);
            abort();
        }
    }
    return st;
}

/* Run the sanitized program step by step, checking the model after each
 * (the sanitized build and the replay tests: TERNRIG_FUZZ_EVERY_STEP). */
static void __attribute__((unused)) fuzz_run_checked(struct fuzz_state *st, enum policy pol)
{
    struct model *m = st->judge.model;
    struct trace_error err;
    char why[200];
    model_reset(m, &st->prog, pol);
    for (uint32_t i = 0; i < st->prog.nsteps; i++) {
        if (model_step(m, i, &err) < 0) {
            fprintf(stderr, "sanitized program invalid at statement %u: %s\n",
                    i, err.msg);
            abort();
        }
        if (model_check_invariants(m, why, sizeof why) < 0) {
            trace_print(&st->prog, st->text, sizeof st->text);
            fprintf(stderr, "MODEL INVARIANT BROKEN after statement %u: %s\n"
                            "--- program ---\n%s",
                    i + 1, why, st->text);
            abort();
        }
    }
    model_finish(m);
    if (model_check_invariants(m, why, sizeof why) < 0) {
        fprintf(stderr, "MODEL INVARIANT BROKEN at the end: %s\n", why);
        abort();
    }
}

/* The hunting build's check: the model's bookkeeping once, at the end of
 * the sanitize run that the oracle judges (no second run).  A broken
 * invariant that heals before the end is left to the sanitized build and
 * the replay tests, which check after every statement. */
static void __attribute__((unused)) fuzz_check_end(struct fuzz_state *st)
{
    char why[200];
    if (model_check_invariants(st->judge.model, why, sizeof why) < 0) {
        trace_print(&st->prog, st->text, sizeof st->text);
        fprintf(stderr, "MODEL INVARIANT BROKEN at the end: %s\n"
                        "--- program ---\n%s",
                why, st->text);
        abort();
    }
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Format finding `f`'s mechanism into st->mech: the one formatting a
 * violation costs, shared by the filter, collect mode and the report. */
static void take_mechanism(struct fuzz_state *st, enum policy pol,
                           const struct finding *f)
{
    size_t n = finding_mechanism(model_history(st->judge.model), f, pol,
                                 st->mech, sizeof st->mech);
    st->mech_len = n < sizeof st->mech ? n : sizeof st->mech - 1;
}

/* The slot of (kind, mechanism in st->mech) of `f` in st->mechs, or NULL
 * when the table is full. */
static struct collected *collect_slot(struct fuzz_state *st,
                                      const struct finding *f)
{
    uint64_t key = fnv1a(1469598103934665603ull, &f->kind, sizeof f->kind);
    key = fnv1a(key, st->mech, st->mech_len) | 1; /* 0 marks a free slot */
    for (unsigned i = 0; i < COLLECT_MECHS; i++) {
        struct collected *c = &st->mechs[(key + i) % COLLECT_MECHS];
        if (c->key == key)
            return c;
        if (c->key == 0) {
            if (st->nmechs == COLLECT_MECHS - COLLECT_MECHS / 4)
                return NULL; /* keep probes short */
            st->nmechs++;
            c->key = key;
            return c;
        }
    }
    return NULL;
}

static void fuzz_save(struct fuzz_state *st, enum policy pol,
                      const struct finding *f, const uint8_t *data,
                      size_t size)
{
    /* The first input of each mechanism, then only smaller ones. */
    struct collected *c = collect_slot(st, f);
    if (!c || c->saved >= COLLECT_PER_MECH ||
        (c->saved && size >= c->smallest))
        return;
    uint64_t h = fnv1a(1469598103934665603ull, data, size);
    enum finding_kind k = (enum finding_kind)f->kind;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s.%016llx.trb", st->collect,
             policy_name(pol), finding_kind_name(k), (unsigned long long)h);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ssize_t w = (ssize_t)size;
    if (fd >= 0) {
        w = write(fd, data, size);
        close(fd);
    } else if (errno != EEXIST) { /* EEXIST: saved already (another kind) */
        return;
    }
    if (w == (ssize_t)size) {
        c->saved++;
        c->smallest = (uint32_t)size;
    }
}

_Static_assert(FIND_KIND_COUNT <= 32, "a set of kinds fits in 32 bits");

/* The violation kinds of verdict `v` that count (bit per kind). */
static uint32_t counted_kinds(const struct fuzz_state *st,
                              const struct verdict *v)
{
    uint32_t kinds = 0;
    for (uint32_t i = 0; i < v->nfindings; i++) {
        enum finding_kind k = (enum finding_kind)v->findings[i].kind;
        if (!finding_is_hazard(k) &&
            (st->only_kind < 0 || st->only_kind == (int)k))
            kinds |= 1u << k;
    }
    return kinds;
}

/* only_schedule: the kinds st->prog (just run) shows that it does not
 * show without its schedules; the model and `v` then hold st->prog's run
 * again. */
static uint32_t schedule_made(struct fuzz_state *st, enum policy pol,
                              struct verdict *v, uint32_t kinds)
{
    struct model *m = st->judge.model;
    struct trace_error err;
    uint32_t bad;
    bool any = false;
    st->plain = st->prog;
    for (uint32_t i = 0; i < st->plain.nsteps; i++) {
        struct step *s = &st->plain.steps[i];
        any |= (s->flags & (STEP_REUSES | STEP_ORDER)) != 0;
        s->flags &= (uint8_t)~(STEP_REUSES | STEP_ORDER);
        s->norder = 0;
    }
    if (!any)
        return 0;
    /* without schedules a valid program stays valid (SPEC v2 §3) */
    if (model_run(m, &st->plain, pol, &err) < 0 ||
        oracle_judge(st->judge.oracle, model_history(m), st->plain.nfiles,
                     policy_done_rule(pol), v, &bad) < 0)
        abort();
    kinds &= ~counted_kinds(st, v);
    if (model_run(m, &st->prog, pol, &err) < 0 ||
        oracle_judge(st->judge.oracle, model_history(m), st->prog.nfiles,
                     policy_done_rule(pol), v, &bad) < 0)
        abort();
    return kinds;
}

/* The reference target checks the model's invariants after every
 * statement where the rig's own bugs are watched (an ASan build, and the
 * replay tests, which define TERNRIG_FUZZ_EVERY_STEP), and once at the end
 * of each program in the hunting build: checking each statement re-ran the
 * program and took 13 % of fuzz_reference's time (perf). */
#if !defined(TERNRIG_FUZZ_EVERY_STEP)
#if defined(__SANITIZE_ADDRESS__)
#define TERNRIG_FUZZ_EVERY_STEP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERNRIG_FUZZ_EVERY_STEP 1
#endif
#endif
#endif
#ifndef TERNRIG_FUZZ_EVERY_STEP
#define TERNRIG_FUZZ_EVERY_STEP 0
#endif

static int fuzz_policy(enum policy pol, const uint8_t *data, size_t size,
                       bool check_invariants)
{
    struct fuzz_state *st = fuzz_state();
    trace_decode(data, size, &st->prog);
    struct model *m = st->judge.model;
    model_sanitize_run(m, &st->prog, pol);
    if (check_invariants) {
#if TERNRIG_FUZZ_EVERY_STEP
        fuzz_run_checked(st, pol);
#else
        fuzz_check_end(st);
#endif
    }
    struct verdict v;
    uint32_t bad;
    if (oracle_judge(st->judge.oracle, model_history(m), st->prog.nfiles,
                     policy_done_rule(pol), &v, &bad) < 0)
        abort();
    uint32_t kinds = counted_kinds(st, &v);
    if (kinds && st->only_schedule)
        kinds = schedule_made(st, pol, &v, kinds);
    st->violating += kinds != 0;
    for (uint32_t i = 0; kinds && i < v.nfindings; i++) {
        const struct finding *f = &v.findings[i];
        enum finding_kind k = (enum finding_kind)f->kind;
        if (!(kinds & (1u << k)))
            continue;
        take_mechanism(st, pol, f);
        if (st->only_mechanism && !strstr(st->mech, st->only_mechanism))
            continue; /* a finding, but not of the cause asked for */
        if (st->collect) {
            fuzz_save(st, pol, f, data, size);
            continue;
        }
        char why[256];
        finding_explain(f, st->prog.file_names[f->file], why, sizeof why);
        trace_print(&st->prog, st->text, sizeof st->text);
        fprintf(stderr,
                "\nternrig: VIOLATION %s %s under %s at history #%u: %s\n"
                "mechanism: %s\n"
                "--- program (replay with: ternrig replay --policy %s) ---\n"
                "%sexpect[%s] violation %s %s\n",
                finding_kind_name(k), st->prog.file_names[f->file],
                policy_name(pol), f->index, why, st->mech, policy_name(pol),
                st->text,
                policy_name(pol), finding_kind_name(k),
                st->prog.file_names[f->file]);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_policy(TERNRIG_FUZZ_POLICY, data, size,
                       TERNRIG_FUZZ_POLICY == POLICY_REFERENCE);
}
