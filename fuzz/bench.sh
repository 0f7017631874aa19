#!/usr/bin/env bash
# fuzz/bench.sh [--collect-cost | --vs-fuzz | --ceilings] - the fuzzing benchmark; prints
# two tables (without an option), or one of the comparisons below.
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
# run's time in KEEP/times), POLICIES (which policies, e.g. "kmod"; default
# all), COLLECT (1, the default: the rate runs save the inputs with a
# violation, TERNRIG_FUZZ_COLLECT, as `ternrig fuzz` does; 0: they count no
# violation, TERNRIG_FUZZ_KIND=none), TMPDIR (where the runs' directories
# go, /tmp by default: libFuzzer writes every new corpus unit there, and
# on ext4 creating files after many were deleted, by earlier runs or other
# jobs, took a fifth of a rate run; TMPDIR=/dev/shm keeps that out).
#
# --collect-cost: what collect mode costs.  libFuzzer, no sanitizers,
# custom mutator, one process, every policy in POLICIES (default kmod):
# ROUNDS (3) pairs of RATE_SECONDS (20) runs, collect mode on then off
# (TERNRIG_FUZZ_KIND=none: no violation counted, nothing saved), round R
# with -seed=R for both, alternated so that a load that comes and goes
# hits both.  Prints each run's execs/s (wall and CPU time), the means and
# off/on - 1, and the corpus each run ended with (libFuzzer's "corp:
# units/bytes"): the collect code is instrumented too, so the two searches
# of a seed drift apart and run different programs, whose speed differs
# far more than collect mode's cost (by 10-30 %, either way, the same for
# every run of a build and seed).  Then the same on a fixed workload, which
# only the per-execution cost can tell apart: the corpus of the last run
# replayed REPEAT times (default: about 4 M executions) by the target's
# replay driver (no engine, no coverage), REPLAY_ROUNDS (7) times on and
# off, in microseconds per execution (and their medians), with the number
# of executions that had a violation (TERNRIG_FUZZ_STATS) and what each of
# those cost.  Needs
# fuzz-nosan.
#
# --vs-fuzz: the per-job rate of `ternrig fuzz --no-sanitize` against this
# script's one-process rate, for every policy in POLICIES (default kmod):
# ROUNDS (3) rounds of a bench run (as the rate table: collect mode on) then
# `ternrig fuzz --policy P --no-sanitize --time RATE_SECONDS --jobs JOBS`
# (JOBS: 1 and 2 by default), each job's rate computed as the bench's
# (number_of_executed_units / RATE_SECONDS, from its log), and for J jobs
# J bench processes at once, the control for CPUs that share a core or
# caches; with GNU time, executions per CPU second too.  Needs fuzz-nosan
# and a ternrig (TERNRIG, default build/ternrig).
#
# --ceilings: what each engine itself allows on this machine.  An empty
# target (LLVMFuzzerTestOneInput returns at once; built here with clang
# -fsanitize=fuzzer and with afl-clang-fast) runs RATE_SECONDS under
# libFuzzer and under afl-fuzz (persistent mode, shared-memory test
# cases), ROUNDS (3) times alternated with the structure-aware targets of
# POLICIES (default kmod; no sanitizers, collect mode as COLLECT), and the
# medians are printed with each target's share of its engine's ceiling.
# AFL++ hands every execution to the target over its fork server: the
# target stops itself (SIGSTOP) and is woken (SIGCONT) once per input, so
# its ceiling is set by the kernel's signal and context-switch cost, not
# by the target.  Needs fuzz-nosan and afl-nosan.
set -u
cd "$(dirname "$0")/.."
mode=tables
case "${1:-}" in
    --collect-cost) mode=collect-cost ;;
    --vs-fuzz) mode=vs-fuzz ;;
    --ceilings) mode=ceilings ;;
    "") ;;
    *) echo "usage: $0 [--collect-cost | --vs-fuzz | --ceilings] (see its header)"; exit 2 ;;
