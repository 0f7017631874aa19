#!/usr/bin/env bash
# real_schedule.sh TERNRIG CORPUS - the two kill-order traces of the corpus
# (a process whose thread holds a private fd table, killed in both orders:
# SPEC v2 `kill p order ...`) run for real under kmod-2024, which decides
# on the leader's mm, and conform judged by the schedule the kernel took,
# each report line naming it.  First with the exit order forced (ptrace
# stops each dying thread at its exit and releases them in the written
# order): both run "as written".  Then with TERNRIG_NO_PTRACE=1, the order
# left to the kernel: each line says "as written" or "schedule taken: line
# N: kill p order ...", and still conforms, with no rerun.  Needs root,
# /dev/fuse and BPF: skipped loudly (exit 77) otherwise.
set -u
T=$1
CORPUS=$2
skip() { echo "SKIP: $*" | tee /dev/stderr; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to mount FUSE, BPF and ptrace"
[ -w /dev/fuse ] || skip "needs /dev/fuse"
probe=$("$T" fs --probe 2>&1) || skip "no BPF contexts: $probe"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
traces=("$CORPUS/kill-order-leader-first.trace"
        "$CORPUS/kill-order-thread-with-private-table-first.trace")
fail=0
check() { # MODE: each trace conforms, and its line names the schedule
    local mode=$1
    for f in "${traces[@]}"; do
        line=$(grep -F "kmod-2024 $f (" "$out")
        [ -n "$line" ] || { echo "$mode: no report line for $f"; fail=1; continue; }
        echo "$line" | grep -q '^CONFORMS ' ||
            { echo "$mode: $f does not conform"; fail=1; }
        echo "$line" | grep -Eq '; (as written|schedule taken: line [0-9]+: kill p order [pt] [pt])\)$' ||
            { echo "$mode: the line does not name the schedule: $line"; fail=1; }
    done
    grep -q '^schedules: ' "$out" || { echo "$mode: no schedule counts"; fail=1; }
}
"$T" conform --policy kmod-2024 -v "${traces[@]}" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" -eq 0 ] || { echo "forced: exit $rc"; fail=1; }
check forced
for f in "${traces[@]}"; do
    grep -F "kmod-2024 $f (" "$out" | grep -q '; as written)$' ||
        { echo "forced: $f did not run as written"; fail=1; }
done
grep -q 'exit order forced with ptrace: 2 statements, 0 could not be' "$out" ||
    { echo "forced: ptrace did not force both kills"; fail=1; }
TERNRIG_NO_PTRACE=1 "$T" conform --policy kmod-2024 -v "${traces[@]}" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" -eq 0 ] || { echo "unforced: exit $rc"; fail=1; }
check unforced
grep -q 'exit order forced with ptrace: 0 statements' "$out" ||
    { echo "unforced: ptrace was used"; fail=1; }
if grep ' fuse.ternrig ' /proc/mounts | grep -q ternrig-real; then
    echo "a ternrig mount is left"; fail=1
fi
exit $fail
