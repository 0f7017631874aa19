#!/usr/bin/env bash
# hostile_mount.sh TERNRIG CORPUS - the commands that mount, given what an
# attacker of the command line gives them (issue 18, the mounting part): a
# mountpoint that is a file, a symlink or not empty; a --mount that is no
# mount; an output inside the mount under test; a flush log on a device, a
# FIFO or a full disk; a command to watch that does not exist; SIGINT
# while they run.  Each gives a clear error (exit 2) or its documented
# behaviour, and leaves no mount, process or temporary directory behind.
# Every command runs under `timeout`; waits for a condition are bounded.
# Needs root and /dev/fuse: skipped (exit 77) with the reason otherwise.
set -u
T=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CORPUS=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
source "$(dirname "$0")/checks.sh"
t() { timeout 30 "$T" "$@"; }
# our own mounts, whatever happens: unmounted before checks.sh removes $tmp
mnt_pids=()
cleanup_mounts() {
    local m p
    for p in "${mnt_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${mnt_pids[@]}"; do wait "$p" 2>/dev/null; done
    for m in $(grep -o " $tmp/[^ ]*" /proc/mounts); do
        fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
    done
    rm -rf "$tmp"
}
trap cleanup_mounts EXIT

# wait_until SECONDS CMD...: poll CMD until it succeeds (false when the
# time is up); a bounded wait for a condition, not a sleep for one
wait_until() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}
mounted() { grep -q " $1 fuse" /proc/mounts; }
# A background job of a script starts with SIGINT ignored (bash does that
# without job control), and a program keeps an ignored SIGINT ignored:
# what is started here to be interrupted gets the default back, as from a
# terminal.
env --default-signal=INT true 2>/dev/null || { echo "SKIP: env --default-signal (coreutils 8.31) is needed"; exit 77; }
with_sigint() { exec env --default-signal=INT "$@"; }
# start_fs MOUNTPOINT ARGS...: `ternrig fs` in the background, mounted
start_fs() {
    local m=$1
    shift
    (with_sigint "$T" fs "$@" "$m") >"$tmp/fs.out" 2>&1 &
    fs_pid=$!
    mnt_pids+=("$fs_pid")
    wait_until 20 mounted "$(realpath "$m")"
}
# stop_fs: SIGTERM to the last start_fs; its exit status in $fs_rc
stop_fs() {
    kill -TERM "$fs_pid" 2>/dev/null
    wait "$fs_pid"
    fs_rc=$?
}

# --- ternrig fs: the mountpoint --------------------------------------------
echo x >"$tmp/afile"
expect_rc fs_mountpoint_file 2 'afile is not a directory' -- t fs "$tmp/afile"
mkdir -p "$tmp/full" && echo keep >"$tmp/full/keep"
expect_rc fs_mountpoint_not_empty 2 'full: not empty' -- t fs "$tmp/full"
mounted "$tmp/full" && bad fs_not_empty_never_mounted || ok fs_not_empty_never_mounted
expect_rc fs_mountpoint_missing 2 'nowhere is not a directory' -- t fs "$tmp/nowhere"
# a symlink to an empty directory is followed: mounted on its target
mkdir "$tmp/target"
ln -s "$tmp/target" "$tmp/link"
if start_fs "$tmp/link"; then ok fs_symlink_mounts_target; else bad fs_symlink_mounts_target; cat "$tmp/fs.out"; fi
stop_fs
[ "$fs_rc" -eq 0 ] && ! mounted "$tmp/target" && ok fs_symlink_unmounted || bad "fs_symlink_unmounted: exit $fs_rc"

# --- ternrig fs --log: a device, a FIFO, a full disk ------------------------
mkdir "$tmp/m"
expect_rc fs_log_dev_full 2 'log /dev/full: not a regular file' -- t fs --log /dev/full "$tmp/m"
mkfifo "$tmp/fifo"
expect_rc fs_log_fifo 2 'fifo: not a regular file' -- t fs --log "$tmp/fifo" "$tmp/m"  # never blocks on it
expect_rc fs_log_under_file 2 'log .*afile/log: Not a directory' -- t fs --log "$tmp/afile/log" "$tmp/m"
# a full disk: a 1 KiB file size limit (SIGXFSZ ignored: writes fail EFBIG)
(trap '' XFSZ; ulimit -f 1; exec "$T" fs --log "$tmp/small.log" "$tmp/m") >"$tmp/fs.out" 2>&1 &
fs_pid=$!
mnt_pids+=("$fs_pid")
if wait_until 20 mounted "$tmp/m"; then
    for i in 1 2 3 4 5 6 7 8; do (exec 3>"$tmp/m/f$i" && echo hi >&3); done
