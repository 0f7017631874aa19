/* fuzz_reference.c - random programs under the `reference` policy, the one
 * meant to be correct: any violation of SPEC §5 aborts with the program as a
 * text trace, and so does any break of the model's invariants, checked after
 * every statement.  A self-check of model and oracle. */
#include "fuzz_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_policy(POLICY_REFERENCE, data, size, true);
}
