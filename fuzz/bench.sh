#!/usr/bin/env bash
# fuzz/bench.sh [--quick] - the fuzzing benchmark; prints two tables.
#
# 1. execs/s of every policy target: libFuzzer and AFL++, custom mutator and
#    byte level, with and without sanitizers (one process, one core each).
# 2. time to first detection from the one-program seed `spawn a`, for every
#    (policy, violation kind) pair the policy can produce (those the corpus
#    expects: `expect[P] violation KIND` in corpus/traces): median over SEEDS
#    fuzzer seeds, capped at CAP seconds (a capped run counts as CAP and the
#    cell says ">CAP" when the median is capped), no sanitizers.
#
# Needs the builds: cmake --preset fuzz / fuzz-nosan / afl / afl-nosan, each
# followed by cmake --build --preset NAME.  Environment: SEEDS (5), CAP (60),
# RATE_SECONDS (5), PAR (2: runs at once), CONFIGS (which detection configs),
# SKIP_RATES (set: only the detection table), TERNRIG (the ternrig that
# lists the policies; default build-fuzz/ternrig), PAIRS (which
# policy:kind pairs to time, e.g. "kmod_2024:visible-after-abort"; default
# every pair the corpus expects), SCHEDULE (set: count only the findings
# that an `order` or a `reuses` makes, TERNRIG_FUZZ_SCHEDULE), MECHANISM
# (TEXT: count only the findings whose mechanism contains it, e.g. "the map
# was full"; TERNRIG_FUZZ_MECHANISM), KEEP (a
# directory: keep each run's finding there as CONFIG-POLICY-KIND-SEED, for
# `ternrig decode` and `ternrig corpus add` to show its shape, and each
# run's time in KEEP/times).
set -u
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-5}
CAP=${CAP:-60}
RATE_SECONDS=${RATE_SECONDS:-5}
PAR=${PAR:-2}
CONFIGS=${CONFIGS:-"libfuzzer-custom libfuzzer-bytes afl-custom afl-bytes"}
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_QUIET=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; pkill -P $$ 2>/dev/null' EXIT

dir_of() { # engine sanitized? -> build dir
    case "$1-$2" in
        libfuzzer-san) echo build-fuzz/fuzz ;;
        libfuzzer-nosan) echo build-fuzz-nosan/fuzz ;;
        afl-san) echo build-afl/fuzz ;;
        afl-nosan) echo build-afl-nosan/fuzz ;;
    esac
}
ternrig=${TERNRIG:-build-fuzz/ternrig}
# the policies, as fuzz target suffixes (kmod_2024)
[ -x "$ternrig" ] || { echo "missing $ternrig: see the header of $0"; exit 2; }
policies=$("$ternrig" policies | tr - _)
for d in build-fuzz build-fuzz-nosan build-afl build-afl-nosan; do
    for pol in $policies; do
        [ -x "$d/fuzz/fuzz_$pol" ] || { echo "missing $d: see the header of $0"; exit 2; }
    done
done
mkdir -p "$tmp/spawn-a"
printf '\000\000' >"$tmp/spawn-a/spawn-a"

# rate ENGINE SAN MUT POLICY -> execs/s
rate() {
    local engine=$1 san=$2 mut=$3 pol=$4 d bin w
    d=$(dir_of "$engine" "$san")
    bin="$d/fuzz_$pol"
    [ "$mut" = bytes ] && bin="${bin}_bytes"
    w="$tmp/rate-$engine-$san-$mut-$pol"
    mkdir -p "$w/corpus"
    if [ "$engine" = libfuzzer ]; then
        TERNRIG_FUZZ_COLLECT="$w" "$bin" -max_total_time="$RATE_SECONDS" \
            -max_len=512 -print_final_stats=1 "$w/corpus" "$d/seeds/fuzz_$pol" \
            >"$w/log" 2>&1
        awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d", n/'"$RATE_SECONDS"'}' "$w/log"
    else
        local extra=()
        [ "$mut" = custom ] && export AFL_CUSTOM_MUTATOR_ONLY=1 \
            AFL_CUSTOM_MUTATOR_LIBRARY="$PWD/$d/libternrig_afl_mutator.so"
        TERNRIG_FUZZ_COLLECT="$w" timeout $((RATE_SECONDS + 60)) afl-fuzz \
            -i "$d/seeds/fuzz_$pol" -o "$w/out" -V "$RATE_SECONDS" -- "$PWD/$bin" \
            >"$w/log" 2>&1
        unset AFL_CUSTOM_MUTATOR_LIBRARY AFL_CUSTOM_MUTATOR_ONLY
        awk -F: '/^execs_done/ {d=$2} /^run_time/ {t=$2} END {if (t>0) printf "%d", d/t; else printf "0"}' \
            "$w/out/default/fuzzer_stats" 2>/dev/null || printf 0
    fi
}

if [ -z "${SKIP_RATES:-}" ]; then
echo "== execs/s per policy target (${RATE_SECONDS}s each, one process)"
printf '%-18s' target
for c in libfuzzer-nosan-custom libfuzzer-nosan-bytes libfuzzer-san-custom \
         libfuzzer-san-bytes afl-nosan-custom afl-nosan-bytes afl-san-custom afl-san-bytes; do
    printf ' %14s' "${c/libfuzzer/lf}"