fi
stop_fs
[ "$fs_rc" -eq 2 ] && ok fs_log_full_exit_2 || bad "fs_log_full_exit_2: exit $fs_rc"
grep -q 'small.log: cannot write (File too large): the flush log has holes' "$tmp/fs.out" && ok fs_log_full_said_at_once || { bad fs_log_full_said_at_once; cat "$tmp/fs.out"; }
grep -q 'lines* could not be written' "$tmp/fs.out" && ok fs_log_full_said_at_end || bad fs_log_full_said_at_end
mounted "$tmp/m" && bad fs_log_full_unmounted || ok fs_log_full_unmounted

# --- a mount whose log is not a file: stress, replay, watch refuse it ----
# (user.ternrig.log names a FIFO now: opening it for reading would block;
# /dev/full in its place read endless zeros into memory until the OOM
# killer came)
rm -f "$tmp/m.log"
start_fs "$tmp/m" --log "$tmp/m.log" || bad "mount with a log: $(cat "$tmp/fs.out")"
rm "$tmp/m.log" && mkfifo "$tmp/m.log"
expect_rc stress_log_fifo 2 'm.log is not a regular file' -- t stress --mount "$tmp/m" --duration 1s --out "$tmp/sout"
expect_rc replay_log_fifo 2 'm.log is not a regular file' -- t replay --mount "$tmp/m" "$CORPUS/basic-close.trace"
expect_rc watch_log_fifo 2 'm.log is not a regular file' -- t watch --mount "$tmp/m" -- true
expect_rc stress_no_log_ignores_it 0 '' -- t stress --mount "$tmp/m" --no-log --duration 1s --workers 1 --kill-rate 0 --out "$tmp/sout" --quiet

# --- outputs inside the mount under test ----------------------------------
expect_rc stress_out_inside_mount 2 'stress: --out .*m/out is inside --mount' -- t stress --mount "$tmp/m" --duration 1s --out "$tmp/m/out"
expect_rc stress_report_inside_mount 2 'stress: --report .* is inside --mount' -- t stress --mount "$tmp/m" --duration 1s --out "$tmp/sout" --report "$tmp/link/../m/r.json"
expect_rc watch_output_inside_mount 2 'watch: -o .*m/r.txt is inside --mount' -- t watch --mount "$tmp/m" -o "$tmp/m/r.txt" -- true
[ -z "$(ls -A "$tmp/m")" ] && ok nothing_made_inside_mount || { bad nothing_made_inside_mount; ls -A "$tmp/m"; }
stop_fs

# --- a --mount that is not a mount ------------------------------------------
mkdir "$tmp/plain"
expect_rc watch_mount_not_a_mount 2 'plain is not the root of a ternrig fs mount' -- t watch --mount "$tmp/plain" -- true
expect_rc watch_mount_a_file 2 'afile is not the root of a ternrig fs mount' -- t watch --mount "$tmp/afile" -- true
expect_rc stress_mount_a_file 2 'mount .*afile: [Nn]ot a directory' -- t stress --mount "$tmp/afile" --duration 1s --out "$tmp/sout"
expect_rc replay_mount_a_file 2 'mount .*afile: not a directory' -- t replay --mount "$tmp/afile" "$CORPUS/basic-close.trace"
# a plain directory is a documented --mount of stress and replay (any
# filesystem: tmpfs is stress's negative control): run and judged (a plain
# directory shows a file at once: early-seal, exit 1), and left clean
expect_rc replay_mount_plain_dir 1 'violation early-seal f' -- t replay --mount "$tmp/plain" "$CORPUS/basic-close.trace"
[ -z "$(ls -A "$tmp/plain")" ] && ok replay_plain_dir_left_clean || bad replay_plain_dir_left_clean

# --- watch: a command that does not exist ----------------------------------
expect_rc watch_no_such_command 2 'watch: no-such-command-x: command not found' -- t watch -- no-such-command-x
expect_rc watch_no_such_path 2 'watch: /no/such/cmd: No such file or directory' -- t watch -- /no/such/cmd
expect_rc watch_command_a_dir 2 'watch: /etc: Is a directory' -- t watch -- /etc
expect_rc watch_command_not_executable 2 'watch: .*afile: Permission denied' -- t watch -- "$tmp/afile"
# (never mounted: the check comes first; a relative path with a slash is
# the mount's, left to the run: exit 127 from the command)
expect_rc watch_relative_in_mount 127 'cannot run ./nothing-here' -- t watch -- ./nothing-here

