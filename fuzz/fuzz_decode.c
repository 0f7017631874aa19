/* fuzz_decode.c - the binary decoder is total: any bytes decode to a
 * program that, once sanitized, is valid and runs under every policy with
 * the oracle judging it.  Aborts if any of that fails. */
#include <stdio.h>
#include <stdlib.h>
#include "judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct program p;
    static struct judge j;
    static int ready;
    if (!ready) {
        if (judge_init(&j) < 0)
            abort();
        ready = 1;
    }
    trace_decode(data, size, &p);
    if (p.nsteps > TRACE_DECODE_MAX_STEPS)
        abort();
    model_sanitize(j.model, &p);
    struct judgement out;
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        if (judge_run(&j, &p, (enum policy)pol, &out) < 0) {
            fprintf(stderr, "sanitized program invalid at %u: %s\n",
                    out.err.line, out.err.msg);
            abort();
        }
    }
    return 0;
}
