#!/usr/bin/env bash
# ci/nightly.sh - the nightly job, one entry point for CI and for people.
#
#   ci/nightly.sh --budget 30m [--out DIR] [--history DIR] [--engine E]
#                 [--skip-setup] [--skip-tests]
#
# First set up and build (ci/setup.sh, plus the fuzz build; at most 30 min
# each, not counted in the budget).  Then, within the time budget (it stops
# by itself): run the tests (the unit tests only when the share is under
# 5 min), replay the corpus
# (model, every policy; for real on the embedded filesystem when root
# and /dev/fuse; on $TERNRIG_MOUNT when set), fuzz every policy target for
# its share of the budget (`ternrig fuzz --all`, on all cores, 80 % of it
# without sanitizers and 20 % with; libFuzzer,
# or AFL++ on odd days of the year when afl-fuzz is installed), run
# `ternrig stress` on the embedded filesystem and on $TERNRIG_MOUNT, then
# `ternrig report`.  Everything lands in the output directory:
#   summary.md  report.html  nightly.json  junit.xml (the night)
#   junit-ctest.xml (the tests)  fuzz/ (fuzz.json, findings/*.trace)
#   stress/*/ (reports and reproducers)  logs/  steps.jsonl  meta.json
#
# Environment: TERNRIG_POLICY, the policy under test (default reference);
# TERNRIG_MOUNT, a real TernFS mount (kmod or FUSE) running that policy.
#
# Exit status: 1 iff a finding under TERNRIG_POLICY is new: neither its
# shape nor its mechanism (a variant's) is in corpus/traces (keep it with
# the `ternrig corpus add` line the summary prints), 0 otherwise; 2 on a setup error: bad usage, or the build, the
# tests, the corpus replay or a tool failed, so the night cannot be trusted
# (a step that only ran out of its share of the budget is not a failure).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() {
    sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-2}"
}

budget= out= history= engine= skip_setup=0 skip_tests=0
while [ $# -gt 0 ]; do
    case $1 in
    --budget) budget=${2:-}; shift 2 || usage ;;
    --out) out=${2:-}; shift 2 || usage ;;
    --history) history=${2:-}; shift 2 || usage ;;
    --engine) engine=${2:-}; shift 2 || usage ;;
    --skip-setup) skip_setup=1; shift ;;
    --skip-tests) skip_tests=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "ci/nightly.sh: unknown argument '$1'" >&2; usage ;;
    esac
done

die() { echo "ci/nightly.sh: $*" >&2; exit 2; }
case $budget in
'') die "--budget is required (e.g. --budget 30m)" ;;
*[0-9]s | *[0-9]) budget_s=${budget%s} ;;
*[0-9]m) budget_s=$((${budget%m} * 60)) ;;
*[0-9]h) budget_s=$((${budget%h} * 3600)) ;;
*) die "bad --budget '$budget' (e.g. 90s, 30m, 2h)" ;;
esac
[[ $budget_s =~ ^[0-9]+$ ]] && [ "$budget_s" -ge 10 ] ||
    die "bad --budget '$budget' (at least 10s; e.g. 90s, 30m, 2h)"
policy=${TERNRIG_POLICY:-reference}
# the policies, from the core's descriptor: ternrig is not built yet here
policy_names() {
    sed -n 's/^POLICY_ENTRY([A-Z0-9_]*, *"\([a-z0-9-]*\)",.*/\1/p' "$root/harness/core/policies.h"
}
[ -n "$(policy_names)" ] || die "no policy in $root/harness/core/policies.h"
policy_names | grep -xF -- "$policy" >/dev/null ||
    die "TERNRIG_POLICY='$policy' is not a policy ($(policy_names | paste -sd, - | sed 's/,/, /g'))"
case $engine in
'' | libfuzzer | afl) ;;
*) die "bad --engine '$engine' (libfuzzer or afl)" ;;
esac
mount=${TERNRIG_MOUNT:-}
[ -z "$mount" ] || [ -d "$mount" ] || die "TERNRIG_MOUNT=$mount is not a directory"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out=${out:-nightly-out/$(date -u +%Y%m%dT%H%M%SZ)}
# every output folder made, and written to once, before anything runs: a
# night whose results cannot be written is refused now, not lost at its end
if [ -e "$out" ] && [ ! -d "$out" ]; then
    die "--out $out is not a directory: give a fresh --out directory"
