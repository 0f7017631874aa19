#!/usr/bin/env bash
# stress.sh TERNRIG SECONDS - the storm's controls and hygiene, for real.
#
# Controls: the embedded filesystem under reference is clean; under
# fuse-naive the storm finds early-seal and visible-after-abort; on tmpfs it
# finds early-seal.  Each check is also shown to fail when its condition is
# broken: "clean" is checked against fuse-naive's run (must say not clean)
# and "finds early-seal" against reference's (must say not found).
# Hygiene: after each run, and after the rig itself is SIGKILLed mid-run,
# no process, mount or temporary directory of it remains (the next run
# cleans what the killed one left).  Reports: JSON and JUnit parse, a
# reproducer replays in the model and for real with its finding.
# Needs root and /dev/fuse: skipped (exit 77) with the reason otherwise.
set -u
T=$1
SECS=${2:-6}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
work=$(mktemp -d /tmp/ternrig-stresstest.XXXXXX)
tmpfs="$work/mnt"
cleanup() {
    mountpoint -q "$tmpfs" 2>/dev/null && umount -l "$tmpfs"
    rm -rf "$work"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# count of a kind in a JSON report (0 when absent)
count() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["by_kind"].get(sys.argv[2], 0))' "$1" "$2"
}
violations() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["violations"])' "$1"
}
is_clean() { [ "$(violations "$1")" -eq 0 ]; }
finds() { [ "$(count "$1" "$2")" -gt 0 ]; }

# nothing of ours left: mounts, temp dirs, processes working in them (what
# existed before this test started is someone else's)
snapshot() {
    { grep ' fuse.ternrig ' /proc/mounts | cut -d' ' -f2
      ls -d /tmp/ternrig-stress-* /tmp/ternrig-real-* 2>/dev/null; } | sort
}
before=$(snapshot)
leftovers() {
    local what="" x
    for x in $(comm -13 <(echo "$before") <(snapshot)); do
        what="$what $x;"
    done
    for p in /proc/[0-9]*; do
        c=$(readlink "$p/cwd" 2>/dev/null) || continue
        case "$c" in */ternrig-stress-*|/tmp/ternrig-real-*) ;; *) continue ;; esac
        for x in $before; do case "$c" in "$x"*) continue 2 ;; esac; done
        what="$what process ${p#/proc/} in $c;"
    done
    echo "$what"
}

storm() { # name, then ternrig stress arguments
    local name=$1 rc c; shift
    # a crash leaves a core in its own folder, and its backtrace in the log
    mkdir -p "$work/cores-$name"
    (cd "$work/cores-$name" && ulimit -c unlimited 2>/dev/null
     exec "$T" stress --duration "$SECS" --workers 2 --quiet \
        --report "$work/$name.json" --junit "$work/$name.xml" \
        --out "$work/$name" "$@") >"$work/$name.out" 2>&1
    rc=$?
    if [ $rc -ge 128 ]; then
        { echo "ternrig stress ($name) died of signal $((rc - 128)); its output:"
          cat "$work/$name.out"
          for c in "$work/cores-$name"/core*; do
              [ -f "$c" ] && command -v gdb >/dev/null &&
                  gdb -batch -ex 'thread apply all bt' "$T" "$c" 2>&1 | tail -60
          done; } >&2
    fi
    echo $rc
}

rc=$(storm reference --policy reference --seed 1)
[ "$rc" -eq 0 ] || bad "reference: exit $rc, want 0"; cat "$work/reference.out" | sed -n '/violation /,/create-failed/p'
is_clean "$work/reference.json" || bad "the embedded fs under reference is not clean"
left=$(leftovers); [ -z "$left" ] || bad "after the reference run:$left"

rc=$(storm naive --policy fuse-naive --seed 2)
[ "$rc" -eq 1 ] || bad "fuse-naive: exit $rc, want 1"
finds "$work/naive.json" early-seal || bad "fuse-naive: no early-seal found"
finds "$work/naive.json" visible-after-abort || bad "fuse-naive: no visible-after-abort found"
left=$(leftovers); [ -z "$left" ] || bad "after the fuse-naive run:$left"
# the checks can fail: "clean" fails on fuse-naive, "finds" on reference
is_clean "$work/naive.json" && bad "the clean check passes a broken filesystem"
finds "$work/reference.json" early-seal && bad "the early-seal check fires on reference"

mkdir -p "$tmpfs" && mount -t tmpfs ternrig-test "$tmpfs" || { echo "SKIP part: no tmpfs"; }
if mountpoint -q "$tmpfs"; then
    touch "$tmpfs/not-ours"
    rc=$(storm tmpfs --mount "$tmpfs" --seed 3)
    [ "$rc" -eq 1 ] || bad "tmpfs: exit $rc, want 1"
    finds "$work/tmpfs.json" early-seal || bad "tmpfs: no early-seal found"
    [ "$(ls -A "$tmpfs")" = "not-ours" ] || bad "tmpfs: the storm left or removed something: $(ls -A "$tmpfs")"
    # the content check can fail: workers writing the wrong pattern
    storm corrupt --mount "$tmpfs" --seed 4 --duration 2 --test-corrupt-content >/dev/null
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["totals"]["content_mismatches"] > 0 else 1)' "$work/corrupt.json" ||
        bad "content written wrong was not noticed"
    umount "$tmpfs"
fi

# reports parse; a reproducer replays with its finding
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/naive.json" || bad "JSON report does not parse"
python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.find("testsuite").get("failures") != "0"' "$work/naive.xml" || bad "JUnit XML does not parse or shows no failure"
repro=$(ls "$work"/naive/reproducers/early-seal-*.trace 2>/dev/null | head -1)
if [ -n "$repro" ]; then
    "$T" replay -v --policy fuse-naive "$repro" | grep -q 'violation early-seal' ||
        bad "$repro: the model does not show the early-seal"
    "$T" replay --real --policy fuse-naive "$repro" >"$work/replay.out" 2>&1
    grep -q 'violation' "$work/replay.out" || bad "$repro: no violation in a real replay"
