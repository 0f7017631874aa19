#!/usr/bin/env bash
# nightly.sh SRC TERNRIG - ci/nightly.sh end to end with a tiny budget on
# the existing build (--skip-setup --skip-tests): it stops within its
# budget, writes every output (summary.md, report.html, nightly.json,
# junit.xml, logs), records the night in --history (the next night's trend
# shows it), and refuses bad usage with exit 2.  Fuzzing runs when the
# libFuzzer build (build-fuzz) is there; stress when `ternrig stress` is.
set -u
SRC=$1
export TERNRIG=$2
source "$(dirname "$0")/checks.sh"

run() { # run BUDGET_S OUT: the nightly job, timed
    local t0=$(date +%s)
    # the engine pinned: without --engine the night picks AFL++ on odd days
    # of the year, and the checks below would then depend on the date
    TERNRIG_POLICY=reference bash "$SRC/ci/nightly.sh" --budget "${1}s" --skip-setup --skip-tests \
        --engine libfuzzer --out "$tmp/$2" --history "$tmp/hist" >"$tmp/$2.log" 2>&1
    rc=$?
    took=$(($(date +%s) - t0))
}

run 36 night1
# exit 1 iff a reference finding is new (stress on the real kernel can find
# one: that is the job doing its work, shown here, not a test failure)
fresh=$(python3 -c 'import json,sys; n=json.load(open(sys.argv[1])); print(n["new_under_policy"])' \
    "$tmp/night1/nightly.json" 2>/dev/null || echo none)
if [ "$fresh" = 0 ] && [ $rc -eq 0 ] || { [ "$fresh" != none ] && [ "$fresh" -gt 0 ] && [ $rc -eq 1 ]; }; then
    ok "night 1: exit $rc with $fresh new finding(s) under reference"
    [ $rc -eq 1 ] && grep -A1 '^- reference' "$tmp/night1/summary.md" | sed 's/^/    note: /'
else
    bad "night 1 exit $rc with $fresh new finding(s) under reference"; tail -30 "$tmp/night1.log"
fi
[ $took -le 39 ] && ok "night 1 kept its 36 s budget (${took}s)" || bad "night 1 took ${took}s of 36"
for f in summary.md report.html nightly.json junit.xml meta.json steps.jsonl logs/corpus.log; do
    [ -s "$tmp/night1/$f" ] || bad "night 1 has no $f"
done
python3 "$SRC/tests/check_report.py" "$tmp/night1/report.html" --min-svg 0 >/dev/null ||
    bad "night 1 report.html is not valid"
python3 - "$tmp/night1" "$SRC" <<'EOF' && ok "night 1 steps" || bad "night 1 steps"
import json, os, sys
n = json.load(open(sys.argv[1] + "/nightly.json"))
st = {s["name"]: s for s in n["steps"]}
assert st["setup"]["status"] == "skip" and st["tests"]["status"] == "skip", st
assert st["corpus"]["status"] == "pass", st["corpus"]
fuzz_build = os.path.exists(sys.argv[2] + "/build-fuzz/fuzz/fuzz_reference_bytes")
if fuzz_build:
    assert st["fuzz"]["status"] == "pass", st["fuzz"]
    assert len(n["fuzz"]) == 1 and n["fuzz"][0]["series"], n["fuzz"]
else:
    assert st["fuzz"]["status"] == "skip" and "no libfuzzer build" in st["fuzz"]["note"], st["fuzz"]
stress = [s for s in n["steps"] if s["name"].startswith("stress")]
assert stress and all(s["status"] in ("pass", "skip") for s in stress), stress
assert n["exit"] == (1 if n["new_under_policy"] else 0) and n["policy"] == "reference", n["exit"]
EOF
ls "$tmp"/hist/nightly-*.json >/dev/null 2>&1 && ok "night 1 recorded in the history" || bad "no history"

run 10 night2
[ $rc -eq 0 ] && [ $took -le 12 ] && ok "night 2 with a 10 s budget (no fuzz, no stress): exit 0 in ${took}s" ||
    { bad "night 2 exit $rc in ${took}s"; tail -20 "$tmp/night2.log"; }
grep -q 'budget too small\|no libfuzzer build' "$tmp/night2/steps.jsonl" && ok "night 2 skipped fuzzing" ||
    bad "night 2 did not skip fuzzing"
grep -q '(tonight)' "$tmp/night2/report.html" && [ "$(grep -c '<tr><td>20' "$tmp/night2/report.html")" -ge 2 ] &&
    ok "night 2's trend shows night 1" || bad "night 2 trend"

bash "$SRC/ci/nightly.sh" --out "$tmp/x" >"$tmp/u.log" 2>&1
[ $? -eq 2 ] && grep -q 'budget is required' "$tmp/u.log" && ok "no --budget: exit 2" || bad "no --budget"
bash "$SRC/ci/nightly.sh" --budget 5x >"$tmp/u.log" 2>&1
[ $? -eq 2 ] && grep -q "bad --budget '5x'" "$tmp/u.log" && ok "bad --budget: exit 2" || bad "bad --budget"
TERNRIG_POLICY=kmod3 bash "$SRC/ci/nightly.sh" --budget 1m >"$tmp/u.log" 2>&1
[ $? -eq 2 ] && grep -q "TERNRIG_POLICY='kmod3'" "$tmp/u.log" && ok "bad TERNRIG_POLICY: exit 2" || bad "bad policy"
bash "$SRC/ci/nightly.sh" --budget 1m --out "$tmp/night1" >"$tmp/u.log" 2>&1
[ $? -eq 2 ] && grep -q 'not empty' "$tmp/u.log" && ok "used --out: exit 2" || bad "used --out"
bash "$SRC/ci/nightly.sh" --help | grep -q 'Exit status' && ok help || bad help

checks_done "nightly script"
