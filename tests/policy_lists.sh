#!/bin/bash
# policy_lists.sh TERNRIG LIST NAME... - a list CMake made from
# harness/core/policies.h (cmake/policies.cmake) is exactly what `ternrig
# policies` says, in the same order.  LIST is
#   fuzz-targets  the policy fuzz targets: fuzz_NAME, '-' as '_'
#   no-bpf        the policies of the real_replay_* tests: `--no-bpf`
set -u
case $2 in
fuzz-targets) want=$("$1" policies | sed 's/-/_/g; s/^/fuzz_/' | tr '\n' ' ') ;;
no-bpf) want=$("$1" policies --no-bpf | tr '\n' ' ') ;;
*) echo "FAIL: unknown list '$2'"; exit 2 ;;
esac
what=$2
shift 2
got="$* "
[ "$got" = "$want" ] || { echo "FAIL: CMake $what: $got; ternrig policies: $want"; exit 1; }
echo "ok: $what: $got"
