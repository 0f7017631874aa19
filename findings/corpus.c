/* corpus.c - shapes of the corpus on disk, and findings in corpus form. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "corpus.h"
#include "grow.h"
#include "load.h"
#include "mechanism.h"
#include "shape.h"
#include "util.h"

#define SHAPE_TEXT_CAP (1u << 20)

int corpus_index_add(struct corpus_index *ix, const char *shape,
                     const char *path, int policy, int kind)
{
    if (grow(&ix->e, &ix->cap, ix->n, sizeof *ix->e, 64) < 0)
        return -1;
    struct corpus_entry *e = &ix->e[ix->n];
    e->hash = shape_hash(shape);
    e->shape = strdup(shape);
    e->path = strdup(path);
    e->policy = policy;
    e->kind = kind;
    e->mechanism = NULL;
    if (!e->shape || !e->path) {
        free(e->shape);
        free(e->path);
        return -1;
    }
    ix->n++;
    return 0;
}

const struct corpus_entry *corpus_index_find(const struct corpus_index *ix,
                                             const char *shape, int policy,
                                             int kind)
{
    uint64_t h = shape_hash(shape);
    for (size_t i = 0; i < ix->n; i++) {
        const struct corpus_entry *e = &ix->e[i];
        if (e->policy >= 0 && (e->policy != policy || e->kind != kind))
            continue;
        if (e->hash == h && strcmp(e->shape, shape) == 0)
            return e;
    }
    return NULL;
}

const struct corpus_entry *
corpus_index_find_mechanism(const struct corpus_index *ix,
                            const char *mechanism, int policy, int kind)
{
    for (size_t i = 0; i < ix->n; i++) {
        const struct corpus_entry *e = &ix->e[i];
        if (e->policy == policy && e->kind == kind && e->mechanism &&
            strcmp(e->mechanism, mechanism) == 0)
            return e;
    }
    return NULL;
}

size_t corpus_index_traces(const struct corpus_index *ix)
{
    size_t n = 0;
    for (size_t i = 0; i < ix->n; i++)
        n += ix->e[i].policy < 0;
    return n;
}

/* The minimized shapes of the trace in `p`, one per (policy, violation
 * kind) it shows. */
static int index_minimized(struct corpus_index *ix, struct judge *j,
                           const struct program *p, struct program *work,
                           struct program *scratch, char *text,
                           const char *path)
{
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        bool kinds[FIND_KIND_COUNT] = {false};
        struct judgement out;
        if (judge_run(j, p, (enum policy)pol, &out) < 0)
            return 0;
        for (uint32_t i = 0; i < out.verdict.nfindings; i++)
            kinds[out.verdict.findings[i].kind] = true;
        for (int k = 0; k < FIND_KIND_COUNT; k++) {
            if (!kinds[k] || finding_is_hazard((enum finding_kind)k))
                continue;
            memcpy(work, p,
                   offsetof(struct program, steps) +
                       p->nsteps * sizeof p->steps[0]);
            finding_normalize(j, work, scratch, (enum policy)pol,
                              (enum finding_kind)k, true);
            program_shape(work, scratch, text, SHAPE_TEXT_CAP);
            /* indexed for (pol, k) already; a trace's own shape that is
             * this one still gets an entry, for its mechanism */
            const struct corpus_entry *had =
                corpus_index_find(ix, text, pol, k);
            if (had && had->policy >= 0)
                continue;
            if (corpus_index_add(ix, text, path, pol, k) < 0)
                return -1;
            /* its root cause, for the findings of another shape that have
             * the same one (corpus_index_find_mechanism) */
            char mech[192];
            if (program_mechanism(j, work, (enum policy)pol,
                                  (enum finding_kind)k, mech, sizeof mech) &&
                !(ix->e[ix->n - 1].mechanism = strdup(mech)))
                return -1;
        }
    }
    return 0;
}

void corpus_index_free(struct corpus_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->e[i].shape);
        free(ix->e[i].path);
        free(ix->e[i].mechanism);
    }
    free(ix->e);
    memset(ix, 0, sizeof *ix);
}

