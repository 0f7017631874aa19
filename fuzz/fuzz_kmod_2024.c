/* fuzz_kmod_2024.c - random programs under the `kmod-2024` policy; any
 * violation of SPEC §5 aborts with the program as a text trace. */
#include "fuzz_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_policy(POLICY_KMOD_2024, data, size, false);
}
