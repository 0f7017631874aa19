#!/usr/bin/env bash
# stress/floor.sh [TERNRIG] [ROUNDS] - what one statement costs the lockstep
# executor, against the raw rates: the floor under any storm that runs in
# lockstep.
#   - Each statement kind is timed as the CPU (perf task-clock over the
#     whole process tree, so every task counts) of `replay --real` of a
#     trace that repeats it 60 times, minus that of the same trace without
#     the repeats (the mount, the BPF load and the spawn), divided by the
#     repeats: 60 forks (a trace names at most 64 tasks), 600 writes, 150
#     dup+close pairs.
#     Median of ROUNDS (default 3) rounds.
#   - The raw rates are `stress --calibrate`'s, on the same machine: one
#     loop, and one loop per CPU at once (what the machine can do in all).
#   - The last lines put the floor beside a storm: its CPU per fork
#     against what its own mix of statements costs at the floor, and the
#     best storm that floor allows: on all CPUs if they added up, and as
#     far as they do add up for process creation here (the raw loops on
#     all CPUs at once against one loop).
# Needs root, /dev/fuse and perf (linux-perf).  Run it on a quiet machine.
set -eu
T=${1:-build/ternrig}
ROUNDS=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "stress/floor.sh: needs root" >&2; exit 2; }
command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 ||
    { echo "stress/floor.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
work=$(mktemp -d /tmp/ternrig-floor.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$T" "$work/ternrig"
T="$work/ternrig"
N=60

python3 - "$work" "$N" <<'EOF'
import sys
work, n = sys.argv[1], int(sys.argv[2])
def trace(name, body):
    with open(f"{work}/{name}.trace", "w") as f:
        f.write("spawn a\na create f\na write f 100\n" + body + "a close f\n")
trace("base", "")
trace("fork_exit", "".join(f"a fork b{i}\nb{i} exit_group\n" for i in range(n)))
trace("fork_exec_exit",
      "".join(f"a fork b{i}\nb{i} exec\nb{i} exit_group\n" for i in range(n)))
trace("write", "a write f 100\n" * (10 * n))
trace("dup_close", "".join(f"a dup f g{i}\na close g{i}\n"
                           for i in range(150)))
EOF

cpu_ms() { # trace name: median CPU ms of ROUNDS replays
    local k
    for k in $(seq "$ROUNDS"); do
        perf stat -x, -e task-clock -o "$work/cpu" \
            "$T" replay --real -q "$work/$1.trace" >/dev/null 2>&1 ||
            { echo "stress/floor.sh: replay of $1 failed" >&2; exit 1; }
        awk -F, '/task-clock/ {print $1}' "$work/cpu"
    done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

base=$(cpu_ms base)
each() { python3 -c "print(round(($(cpu_ms "$1") - $base) / $2, 3))"; }
fe=$(each fork_exit $N)
fxe=$(each fork_exec_exit $N)
wr=$(each write $((10 * N)))
dc=$(each dup_close 300)

# the raw rates and a storm of 10 s, CPU over its tree
perf stat -x, -e task-clock -o "$work/storm.cpu" "$T" stress --quiet \
    --seed 42 --duration 10 --calibrate --report "$work/storm.json" \
    --out "$work/storm" >/dev/null 2>&1 || true
read -r rawf rawe rawfa rawea forks execs steps <<<"$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); t=r["totals"]; a=r["rates"]
print(a["raw_fork_exit_wait_per_s"], a["raw_fork_exec_per_s"],
      a["raw_fork_exit_wait_all_cpus_per_s"], a["raw_fork_exec_all_cpus_per_s"],
      t["forks"], t["execs"], t["steps"])' "$work/storm.json")"
storm_ms=$(awk -F, '/task-clock/ {print $1}' "$work/storm.cpu")

python3 - "$fe" "$fxe" "$wr" "$dc" "$rawf" "$rawe" "$rawfa" "$rawea" "$forks" "$execs" "$steps" "$storm_ms" <<'EOF'
import os, sys
(fe, fxe, wr, dc, rawf, rawe, rawfa, rawea, forks, execs, steps,
 storm_ms) = map(float, sys.argv[1:])
cpus = os.cpu_count()
print(f"{'statement, lockstep (replay --real)':40s} {'CPU ms':>8s}   {'raw, CPU ms':>11s}")
print(f"{'fork + exit_group':40s} {fe:8.3f}   {1000/rawf:11.3f}  (fork+exit+wait, serial)")
print(f"{'fork + exec + exit_group':40s} {fxe:8.3f}   {1000/rawe:11.3f}  (fork+exec+wait, serial)")
print(f"{'  all CPUs at once: fork+exit+wait per s':40s} {rawfa:8.0f}   "
      f"(one loop: {rawf:.0f})")
print(f"{'  all CPUs at once: fork+exec+wait per s':40s} {rawea:8.0f}   "
      f"(one loop: {rawe:.0f})")
print(f"{'write (100 bytes)':40s} {wr:8.3f}")
print(f"{'dup or close':40s} {dc:8.3f}")
# the storm's mix per fork at the floor: the fork and its exit, its share
# of execs, and the other statements at the cheaper kinds' mean
# (conservatively: every statement that is not a fork or an exec counts
# as an "other", though a fork's own exit is in its cost already)
e = execs / forks
other = max(0.0, steps / forks - 1 - e)
floor = fe + e * (fxe - fe) + other * (wr + dc) / 2
print()
print(f"storm: {forks:.0f} forks, {execs:.0f} execs, {steps:.0f} statements; "
      f"{other:.2f} other statements per fork")
print(f"{'storm CPU ms per fork':40s} {storm_ms / forks:8.3f}")
print(f"{'the same mix at the floor, per fork':40s} {floor:8.3f}")
best = cpus * 1000 / floor
print(f"{'at the floor on ' + str(cpus) + ' CPUs: forks per s':40s} {best:8.0f}"
      f"   = {100 * best / rawf:.0f} % of raw forks, "
      f"{100 * best * e / rawe:.0f} % of raw execs")
# the floor is timed one replay at a time; the raw loops on all CPUs at
# once say how far a second CPU adds to process creation on this machine
scale = min(rawfa / rawf, rawea / rawe)
real = scale * 1000 / floor
print(f"{'  as the CPUs add up here (x' + format(scale, '.2f') + '):':40s} {real:8.0f}"
      f"   = {100 * real / rawf:.0f} % of raw forks, "
      f"{100 * real * e / rawe:.0f} % of raw execs")
EOF