int corpus_index_load(struct corpus_index *ix, const char *dir, struct judge *j,
                      char *err, size_t errcap)
{
    struct path_list l = {0};
    char why[512];
    if (collect_traces(dir, &l, why, sizeof why) < 0) {
        path_list_free(&l); /* missing or empty: nothing known yet */
        return 0;
    }
    struct program *p = malloc(sizeof *p), *scratch = malloc(sizeof *p);
    struct program *work = malloc(sizeof *p);
    char *text = malloc(SHAPE_TEXT_CAP);
    int rc = p && scratch && work && text ? 0 : -1;
    if (rc < 0)
        snprintf(err, errcap, "out of memory");
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (load_program(l.paths[i], p, j->model, err, errcap) < 0) {
            rc = -1;
            break;
        }
        program_shape(p, scratch, text, SHAPE_TEXT_CAP);
        if (corpus_index_add(ix, text, l.paths[i], -1, -1) < 0 ||
            index_minimized(ix, j, p, work, scratch, text, l.paths[i]) < 0) {
            snprintf(err, errcap, "out of memory");
            rc = -1;
        }
    }
    free(work);
    free(p);
    free(scratch);
    free(text);
    path_list_free(&l);
    return rc;
}

bool finding_identify(struct judge *j, const struct program *p,
                      enum policy *policy, enum finding_kind *kind)
{
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        if (s->op == OP_EXPECT && s->xkind == EXPECT_FINDING && s->policies &&
            !(s->policies & (s->policies - 1)) &&
            !finding_is_hazard((enum finding_kind)s->xfind)) {
            *policy = (enum policy)__builtin_ctz(s->policies);
            *kind = (enum finding_kind)s->xfind;
            return true;
        }
    }
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        struct judgement out;
        if (judge_run(j, p, (enum policy)pol, &out) < 0)
            return false;
        for (uint32_t i = 0; i < out.verdict.nfindings; i++) {
            enum finding_kind k =
                (enum finding_kind)out.verdict.findings[i].kind;
            if (!finding_is_hazard(k)) {
                *policy = (enum policy)pol;
                *kind = k;
                return true;
            }
        }
    }
    return false;
}

void corpus_file_name(enum policy policy, enum finding_kind kind, uint64_t hash,
                      char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%s-%012llx.trace", policy_name(policy),
             finding_kind_name(kind),
             (unsigned long long)(hash & 0xffffffffffffull));
}

int finding_load(struct judge *j, const char *path, struct program *p,
                 struct program *scratch, bool keep, enum policy *policy,
                 enum finding_kind *kind, char **shape, char *err,
                 size_t errcap)
{
    *shape = NULL;
    if (load_program(path, p, j->model, err, errcap) < 0)
        return -1;
    struct trace_error te;
    if (model_check(j->model, p, &te) < 0) {
        snprintf(err, errcap, "%s:%u: %s", path, te.line, te.msg);
        return -1;
    }
    if (*kind == FIND_KIND_COUNT)
        finding_identify(j, p, policy, kind);
    finding_normalize(j, p, scratch, *policy, *kind, !keep);
    char *text = malloc(SHAPE_TEXT_CAP);
    if (!text) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    program_shape(p, scratch, text, SHAPE_TEXT_CAP);
    *shape = text;
    return 0;
}

/* --- corpus fill ---------------------------------------------------------- */

struct buf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = true;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* An expect line's policy set: bare `expect` is reference's; `expect[..]`
 * lists them.  Sets *list and *list_end to the bracket's contents (NULL for a
 * bare expect).  False for any other line. */
static bool expect_line(const char *s, const char *end, unsigned *set,
                        const char **list, const char **list_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if ((size_t)(end - s) < 6 || memcmp(s, "expect", 6) != 0)
        return false;
    s += 6;
    if (s == end || *s == ' ' || *s == '\t' || *s == '\r' || *s == '#') {
        *set = 1u << POLICY_REFERENCE;
        *list = *list_end = NULL;
        return true;
    }
    if (*s != '[')
        return false;
    const char *close = memchr(s, ']', (size_t)(end - s));
    if (!close)
        return false;
    *list = s + 1;
    *list_end = close;
    *set = 0;
    for (const char *a = s + 1; a <= close;) {
        const char *c = a;
        while (c < close && *c != ',')
            c++;
        enum policy p;
        if (policy_from_name(a, (size_t)(c - a), &p))
            *set |= 1u << p;
        a = c + 1;
    }
    return true;
}

/* The body of the expect line [s, end) ("f sealed 3"), its blanks
 * collapsed, its comment dropped, into out (cap bytes). */
