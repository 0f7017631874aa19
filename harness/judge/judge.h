/* judge.h - one program under one policy: model, oracle, expectations.
 *
 * Owns: the glue every command and fuzzer uses to turn a program into a
 * verdict.  Holds one model and one oracle, reused across runs (no
 * allocation per run).
 */
#ifndef TERNRIG_JUDGE_H
#define TERNRIG_JUDGE_H

#include "expect.h"
#include "model.h"
#include "oracle.h"

#define JUDGE_MAX_REPORTED_FAILURES 32

struct judge {
    struct model *model;
    struct oracle *oracle;
};

struct judgement {
    bool trace_error;               /* the program is invalid: see err    */
    struct trace_error err;
    struct verdict verdict;         /* valid until the next judge_run     */
    uint32_t applicable, failed;    /* expectations                        */
    struct expect_failure failures[JUDGE_MAX_REPORTED_FAILURES];
};

/* Returns 0, or -1 when out of memory. */
int judge_init(struct judge *j);
void judge_destroy(struct judge *j);
/* Runs the program; always fills `out`.  Returns 0 when the program ran
 * (whatever the verdict), -1 on a trace error. */
int judge_run(struct judge *j, const struct program *p, enum policy policy,
              struct judgement *out);

#endif
