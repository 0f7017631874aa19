#!/usr/bin/env bash
# stress/bench.sh [TERNRIG] [SECONDS] - the storm's figures, printed:
#   - this machine's raw fork+exit+wait and fork+exec rates (one loop, and
#     one loop per CPU at once), and the storm's forks/s and execs/s as a
#     ratio of the one loop's (same run, --calibrate);
#   - the ledger and observer overhead: scenarios/s with both against a run
#     with both off (--no-ledger), same seed, same duration;
#   - time to first violation on the embedded fs under fuse-naive and on
#     tmpfs (the negative controls);
#   - with perf installed: the storm's CPU time per scenario and per fork
#     over its whole process tree.
# A violation under reference is kept: the run's reproducers and report are
# copied to ./stress-bench-violations.XXXXXX (BENCH_KEEP_DIR: elsewhere).
# Needs root and /dev/fuse.  Run it on a quiet machine: the figures are
# rates.  It copies the binary first, so a rebuild meanwhile cannot touch
# the run.
set -eu
T=${1:-build/ternrig}
SECS=${2:-20}
[ "$(id -u)" -eq 0 ] || { echo "stress/bench.sh: needs root" >&2; exit 2; }
work=$(mktemp -d /tmp/ternrig-stressbench.XXXXXX)
mnt="$work/mnt"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
cp "$T" "$work/ternrig"
T="$work/ternrig"
field() { python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); v=r
for k in sys.argv[2].split("."): v=v.get(k, {}) if isinstance(v, dict) else {}
print(v if v != {} else "-")' "$1" "$2"; }

# With perf (linux-perf), the "with" run's CPU time over its whole process
# tree (task-clock counts every task, reaped or not): a figure the load
# hardly moves, unlike the rates.
cpu=()
command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 && cpu=(perf stat -x, -e task-clock)
run() { # name, args...
    local name=$1; shift
    local pre=()
    [ "$name" = with ] && [ ${#cpu[@]} -gt 0 ] && pre=("${cpu[@]}" -o "$work/$name.cpu" --)
    ${pre[@]+"${pre[@]}"} "$T" stress --quiet --seed 42 --out "$work/$name" --report "$work/$name.json" "$@" \
        >"$work/$name.out" 2>&1 || true
}

echo "== raw rates and the storm's, ${SECS} s, policy reference"
run with --duration "$SECS" --calibrate
echo "== the same without ledger and observer"
run without --duration "$SECS" --no-ledger
echo "== time to first violation"
run naive --duration 10 --policy fuse-naive
mkdir -p "$mnt" && mount -t tmpfs ternrig-bench "$mnt"
run tmpfs --duration 10 --mount "$mnt"

raw_f=$(field "$work/with.json" rates.raw_fork_exit_wait_per_s)
raw_e=$(field "$work/with.json" rates.raw_fork_exec_per_s)
raw_fa=$(field "$work/with.json" rates.raw_fork_exit_wait_all_cpus_per_s)
raw_ea=$(field "$work/with.json" rates.raw_fork_exec_all_cpus_per_s)
f=$(field "$work/with.json" rates.forks_per_s)
e=$(field "$work/with.json" rates.execs_per_s)
s1=$(field "$work/with.json" rates.scenarios_per_s)
s0=$(field "$work/without.json" rates.scenarios_per_s)
printf '\n%-44s %12s\n' "figure" "value"
printf '%-44s %12s\n' "raw fork+exit+wait per s" "$raw_f"
printf '%-44s %12s\n' "raw fork+exec+wait per s" "$raw_e"
printf '%-44s %12s\n' "raw fork+exit+wait per s, all CPUs at once" "$raw_fa"
printf '%-44s %12s\n' "raw fork+exec+wait per s, all CPUs at once" "$raw_ea"
printf '%-44s %12s  (%s%% of raw)\n' "storm forks per s" "$f" \
    "$(python3 -c "print(round(100*$f/$raw_f,1))")"
printf '%-44s %12s  (%s%% of raw)\n' "storm execs per s" "$e" \
    "$(python3 -c "print(round(100*$e/$raw_e,1))")"
printf '%-44s %12s\n' "scenarios per s, ledger + observer" "$s1"
printf '%-44s %12s\n' "scenarios per s, neither" "$s0"
printf '%-44s %12s\n' "ledger + observer overhead" \
    "$(python3 -c "print(str(round(100*(1-$s1/$s0),1))+'%')")"
printf '%-44s %12s\n' "failed runs, with / without (both ~0)" \
    "$(field "$work/with.json" totals.failed_runs) / $(field "$work/without.json" totals.failed_runs)"
if [ -s "$work/with.cpu" ]; then
    ms=$(awk -F, '/task-clock/ {print $1}' "$work/with.cpu")
    printf '%-44s %12s\n' "CPU ms per scenario (whole tree, perf)" \
        "$(python3 -c "print(round($ms/max(1,$(field "$work/with.json" totals.scenarios)),1))")"
    printf '%-44s %12s\n' "CPU ms per fork (whole tree, perf)" \
        "$(python3 -c "print(round($ms/max(1,$(field "$work/with.json" totals.forks)),2))")"
fi
printf '%-44s %12s\n' "violations, reference (must be 0)" "$(field "$work/with.json" totals.violations)"
printf '%-44s %12s\n' "first early-seal, fuse-naive (s)" "$(field "$work/naive.json" first_detection.early-seal)"
printf '%-44s %12s\n' "first visible-after-abort, fuse-naive (s)" "$(field "$work/naive.json" first_detection.visible-after-abort)"
printf '%-44s %12s\n' "first early-seal, tmpfs (s)" "$(field "$work/tmpfs.json" first_detection.early-seal)"
# a violation under reference is a finding, not a figure: its reproducers
# and report outlive the bench's temporary directory
v=$(field "$work/with.json" totals.violations)
if [ "$v" != "-" ] && [ "$v" -gt 0 ]; then
    keep=$(mktemp -d "${BENCH_KEEP_DIR:-$PWD}/stress-bench-violations.XXXXXX")
    cp -r "$work/with" "$work/with.json" "$keep/"
    echo "the reference run's violations (reproducers, report): $keep"
fi