esac
if [ "$mode" != tables ]; then
    RATE_SECONDS=${RATE_SECONDS:-20}
    POLICIES=${POLICIES:-kmod}
fi
COLLECT=${COLLECT:-1}
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
[ -x "$ternrig" ] || [ -n "${TERNRIG:-}" ] || ternrig=build/ternrig
# the policies, as fuzz target suffixes (kmod_2024)
[ -x "$ternrig" ] || { echo "missing $ternrig: see the header of $0"; exit 2; }
policies=$(echo ${POLICIES:-$("$ternrig" policies)} | tr - _)
builds="build-fuzz build-fuzz-nosan build-afl build-afl-nosan"
[ "$mode" != tables ] && builds=build-fuzz-nosan
[ "$mode" = ceilings ] && builds="build-fuzz-nosan build-afl-nosan"
for d in $builds; do
    for pol in $policies; do
        [ -x "$d/fuzz/fuzz_$pol" ] || { echo "missing $d/fuzz/fuzz_$pol: see the header of $0"; exit 2; }
    done
done
mkdir -p "$tmp/spawn-a"
printf '\000\000' >"$tmp/spawn-a/spawn-a"

# GNU time, when there is one: a run's CPU seconds as well (a machine
# shared with other work slows the wall clock of a run far more than its
# CPU time)
timer=
[ -x /usr/bin/time ] && timer=/usr/bin/time
# cpu_rate DIR: executions per CPU second (user + system) of the libFuzzer
# run in DIR, or "-"
cpu_rate() {
    [ -s "$1/time" ] || { printf -- -; return; }
    awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d ", n}' "$1/log" |
        cat - <(tail -1 "$1/time") | awk 'END {c = $3 + $4; if (c > 0) printf "%d", $1 / c; else printf "-"}'
}

# the environment of a rate run in collect mode $1 (1 or 0), saving into $2
collect_env() {
    if [ "$1" = 1 ]; then echo "TERNRIG_FUZZ_COLLECT=$2"; else echo TERNRIG_FUZZ_KIND=none; fi
}

# rate ENGINE SAN MUT POLICY [LIBFUZZER-FLAG...] -> execs/s (collect mode
# $COLLECT; the run's directory stays in $tmp until the next run of the
# same configuration)
rate() {
    local engine=$1 san=$2 mut=$3 pol=$4 d bin w
    shift 4
    d=$(dir_of "$engine" "$san")
    bin="$d/fuzz_$pol"
    [ "$mut" = bytes ] && bin="${bin}_bytes"
    w="$tmp/rate-$engine-$san-$mut-$pol${RATE_TAG:-}"
    rm -rf "$w"
    mkdir -p "$w/corpus" "$w/collect"
    if [ "$engine" = libfuzzer ]; then
        local tm=()
        [ -n "$timer" ] && tm=("$timer" -o "$w/time" -f "%e %U %S")
        ${tm[@]+"${tm[@]}"} env "$(collect_env "$COLLECT" "$w/collect")" "$bin" \
            -max_total_time="$RATE_SECONDS" -max_len=512 -print_final_stats=1 \
            "$@" "$w/corpus" "$d/seeds/fuzz_$pol" >"$w/log" 2>&1
        awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d", n/'"$RATE_SECONDS"'}' "$w/log"
    else
        local extra=()
        [ "$mut" = custom ] && export AFL_CUSTOM_MUTATOR_ONLY=1 \
            AFL_CUSTOM_MUTATOR_LIBRARY="$PWD/$d/libternrig_afl_mutator.so"
        env "$(collect_env "$COLLECT" "$w/collect")" timeout $((RATE_SECONDS + 60)) afl-fuzz \
            -i "$d/seeds/fuzz_$pol" -o "$w/out" -V "$RATE_SECONDS" -- "$PWD/$bin" \
            >"$w/log" 2>&1
        unset AFL_CUSTOM_MUTATOR_LIBRARY AFL_CUSTOM_MUTATOR_ONLY
        awk -F: '/^execs_done/ {d=$2} /^run_time/ {t=$2} END {if (t>0) printf "%d", d/t; else printf "0"}' \
            "$w/out/default/fuzzer_stats" 2>/dev/null || printf 0
    fi
}

