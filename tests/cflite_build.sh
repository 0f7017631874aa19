#!/usr/bin/env bash
# cflite_build.sh REPO - run .clusterfuzzlite/build.sh with the variables set
# the way OSS-Fuzz / ClusterFuzzLite set them for libFuzzer with
# AddressSanitizer, then run every produced target on its seed corpus.
set -u
repo=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/out"
ln -s "$repo" "$tmp/src/ternrig"
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
if ! env SRC="$tmp/src" OUT="$tmp/out" CC=clang CXX=clang++ \
        CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
        SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 \
        bash "$repo/.clusterfuzzlite/build.sh" >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log"
    echo "FAIL build.sh"
    exit 1
fi
fails=0
targets=0
# one per policy of the core: its entries in the descriptor,
# plus fuzz_decode and fuzz_trace_parse
want=$(grep -c '^POLICY_ENTRY(' "$repo/harness/core/policies.h")
want=$((want + 2))
for bin in "$tmp"/out/fuzz_*; do
    case "$bin" in *.zip|*.options|*.dict) continue ;; esac
    t=$(basename "$bin")
    targets=$((targets + 1))
    for f in "${t}_seed_corpus.zip" "$t.options"; do
        [ -f "$tmp/out/$f" ] || { echo "FAIL $t: no $f"; fails=$((fails + 1)); }
    done
    mkdir -p "$tmp/seeds/$t"
    unzip -q "$tmp/out/${t}_seed_corpus.zip" -d "$tmp/seeds/$t"
    n=$(ls "$tmp/seeds/$t" | wc -l)
    if ! "$bin" -runs=0 "$tmp/seeds/$t" >"$tmp/$t.log" 2>&1; then
        tail -n 20 "$tmp/$t.log"
        echo "FAIL $t on its $n seeds"
        fails=$((fails + 1))
    else
        echo "ok   $t: $n seeds"
    fi
done
[ -f "$tmp/out/ternrig.dict" ] || { echo "FAIL no dictionary"; fails=$((fails + 1)); }
[ $targets -eq $want ] || { echo "FAIL $targets targets, want $want"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "ClusterFuzzLite build: $targets targets ok" || exit 1
