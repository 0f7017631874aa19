/* expect_gen.c - expect lines from model runs under every policy. */
#include <stdio.h>
#include <string.h>
#include "expect_gen.h"

#define MAX_LINES (MAX_FILE_NAMES * (1 + FIND_KIND_COUNT) + 1)
#define LINE_LEN 96

struct lines {
    char text[MAX_LINES][LINE_LEN];
    unsigned n;
};

static void add(struct lines *l, const char *s)
{
    for (unsigned i = 0; i < l->n; i++)
        if (strcmp(l->text[i], s) == 0)
            return;
    if (l->n < MAX_LINES)
        snprintf(l->text[l->n++], LINE_LEN, "%s", s);
}

/* What the model does under one policy, as expect bodies ("f sealed 10"). */
static void describe(const struct program *p, const struct verdict *v,
                     struct lines *out)
{
    char s[LINE_LEN];
    out->n = 0;
    for (uint16_t f = 0; f < v->nfiles; f++) {
        if (!program_makes_file(p, f))
            continue;
        const struct file_outcome *o = &v->files[f];
        if (o->state == OUTCOME_SEALED)
            snprintf(s, sizeof s, "%s sealed %llu", p->file_names[f],
                     (unsigned long long)o->bytes);
        else
            snprintf(s, sizeof s, "%s %s", p->file_names[f],
                     outcome_name((enum outcome)o->state));
        add(out, s);
    }
    if (v->nfindings == 0)
        add(out, "clean");
    for (uint32_t i = 0; i < v->nfindings; i++) {
        const struct finding *fd = &v->findings[i];
        snprintf(s, sizeof s, "%s %s %s",
                 finding_is_hazard((enum finding_kind)fd->kind) ? "hazard"
                                                                : "violation",
                 finding_kind_name((enum finding_kind)fd->kind),
                 p->file_names[fd->file]);
        add(out, s);
    }
}

struct text {
    char *buf;
    size_t cap, len;
};

static void put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n < t->cap)
        memcpy(t->buf + t->len, s, n + 1);
    else if (t->len < t->cap)
        t->buf[t->len] = 0; /* cut: keep it terminated where it was */
    t->len += n;
}

size_t expectations_text(struct judge *j, const struct program *p, char *buf,
                         size_t cap)
{
    static struct lines per[POLICY_COUNT];
    struct text t = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        struct judgement out;
        if (judge_run(j, p, (enum policy)pol, &out) < 0)
            return 0;
        describe(p, &out.verdict, &per[pol]);
    }
    for (unsigned i = 0; i < per[POLICY_REFERENCE].n; i++) {
        put(&t, "expect ");
        put(&t, per[POLICY_REFERENCE].text[i]);
        put(&t, "\n");
    }
    /* the other policies: each distinct line once, with every policy it
     * holds for */
    static struct lines done;
    done.n = 0;
    for (int pol = POLICY_REFERENCE + 1; pol < POLICY_COUNT; pol++)
        for (unsigned i = 0; i < per[pol].n; i++) {
            const char *line = per[pol].text[i];
            unsigned before = done.n;
            add(&done, line);
            if (done.n == before)
                continue;
            put(&t, "expect[");
            bool first = true;
            for (int q = pol; q < POLICY_COUNT; q++) {
                bool has = false;
                for (unsigned k = 0; k < per[q].n && !has; k++)
                    has = strcmp(per[q].text[k], line) == 0;
                if (!has)
                    continue;
                if (!first)
                    put(&t, ",");
                put(&t, policy_name((enum policy)q));
                first = false;
            }
            put(&t, "] ");
            put(&t, line);
            put(&t, "\n");
        }
    return t.len;
}

size_t expectations_text_for(struct judge *j, const struct program *p,
                             enum policy pol, char *buf, size_t cap)
{
    static struct lines one;
    struct text t = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    struct judgement out;
    if (judge_run(j, p, pol, &out) < 0)
        return 0;
    describe(p, &out.verdict, &one);
    for (unsigned i = 0; i < one.n; i++) {
        if (pol == POLICY_REFERENCE) {
            put(&t, "expect ");
        } else {
            put(&t, "expect[");
            put(&t, policy_name(pol));
            put(&t, "] ");
        }
        put(&t, one.text[i]);
        put(&t, "\n");
    }
    return t.len;
}
