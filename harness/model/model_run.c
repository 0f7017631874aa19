/* model_run.c - whole programs on the model: run, check validity, and make
 * valid by dropping the statements that are trace errors. */
#include "model_internal.h"

int model_run(struct model *m, const struct program *prog, enum policy policy,
              struct trace_error *err)
{
    model_reset(m, prog, policy);
    for (uint32_t i = 0; i < prog->nsteps; i++)
        if (model_step(m, i, err) < 0)
            return -1;
    model_finish(m);
    if (m->overflow) {
        err->line = 0;
        snprintf(err->msg, sizeof err->msg,
                 "history too long (at most %d events)", MAX_EVENTS);
        return -1;
    }
    return 0;
}

int model_check(struct model *m, const struct program *prog,
                struct trace_error *err)
{
    return model_run(m, prog, POLICY_REFERENCE, err);
}

void model_sanitize_run(struct model *m, struct program *prog,
                        enum policy policy)
{
    struct trace_error err;
    model_reset(m, prog, policy);
    m->quiet = true;
    for (uint32_t i = 0; i < prog->nsteps;) {
        uint32_t before = m->hist.len;
        if (model_step(m, i, &err) < 0) {
            m->hist.len = before;
            m->overflow = false;
            struct step *s = &prog->steps[i];
            if (s->flags & (STEP_REUSES | STEP_ORDER)) {
                /* a schedule that does not fit: the default one (fresh
                 * memory, version 1's order), and try the statement again */
                s->flags &= (uint8_t)~(STEP_REUSES | STEP_ORDER);
                s->norder = 0;
                continue;
            }
            program_remove_step(prog, i);
        } else {
            i++;
        }
    }
    bool created[MAX_FILE_NAMES] = {0};
    for (uint32_t i = 0; i < prog->nsteps; i++)
        if (statement_makes_file(prog->steps[i].op))
            created[prog->steps[i].file] = true;
    uint32_t removed_before_end = 0;
    for (uint32_t i = 0; i < prog->nsteps;) {
        const struct step *s = &prog->steps[i];
        if (s->op == OP_EXPECT && s->xkind != EXPECT_CLEAN &&
            !created[s->file]) {
            program_remove_step(prog, i);
            removed_before_end++;
        } else {
            i++;
        }
    }
    /* Expects emit no events, so the history stays that of the program;
     * only the step indices of later events would shift.  Renumber. */
    if (removed_before_end) {
        model_run(m, prog, policy, &err);
        return;
    }
    model_finish(m);
}

void model_sanitize(struct model *m, struct program *prog)
{
    model_sanitize_run(m, prog, POLICY_REFERENCE);
}
