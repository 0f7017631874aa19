#!/usr/bin/env bash
# foreign_mount.sh TERNRIG CORPUS SECONDS - a mount the rig did not make, as
# a TernFS engineer points the rig at their own: `ternrig fs` started by
# hand, with and without its flush log, stormed and replayed through
# --mount.
#
# Positive control: a correct filesystem (ternrig fs --policy reference)
# without a log, where the judge has only looks, is clean: storm and the
# whole corpus through `replay --mount`.  Negative controls on the same
# setup: fuse-naive is caught (early-seal and visible-after-abort, in a
# 10 s storm); fuse-closetracker (BPF) shows lost files, proved by looks.
# Every reproducer of those storms replays to the same finding in the
# model.  The combinations the README offers: the embedded fs's log found
# through user.ternrig.log, and --no-log.  Bad --mount gives exit 2.
# Needs root and /dev/fuse: skipped (exit 77) with the reason otherwise.
set -u
T=$1
CORPUS=$2
SECS=${3:-6}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
work=$(mktemp -d /tmp/ternrig-foreigntest.XXXXXX)
mnt="$work/mnt"
mkdir "$mnt"
fs_pid=
unmount() {
    if [ -n "$fs_pid" ]; then
        kill -TERM "$fs_pid" 2>/dev/null
        wait "$fs_pid" 2>/dev/null
        fs_pid=
    fi
    mountpoint -q "$mnt" 2>/dev/null && { fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"; }
    return 0
}
cleanup() { unmount; rm -rf "$work"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# mount ternrig fs by hand (a foreign mount to the rig): policy, fs args...
mount_fs() {
    unmount
    "$T" fs "$mnt" --policy "$@" >"$work/fs.out" 2>&1 &
    fs_pid=$!
    for _ in $(seq 250); do mountpoint -q "$mnt" && return 0; sleep 0.02; done
    echo "ternrig fs did not mount: $(cat "$work/fs.out")"
    return 1
}

json() { # file, python expression over r
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
storm() { # name, then ternrig stress arguments
    local name=$1; shift
    "$T" stress --mount "$mnt" --workers 2 --quiet \
        --report "$work/$name.json" --out "$work/$name" "$@" \
        >"$work/$name.out" 2>&1
    echo $?
}
# every reproducer replays in the model under POLICY with its finding
# (each holds its own `expect[POLICY] violation KIND F`)
replays() { # name, policy
    local n=0 f
    for f in "$work/$1"/reproducers/*.trace; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        "$T" replay --policy "$2" "$f" >"$work/r.out" 2>&1
        grep -q '^PASS .*(1 expectation)' "$work/r.out" ||
            bad "$f does not replay to its finding in the model: $(head -3 "$work/r.out")"
    done
    [ "$n" -gt 0 ] || bad "$1: no reproducer written"
    echo "$1: $n reproducers replay to their finding in the model"
}

# --- positive control: a correct fs, no log: looks alone, clean
mount_fs reference || exit 1
rc=$(storm ref-nolog --duration "$SECS" --seed 3)
[ "$rc" -eq 0 ] || bad "reference without a log: exit $rc, want 0: $(sed -n '/violation /,$p' "$work/ref-nolog.out" | head -12)"
[ "$(json "$work/ref-nolog.json" 'r["flush_log"]')" = False ] || bad "reference without a log: the storm claims a flush log"
[ "$(json "$work/ref-nolog.json" 'r["totals"]["sealed"] > 0')" = True ] || bad "reference without a log: no seal seen at all"
"$T" replay --mount "$mnt" -q "$CORPUS" >"$work/replay-ref.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || bad "replay --mount of the corpus on reference without a log: exit $rc: $(grep -A4 '^FAIL' "$work/replay-ref.out" | head -20)"
grep -q 'left open: judged from looks alone' "$work/replay-ref.out" ||
    bad "replay --mount without a log does not say which expectations it cannot judge"
tail -n 3 "$work/replay-ref.out"
# the same corpus judged as reference on a fuse-naive mount must fail (the
# replay check can fail)
mount_fs fuse-naive || exit 1
"$T" replay --mount "$mnt" --policy reference -q "$CORPUS" >"$work/replay-wrong.out" 2>&1
[ $? -eq 1 ] || bad "replay --mount: reference expectations hold on a fuse-naive mount"
"$T" replay --mount "$mnt" -q "$CORPUS" >"$work/replay-naive.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || bad "replay --mount of the corpus on fuse-naive without a log: exit $rc: $(grep -A4 '^FAIL' "$work/replay-naive.out" | head -20)"

# --- negative control: fuse-naive caught from looks alone in 10 s
rc=$(storm naive --duration 10 --seed 4)
[ "$rc" -eq 1 ] || bad "fuse-naive without a log: exit $rc, want 1"
for k in early-seal visible-after-abort; do
    t=$(json "$work/naive.json" "r['first_detection'].get('$k', -1)")
    python3 -c "import sys; sys.exit(0 if 0 <= $t < 10 else 1)" ||
        bad "fuse-naive without a log: $k not found within 10 s ($t)"
    echo "fuse-naive without a log: first $k after $t s"
done
[ "$(json "$work/naive.json" 'r["by_kind"].get("lost-file", 0)')" = 0 ] ||
    bad "fuse-naive seals at every flush, yet a lost-file was reported"
replays naive fuse-naive

# --- lost files proved by looks (fuse-closetracker needs BPF)
if mount_fs fuse-closetracker; then
    rc=$(storm tracker --duration "$SECS" --seed 5)
    [ "$rc" -eq 1 ] || bad "fuse-closetracker without a log: exit $rc, want 1"
    [ "$(json "$work/tracker.json" 'r["by_kind"].get("lost-file", 0) > 0')" = True ] ||
        bad "fuse-closetracker without a log: no lost-file"
    grep -q 'look: f[0-9]* not visible' "$work/tracker.out" ||
        bad "a lost-file's evidence does not cite the look that proved it"
    replays tracker fuse-closetracker
else
    echo "SKIP part: fuse-closetracker needs BPF contexts here: $(cat "$work/fs.out")"
fi

# --- the embedded fs with its log, found through user.ternrig.log; and --no-log
mount_fs reference --log "$work/flush.log" || exit 1
rc=$(storm ref-log --duration "$SECS" --seed 6)
[ "$rc" -eq 0 ] || bad "reference with its log: exit $rc, want 0"
[ "$(json "$work/ref-log.json" 'r["flush_log"]')" = True ] || bad "--mount did not find the log through user.ternrig.log"
rc=$(storm ref-nolog2 --duration 3 --seed 7 --no-log)
[ "$rc" -eq 0 ] || bad "reference with --no-log: exit $rc, want 0"
[ "$(json "$work/ref-nolog2.json" 'r["flush_log"]')" = False ] || bad "--no-log still used the flush log"

# --- a mount that is not there
"$T" stress --mount "$work/missing" --duration 1 --quiet >"$work/missing.out" 2>&1
[ $? -eq 2 ] && grep -q "missing" "$work/missing.out" || bad "stress --mount of a missing dir: not a clear exit 2"
"$T" replay --mount "$work/missing" "$CORPUS" >"$work/missing.out" 2>&1
[ $? -eq 2 ] && grep -q "missing" "$work/missing.out" || bad "replay --mount of a missing dir: not a clear exit 2"

unmount
[ "$fail" -eq 0 ] && echo "foreign mounts: every control holds"
exit $fail
