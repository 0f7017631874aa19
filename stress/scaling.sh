#!/usr/bin/env bash
# stress/scaling.sh [TERNRIG] [SECONDS] [WORKERS...] - the storm's scaling
# figure: one `reference` storm per worker count (default 1 2 4 8 16), each
# with --calibrate (the machine's raw fork+exit+wait and fork+exec rates,
# measured in the same run), and a table of
#   - scenarios, statements, forks (fork, vfork) and execs per second, and
#     forks and execs as a share of the raw rates;
#   - the embedded filesystem's requests per second (its reads of
#     /dev/fuse, /proc/PID/io syscr: one read per request) and its CPU
#     (one thread: 100 % is its ceiling), and the supervisor's CPU (it
#     judges every scenario, alone), both sampled from 2 s in to 1 s
#     before the end;
#   - violations (must be 0) and failed runs.
# Needs root and /dev/fuse.  Run it on a quiet machine: the figures are
# rates.  It copies the binary first, so a rebuild meanwhile cannot touch
# the run.
set -eu
T=${1:-build/ternrig}
SECS=${2:-15}
shift $(($# > 2 ? 2 : $#))
WORKERS=${*:-1 2 4 8 16}
[ "$(id -u)" -eq 0 ] || { echo "stress/scaling.sh: needs root" >&2; exit 2; }
work=$(mktemp -d /tmp/ternrig-scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$T" "$work/ternrig"
T="$work/ternrig"

# ns on a CPU, all threads of the process, those gone included (utime +
# stime, in clock ticks)
hz=$(getconf CLK_TCK)
cpu_ns() { awk -v hz="$hz" '{printf "%.0f\n", ($14 + $15) * 1e9 / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
reads() { awk '/^syscr/{print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }
now() { date +%s.%N; }

printf '%-7s %7s %8s %8s %7s %7s %7s %7s %9s %6s %6s %5s %6s\n' \
    workers scen/s stmts/s forks/s %rawF execs/s %rawE rawF/s fs_req/s fs_cpu sup_cpu viol failed
for w in $WORKERS; do
    "$T" stress --quiet --seed 42 --workers "$w" --duration "$SECS" --calibrate \
        --out "$work/out-$w" --report "$work/$w.json" >"$work/$w.log" 2>&1 &
    sup=$!
    # the storm starts once its filesystem is mounted (after calibrating)
    fs=
    for _ in $(seq 200); do
        fs=$(pgrep -P "$sup" -f ' fs --policy' | head -1 || true)
        [ -n "$fs" ] && break
        sleep 0.05
    done
    sleep 2
    f0=$(cpu_ns "${fs:-0}"); r0=$(reads "${fs:-0}"); s0=$(cpu_ns "$sup"); t0=$(now)
    sleep $((SECS > 4 ? SECS - 3 : 1))
    f1=$(cpu_ns "${fs:-0}"); r1=$(reads "${fs:-0}"); s1=$(cpu_ns "$sup"); t1=$(now)
    # a sample taken after the process was gone says nothing
    [ -d "/proc/${fs:-0}" ] || { f1=0; r1=0; }
    wait "$sup" || true
    python3 - "$work/$w.json" "$w" "$f0" "$f1" "$r0" "$r1" "$s0" "$s1" "$t0" "$t1" <<'EOF'
import json, sys
rep, w, f0, f1, r0, r1, s0, s1, t0, t1 = sys.argv[1:]
r = json.load(open(rep)); a = r["rates"]; t = r["totals"]
dt = float(t1) - float(t0)
steps = t["steps"] / r["elapsed_s"] if r.get("elapsed_s") else 0
ok = int(r1) > int(r0) > 0
fsreq = "%.0f" % ((int(r1) - int(r0)) / dt) if ok else "-"
fscpu = "%.0f%%" % (100 * (int(f1) - int(f0)) / 1e9 / dt) if ok else "-"
supcpu = "%.0f%%" % (100 * (int(s1) - int(s0)) / 1e9 / dt) if int(s1) >= int(s0) > 0 else "-"
print("%-7s %7.1f %8.0f %8.1f %6.1f%% %7.1f %6.1f%% %7.0f %9s %6s %6s %5d %6d" % (
    w, a["scenarios_per_s"], steps, a["forks_per_s"],
    100 * a["forks_per_s"] / a["raw_fork_exit_wait_per_s"], a["execs_per_s"],
    100 * a["execs_per_s"] / a["raw_fork_exec_per_s"],
    a["raw_fork_exit_wait_per_s"], fsreq, fscpu, supcpu, t["violations"],
    t["failed_runs"]))
EOF
done