done
echo
for pol in $policies; do
    printf '%-18s' "fuzz_$pol"
    for engine in libfuzzer afl; do
        for san in nosan san; do
            for mut in custom bytes; do
                printf ' %14s' "$(rate $engine $san $mut $pol)"
            done
        done
    done | awk '{ # reorder: lf nosan c,b ; lf san c,b ; afl nosan c,b ; afl san c,b
        printf " %14s %14s %14s %14s %14s %14s %14s %14s\n", $1,$2,$3,$4,$5,$6,$7,$8 }'
done
fi

# detect CONFIG POLICY KIND SEED -> seconds (CAP+1 when not found)
detect() {
    local cfg=$1 pol=$2 kind=$3 seed=$4 engine=${1%%-*} mut=${1#*-} d bin w t0 t1
    d=$(dir_of "$engine" nosan)
    bin="$d/fuzz_$pol"
    [ "$mut" = bytes ] && bin="${bin}_bytes"
    w="$tmp/det-$cfg-$pol-$kind-$seed"
    mkdir -p "$w/corpus"
    t0=$(date +%s.%N)
    if [ "$engine" = libfuzzer ]; then
        local dict=()
        [ "$mut" = bytes ] && dict=(-dict="$d/ternrig.dict")
        TERNRIG_FUZZ_KIND=$kind "$bin" -seed="$seed" -max_total_time="$CAP" \
            -max_len=512 -artifact_prefix="$w/" "${dict[@]}" "$w/corpus" \
            "$tmp/spawn-a" >"$w/log" 2>&1
        grep -q "VIOLATION $kind" "$w/log" && found=1 || found=0
    else
        local env=(TERNRIG_FUZZ_KIND=$kind AFL_BENCH_UNTIL_CRASH=1)
        [ "$mut" = custom ] && env+=(AFL_CUSTOM_MUTATOR_ONLY=1
            AFL_CUSTOM_MUTATOR_LIBRARY="$PWD/$d/libternrig_afl_mutator.so")
        local x=()
        [ "$mut" = bytes ] && x=(-x "$d/ternrig.dict")
        env "${env[@]}" timeout $((CAP + 30)) afl-fuzz -i "$tmp/spawn-a" -o "$w/out" \
            -s "$seed" -V "$CAP" "${x[@]}" -- "$PWD/$bin" >"$w/log" 2>&1
        ls "$w/out/default/crashes"/id:* >/dev/null 2>&1 && found=1 || found=0
    fi
    t1=$(date +%s.%N)
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP"
    if [ $found = 1 ] && [ -n "${KEEP:-}" ]; then
        cp "$(ls "$w"/crash-* "$w/out/default/crashes"/id:* 2>/dev/null | head -1)" \
            "$KEEP/$cfg-$pol-$kind-$seed"
    fi
    local secs=$((CAP + 1))
    [ $found = 1 ] && secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
    [ -n "${KEEP:-}" ] && echo "$cfg $pol $kind $seed $secs" >>"$KEEP/times"
    echo "$secs"
    rm -rf "$w"
}
export -f detect dir_of
export tmp CAP
[ -n "${SCHEDULE:-}" ] && export TERNRIG_FUZZ_SCHEDULE=1
[ -n "${MECHANISM:-}" ] && export TERNRIG_FUZZ_MECHANISM="$MECHANISM"
export KEEP=${KEEP:-}

# policy:kind for every violation kind the corpus expects under the policy
pairs=${PAIRS:-$(for p in $("$ternrig" policies); do
    grep -h '^expect\[[^]]*\] violation ' corpus/traces/*.trace |
        awk -v p="$p" '{ l = $1; gsub(/^expect\[|\]$/, "", l)
            n = split(l, a, ","); for (i = 1; i <= n; i++) if (a[i] == p) print $3 }' |
        sort -u | sed "s/^/${p//-/_}:/"
done)}

echo
echo "== time to first detection from \`spawn a\` (s): median of $SEEDS seeds, cap ${CAP}s, no sanitizers${SCHEDULE:+, schedule-made findings only}${MECHANISM:+, mechanism ~ \"$MECHANISM\"}"
printf '%-38s' "policy / kind"
for c in $CONFIGS; do printf ' %16s' "$c"; done
echo
for pk in $pairs; do
    pol=${pk%%:*}
    kind=${pk#*:}
    printf '%-38s' "${pol//_/-} / $kind"
    for c in $CONFIGS; do
        for s in $(seq 1 "$SEEDS"); do echo "$c $pol $kind $s"; done |
            xargs -P "$PAR" -L 1 bash -c 'detect "$0" "$1" "$2" "$3"' >"$tmp/times"
        sort -n "$tmp/times" | awk -v cap="$CAP" '{a[NR]=$1} END {
            m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
            if (m > cap) printf " %16s", ">" cap; else printf " %16.1f", m }'
    done
    echo
done
