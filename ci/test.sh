#!/usr/bin/env bash
# ci/test.sh - set up, build, and run every test under ctest: unit tests of
# the core, model, oracle and trace language, the CLI checks and the corpus
# replay, each twice (plain and ASan+UBSan), and report.html in headless
# chromium.  Then the libFuzzer build with clang: a smoke run of every fuzz
# target, `ternrig fuzz` end to end, and the ClusterFuzzLite build.sh run the
# way OSS-Fuzz runs it.  Then the AFL++ build: its targets on their seeds and
# a short afl-fuzz run of each (tests/afl_smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
ctest --preset default -j "$jobs"

echo
echo "== libFuzzer build (clang): smoke runs of every target, ternrig fuzz,"
echo "   the ClusterFuzzLite build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs" -R 'smoke|fuzz_command|corpus_min|clusterfuzzlite|replay_seeds'

echo
echo "== AFL++ build (afl-clang-fast): every target on its seeds, afl-fuzz on"
echo "   every policy, ternrig fuzz --engine afl"
cmake --preset afl >/dev/null
cmake --build --preset afl -j "$jobs"
ctest --test-dir build-afl --output-on-failure -j "$jobs" -R '^(afl_smoke|.*_replay_seeds)$'
echo "ternrig tests: all passed"