fi
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    die "$out is not empty: give a fresh --out directory"
fi
writable_dir() { # DIR WHAT: made (mkdir -p) and a file written in it, or die
    local err
    err=$(mkdir -p -- "$1" 2>&1) || die "cannot create $2 $1: ${err##*: }"
    err=$( (: >"$1/.ternrig-write-check") 2>&1) ||
        die "cannot write in $2 $1: ${err##*: }"
    rm -f -- "$1/.ternrig-write-check"
}
writable_dir "$out/logs" --out
out=$(cd "$out" && pwd)
if [ -n "$history" ]; then
    writable_dir "$history" --history
    history=$(cd "$history" && pwd)
fi
ternrig=${TERNRIG:-$root/build/ternrig}
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
deadline=$((start + budget_s))
reserve=$((budget_s / 20 + 5)) # for the report, kept back from every step
is_root_fuse=0
[ "$(id -u)" -eq 0 ] && [ -w /dev/fuse ] && is_root_fuse=1

left() { echo $((deadline - reserve - $(date +%s))); }

json_str() { # a JSON string literal of $1 (our own notes: no control chars)
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/ }
    s=${s//$'\t'/ }
    printf '"%s"' "$s"
}

# record NAME STATUS SECONDS LOG NOTE: one line of steps.jsonl
record() {
    printf '{"name":%s,"status":"%s","seconds":%s,"log":%s,"note":%s}\n' \
        "$(json_str "$1")" "$2" "$3" "$(json_str "$4")" "$(json_str "$5")" \
        >>"$out/steps.jsonl"
    printf '== %-28s %-5s %4ss  %s\n' "$1" "$2" "$3" "$5"
}

# step NAME SECONDS_ALLOWED -- CMD...: run under a time limit (SIGINT, then
# SIGKILL 10 s later), log to logs/NAME.log.  Sets $rc (124: out of time)
# and $took.
step() {
    local name=$1 limit=$2
    shift 3
    [ "$limit" -ge 1 ] || limit=1 # timeout 0 would mean no limit
    local log="$out/logs/${name//[^a-zA-Z0-9_-]/_}.log"
    local t0
    t0=$(date +%s)
    timeout -s INT -k 10 "$limit" "$@" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - t0))
    logrel=logs/$(basename "$log")
}

cat >"$out/meta.json" <<EOF
{"started":"$started","budget_s":$budget_s,"policy":"$policy","host":$(json_str "$(hostname)"),"commit":$(json_str "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"),"mount":$(json_str "${mount:-none}"),"jobs":$jobs}
EOF
: >"$out/steps.jsonl"
echo "ternrig nightly: budget ${budget_s}s, policy $policy, output in $out"

setup_failed=0
finish() {
    local rc=0
    if [ -x "$ternrig" ]; then
        local hist=()
        [ -n "$history" ] && hist=(--history "$history")
        "$ternrig" report --policy "$policy" --corpus "$root/corpus/traces" \
            "${hist[@]}" "$out" >"$out/logs/report.log" 2>&1
        rc=$?
        [ -s "$out/nightly.json" ] || rc=2
        if [ -n "$history" ] && [ -s "$out/nightly.json" ]; then
            cp "$out/nightly.json" "$history/nightly-${started//:/}.json"
        fi
        [ -s "$out/summary.md" ] && cat "$out/summary.md"
        cat "$out/logs/report.log"
    else
        rc=2
        printf '# ternrig nightly, %s\n\nSetup failed before ternrig was built: see logs/.\n' \
            "$started" >"$out/summary.md"
        cat "$out/summary.md"
    fi
    [ $setup_failed -eq 1 ] && rc=2
    local now=$(date +%s) set_s=0
    # the budget starts once setup and build are done (their own limit)
    [ -n "${budget_from:-}" ] && set_s=$((budget_from - start))
    echo "ternrig nightly: exit $rc after $((now - start))s: ${set_s}s of setup and build, then $((now - start - set_s))s of the ${budget_s}s budget; see $out"
    exit $rc
}

