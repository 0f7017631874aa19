#!/usr/bin/env bash
# watch.sh TERNRIG SRCDIR - `ternrig watch` on real programs, for real, on
# the embedded filesystem, with outcomes that follow from SPEC.md:
#  - bash's `echo hello > out` seals out empty under reference and
#    fuse-naive (open, dup2, close: the creator's first conscious close
#    comes before the write): exit 3;
#  - a Python open/write/close seals all 13 bytes under both;
#  - a write around a subprocess (whose child closes the inherited fd) is
#    whole under reference, truncated under fuse-naive (every flush seals);
#  - a C program that exits without closing: aborted under reference (a
#    dying creator), sealed whole under fuse-naive.
# Plus exit codes, --json, --mount, the time limit, leftover processes, and
# SIGINT: no mount, process or temporary directory may be left behind.
# The usage checks run anywhere; the rest needs root and /dev/fuse and is
# skipped (exit 77, with the reason) without them.
set -u
T=$1
SRC=$2
source "$(dirname "$0")/checks.sh"
own_mount=""
cleanup() {
    [ -n "$own_mount" ] && { fusermount3 -u "$own_mount" 2>/dev/null || umount -l "$own_mount" 2>/dev/null; }
    rm -rf "$tmp"
}
trap cleanup EXIT
# a failure, with the output that shows it
fail() { bad "$1"; sed 's/^/    /' "$tmp/out" | head -30; }

# The mount a report names ("under P on DIR:") must be gone, and its dir.
check_gone() {
    local name=$1 dir
    dir=$(sed -n 's/^  under [a-z-]* on \([^:]*\):.*/\1/p' "$tmp/out" | head -1)
    [ -n "$dir" ] || dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mount"])' "$tmp/out" 2>/dev/null)
    if [ -z "$dir" ]; then fail "$name: no mount named in the report"; return; fi
    if grep -q " $dir " /proc/mounts; then fail "$name: $dir is still mounted"; fi
    if [ -e "$dir" ] || [ -e "$dir.log" ]; then fail "$name: $dir or its log is left"; fi
}

# expect NAME WANT_RC TEXT... -- CMD...: exit status, and every TEXT (fixed
# strings, unlike expect_rc's one pattern) in the output
expect() {
    local name=$1 want=$2
    shift 2
    local pats=()
    while [ "$1" != "--" ]; do pats+=("$1"); shift; done
    shift
    "$@" >"$tmp/out" 2>&1
    local rc=$? p
    if [ "$rc" -ne "$want" ]; then fail "$name: exit $rc, want $want"; return; fi
    for p in "${pats[@]}"; do
        if ! grep -qF -- "$p" "$tmp/out"; then fail "$name: output lacks '$p'"; return; fi
    done
    ok "$name"
}

