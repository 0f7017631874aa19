#!/usr/bin/env bash
# real_replay.sh TERNRIG CORPUS POLICY - replay the corpus for real on the
# embedded filesystem under POLICY: every trace that user space can run must
# meet its expectations on the real kernel; no mount or task may be left.
# Needs root and /dev/fuse: skipped (exit 77) with the reason otherwise.
set -u
T=$1
CORPUS=$2
POLICY=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# ternrig mounts and real tasks that are not this test's (a storm someone
# runs beside it) are not leftovers of it
mounts() { grep ' fuse.ternrig ' /proc/mounts | cut -d' ' -f2 | sort; }
mounts_before=$(mounts)
new_mounts() { comm -13 <(echo "$mounts_before") <(mounts) | grep .; }
tasks_before=$(pgrep -f "$T __task" | sort)
dirs_before=$(ls -d /tmp/ternrig-real-* 2>/dev/null | sort)
new_dirs() { comm -13 <(echo "$dirs_before") <(ls -d /tmp/ternrig-real-* 2>/dev/null | sort) | grep .; }
new_tasks() { comm -13 <(echo "$tasks_before") <(pgrep -f "$T __task" | sort) | grep .; }
"$T" replay --real --policy "$POLICY" "$CORPUS" >"$out" 2>&1
rc=$?
grep -E '^(FAIL|SKIP)|expectation failed|real replay failed' "$out"
tail -n 2 "$out"
ran=$(grep -c '^PASS' "$out")
[ "$rc" -eq 0 ] || { echo "exit $rc"; exit 1; }
[ "$ran" -ge 62 ] || { echo "only $ran traces ran for real"; exit 1; }
# only what user space cannot do may be skipped (a kernel thread): SPEC
# v2's tmpfile, link, open and closetracker_map run for real
if grep '^SKIP' "$out" | grep -v 'a kernel thread'; then
    echo "the real executor skipped traces it must run"; exit 1
fi
if new_mounts >/dev/null; then echo "a ternrig mount is left"; exit 1; fi
if new_tasks >/dev/null; then echo "real tasks are left"; exit 1; fi
# Ctrl-C in the middle of a run: nothing may be left behind
"$T" replay --real --policy "$POLICY" "$CORPUS" "$CORPUS" "$CORPUS" "$CORPUS" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do new_mounts >/dev/null && break; sleep 0.02; done
sleep 0.1
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || [ "$rc" -eq 0 ] || { echo "SIGINT: exit $rc"; exit 1; }
for _ in $(seq 100); do new_mounts >/dev/null || break; sleep 0.02; done
if new_mounts >/dev/null; then echo "SIGINT left a mount"; exit 1; fi
if new_tasks >/dev/null; then echo "SIGINT left real tasks"; exit 1; fi
if new_dirs >/dev/null; then echo "SIGINT left a temp dir"; exit 1; fi
echo "real replay under $POLICY: $ran traces pass; Ctrl-C leaves nothing"