else
    bad "no early-seal reproducer written"
fi

# a spawner killed mid-run: its worker makes another and the storm goes on
# (the run it was serving fails, no other)
"$T" stress --duration 4 --workers 2 --quiet --kill-rate 0 --calibrate \
    --report "$work/spawner.json" --out "$work/spawner" >"$work/spawner.out" 2>&1 &
rig=$!
for _ in $(seq 250); do [ "$(pgrep -xc ternrig-spawner)" -ge 2 ] && break; sleep 0.02; done
old=$(pgrep -x ternrig-spawner | sort)
[ -n "$old" ] || bad "no ternrig-spawner process during a storm"
pkill -KILL -x ternrig-spawner
new=""
for _ in $(seq 250); do
    new=$(comm -13 <(echo "$old") <(pgrep -x ternrig-spawner | sort))
    [ -n "$new" ] && break
    sleep 0.02
done
[ -n "$new" ] || bad "a killed spawner was not replaced"
wait $rig; rc=$?
[ $rc -eq 0 ] || bad "storm with its spawners killed: exit $rc, want 0"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]
sys.exit(0 if t["failed_runs"] <= 2 and t["violations"] == 0 else 1)' \
    "$work/spawner.json" || bad "spawners killed: more than one failed run per worker, or a violation"
left=$(leftovers); [ -z "$left" ] || bad "after the spawners were killed:$left"
# --calibrate: the raw rates, one loop and all CPUs at once, in the report
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["rates"]
sys.exit(0 if all(a.get(k, 0) > 0 for k in ("raw_fork_exit_wait_per_s",
    "raw_fork_exec_per_s", "raw_fork_exit_wait_all_cpus_per_s",
    "raw_fork_exec_all_cpus_per_s", "cpus")) else 1)' "$work/spawner.json" ||
    bad "--calibrate: raw rates missing from the report"

# the binary replaced mid-run, as a rebuild does: a task execs the very
# file the storm started with (REAL_EXE_FD), so no run fails.  Killing the
# spawners after the swap makes the workers start new ones, whose path to
# the binary is a deleted file's (every exec of theirs failed: 1,295 of
# 2,139 runs of a 30 s storm)
cp "$T" "$work/rig"
"$work/rig" stress --duration 5 --workers 2 --quiet --kill-rate 0 \
    --report "$work/swap.json" --out "$work/swap" >"$work/swap.out" 2>&1 &
rig=$!
for _ in $(seq 250); do [ "$(pgrep -xc ternrig-spawner)" -ge 2 ] && break; sleep 0.02; done
rm -f "$work/rig" && cp "$T" "$work/rig.new" && mv "$work/rig.new" "$work/rig"
pkill -KILL -x ternrig-spawner
wait $rig; rc=$?
[ $rc -eq 0 ] || bad "storm with its binary replaced: exit $rc, want 0"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]
sys.exit(0 if t["failed_runs"] <= 2 and t["execs"] > 0 and t["violations"] == 0 else 1)' \
    "$work/swap.json" || bad "binary replaced mid-run: runs failed (or no exec ran, or a violation)"
left=$(leftovers); [ -z "$left" ] || bad "after the binary was replaced:$left"

# a storm most of whose runs fail judged next to nothing: exit 2, said
# (the control: every run's tasks are sent to a directory they cannot enter)
"$T" stress --duration 2 --workers 2 --quiet --test-fail-runs \
    --report "$work/failing.json" --out "$work/failing" >"$work/failing.out" 2>&1
rc=$?
if [ $rc -ne 2 ] || ! grep -q 'runs failed (.*failed-runs says why): the storm did not exercise' "$work/failing.out"; then
    bad "every run failed: exit $rc, want 2 with the reason"; sed 's/^/    /' "$work/failing.out" | head -5
fi
left=$(leftovers); [ -z "$left" ] || bad "after a storm of failed runs:$left"

# the rig SIGKILLed mid-run: its processes go with it, the next run cleans
"$T" stress --duration 60 --workers 2 --quiet --out "$work/killed" >/dev/null 2>&1 &
rig=$!
for _ in $(seq 200); do grep -q ' fuse.ternrig ' /proc/mounts && break; sleep 0.02; done
sleep 1
kill -9 $rig
wait $rig 2>/dev/null
for _ in $(seq 250); do
    left=$(leftovers)
    case "$left" in *process*) sleep 0.02 ;; *) break ;; esac
done
case "$left" in *process*) bad "SIGKILLed rig left processes:$left" ;; esac
"$T" stress --duration 1 --workers 1 --quiet --kill-rate 0 --out "$work/next" \
    >"$work/next.out" 2>&1
grep -q 'cleaned up after a storm that was killed' "$work/next.out" ||
    bad "the next run did not clean up after the killed one"
left=$(leftovers); [ -z "$left" ] || bad "after the killed rig and the next run:$left"

# usage errors: exit 2, clear message
"$T" stress --duration 5x >/dev/null 2>&1; [ $? -eq 2 ] || bad "bad --duration: not exit 2"
"$T" stress --mount /nonexistent --duration 1 >"$work/nm.out" 2>&1
[ $? -eq 2 ] && grep -q '/nonexistent' "$work/nm.out" || bad "missing --mount: not a clear exit 2"

[ $fail -eq 0 ] && echo "stress controls and hygiene: all hold ($SECS s storms)"
exit $fail
