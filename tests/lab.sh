#!/usr/bin/env bash
# lab.sh TERNRIG SRCDIR - `ternrig lab --quick`: every policy of the
# descriptor gets a row with every part (fuzz with each engine built,
# corpus, stress, clients), the JSON, the terminal table and the report's
# HTML section agree, and what cannot run here is said to be skipped
# (stress and clients without root or /dev/fuse, an engine without its
# build), never shown as a result.  The usage errors are checked too.
set -u
T=$1
SRC=$2
source "$(dirname "$0")/checks.sh"

expect_rc help 0 'usage: ternrig lab' -- "$T" lab --help
expect_rc bad_only 2 "bad --only 'fuzz,nope'" -- "$T" lab --only fuzz,nope
expect_rc bad_seeds 2 "bad --seeds '0'" -- "$T" lab --seeds 0
expect_rc bad_engine 2 "unknown engine" -- "$T" lab --engines libfuzzer,honggfuzz
expect_rc bad_policy 2 "unknown policy 'kmod3'" -- "$T" lab --policy kmod3
expect_rc html_needs_from 2 'give --from' -- "$T" lab --html
expect_rc from_missing 2 'nope.json' -- "$T" lab --from "$tmp/nope.json"
echo '{"tool":"ternrig stress","version":1}' >"$tmp/other.json"
expect_rc from_not_lab 2 'not a ternrig lab result' -- "$T" lab --from "$tmp/other.json"
touch "$tmp/file"
expect_rc out_refused 2 'lab: --out' -- "$T" lab --only corpus --out "$tmp/file/sub"

# The quick run, whole.
cd "$SRC" || exit 1
"$T" lab --quick --out "$tmp/run" --json >"$tmp/lab.json" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ]; then
    bad "lab --quick: exit $rc"; tail -20 "$tmp/err"
    checks_done lab
fi
ok "lab --quick ran"
mounting=yes
if [ "$(id -u)" -ne 0 ] || [ ! -w /dev/fuse ]; then
    mounting=no
    echo "SKIP (loudly): stress and clients need root and /dev/fuse; checking that the lab says so"
fi
fuzzing=no
for d in "$(dirname "$T")/../build-fuzz-nosan" "${TERNRIG_FUZZ_NOSAN_DIR:-/nonexistent}"; do
    [ -d "$d" ] && fuzzing=yes
done
[ "$fuzzing" = no ] && echo "SKIP (loudly): no fuzz-nosan build: checking that the lab says the engines are n/a"
"$T" policies >"$tmp/policies"
python3 - "$tmp/lab.json" "$tmp/policies" "$mounting" "$tmp/err" <<'PY' >"$tmp/out" 2>&1
import json, sys
lab = json.load(open(sys.argv[1]))
policies = open(sys.argv[2]).read().split()
mounting = sys.argv[3] == "yes"
err = open(sys.argv[4]).read()
fails = 0
def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += not cond
check(lab["quick"] is True, "quick mode recorded")
check([p["policy"] for p in lab["policies"]] == policies,
      "a row per policy of the descriptor, in order")
engines = {e["engine"]: e for e in lab["fuzz"]["engines"]}
check(set(engines) == {"libfuzzer", "afl"}, "both engines listed")
for name, e in engines.items():
    if not e["ran"]:
        check(e["why"] != "" and ("SKIPPING fuzz with %s" % name) in err,
              "%s not run, said so: %s" % (name, e["why"]))
for p in lab["policies"]:
    n = p["policy"]
    c = p["corpus"]
    check(c["traces"] > 0 and c["hold"] == c["traces"] and c["errors"] == 0,
          "%s: corpus %d/%d hold" % (n, c["hold"], c["traces"]))
    for name, e in engines.items():
        if e["ran"]:
            r = p["fuzz"][name]
            check(len(r["runs"]) == 1 and r["runs"][0]["error"] == ""
                  and "median" in r, "%s: fuzz %s ran: %s" % (n, name, r.get("median")))
    if mounting:
        check(lab["clients"]["ran"], "clients ran")
        cl = p["clients"]
        if cl["ran"]:
            total = sum(cl[k] for k in ("exact", "empty", "truncated", "lost", "error", "skipped"))
            check(total > 0, "%s: clients %d programs" % (n, total))
        else:
            check(cl["why"] != "", "%s: clients n/a, said why: %s" % (n, cl["why"]))
        st = p["stress"]
        check(st["ran"] and st["scenarios"] > 0 or (not st["ran"] and st["why"]),
              "%s: stress %s" % (n, st.get("scenarios", st.get("why"))))
    else:
        check(not lab["stress"]["ran"] and not lab["clients"]["ran"]
              and "SKIPPING stress and clients" in err,
              "stress and clients not run, said so")
# the reference policy is meant to be correct: no safety violation
ref = next(p for p in lab["policies"] if p["policy"] == "reference")
check(ref["corpus"]["safety"] == 0, "reference: no corpus trace with a safety violation")
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$tmp/out"
[ "$rc" -eq 0 ] || fails=$((fails + 1))
# the seed reached the engine
if [ "$fuzzing" = yes ]; then
    if grep -q '^INFO: Seed: 1$' "$tmp"/run/fuzz/libfuzzer-reference-seed1/logs/*.log; then ok "libfuzzer ran with seed 1"
    else bad "libfuzzer's log does not say seed 1"; fi
fi

# The table, the Markdown and the HTML are drawn from the same JSON.
"$T" lab --from "$tmp/run/lab.json" >"$tmp/table" 2>&1
if cmp -s "$tmp/run/lab.json" "$tmp/lab.json" &&
   [ "$(grep -c '^' "$tmp/table")" -gt "$(wc -l <"$tmp/policies")" ] &&
   grep -q '^reference ' "$tmp/table"; then ok "table from OUT/lab.json"
else bad "OUT/lab.json differs from --json, or its table lacks rows"; head -20 "$tmp/table"; fi
"$T" lab --from "$tmp/run/lab.json" --markdown >"$tmp/md"
rows=$(grep -c '^| `' "$tmp/md")
if [ "$rows" -eq "$(wc -l <"$tmp/policies")" ]; then ok "markdown: $rows rows"
else bad "markdown: $rows rows"; fi
"$T" report "$tmp/run" >"$tmp/rep" 2>&1
if grep -q '<section id="lab">' "$tmp/run/report.html" &&
   python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["lab"]["tool"] == "ternrig lab"' "$tmp/run/nightly.json"; then
    ok "report.html has the lab's section, nightly.json its result"
else bad "report: no lab section"; tail -5 "$tmp/rep"; fi

checks_done lab
