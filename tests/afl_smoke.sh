#!/usr/bin/env bash
# afl_smoke.sh TERNRIG FUZZ_DIR - the AFL++ build (`cmake --preset afl`)
# works end to end, in about 30 s:
#  1. every engine target runs its seeds through AFL++'s libFuzzer driver,
#     with ASan+UBSan, and none shows a violation under `reference`;
#  2. `ternrig fuzz --engine afl` runs afl-fuzz with the custom mutator on
#     every policy, finds violations and writes reproducers that replay;
#  3. the byte-level targets run under afl-fuzz with the dictionary;
#  4. the decoder and parser targets run under afl-fuzz without a crash.
# The targets and policies are taken from FUZZ_DIR, not listed here.
set -u
T=$1
D=$2
command -v afl-fuzz >/dev/null || { echo "SKIP: afl-fuzz is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1

# 1. seeds through the driver (no afl-fuzz): a run per input file
n=0
mkdir -p "$tmp/collect"
for s in "$D"/seeds/*/; do
    t=$(basename "$s")
    [ -x "$D/$t" ] || { bad "$t: no engine binary for seeds/$t"; continue; }
    TERNRIG_FUZZ_COLLECT="$tmp/collect" timeout 60 "$D/$t" "$s"* \
        >"$tmp/seeds-$t.log" 2>&1 || { bad "$t on its seeds"; tail -5 "$tmp/seeds-$t.log"; }
    n=$((n + 1))
done
[ $n -ge 4 ] || bad "only $n targets with seeds in $D"
if ls "$tmp"/collect/reference.* >/dev/null 2>&1; then
    bad "a seed violates under reference: $(ls "$tmp"/collect/reference.* | head -3)"
fi

# 2. afl-fuzz with the custom mutator, every policy, through ternrig fuzz
"$T" fuzz --engine afl --all --time 10s --jobs 2 --fuzz-dir "$D" \
    --out "$tmp/a" >"$tmp/a.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { bad "ternrig fuzz --engine afl exit $rc"; tail -20 "$tmp/a.log"; }
python3 - "$tmp/a" <<'EOF' || bad "fuzz.json: every policy ran and something was found"
import json, sys
d = json.load(open(sys.argv[1] + "/fuzz.json"))
assert d["engine"] == "afl" and d["exit"] == 0, (d["engine"], d["exit"])
assert len(d["series"]) >= 2, d["series"]
for s in d["series"]:
    assert s["samples"] and s["samples"][-1][1] > 0, (s["policy"], s["samples"][-1:])
assert d["findings"], "no findings in 10 s of five policies"
assert not any(f["policy"] == "reference" for f in d["findings"]), d["findings"]
EOF
ls "$tmp"/a/findings/*.trace >/dev/null 2>&1 || bad "no reproducers written"
grep -L '^expect\[' "$tmp"/a/findings/*.trace 2>/dev/null | grep -q . && bad "a reproducer lacks its expect line"
"$T" replay --all-policies --quiet "$tmp/a/findings" >"$tmp/replay.log" 2>&1 ||
    { bad "reproducers do not replay as they expect"; tail -5 "$tmp/replay.log"; }

# 3. byte-level mutation with the dictionary (afl-fuzz -x)
"$T" fuzz --engine afl --all --bytes --time 6s --jobs 2 --fuzz-dir "$D" \
    --out "$tmp/b" >"$tmp/b.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { bad "ternrig fuzz --engine afl --bytes exit $rc"; tail -20 "$tmp/b.log"; }

# 4. the decoder and the parser under afl-fuzz itself: no crash
for t in fuzz_decode fuzz_trace_parse; do
    [ -x "$D/$t" ] || { bad "$t missing"; continue; }
    timeout 60 afl-fuzz -i "$D/seeds/$t" -o "$tmp/$t" -V 3 -- "$D/$t" \
        >"$tmp/$t.log" 2>&1 || { bad "afl-fuzz $t"; tail -5 "$tmp/$t.log"; continue; }
    st="$tmp/$t/default/fuzzer_stats"
    execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$st" 2>/dev/null)
    crashes=$(awk -F': *' '$1 ~ /^(saved|unique)_crashes/ {print $2}' "$st" 2>/dev/null)
    [ "${execs:-0}" -gt 0 ] || bad "$t: afl-fuzz ran nothing"
    [ "${crashes:-1}" -eq 0 ] || bad "$t: $crashes crash(es) in $tmp/$t/default/crashes"
done

[ $fails -eq 0 ] && echo "AFL++ smoke checks passed" || exit 1
