#!/usr/bin/env bash
# fuzz_cmd.sh TERNRIG FUZZ_DIR - `ternrig fuzz` end to end on the libFuzzer
# build: a short run writes reproducers that replay; Ctrl-C stops the
# engines, still writes the findings, and leaves no process behind.
set -u
T=$1
D=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# --sanitize: this build alone, whatever no-sanitizer build lies next to it
# (ternrig fuzz would otherwise run two phases, checked below)
"$T" fuzz --policy fuse-naive --time 4s --jobs 1 --fuzz-dir "$D" --sanitize --out "$tmp/a" >"$tmp/a.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { bad "short run exit $rc"; cat "$tmp/a.log"; }
ls "$tmp"/a/findings/fuse-naive-early-seal-*.trace >/dev/null 2>&1 || bad "no early-seal reproducer"
grep -q 'fuse-naive  *early-seal' "$tmp/a.log" || bad "summary table lacks fuse-naive early-seal"
"$T" replay --policy fuse-naive --quiet "$tmp/a/findings" >/dev/null || bad "reproducers do not replay"
grep -q '^expect\[fuse-naive\] violation early-seal' "$tmp"/a/findings/fuse-naive-early-seal-1.trace ||
    bad "reproducer lacks its expect line"
python3 - "$tmp/a" <<'EOF' || bad "fuzz.json: execs/s and coverage over time, findings"
import json, os, sys
d = json.load(open(sys.argv[1] + "/fuzz.json"))
assert d["tool"] == "ternrig fuzz" and d["engine"] == "libfuzzer" and d["exit"] == 0, d
s = d["series"]
assert len(s) == 1 and s[0]["policy"] == "fuse-naive", s
t = [x[0] for x in s[0]["samples"]]
assert len(t) >= 3 and t == sorted(t), t
assert s[0]["samples"][-1][1] > 0 and s[0]["samples"][-1][3] > 0, s[0]["samples"][-1]
assert d["totals"]["execs"] == s[0]["samples"][-1][1]
f = d["findings"]
assert f and all(os.path.isfile(os.path.join(sys.argv[1], x["reproducer"])) for x in f), f
assert any(x["kind"] == "early-seal" for x in f)
EOF

# Ctrl-C: SIGINT to ternrig during the run
"$T" fuzz --policy kmod --time 60s --jobs 2 --fuzz-dir "$D" --out "$tmp/b" >"$tmp/b.log" 2>&1 &
pid=$!
for _ in $(seq 100); do # wait (bounded) until the engines report progress
    ls "$tmp"/b/collect/*.trb >/dev/null 2>&1 && break
    sleep 0.1
done
kill -INT $pid
start=$(date +%s)
wait $pid
rc=$?
took=$(($(date +%s) - start))
[ $rc -eq 0 ] || { bad "interrupted run exit $rc"; tail "$tmp/b.log"; }
[ $took -le 15 ] || bad "took ${took}s to stop after SIGINT"
grep -q 'interrupted' "$tmp/b.log" || bad "no 'interrupted' notice"
grep -q 'Findings:' "$tmp/b.log" || bad "no findings summary after SIGINT"
if pgrep -f "$D/fuzz_kmod" >/dev/null; then bad "engines left running"; pkill -9 -f "$D/fuzz_kmod"; fi

# Phases: without sanitizers first, then the sanitized share (the same
# build stands in for both here: CI builds the sanitized one only)
"$T" fuzz --policy fuse-naive --time 4s --jobs 1 --fuzz-dir "$D" --nosan-dir "$D" \
    --sanitize-share 50 --out "$tmp/p" >"$tmp/p.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { bad "phased run exit $rc"; cat "$tmp/p.log"; }
grep -q '2s without sanitizers .*, then 2s under ASan+UBSan' "$tmp/p.log" ||
    { bad "phased run does not say its phases"; head -3 "$tmp/p.log"; }
python3 - "$tmp/p" <<'EOF' || bad "fuzz.json: one series per phase, the sanitized one marked"
import json, sys
s = json.load(open(sys.argv[1] + "/fuzz.json"))["series"]
assert [x["target"] for x in s] == ["fuzz_fuse_naive", "fuzz_fuse_naive (asan)"], s
assert all(x["samples"] and x["samples"][-1][1] > 0 for x in s), s
EOF
"$T" fuzz --policy fuse-naive --time 2s --jobs 1 --nosan-dir "$D" --no-sanitize \
    --out "$tmp/q" >"$tmp/q.log" 2>&1
[ $? -eq 0 ] && grep -q '2s without sanitizers' "$tmp/q.log" && ! grep -q 'ASan' "$tmp/q.log" ||
    { bad "--no-sanitize"; head -3 "$tmp/q.log"; }
"$T" fuzz --sanitize-share 101 --time 1s >/dev/null 2>&1
[ $? -eq 2 ] || bad "bad --sanitize-share accepted"
# only the sanitized build found: all the time goes to it, saying so
"$T" fuzz --policy fuse-naive --time 1s --jobs 1 --fuzz-dir "$D" --nosan-dir /nonexistent \
    --out "$tmp/r" >"$tmp/r.log" 2>&1
[ $? -eq 0 ] && grep -q 'no no-sanitizer build found: the whole time goes to the sanitized one' "$tmp/r.log" ||
    { bad "missing no-sanitizer build: no notice"; head -3 "$tmp/r.log"; }

"$T" fuzz --fuzz-dir /nonexistent --sanitize --time 1s >"$tmp/c.log" 2>&1
[ $? -eq 2 ] && grep -q 'no libfuzzer fuzz targets found' "$tmp/c.log" || bad "missing targets: no clear error"
"$T" fuzz --time 0 >/dev/null 2>&1
[ $? -eq 2 ] || bad "bad --time accepted"

[ $fails -eq 0 ] && echo "fuzz command checks passed" || exit 1
