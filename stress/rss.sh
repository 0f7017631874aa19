#!/usr/bin/env bash
# stress/rss.sh [DURATION] [TERNRIG] [EXTRA...] - memory over a storm: runs
# `ternrig stress --policy reference --workers 2 --duration DURATION`
# (default 30m) on the embedded filesystem and prints, once a minute (every
# 10 s for a storm under 5 minutes), the resident memory of the filesystem
# and of the storm's supervisor, the files decided so far and the
# filesystem's requests/s since the previous row, from the report's
# timeline (each sample has fs_rss_kb, supervisor_rss_kb, fs_requests).
# Flat after warm-up is the goal: the last line says how much each grew
# from the first row past warm-up (2 minutes, or a fifth of a short run) to
# the end.  EXTRA goes to `ternrig stress` (e.g. --seed 7).
# REPORT=F.json keeps the report.  Needs root and /dev/fuse; it copies the
# binary first, so a rebuild meanwhile cannot touch the run.
set -eu
DUR=${1:-30m}
T=${2:-build/ternrig}
shift $(( $# > 2 ? 2 : $# ))
[ "$(id -u)" -eq 0 ] || { echo "stress/rss.sh: needs root" >&2; exit 2; }
work=$(mktemp -d /tmp/ternrig-rss.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$T" "$work/ternrig"
rep=${REPORT:-$work/report.json}
rc=0
"$work/ternrig" stress --quiet --policy reference --workers 2 \
    --duration "$DUR" --out "$work/out" --report "$rep" "$@" \
    >"$work/stress.out" 2>&1 || rc=$?
if [ ! -s "$rep" ]; then
    echo "stress/rss.sh: the storm made no report (exit $rc):" >&2
    cat "$work/stress.out" >&2
    exit 2
fi
python3 - "$rep" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
tl = r.get("timeline", [])
if not tl:
    sys.exit("stress/rss.sh: the report has no timeline")
end = tl[-1]["t"]
step = 60.0 if end >= 300 else 10.0
rows, want = [], step
for s in tl:
    if s["t"] + 0.5 >= want or s is tl[-1]:
        rows.append(s)
        while want <= s["t"] + 0.5:
            want += step
print("%8s %10s %12s %10s %10s %12s" % ("t (s)", "fs RSS kB", "super RSS kB",
                                      "sealed", "aborted", "fs req/s"))
prev = None
for s in rows:
    rq = "-"
    if prev and s.get("fs_requests") and s["t"] > prev["t"]:
        rq = "%.0f" % ((s["fs_requests"] - prev.get("fs_requests", 0)) /
                       (s["t"] - prev["t"]))
    print("%8.0f %10s %12s %10d %10d %12s" % (
        s["t"], s.get("fs_rss_kb", "-"), s.get("supervisor_rss_kb", "-"),
        s.get("sealed", 0), s.get("aborted", 0), rq))
    prev = s
warm = 120.0 if end >= 600 else end / 5
base = next((s for s in rows if s["t"] >= warm), rows[0])
last = rows[-1]
files = (last.get("sealed", 0) + last.get("aborted", 0) -
         base.get("sealed", 0) - base.get("aborted", 0))
def grew(k):
    if k not in base or k not in last:
        return "-"
    d = last[k] - base[k]
    per = " (%.1f B/file)" % (d * 1024.0 / files) if files > 0 else ""
    return "%+d kB%s" % (d, per)
print("after warm-up (t=%.0f s to %.0f s, %d files decided): fs %s, "
      "supervisor %s; violations %d" % (
          base["t"], last["t"], files, grew("fs_rss_kb"),
          grew("supervisor_rss_kb"), r.get("totals", {}).get("violations",
                                                             last.get("violations", 0))))
EOF
exit $rc