# --- 1. set up and build --------------------------------------------------
day=$((10#$(date -u +%j)))
if [ -z "$engine" ]; then
    engine=libfuzzer
    command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null &&
        [ $((day % 2)) -eq 1 ] && engine=afl
fi
preset=fuzz
[ "$engine" = afl ] && preset=afl
if [ $skip_setup -eq 0 ]; then
    # installing and building are not the night's work: they get their own
    # limit, and the budget starts when they are done
    step setup 1800 -- bash ci/setup.sh
    if [ $rc -ne 0 ]; then
        record setup error "$took" "$logrel" "ci/setup.sh failed (exit $rc)"
        setup_failed=1
        finish
    fi
    record setup pass "$took" "$logrel" "installed what was missing, built ./build"
    # both builds: the fuzz step hunts with the fast one (no sanitizer) and
    # gives the sanitized one its share (ternrig fuzz --sanitize-share)
    step fuzz-build 1800 -- bash -c "cmake --preset $preset-nosan && cmake --build --preset $preset-nosan -j $jobs && cmake --preset $preset && cmake --build --preset $preset -j $jobs"
    if [ $rc -ne 0 ]; then
        record fuzz-build error "$took" "$logrel" "cmake --preset $preset-nosan / $preset failed (exit $rc)"
        setup_failed=1
    else
        record fuzz-build pass "$took" "$logrel" "$engine targets (cmake --preset $preset-nosan and $preset)"
    fi
else
    record setup skip 0 "" "--skip-setup: using the existing build"
fi
[ -x "$ternrig" ] || { record setup error 0 "" "$ternrig is missing"; setup_failed=1; finish; }
budget_from=$(date +%s)
deadline=$((budget_from + budget_s)) # the budget is for what follows

# --- 2. tests ---------------------------------------------------------------
if [ $skip_tests -eq 1 ]; then
    record tests skip 0 "" "--skip-tests"
elif [ "$(left)" -le 0 ]; then
    record tests error 0 "" "no budget left for the tests"
    setup_failed=1
else
    # the whole suite takes about 4 minutes on 2 cores: a shorter share
    # runs the unit tests (model, oracle, trace, layers, CLI), not nothing
    tests_s=$(( $(left) * 6 / 10 ))
    select=() scope="all tests"
    if [ "$tests_s" -lt 300 ]; then
        select=(-R '^(test_[a-z_]*|layer_.*|codec_golden|corpus_all_policies|cli)$'
                -E '_asan$|^test_(fs|bpf_context|mountinfo)$')
        scope="unit tests only (a ${tests_s}s share is too short for all)"
    fi
    step tests "$tests_s" -- ctest --preset default -j "$jobs" "${select[@]}" --output-junit "$out/junit-ctest.xml"
    if [ $rc -eq 0 ]; then
        record tests pass "$took" "$logrel" "$scope: $(grep -Eo '[0-9]+% tests passed.*' "$out/logs/tests.log" | tail -1)"
    elif [ $rc -eq 124 ]; then
        # out of time is not a broken rig: say so, and go on
        record tests skip "$took" "$logrel" "$scope: stopped at its share of the budget (junit-ctest.xml)"
    else
        record tests error "$took" "$logrel" "$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$out/logs/tests.log" | tail -1) (junit-ctest.xml)"
        setup_failed=1
    fi
fi

# --- 3. the corpus ------------------------------------------------------------
# the model must meet every expectation (else ternrig itself is broken); a
# real replay that differs is a finding about the kernel or the filesystem
step corpus "$(left)" -- "$ternrig" corpus check "$root/corpus/traces"
if [ $rc -eq 0 ]; then
    record corpus pass "$took" "$logrel" "$(tail -1 "$out/logs/corpus.log" | sed 's/^corpus check: //')"
else
    record corpus error "$took" "$logrel" "the model does not meet the corpus (exit $rc)"
    setup_failed=1
fi
if [ $is_root_fuse -eq 1 ]; then
    for p in $("$ternrig" policies --no-bpf); do
        step "corpus-real-$p" "$(left)" -- "$ternrig" replay --real --policy "$p" --quiet "$root/corpus/traces"
        held=$(grep -E '^expectations hold' "$out/$logrel" | awk '{print $3}')
        case $rc in
        0) record "corpus (real, $p)" pass "$took" "$logrel" "$held traces meet their expectations on the embedded fs" ;;
        1) record "corpus (real, $p)" fail "$took" "$logrel" "only $held traces meet their expectations on the embedded fs" ;;
        *) record "corpus (real, $p)" error "$took" "$logrel" "real replay failed (exit $rc)"; setup_failed=1 ;;
        esac
    done
