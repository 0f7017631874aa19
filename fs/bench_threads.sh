#!/usr/bin/env bash
# fs/bench_threads.sh [TERNRIG] [SECONDS] [WORKERS] [THREADS...] - the
# embedded filesystem's requests/s under a storm, for each --threads N
# (default 1 2 4): mounts `ternrig fs --threads N --log LOG` in a temp dir,
# runs `ternrig stress --mount DIR --workers WORKERS --duration SECONDS`
# (policy reference, seed 42) on it, and prints the filesystem's requests/s
# (its user.ternrig.stats, sampled by the storm), the storm's scenarios/s
# and forks/s, the filesystem's CPU time per request and its violations.
# Runs are interleaved (1 2 4 1 2 4 ...) when ROUNDS=R > 1, to spread a
# busy machine's noise.  Needs root and /dev/fuse; copies the binary first.
set -eu
T=${1:-build/ternrig}
SECS=${2:-30}
W=${3:-2}
shift $(( $# > 3 ? 3 : $# ))
THREADS=${*:-1 2 4}
ROUNDS=${ROUNDS:-1}
[ "$(id -u)" -eq 0 ] || { echo "fs/bench_threads.sh: needs root" >&2; exit 2; }
work=$(mktemp -d /tmp/ternrig-fsthreads.XXXXXX)
fspid=
cleanup() {
    [ -n "$fspid" ] && kill "$fspid" 2>/dev/null && wait "$fspid" 2>/dev/null
    mountpoint -q "$work/mnt" 2>/dev/null && umount -l "$work/mnt"
    rm -rf "$work"
}
trap cleanup EXIT
cp "$T" "$work/ternrig"
T="$work/ternrig"
printf "%7s %5s %12s %10s %10s %14s %10s\n" threads round "fs req/s" \
    "scen/s" "forks/s" "fs CPU us/req" violations
for r in $(seq 1 "$ROUNDS"); do
    for n in $THREADS; do
        mkdir -p "$work/mnt"
        : >"$work/fs.log"
        "$T" fs --threads "$n" --log "$work/fs.log" "$work/mnt" \
            >"$work/fs.out" 2>&1 &
        fspid=$!
        for _ in $(seq 1 100); do
            mountpoint -q "$work/mnt" && break
            sleep 0.05
        done
        t0=$(awk '{print $14 + $15}' "/proc/$fspid/stat")
        "$T" stress --quiet --seed 42 --workers "$W" --duration "${SECS}s" \
            --mount "$work/mnt" --out "$work/out" --report "$work/r.json" \
            >"$work/stress.out" 2>&1 || true
        t1=$(awk '{print $14 + $15}' "/proc/$fspid/stat")
        kill "$fspid"
        wait "$fspid" 2>/dev/null || true
        fspid=
        python3 - "$work/r.json" "$n" "$r" "$t0" "$t1" \
            "$(getconf CLK_TCK)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
n, rnd, t0, t1, hz = sys.argv[2], sys.argv[3], *map(float, sys.argv[4:7])
tl = [s for s in r["timeline"] if s.get("fs_requests")]
req = tl[-1]["fs_requests"] - tl[0]["fs_requests"] if len(tl) > 1 else 0
dt = tl[-1]["t"] - tl[0]["t"] if len(tl) > 1 else 1
rate = r.get("rates", {})
cpu = (t1 - t0) / hz
print("%7s %5s %12.0f %10.1f %10.1f %14.1f %10d" % (
    n, rnd, req / dt, rate.get("scenarios_per_s", 0),
    rate.get("forks_per_s", 0),
    cpu * 1e6 / tl[-1]["fs_requests"] if tl else 0,
    r["totals"]["violations"] if "totals" in r else
    r["timeline"][-1]["violations"]))
EOF
    done
done
