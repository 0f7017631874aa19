#!/bin/bash
# fuzz_targets.sh TERNRIG TARGET... - the policy fuzz targets CMake made
# from harness/core/policies.h are exactly those `ternrig policies` names
# (fuzz_NAME, '-' as '_'), in the same order.
set -u
want=$("$1" policies | sed 's/-/_/g; s/^/fuzz_/' | tr '\n' ' ')
shift
got="$* "
[ "$got" = "$want" ] || { echo "FAIL: CMake targets: $got; ternrig policies: $want"; exit 1; }
echo "ok: $got"
