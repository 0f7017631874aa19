/* judge.c - model + oracle + expectations for one program and policy. */
#include <string.h>
#include "judge.h"

int judge_init(struct judge *j)
{
    j->model = model_new();
    j->oracle = oracle_new(MAX_FILE_NAMES, MAX_TASK_NAMES);
    if (!j->model || !j->oracle) {
        judge_destroy(j);
        return -1;
    }
    return 0;
}

void judge_destroy(struct judge *j)
{
    model_free(j->model);
    oracle_free(j->oracle);
    j->model = NULL;
    j->oracle = NULL;
}

int judge_run(struct judge *j, const struct program *p, enum policy policy,
              struct judgement *out)
{
    out->trace_error = false;
    out->applicable = out->failed = 0;
    memset(&out->verdict, 0, sizeof out->verdict);
    if (model_run(j->model, p, policy, &out->err) < 0) {
        out->trace_error = true;
        return -1;
    }
    uint32_t bad;
    /* The model names at most MAX_FILE_NAMES files and MAX_TASK_NAMES
     * processes, the oracle's capacity, so this cannot fail. */
    oracle_judge(j->oracle, model_history(j->model), p->nfiles,
                 policy_done_rule(policy), &out->verdict, &bad);
    out->failed = expect_check(p, policy, &out->verdict, out->failures,
                               JUDGE_MAX_REPORTED_FAILURES, &out->applicable, NULL);
    return 0;
}