else
    record "corpus (real)" skip 0 "" "needs root and /dev/fuse"
fi
if [ -n "$mount" ]; then
    step corpus-mount "$(left)" -- "$ternrig" replay --mount "$mount" --policy "$policy" --quiet "$root/corpus/traces"
    case $rc in
    0) record "corpus on $mount" pass "$took" "$logrel" "policy $policy" ;;
    1) record "corpus on $mount" fail "$took" "$logrel" "the mount differs from the model of $policy: see the log" ;;
    *) record "corpus on $mount" error "$took" "$logrel" "replay --mount failed (exit $rc)"; setup_failed=1 ;;
    esac
fi

# --- 4. fuzz and stress share what is left -----------------------------------
stress_ok=0
"$ternrig" stress --help >/dev/null 2>&1 && stress_ok=1
remaining=$(left)
if [ $stress_ok -eq 1 ]; then
    fuzz_s=$((remaining * 6 / 10))
else
    fuzz_s=$remaining
fi

fuzz_dir=$root/build-$([ "$engine" = afl ] && echo afl || echo fuzz)/fuzz
nosan_dir=$root/build-$([ "$engine" = afl ] && echo afl || echo fuzz)-nosan/fuzz
# the engine build: every policy's byte-level target (no replay-only build)
fuzz_built() {
    local p
    for p in $(policy_names | tr - _); do
        [ -x "$fuzz_dir/fuzz_${p}_bytes" ] || return 1
    done
}
if ! fuzz_built; then
    record fuzz skip 0 "" "no $engine build in $fuzz_dir (cmake --preset $preset)"
elif [ "$fuzz_s" -lt 8 ]; then
    record fuzz skip 0 "" "budget too small (${fuzz_s}s left for fuzzing)"
else
    if [ -n "$history" ] && [ -d "$history/fuzz-corpus" ]; then
        mkdir -p "$out/fuzz/corpus" # last nights' minimized corpora
        for d in "$history/fuzz-corpus"/fuzz_*; do
            [ -d "$d" ] && cp -r "$d" "$out/fuzz/corpus/"
        done
    fi
    # ternrig fuzz runs over its --time by a second or two per round, and
    # stops cleanly on SIGINT: aim short, interrupt at the share
    aim=$((fuzz_s - fuzz_s / 5 - 3))
    step fuzz "$fuzz_s" -- "$ternrig" fuzz --all --engine "$engine" --fuzz-dir "$fuzz_dir" \
        --nosan-dir "$nosan_dir" --sanitize-share 20 \
        --time "${aim}s" --jobs "$jobs" --out "$out/fuzz"
    case $rc in
    0 | 1 | 124) record fuzz pass "$took" "$logrel" "$engine, all policies, ${aim}s on $jobs cores (80% without sanitizers, 20% ASan+UBSan)$([ $rc -eq 124 ] && echo ', stopped at its share')" ;;
    *) record fuzz error "$took" "$logrel" "ternrig fuzz failed (exit $rc)"; setup_failed=1 ;;
    esac
    if [ -n "$history" ] && [ "$engine" = libfuzzer ] && [ "$(left)" -gt 5 ]; then
        step fuzz-corpus-min "$(left)" -- "$ternrig" corpus min --fuzz-dir "$fuzz_dir" \
            --out "$history/fuzz-corpus" "$out/fuzz"
        [ $rc -eq 0 ] && record "fuzz corpus min" pass "$took" "$logrel" "kept in $history/fuzz-corpus for the next night" ||
            record "fuzz corpus min" fail "$took" "$logrel" "ternrig corpus min failed (exit $rc)"
    fi