mean() { awk '{s += $1; n++} END {if (n) printf "%d", s / n; else printf "0"}'; }

if [ "$mode" = collect-cost ]; then
    ROUNDS=${ROUNDS:-3}
    echo "== collect mode's cost: libFuzzer, no sanitizers, custom mutator, one process, -seed=ROUND, ${RATE_SECONDS}s per run, on/off alternated (load at start: $(cut -d' ' -f1-3 /proc/loadavg))"
    REPEAT=${REPEAT:-}
    REPLAY_ROUNDS=${REPLAY_ROUNDS:-7}
    median() { sort -n | awk '{a[NR] = $1} END {printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
    w="$tmp/rate-libfuzzer-nosan-custom"
    corp() { grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$1" | tail -1 | cut -d' ' -f2; }
    pct() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0) printf "%+.1f %%", 100 * (b / a - 1); else print "?"}'; }
    printf '%-16s %5s %9s %9s %11s %11s %6s %11s %11s\n' target round "on" "off" "on/cpu-s" "off/cpu-s" saved "corpus on" "corpus off"
    for pol in $policies; do
        : >"$tmp/on"; : >"$tmp/off"; : >"$tmp/con"; : >"$tmp/coff"
        for r in $(seq 1 "$ROUNDS"); do
            on=$(COLLECT=1 rate libfuzzer nosan custom "$pol" -seed="$r")
            saved=$(find "$w-$pol/collect" -name '*.trb' | wc -l)
            con=$(corp "$w-$pol/log")
            cpuon=$(cpu_rate "$w-$pol")
            off=$(COLLECT=0 rate libfuzzer nosan custom "$pol" -seed="$r")
            coff=$(corp "$w-$pol/log")
            cpuoff=$(cpu_rate "$w-$pol")
            echo "$on" >>"$tmp/on"; echo "$off" >>"$tmp/off"
            echo "$cpuon" >>"$tmp/con"; echo "$cpuoff" >>"$tmp/coff"
            printf '%-16s %5s %9s %9s %11s %11s %6s %11s %11s\n' "fuzz_$pol" "$r" "$on" "$off" \
                "$cpuon" "$cpuoff" "$saved" "$con" "$coff"
        done
        on=$(mean <"$tmp/on"); off=$(mean <"$tmp/off")
        cpuon=$(mean <"$tmp/con"); cpuoff=$(mean <"$tmp/coff")
        printf '%-16s %5s %9s %9s %11s %11s   off/on - 1: %s wall, %s cpu\n' "fuzz_$pol" mean \
            "$on" "$off" "$cpuon" "$cpuoff" "$(pct "$on" "$off")" "$(pct "$cpuon" "$cpuoff")"
    done
    echo
    echo "== the same on a fixed workload: the last run's corpus, each input ${REPEAT:-4 M / inputs} times, replay driver (no engine), on/off alternated, $([ -n "$timer" ] && echo "CPU" || echo "wall") time"
    printf '%-16s %5s %8s %12s %12s %12s %14s\n' target round inputs "us/exec on" "us/exec off" "violating" "us/violating"
    for pol in $policies; do
        bin=build-fuzz-nosan/fuzz/fuzz_${pol}_replay
        [ -x "$bin" ] || { echo "missing $bin"; exit 2; }
        : >"$tmp/on"; : >"$tmp/off"
        # about 4 M executions per run unless REPEAT says
        rep=${REPEAT:-$((4000000 / ($(ls "$w-$pol/corpus" | wc -l) + 1) + 1))}
        for r in $(seq 1 "$REPLAY_ROUNDS"); do
            for c in 1 0; do
                rm -rf "$tmp/replay-collect"; mkdir -p "$tmp/replay-collect"
                rm -f "$tmp/replay.time"
                t0=$(date +%s%N)
                tm=()
                [ -n "$timer" ] && tm=("$timer" -o "$tmp/replay.time" -f "%U %S")
                ${tm[@]+"${tm[@]}"} env "$(collect_env "$c" "$tmp/replay-collect")" TERNRIG_FUZZ_STATS=1 \
                    TERNRIG_REPLAY_REPEAT="$rep" "$bin" "$w-$pol/corpus" >"$tmp/replay.log" 2>&1
                t1=$(date +%s%N)
                n=$(awk '/input\(s\) replayed/ {print $2}' "$tmp/replay.log")
                # CPU time when GNU time measured it, else wall time
                ns=$((t1 - t0))
                [ -s "$tmp/replay.time" ] && ns=$(tail -1 "$tmp/replay.time" | awk '{printf "%.0f", ($1 + $2) * 1e9}')
                us=$(awk -v t="$ns" -v n="$n" -v r="$rep" 'BEGIN {printf "%.3f", t / 1000 / (n * r)}')
                if [ "$c" = 1 ]; then
                    on=$us; echo "$us" >>"$tmp/on"
                    viol=$(awk '/execution\(s\) with a counted violation/ {print $4}' "$tmp/replay.log")
                else
                    off=$us; echo "$us" >>"$tmp/off"
                fi
            done
            printf '%-16s %5s %8s %12s %12s %12s %14s\n' "fuzz_$pol" "$r" "$n" "$on" "$off" "$viol" \
                "$(awk -v a="$on" -v b="$off" -v n="$n" -v r="$rep" -v v="$viol" 'BEGIN {if (v > 0) printf "%+.2f", (a - b) * n * r / v; else print "-"}')"
        done
        on=$(median <"$tmp/on"); off=$(median <"$tmp/off")
        printf '%-16s %6s %7s %12s %12s   on/off - 1: %s\n' "fuzz_$pol" median "" "$on" "$off" "$(pct "$off" "$on")"
    done
    echo "(us/violating: the extra time on over off, per execution with a violation; load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
    exit 0
