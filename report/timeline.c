/* timeline.c - who did what, who flushed what with which context, and what
 * the policy decided. */
#include <string.h>
#include "timeline.h"

static const char *pname(const struct program *p, const struct model *m,
                         uint16_t proc)
{
    return p->task_names[model_proc_name(m, proc)];
}

static const char *fname(const struct program *p, uint16_t f)
{
    return f == EV_NONE ? "-" : p->file_names[f];
}

static void print_result(FILE *out, int32_t r)
{
    switch (r) {
    case 0: break;
    case -ERR_EPERM: fprintf(out, " -> EPERM"); break;
    case -ERR_EIO: fprintf(out, " -> EIO"); break;
    case -ERR_EBADF: fprintf(out, " -> EBADF"); break;
    case -ERR_EEXIST: fprintf(out, " -> EEXIST"); break;
    case RESULT_UNKNOWN: fprintf(out, " -> unknown"); break;
    default: fprintf(out, " -> errno %d", -r); break;
    }
}

static void print_event(FILE *out, const struct program *p,
                        const struct model *m, const struct event *e,
                        enum policy policy)
{
    const char *t = e->task == EV_NONE ? "-" : p->task_names[e->task];
    char stmt[128];
    switch (e->type) {
    case EV_OP:
        if (e->step >= p->nsteps) {
            fprintf(out, "end of trace: SIGKILL %s", pname(p, m, e->proc));
            return;
        }
        trace_print_step(p, &p->steps[e->step], stmt, sizeof stmt);
        fprintf(out, "%s", stmt);
        if (e->fd >= 0)
            fprintf(out, " -> fd %d", e->fd);
        print_result(out, e->result);
        break;
    case EV_CREATE:
        trace_print_step(p, &p->steps[e->step], stmt, sizeof stmt);
        fprintf(out, "%s", stmt);
        if (e->fd >= 0)
            fprintf(out, " -> fd %d", e->fd);
        print_result(out, e->result);
        break;
    case EV_WRITE:
        trace_print_step(p, &p->steps[e->step], stmt, sizeof stmt);
        fprintf(out, "%s", stmt);
        print_result(out, e->result);
        break;
    case EV_CLOSE:
        fprintf(out, "  %s closes fd %d of %s (%s)", t, e->fd,
                fname(p, e->file), close_cause_name(e->cause));
        break;
    case EV_FLUSH:
        fprintf(out,
                "  flush %s by %s (process %s, leader @%u %s owner @%u, ",
                fname(p, e->file), t, pname(p, m, e->proc), e->ctx_leader,
                e->ctx_leader == e->file_owner ? "==" : "!=", e->file_owner);
        if (e->ctx_mm)
            fprintf(out, "mm #%u)", e->ctx_mm);
        else
            fprintf(out, "mm NULL)");
        if (e->kthread)
            fprintf(out, " kthread");
        /* owner->mm against the file's mm, for a policy that compares them */
        if (policy_needs(policy, POLICY_FACT_MM_PTRS) &&
            e->decision < FLUSH_DECISION_COUNT)
            fprintf(out, " [owner->mm #%u %s file.mm #%u]", e->owner_mm_now,
                    e->owner_mm_now == e->file_mm ? "==" : "!=", e->file_mm);
        if (e->decision < FLUSH_DECISION_COUNT)
            fprintf(out, " -> %s",
                    flush_decision_name((enum flush_decision)e->decision));
        else
            fprintf(out, " -> nothing (not transient)");
        print_result(out, e->result);
        break;
    case EV_SEAL:
        fprintf(out, "  %s SEALED: visible with %llu bytes", fname(p, e->file),
                (unsigned long long)e->bytes);
        break;
    case EV_ABORT:
        fprintf(out, "  %s ABORTED", fname(p, e->file));
        break;
    case EV_OBSERVE:
        fprintf(out, "  %s seen with %llu bytes", fname(p, e->file),
                (unsigned long long)e->bytes);
        break;
    case EV_UNSEEN:
        fprintf(out, "  %s not visible to a look", fname(p, e->file));
        break;
    case EV_EXIT:
        fprintf(out, "  %s exits (mm NULL)", t);
        if (e->step < p->nsteps && p->steps[e->step].op == OP_EXEC &&
            p->steps[e->step].task != e->task)
            fprintf(out, ", killed by the exec");
        break;
    case EV_DEATH:
        fprintf(out, "  process %s dies", pname(p, m, e->proc));
        break;
    default:
        fprintf(out, "  ?");
        break;
    }
}

void print_timeline(FILE *out, const struct program *p, const struct model *m,
                    const struct verdict *v, enum policy policy)
{
    const struct history *h = model_history(m);
    for (uint32_t i = 0; i < h->len; i++) {
        const struct event *e = &h->ev[i];
        bool top = e->type == EV_OP || e->type == EV_CREATE ||
                   e->type == EV_WRITE;
        if (top && e->step < p->nsteps)
            fprintf(out, "    %4u  L%-4u ", i, p->steps[e->step].line);
        else
            fprintf(out, "    %4u        ", i);
        print_event(out, p, m, e, policy);
        for (uint32_t k = 0; v && k < v->nfindings; k++)
            if (v->findings[k].index == i)
                fprintf(out, "   <== %s",
                        finding_kind_name(
                            (enum finding_kind)v->findings[k].kind));
        fputc('\n', out);
    }
}