fi

# stress RUN LIMIT ARGS...: one `ternrig stress` run into stress/RUN/
stress_run() {
    local run=$1 limit=$2
    shift 2
    local dir=$out/stress/$run
    mkdir -p "$dir"
    local secs=$((limit - limit / 5 - 3))
    step "stress-$run" "$limit" -- "$ternrig" stress --duration "${secs}s" --report "$dir/stress.json" \
        --junit "$dir/junit.xml" --out "$dir" "$@"
    case $rc in
    0) record "stress ($run)" pass "$took" "$logrel" "${secs}s, no violation" ;;
    1) if [ "$run" = control ]; then
           record "stress ($run)" fail "$took" "$logrel" "false alarm: violations on a correct filesystem judged from looks alone"
       else
           record "stress ($run)" pass "$took" "$logrel" "${secs}s, violations found (see the findings)"
       fi ;;
    124) record "stress ($run)" pass "$took" "$logrel" "stopped at its share of the budget" ;;
    *) record "stress ($run)" error "$took" "$logrel" "ternrig stress failed (exit $rc)"; setup_failed=1 ;;
    esac
}
# control_mount LIMIT: `ternrig fs --policy reference` without --log in a
# temporary directory, stormed through --mount (looks only), unmounted on
# every path out
control_dir=
control_down() {
    [ -n "$control_dir" ] || return 0
    [ -n "${control_fs:-}" ] && kill -TERM "$control_fs" 2>/dev/null && wait "$control_fs" 2>/dev/null
    mountpoint -q "$control_dir/mnt" 2>/dev/null && umount -l "$control_dir/mnt"
    rm -rf "$control_dir"
    control_dir=
}
control_mount() {
    control_dir=$(mktemp -d /tmp/ternrig-control.XXXXXX)
    trap control_down EXIT
    mkdir "$control_dir/mnt"
    "$ternrig" fs "$control_dir/mnt" --policy reference >"$out/logs/control-fs.log" 2>&1 &
    control_fs=$!
    for _ in $(seq 250); do mountpoint -q "$control_dir/mnt" && break; sleep 0.02; done
    if mountpoint -q "$control_dir/mnt"; then
        stress_run control "$1" --mount "$control_dir/mnt" --policy reference --seed 1
    else
        record "stress (control)" error 0 "logs/control-fs.log" "ternrig fs did not mount"
        setup_failed=1
    fi
    control_down
    trap - EXIT
}
if [ $stress_ok -eq 0 ]; then
    record stress skip 0 "" "stress: not available (this ternrig has no stress command)"
else
    runs=0
    [ $is_root_fuse -eq 1 ] && runs=$((runs + 2)) # embedded, and the control
    [ -n "$mount" ] && runs=$((runs + 1))
    if [ $runs -eq 0 ]; then
        record stress skip 0 "" "the embedded fs needs root and /dev/fuse; TERNRIG_MOUNT not set"
    else
        share=$(($(left) / runs))
        if [ $share -lt 8 ]; then
            record stress skip 0 "" "budget too small (${share}s per run)"
        else
            if [ $is_root_fuse -eq 1 ]; then
                # the embedded fs runs the policies that need no BPF
                emb_policy=reference
                "$ternrig" policies --no-bpf | grep -xF -- "$policy" >/dev/null && emb_policy=$policy
                stress_run embedded "$share" --policy "$emb_policy"
                # the positive control: a correct filesystem mounted without
                # a flush log, stormed as a foreign mount, must be clean
                control_mount "$share"
            else
                record "stress (embedded)" skip 0 "" "needs root and /dev/fuse"
            fi
            [ -n "$mount" ] && stress_run mount "$share" --mount "$mount" --policy "$policy"
        fi
    fi
fi

# --- 5. the report ------------------------------------------------------------
finish
