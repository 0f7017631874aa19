/* fuzz_fuse_naive.c - random programs under the `fuse-naive` policy; any
 * violation of SPEC §5 aborts with the program as a text trace. */
#include "fuzz_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_policy(POLICY_FUSE_NAIVE, data, size, false);
}