expect help 0 'usage: ternrig watch' -- "$T" watch --help
expect no_command 2 'give the command to run' -- "$T" watch
expect bad_timeout 2 "--timeout: 'x' is not" -- "$T" watch --timeout x -- true
expect bad_policy 2 "unknown policy 'kmod3'" -- "$T" watch --policy kmod3 true
expect not_a_mount 2 'is not the root of a ternrig fs mount' -- "$T" watch --mount "$tmp" -- true
# -o's folder is made if missing (mkdir -p); one that cannot be made is
# refused before anything runs (a file stands where a folder should be)
: >"$tmp/plain"
expect bad_output 2 "$tmp/plain" -- "$T" watch -o "$tmp/plain/r.json" -- true
skip() { [ "$fails" -eq 0 ] || exit 1; echo "SKIP: $1 (usage checks passed)"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to mount FUSE"
[ -w /dev/fuse ] || skip "needs /dev/fuse"
command -v python3 >/dev/null || skip "needs python3"
command -v cc >/dev/null || skip "needs cc"

for pol in reference fuse-naive; do
    expect "bash_redirect_$pol" 3 \
        'empty: sealed with 0 bytes (0 writes) at a close by its creator (bash[' \
        'refused   1 write (6 bytes, first at offset 0)' 'exit 3:' \
        -- "$T" watch --policy "$pol" -- bash -c 'echo hello > out'
    check_gone "bash_redirect_$pol"
    expect "python_close_$pol" 0 \
        'sealed: sealed with 13 bytes (2 writes) at a close by its creator (python3[' \
        -- "$T" watch --policy "$pol" -- python3 -c \
        'f = open("out", "w"); f.write("first\n"); f.flush(); f.write("second\n"); f.close()'
done

around='
import subprocess
f = open("out", "w"); f.write("before\n"); f.flush()
subprocess.run(["true"])
f.write("after\n"); f.close()'
expect subprocess_reference 0 \
    'sealed: sealed with 13 bytes (2 writes) at a close by its creator' \
    'flush     by another process (python3[' ': ignore (7 bytes)' \
    '1 earlier flush from other processes ignored' \
    -- "$T" watch --policy reference -- python3 -c "$around"
expect subprocess_fuse_naive 3 \
    'truncated: sealed with 7 bytes (1 write) by a flush from another process (python3[' \
    -- "$T" watch --policy fuse-naive -- python3 -c "$around"

cc -o "$tmp/noclose" "$SRC/corpus/clients/exit_without_close.c" ||
    { echo "FAIL: cannot compile exit_without_close.c"; exit 1; }
expect exit_without_close_reference 3 \
    'aborted: never visible: its creator (noclose) exited without closing it' \
    'flush     by its creator (noclose[' ': abort (22 bytes dropped)' \
    -- "$T" watch --policy reference -- "$tmp/noclose"
expect exit_without_close_fuse_naive 0 \
    "sealed with 22 bytes (1 write) by the flush at its creator's exit" \
    -- "$T" watch --policy fuse-naive -- "$tmp/noclose"

expect exit_code 7 '0 files:' -- "$T" watch -- sh -c 'exit 7'
expect killed_by_signal 143 'killed by SIGTERM' -- "$T" watch -- sh -c 'kill -TERM $$'
expect time_limit 137 'killed by SIGKILL (time limit 0.3 s)' -- "$T" watch --timeout 0.3 -- sleep 30
check_gone time_limit

# --json, to a file, the command keeping stdout
expect json 3 'hello-from-cmd' -- "$T" watch --json -o "$tmp/r.json" -- bash -c 'echo hello-from-cmd; echo hello > out'
if python3 - "$tmp/r.json" >"$tmp/out" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit"] == 3 and r["command_exit"] == 1 and r["policy"] == "reference", r
[f] = r["files"]
assert f["path"] == "out" and f["verdict"] == "empty" and f["visible"], f
assert [e["op"] for e in f["events"]] == ["create", "flush", "write_refused"], f
assert f["events"][1]["decision"] == "seal" and f["events"][1]["mm_alive"], f
assert f["events"][2]["result"] == "EROFS", f
EOF
then ok json_fields; else fail json_fields; fi

# leftovers of the command's process group are killed, and reaped
expect leftovers 0 'killed 1 leftover process of its group' -- \
    "$T" watch -- sh -c "sleep 30 & echo \$! > $tmp/bg"
if kill -0 "$(cat "$tmp/bg")" 2>/dev/null; then fail "leftover sleep still runs"; else ok leftover_gone; fi

# --mount: a ternrig fs mount with a log; its policy comes from the mount
mkdir "$tmp/mnt"
"$T" fs --policy fuse-naive --log "$tmp/fs.log" --daemon "$tmp/mnt" && own_mount=$tmp/mnt
expect mount_use 3 'under fuse-naive on' \
    'truncated: sealed with 7 bytes (1 write) by a flush from another process' \
    -- "$T" watch --mount "$tmp/mnt" -- python3 -c "$around"
expect mount_policy_differs 2 "runs fuse-naive, not reference" -- \
    "$T" watch --mount "$tmp/mnt" --policy reference -- true
fusermount3 -u "$tmp/mnt" && own_mount=""
mkdir "$tmp/mnt2"
"$T" fs --daemon "$tmp/mnt2" && own_mount=$tmp/mnt2
expect mount_without_log 2 'keeps no flush log' -- "$T" watch --mount "$tmp/mnt2" -- true
fusermount3 -u "$tmp/mnt2" && own_mount=""

# SIGINT while the command runs: it is killed, the mount goes, exit 130
mkfifo "$tmp/fifo"
"$T" watch -- sh -c "echo \"\$PWD \$\$\" > $tmp/fifo; exec sleep 30" >"$tmp/out" 2>&1 &
wpid=$!
# read through a read-write fd with a time limit: never wait forever
exec 3<>"$tmp/fifo"
read -r -t 20 mdir cpid <&3 || { kill -KILL "$wpid"; fail "sigint: the command never ran"; }
kill -INT "$wpid"
wait "$wpid"
rc=$?
if [ "$rc" -ne 130 ]; then fail "sigint: exit $rc, want 130"
elif grep -q " $mdir " /proc/mounts || [ -e "$mdir" ]; then fail "sigint: $mdir left"
elif kill -0 "$cpid" 2>/dev/null; then fail "sigint: the command still runs"
else ok sigint; fi

checks_done watch
