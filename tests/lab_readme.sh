#!/usr/bin/env bash
# lab_readme.sh TERNRIG SRCDIR - README.md's policy-lab table is the one
# ci/update-readme-lab.sh draws, and the result it was drawn from
# (ci/lab-readme.json) is not stale where staleness can be checked
# without fuzzing or mounting:
#   - the README's table is `ternrig lab --from ci/lab-readme.json
#     --markdown`, byte for byte;
#   - its policies are the descriptor's (`ternrig policies`), in order: a
#     new policy makes it stale;
#   - its corpus column is what the model gives today (`ternrig lab
#     --only corpus`): a new trace or a changed decision makes it stale;
#   - its clients counts are the README's clients matrix's, counted per
#     policy (that matrix has its own staleness test, clients.sh).
# The fuzz and stress columns are measurements (time-bound, seeded): a
# new run changes them; they are not compared.
set -u
T=$1
SRC=$2
source "$(dirname "$0")/checks.sh"
J=$SRC/ci/lab-readme.json

bash "$SRC/ci/readme_section.sh" get lab-table "$SRC/README.md" >"$tmp/readme.md" 2>/dev/null
if [ ! -s "$tmp/readme.md" ]; then bad "README.md has no lab-table section"
elif ! "$T" lab --from "$J" --markdown >"$tmp/md" 2>"$tmp/err"; then
    bad "ternrig lab --from $J fails: $(cat "$tmp/err")"
elif ! diff -u "$tmp/readme.md" "$tmp/md" >"$tmp/out"; then
    bad "README.md's lab table is not ci/lab-readme.json's: run ci/update-readme-lab.sh"
    head -20 "$tmp/out"
else ok readme_table; fi

"$T" policies >"$tmp/policies"
"$T" lab --only corpus --corpus "$SRC/corpus/traces" --out "$tmp/labout" --json \
    >"$tmp/fresh.json" 2>"$tmp/err" || { bad "lab --only corpus: $(cat "$tmp/err")"; checks_done lab_readme; }
python3 - "$J" "$tmp/fresh.json" "$tmp/policies" "$SRC/README.md" <<'PY' >"$tmp/out" 2>&1
import json, re, sys
saved = json.load(open(sys.argv[1]))
fresh = json.load(open(sys.argv[2]))
policies = open(sys.argv[3]).read().split()
fails = 0
def bad(msg):
    global fails
    fails += 1
    print("FAIL " + msg)
got = [p["policy"] for p in saved["policies"]]
if got != policies:
    bad("policies %s, the descriptor has %s: run ci/update-readme-lab.sh" % (got, policies))
else:
    print("ok   policies")
fc = {p["policy"]: p.get("corpus") for p in fresh["policies"]}
for p in saved["policies"]:
    if p.get("corpus") != fc.get(p["policy"]):
        bad("%s: corpus %s, the model gives %s today: run ci/update-readme-lab.sh"
            % (p["policy"], p.get("corpus"), fc.get(p["policy"])))
    else:
        print("ok   corpus %s" % p["policy"])
# the clients matrix in README.md, counted per policy column
readme = open(sys.argv[4]).read()
m = re.search(r"<!-- clients-matrix:begin -->\n(.*?)<!-- clients-matrix:end -->", readme, re.S)
rows = [l for l in m.group(1).splitlines() if l.startswith("| `")]
head = [h.strip() for h in m.group(1).splitlines()[0].strip("|").split(" | ")]
words = ["exact", "empty", "truncated", "lost", "error"]
for p in saved["policies"]:
    c = p.get("clients")
    if not c or not c.get("ran"):
        bad("%s: no clients counts in ci/lab-readme.json" % p["policy"])
        continue
    col = head.index(p["policy"])
    count = dict.fromkeys(words + ["skipped"], 0)
    for r in rows:
        cells = re.split(r"(?<!\\) \| ", r.strip("|").strip())
        w = re.match(r"\*\*([a-z]+)\*\*", cells[col].strip())
        if w and w.group(1) in count:
            count[w.group(1)] += 1
    want = {k: c.get(k, 0) for k in count}
    if want != count:
        bad("%s: clients %s, README's matrix has %s: run ci/update-readme-lab.sh" % (p["policy"], want, count))
    else:
        print("ok   clients %s" % p["policy"])
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$tmp/out"
[ "$rc" -eq 0 ] || fails=$((fails + 1))

checks_done lab_readme