static void expect_body(const char *s, const char *end, char *out, size_t cap)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (s < end && *s != ' ' && *s != '\t') /* expect or expect[...] */
        s++;
    size_t n = 0;
    bool blank = false;
    for (; s < end && *s != '#' && *s != '\n' && *s != '\r'; s++) {
        if (*s == ' ' || *s == '\t') {
            blank = n > 0;
            continue;
        }
        if (blank && n + 1 < cap)
            out[n++] = ' ';
        blank = false;
        if (n + 1 < cap)
            out[n++] = *s;
    }
    out[cap ? (n < cap ? n : cap - 1) : 0] = 0;
}

/* Does every expect line for pol in `text` say what a line of `lines`
 * says, and the other way round? */
static bool same_bodies(const char *a, size_t alen, bool a_all,
                        const char *b, size_t blen, enum policy pol)
{
    for (size_t at = 0; at < alen;) {
        const char *nl = memchr(a + at, '\n', alen - at);
        size_t next = nl ? (size_t)(nl - a) + 1 : alen;
        unsigned set;
        const char *l, *le;
        if (expect_line(a + at, a + next, &set, &l, &le) &&
            (a_all || ((set >> pol) & 1u))) {
            char want[256], got[256];
            expect_body(a + at, a + next, want, sizeof want);
            bool found = false;
            for (size_t bt = 0; bt < blen && !found;) {
                const char *bnl = memchr(b + bt, '\n', blen - bt);
                size_t bnext = bnl ? (size_t)(bnl - b) + 1 : blen;
                unsigned bset;
                if (expect_line(b + bt, b + bnext, &bset, &l, &le) &&
                    (!a_all || ((bset >> pol) & 1u))) {
                    expect_body(b + bt, b + bnext, got, sizeof got);
                    found = strcmp(want, got) == 0;
                }
                bt = bnext;
            }
            if (!found)
                return false;
        }
        at = next;
    }
    return true;
}

char *corpus_fill_text(const char *text, size_t len, enum policy pol,
                       const char *lines, bool force, unsigned *first_line)
{
    *first_line = 0;
    /* where the new lines go: after the last expect line */
    size_t insert_at = len;
    unsigned lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t next = nl ? (size_t)(nl - text) + 1 : len;
        unsigned set;
        const char *l, *le;
        lineno++;
        if (expect_line(text + at, text + next, &set, &l, &le)) {
            insert_at = next;
            if ((set >> pol) & 1u && !*first_line)
                *first_line = lineno;
        }
        at = next;
    }
    if (*first_line && !force)
        return NULL;
    size_t nlines = strlen(lines);
    if (*first_line && same_bodies(text, len, false, lines, nlines, pol) &&
        same_bodies(lines, nlines, true, text, len, pol)) {
        char *same = malloc(len + 1); /* already the model's: no churn */
        if (same) {
            memcpy(same, text, len);
            same[len] = 0;
        }
        return same;
    }
    struct buf b = {0};
    buf_put(&b, "", 0);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t next = nl ? (size_t)(nl - text) + 1 : len;
        unsigned set;
        const char *l, *le;
        if (!expect_line(text + at, text + next, &set, &l, &le) ||
            !((set >> pol) & 1u)) {
            buf_put(&b, text + at, next - at);
        } else if (set != 1u << pol) { /* strike pol from the list */
            buf_put(&b, text + at, (size_t)(l - (text + at)));
            bool first = true;
            for (const char *a = l; a <= le;) {
                const char *c = a;
                while (c < le && *c != ',')
                    c++;
                enum policy p;
                if (!(policy_from_name(a, (size_t)(c - a), &p) && p == pol)) {
                    if (!first)
                        buf_put(&b, ",", 1);
                    buf_put(&b, a, (size_t)(c - a));
                    first = false;
                }
                a = c + 1;
            }
            buf_put(&b, le, next - (size_t)(le - text));
        } /* else: a line for pol alone, dropped */
        if (next == insert_at) {
            if (b.len && b.s[b.len - 1] != '\n')
                buf_put(&b, "\n", 1);
            buf_put(&b, lines, strlen(lines));
        }
        at = next;
    }
    if (insert_at == 0) /* an empty trace */
        buf_put(&b, lines, strlen(lines));
    if (b.oom) {
        free(b.s);
        *first_line = 0;
        return NULL;
    }
    return b.s;
}