fi

# fuzz_jobs POLICY JOBS -> each job's execs/s, one a line, from a
# `ternrig fuzz --no-sanitize` run of RATE_SECONDS; its jobs' executions
# per CPU second (fuzz.json's cpu_s) in $tmp/tfuzz.cpu
fuzz_jobs() {
    local pol=${1//_/-} jobs=$2 w="$tmp/tfuzz"
    rm -rf "$w"
    "$ternrig" fuzz --policy "$pol" --no-sanitize --nosan-dir build-fuzz-nosan/fuzz \
        --time "${RATE_SECONDS}s" --jobs "$jobs" --out "$w" >"$tmp/tfuzz.log" 2>&1
    for l in "$w"/logs/*.log; do
        awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d\n", n/'"$RATE_SECONDS"'}' "$l"
    done
    cat "$w"/logs/*.log | awk '/stat::number_of_executed_units/ {n += $2} END {printf "%d ", n}' |
        cat - <(grep -o '"cpu_s":[0-9.]*' "$w/fuzz.json" | cut -d: -f2 | awk '{c += $1} END {print c + 0}') |
        awk 'END {if ($2 > 0) printf "%d", $1 / $2; else printf "-"}' >"$tmp/tfuzz.cpu"
}

if [ "$mode" = ceilings ]; then
    ROUNDS=${ROUNDS:-3}
    median() { sort -n | awk '{a[NR] = $1} END {if (!NR) {print 0; exit} printf "%d", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
    share() { awk -v a="$1" -v m="$2" 'BEGIN {if (a > 0) printf "%.0f %%", 100 * m / a; else print "?"}'; }
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)\n{ (void)d; (void)n; return 0; }\n' >"$tmp/empty.c"
    clang -O2 -fsanitize=fuzzer "$tmp/empty.c" -o "$tmp/empty-libfuzzer" ||
        { echo "$0: clang -fsanitize=fuzzer failed"; exit 2; }
    AFL_QUIET=1 afl-clang-fast -O2 -fsanitize=fuzzer "$tmp/empty.c" -o "$tmp/empty-afl" >/dev/null 2>&1 ||
        { echo "$0: afl-clang-fast failed"; exit 2; }
    # empty_rate ENGINE -> execs/s of the empty target
    empty_rate() {
        local w="$tmp/empty-run"
        rm -rf "$w"; mkdir -p "$w/corpus" "$w/in"
        printf a >"$w/in/a"
        if [ "$1" = libfuzzer ]; then
            "$tmp/empty-libfuzzer" -max_total_time="$RATE_SECONDS" -print_final_stats=1 \
                "$w/corpus" >"$w/log" 2>&1
            awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d", n/'"$RATE_SECONDS"'}' "$w/log"
        else
            timeout $((RATE_SECONDS + 60)) afl-fuzz -i "$w/in" -o "$w/out" -V "$RATE_SECONDS" \
                -- "$tmp/empty-afl" >"$w/log" 2>&1
            awk -F: '/^execs_done/ {d=$2} /^run_time/ {t=$2} END {if (t>0) printf "%d", d/t; else printf "0"}' \
                "$w/out/default/fuzzer_stats" 2>/dev/null || printf 0
        fi
    }
    echo "== engine ceilings: an empty target against the structure-aware targets, ${RATE_SECONDS}s per run, ${ROUNDS} rounds alternated, medians (load at start: $(cut -d' ' -f1-3 /proc/loadavg))"
    for engine in libfuzzer afl; do
        : >"$tmp/ceil-$engine"
        for pol in $policies; do : >"$tmp/t-$engine-$pol"; done
    done
    for r in $(seq 1 "$ROUNDS"); do
        for engine in libfuzzer afl; do
            empty_rate "$engine" >>"$tmp/ceil-$engine"; echo >>"$tmp/ceil-$engine"
            for pol in $policies; do
                rate "$engine" nosan custom "$pol" >>"$tmp/t-$engine-$pol"
                echo >>"$tmp/t-$engine-$pol"
            done
        done
    done
    printf '%-26s %12s %12s\n' "" libFuzzer "AFL++"
    cl=$(grep . "$tmp/ceil-libfuzzer" | median); ca=$(grep . "$tmp/ceil-afl" | median)
    printf '%-26s %12s %12s\n' "empty target (ceiling)" "$cl" "$ca"
    for pol in $policies; do
        tl=$(grep . "$tmp/t-libfuzzer-$pol" | median); ta=$(grep . "$tmp/t-afl-$pol" | median)
        printf '%-26s %12s %12s\n' "fuzz_$pol, custom" "$tl" "$ta"
        printf '%-26s %12s %12s\n' "  share of the ceiling" "$(share "$cl" "$tl")" "$(share "$ca" "$ta")"
    done
    exit 0
fi

if [ "$mode" = vs-fuzz ]; then
    ROUNDS=${ROUNDS:-3}
    JOBS=${JOBS:-"1 2"}
    echo "== per-process execs/s: fuzz/bench.sh's rate against \`ternrig fuzz --no-sanitize\` per job, ${RATE_SECONDS}s per run, alternated (load at start: $(cut -d' ' -f1-3 /proc/loadavg))"
    share() { awk -v a="$1" -v m="$2" 'BEGIN {if (a > 0) printf "%.0f %%", 100 * m / a; else print "?"}'; }
    # bench_par POLICY J: J bench processes at once (the control for J jobs
    # on a machine whose CPUs share cores or caches); each one's execs/s,
    # one a line, and their executions per CPU second in $tmp/par.cpu
    bench_par() {
        local k
        for k in $(seq 1 "$2"); do
            RATE_TAG=-par$k rate libfuzzer nosan custom "$1" >"$tmp/par$k" &
        done
        wait
        for k in $(seq 1 "$2"); do cat "$tmp/par$k"; echo; done
        for k in $(seq 1 "$2"); do
            d="$tmp/rate-libfuzzer-nosan-custom-$1-par$k"
            awk '/stat::number_of_executed_units/ {n=$2} END {printf "%d ", n}' "$d/log"
            tail -1 "$d/time" 2>/dev/null || echo "0 0 0"
        done | awk '{n += $1; c += $3 + $4} END {if (c > 0) printf "%d", n / c; else printf "-"}' >"$tmp/par.cpu"
    }
    printf '%-16s %5s %8s %10s' target round bench "bench/cpu"
    for j in $JOBS; do
        [ "$j" -gt 1 ] && printf ' %15s %12s' "bench x$j" "x$j/cpu"
        printf ' %15s %12s' "fuzz -j $j" "-j $j/cpu"
    done
    echo
    for pol in $policies; do
        : >"$tmp/bench"; : >"$tmp/benchcpu"
        for j in $JOBS; do : >"$tmp/jobs$j"; : >"$tmp/cpu$j"; : >"$tmp/bx$j"; : >"$tmp/bxcpu$j"; done
        for r in $(seq 1 "$ROUNDS"); do
            b=$(rate libfuzzer nosan custom "$pol")
            bc=$(cpu_rate "$tmp/rate-libfuzzer-nosan-custom-$pol")
            echo "$b" >>"$tmp/bench"; echo "$bc" >>"$tmp/benchcpu"
            printf '%-16s %5s %8s %10s' "fuzz_$pol" "$r" "$b" "$bc"
            for j in $JOBS; do
                if [ "$j" -gt 1 ]; then
                    per=$(bench_par "$pol" "$j")
                    echo "$per" >>"$tmp/bx$j"
                    cat "$tmp/par.cpu" >>"$tmp/bxcpu$j"; echo >>"$tmp/bxcpu$j"
                    printf ' %15s %12s' "$(echo $per | tr ' ' /)" "$(cat "$tmp/par.cpu")"
                fi
                per=$(fuzz_jobs "$pol" "$j")
                echo "$per" >>"$tmp/jobs$j"
                cat "$tmp/tfuzz.cpu" >>"$tmp/cpu$j"; echo >>"$tmp/cpu$j"
                printf ' %15s %12s' "$(echo $per | tr ' ' /)" "$(cat "$tmp/tfuzz.cpu")"
            done
            echo
        done
        b=$(mean <"$tmp/bench"); bc=$(mean <"$tmp/benchcpu")
        printf '%-16s %5s %8s %10s' "fuzz_$pol" mean "$b" "$bc"
        for j in $JOBS; do
            if [ "$j" -gt 1 ]; then
                m=$(grep . "$tmp/bx$j" | mean); mc=$(mean <"$tmp/bxcpu$j")
                printf ' %15s %12s' "$m ($(share "$b" "$m"))" "$mc ($(share "$bc" "$mc"))"
            fi
            m=$(mean <"$tmp/jobs$j"); mc=$(mean <"$tmp/cpu$j")
            printf ' %15s %12s' "$m ($(share "$b" "$m"))" "$mc ($(share "$bc" "$mc"))"
        done
        echo
    done
    echo "(fuzz -j J: each job's execs/s, then the mean over jobs and rounds and its share of the bench's;"
    echo " bench xJ: J bench processes at once, the same way: the control for J jobs on this machine's CPUs;"
    echo " /cpu: executions per CPU second (user + system), the bench process's and the jobs' (fuzz.json's cpu_s);"
    echo " load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
    exit 0
fi

if [ -z "${SKIP_RATES:-}" ]; then
echo "== execs/s per policy target (${RATE_SECONDS}s each, one process, $([ "$COLLECT" = 1 ] && echo "collect mode on" || echo "no violation counted"))"
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
