/* expect.c - do a trace's expectations hold under a policy? */
#include <stdio.h>
#include <string.h>
#include "expect.h"

bool expect_applies(const struct step *s, enum policy policy)
{
    if (s->op != OP_EXPECT)
        return false;
    if (s->policies == 0)
        return policy == POLICY_REFERENCE;
    return (s->policies >> policy) & 1u;
}

static bool has_finding(const struct verdict *v, enum finding_kind k,
                        uint16_t file)
{
    for (uint32_t i = 0; i < v->nfindings; i++)
        if (v->findings[i].kind == k && v->findings[i].file == file)
            return true;
    return false;
}

bool expect_judgeable(const struct step *s, const struct verdict *v)
{
    if (s->op != OP_EXPECT || s->file >= v->nfiles)
        return true;
    return !((s->xkind == EXPECT_ABORTED || s->xkind == EXPECT_TRANSIENT) &&
             v->files[s->file].unseen);
}

static void describe_state(const struct verdict *v, uint16_t file, char *buf,
                           size_t cap)
{
    const struct file_outcome *o = &v->files[file];
    if (o->unseen)
        snprintf(buf, cap, "not visible (transient or aborted)");
    else if (o->state == OUTCOME_SEALED)
        snprintf(buf, cap, "sealed %llu", (unsigned long long)o->bytes);
    else
        snprintf(buf, cap, "%s", outcome_name((enum outcome)o->state));
}

/* Returns true if the expectation holds; otherwise fills `got`. */
static bool holds(const struct program *p, const struct step *s,
                  const struct verdict *v, char *got, size_t cap)
{
    if (s->xkind == EXPECT_CLEAN) {
        if (v->nfindings == 0)
            return true;
        const struct finding *f = &v->findings[0];
        snprintf(got, cap, "%u finding(s), first %s %s", v->nfindings,
                 finding_kind_name((enum finding_kind)f->kind),
                 p->file_names[f->file]);
        return false;
    }
    if (s->xkind == EXPECT_FINDING) {
        if (has_finding(v, (enum finding_kind)s->xfind, s->file))
            return true;
        snprintf(got, cap, "no %s finding on %s",
                 finding_kind_name((enum finding_kind)s->xfind),
                 p->file_names[s->file]);
        return false;
    }
    const struct file_outcome *o = &v->files[s->file];
    bool ok = false;
    switch (s->xkind) {
    case EXPECT_SEALED:
        ok = o->state == OUTCOME_SEALED && o->bytes == s->n;
        break;
    case EXPECT_ABORTED:
        ok = o->state == OUTCOME_ABORTED;
        break;
    case EXPECT_TRANSIENT:
        ok = o->state == OUTCOME_TRANSIENT;
        break;
    }
    if (!ok) {
        char st[40];
        describe_state(v, s->file, st, sizeof st);
        snprintf(got, cap, "%s is %s", p->file_names[s->file], st);
    }
    return ok;
}

uint32_t expect_check(const struct program *p, enum policy policy,
                      const struct verdict *v, struct expect_failure *out,
                      uint32_t cap, uint32_t *applicable, uint32_t *unjudged)
{
    uint32_t nfail = 0, napp = 0, nun = 0;
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        if (!expect_applies(s, policy))
            continue;
        if (!expect_judgeable(s, v)) {
            nun++;
            continue;
        }
        napp++;
        char got[120];
        if (holds(p, s, v, got, sizeof got))
            continue;
        if (nfail < cap) {
            out[nfail].step = i;
            memcpy(out[nfail].got, got, sizeof got);
        }
        nfail++;
    }
    *applicable = napp;
    if (unjudged)
        *unjudged = nun;
    return nfail;
}
