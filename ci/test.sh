#!/usr/bin/env bash
# ci/test.sh - set up, build, and run every test under ctest: unit tests of
# the core, model, oracle and trace language, the CLI checks and the corpus
# replay, each twice (plain and ASan+UBSan).  Then the fuzz-target build
# with clang, as OSS-Fuzz would do it, and a short run of it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
ctest --preset default -j "$jobs"

echo
echo "== libFuzzer build (clang) and a 10 s smoke run of fuzz_decode"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
for t in corpus/traces/*.trace; do
    ./build/ternrig encode --raw -o "$seeds/$(basename "$t" .trace)" "$t"
done
if ! ./build-fuzz/fuzz/fuzz_decode -max_total_time=10 -print_final_stats=1 \
        -artifact_prefix=build-fuzz/crash- "$seeds" >"$seeds/log" 2>&1; then
    tail -n 40 "$seeds/log"
    echo "fuzz_decode found a crash: build-fuzz/crash-* (see above)"
    exit 1
fi
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$seeds/log"
echo "ternrig tests: all passed"