# --- SIGINT while they run ---------------------------------------------------
# descendants PID: every process below PID
descendants() {
    local c
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
# our_mount PID: the mountpoint of the `ternrig fs` PID started, once mounted
our_mount() {
    local p m
    for p in $(descendants "$1"); do
        m=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | tail -n 1)
        case "$m" in /tmp/ternrig-*) mounted "$m" && { echo "$m"; return 0; } ;; esac
    done
    return 1
}
# gone PID: exited (a zombie not yet waited for counts)
gone() { [ ! -e "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# sigint_while_mounted NAME WANT_RC_REGEX CMD...: CMD started, SIGINT once
# its filesystem is mounted; it exits with a status matching WANT within
# 30 s, and its mount, its mountpoint and all its processes are gone
sigint_while_mounted() {
    local name=$1 want=$2 pid m procs rc p left=""
    shift 2
    (with_sigint "$@") >"$tmp/sig.out" 2>&1 &
    pid=$!
    if ! wait_until 30 our_mount "$pid" >/dev/null; then
        bad "$name: never mounted"; kill -KILL "$pid"; wait "$pid"; return
    fi
    m=$(our_mount "$pid")
    procs=$(descendants "$pid")
    kill -INT "$pid"
    wait_until 30 gone "$pid" || { bad "$name: still running 30 s after SIGINT"; kill -KILL "$pid"; }
    wait "$pid"
    rc=$?
    for p in $procs; do gone "$p" || left="$left $p"; done
    if ! [[ $rc =~ ^($want)$ ]]; then bad "$name: exit $rc, want $want"; sed 's/^/    /' "$tmp/sig.out" | tail -5
    elif mounted "$m"; then bad "$name: $m still mounted"
    elif [ -e "$m" ]; then bad "$name: $m left"
    elif [ -n "$left" ]; then bad "$name: processes left:$left"
    else ok "$name"; fi
}
# a corpus three times over (three copies: each file is replayed once),
# so that the run is still going when the signal comes
for i in 1 2 3; do cp -r "$CORPUS" "$tmp/c$i"; done
# stress stops early on SIGINT and reports what it did (its documented
# behaviour): exit 0 or 1 by what it found, the summary printed
sigint_while_mounted stress_sigint_during_run '0|1' "$T" stress --duration 60s --workers 2 --kill-rate 0 --out "$tmp/sint" --policy reference
grep -q 'ternrig stress: policy reference on embedded' "$tmp/sig.out" && ok stress_sigint_reports || bad stress_sigint_reports
sigint_while_mounted replay_real_sigint 130 "$T" replay --real --policy reference "$tmp/c1" "$tmp/c2" "$tmp/c3"
sigint_while_mounted conform_sigint 130 "$T" conform --policy reference "$tmp/c1" "$tmp/c2" "$tmp/c3"
sigint_while_mounted clients_sigint 130 "$T" clients --policy reference --dir "$(dirname "$0")/../corpus/clients"
# ternrig fs itself: SIGINT unmounts, exit 0
mkdir "$tmp/m2"
start_fs "$tmp/m2" || bad "fs_sigint: never mounted"
kill -INT "$fs_pid"
wait "$fs_pid"
fs_rc=$?
[ "$fs_rc" -eq 0 ] && ! mounted "$tmp/m2" && ok fs_sigint_unmounts || bad "fs_sigint_unmounts: exit $fs_rc"

# SIGINT at once, before anything is mounted or while it is being: no
# phase leaves anything.  A temporary directory this run left is one that
# was not there before and that no live ternrig manages (another job's
# come and go: a storm's names its live owner, a mount's `ternrig fs` has
# a live parent; an orphaned one has none but init)
managed() {
    local p ppid
    case "$1" in /tmp/ternrig-stress-*)
        p=$(cat "$1/owner" 2>/dev/null) && [ "$p" != "$2" ] && ! gone "$p" && return 0 ;;
    esac
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF " $1" || continue
        ppid=$(cut -d' ' -f4 "$p/stat" 2>/dev/null)
        [ -n "$ppid" ] && [ "$ppid" != 1 ] && [ "$ppid" != "$2" ] && return 0
    done
    return 1
}
is_ternrig() { [ "$(readlink "/proc/$1/exe")" = "$T" ] || gone "$1"; }
temp_dirs() { ls -d /tmp/ternrig-real-* /tmp/ternrig-stress-* 2>/dev/null | sort; }
for c in "stress --duration 60s --workers 2 --out $tmp/sint2" "replay --real $tmp/c1" "conform --policy reference $tmp/c1" "watch -- true" "clients --policy reference --dir $(dirname "$0")/../corpus/clients"; do
    snap=$(temp_dirs)
    # shellcheck disable=SC2086
    (with_sigint "$T" $c) >/dev/null 2>&1 &
    pid=$!
    # the signal once ternrig runs (before, the shell would ignore it)
    wait_until 10 is_ternrig "$pid"
    kill -INT "$pid"
    wait_until 30 gone "$pid" || { bad "sigint_at_once ${c%% *}: still running"; kill -KILL "$pid"; }
    wait "$pid"
    left=""
    for d in $(comm -13 <(echo "$snap") <(temp_dirs)); do
        managed "$d" "$pid" || left="$left $d"
    done
    [ -z "$left" ] && ok "sigint_at_once ${c%% *}" || bad "sigint_at_once ${c%% *}: left$left"
done
checks_done hostile-mount
