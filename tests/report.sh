#!/usr/bin/env bash
# report.sh TERNRIG CORPUS FIXTURES - `ternrig report` end to end on a
# nightly output directory made of fixtures: a fuzz.json as `ternrig fuzz`
# writes it (with its reproducers), and two `ternrig stress` reports (the
# embedded fs under reference with a finding the corpus lacks, a kmod
# mount with one it has).  Checks the exit status (1 iff a finding under
# the policy under test is new), nightly.json, the HTML (valid,
# self-contained, tables agreeing with nightly.json; the findings not in
# the corpus counted and listed once per (policy, kind, mechanism), with
# the smallest reproducer), junit.xml, summary.md, the trend from
# --history, and bad input.
set -u
T=$1
CORPUS=$2
FIX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "$0")/checks.sh"

night() { # night DIR STARTED: a nightly output directory from the fixtures
    cp -r "$FIX" "$1"
    mkdir -p "$1/logs"
    echo "build log" >"$1/logs/build.log"
    printf '{"started":"%s","budget_s":1800,"engine":"libfuzzer"}\n' "$2" >"$1/meta.json"
    printf '%s\n' \
        '{"name":"build","status":"pass","seconds":40.2,"log":"logs/build.log"}' \
        '{"name":"tests","status":"pass","seconds":61.0}' \
        '{"name":"stress (mount)","status":"skip","seconds":0,"note":"TERNRIG_MOUNT not set"}' \
        >"$1/steps.jsonl"
}

# --- night 1: a new reference finding -----------------------------------
night "$tmp/n1" 2024-05-01T02:00:00Z
"$T" report --policy reference --corpus "$CORPUS" "$tmp/n1" >"$tmp/n1.log" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "new reference finding: exit 1" || { bad "night 1 exit $rc, want 1"; cat "$tmp/n1.log"; }
for f in nightly.json report.html summary.md junit.xml; do
    [ -s "$tmp/n1/$f" ] || bad "no $f"
done
python3 "$HERE/check_report.py" "$tmp/n1/report.html" --min-svg 4 && ok "html valid and self-contained" ||
    bad "report.html"
# the checker itself catches what it is for
checker_catches() { # NAME SED-EXPRESSION
    sed "$2" "$tmp/n1/report.html" >"$tmp/n1/broken.html"
    if python3 "$HERE/check_report.py" "$tmp/n1/broken.html" --min-svg 4 >/dev/null; then
        bad "checker misses: $1"
    else
        ok "checker catches: $1"
    fi
}
checker_catches "an unclosed element" '0,/<\/table>/s///'
checker_catches "a script" 's|<body>|<body><script>x()</script>|'
checker_catches "a remote image" 's|<h1>|<h1><img src="https://example.org/x.png">|'
checker_catches "a CSS url()" 's|body{|body{background:url(x.png);|'
checker_catches "an absolute link" 's|href="fuzz/|href="http://example.org/|'
checker_catches "a link to a missing file" 's|href="fuzz/findings/|href="fuzz/gone/|'
checker_catches "a chart without lines" 's|<polyline|<polygon|g'
python3 - "$tmp/n1" $("$T" policies) <<'EOF' && ok "nightly.json, html tables, junit, summary agree" || bad "report contents"
import json, sys, re, html, xml.etree.ElementTree as ET
d = sys.argv[1]
n = json.load(open(d + "/nightly.json"))
assert n["tool"] == "ternrig nightly" and n["policy"] == "reference", n.keys()
assert n["started"] == "2024-05-01T02:00:00Z"
assert n["exit"] == 1 and n["new_under_policy"] == 1, (n["exit"], n["new_under_policy"])
fz = json.load(open(d + "/fuzz/fuzz.json"))
F = n["findings"]
assert len(F) == len(fz["findings"]) + 2, len(F)
by = {f["reproducer"]: f for f in F}
emb = by["stress/embedded/reproducers/early-seal-1.trace"]
assert emb["status"] == "new" and emb["policy"] == "reference" and emb["source"] == "stress", emb
assert emb["add"].endswith("--policy reference --kind early-seal " + d + "/stress/embedded/reproducers/early-seal-1.trace"), emb["add"]
mnt = by["stress/mount/reproducers/early-seal-1.trace"]
assert mnt["status"] == "known" and mnt["known_as"].endswith("nonleader-exec-slot-reuse-fork.trace"), mnt
k1 = by["fuzz/findings/kmod-early-seal-1.trace"]
assert k1["status"] == "known", k1
assert [s["name"] for s in n["steps"]] == ["build", "tests", "stress (mount)"]
assert len(n["fuzz"]) == 1 and len(n["stress"]) == 2
assert n["fuzz"][0]["dir"] == "fuzz" and n["stress"][0]["label"] == "embedded"

# every finding the model shows is named by its mechanism, as `ternrig
# fuzz` names it (mechanism.h; this fixture's fuzz.json has none of its
# own); a real run's finding the model does not show (the embedded fs
# under reference) is counted by its shape
for f in F:
    shown = f["source"] == "fuzz" or f["policy"] != "reference"
    assert f["status"] != "unreadable" and ("mechanism" in f) == shown, f
    assert f["statements"] > 0, f
key = lambda f: (f["policy"], f["kind"], f.get("mechanism", f["shape"]))
disp = lambda f: f.get("mechanism", "not shown by the model (shape %s)" % f["shape"])

# the per-policy table: each cell is the number of distinct mechanisms
page = open(d + "/report.html").read()
table = page[page.index('id="findings"'):page.index('id="new"')]
policies = sys.argv[2:]  # `ternrig policies`, the table's column order
for row in re.findall(r"<tr><td>([a-z-]+)</td>(.*?)</tr>", table):
    kind, cells = row
    got = [int(c) for c in re.findall(r'<td class="n (?:hit|zero)">(\d+)', cells)]
    want = [len({key(f) for f in F if f["policy"] == p and f["kind"] == kind}) for p in policies]
    assert got == want, (kind, got, want)

# findings not in the corpus: one line per (policy, kind, mechanism), its
# count and its smallest reproducer
new = [f for f in F if f["status"] not in ("known", "variant")]
groups = {}
for f in new:
    groups.setdefault(key(f), []).append(f)
# variants: another shape of a root cause a corpus trace shows under the
# same (policy, kind) (the fixture's fuzz findings all are, or are known);
# counted as known and listed apart, one line per mechanism with the trace
# that has it; several findings share a mechanism
var = [f for f in F if f["status"] == "variant"]
vgroups = {}
for f in var:
    assert f["known_as"].endswith(".trace") and "mechanism" in f, f
    vgroups.setdefault(key(f), []).append(f)
assert 1 < len(vgroups) < len(var), (len(vgroups), len(var))
vsec = page[page.index('id="variants"'):page.index("</table>", page.index('id="variants"'))]
vrows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                   r'<td class="n">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', vsec)
assert len(vrows) == len(vgroups), (len(vrows), len(vgroups))
for pol, kind, mech, count, src, trace in vrows:
    g = vgroups[(pol, kind, html.unescape(mech))]
    assert int(count) == len(g) and trace in {f["known_as"].split("/")[-1] for f in g}, (mech, count, trace)
section = page[page.index('id="new"'):page.index("</table>", page.index('id="new"'))]
rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                  r'<td class="n">(\d+)</td><td>([^<]*)</td><td><a class="new" href="([^"]+)"', section)
assert len(rows) == len(groups), (len(rows), len(groups))
shown = {(f["policy"], f["kind"], disp(f)): key(f) for f in new}
for pol, kind, mech, count, src, repro in rows:
    g = groups[shown[(pol, kind, html.unescape(mech))]]
    assert int(count) == len(g), (pol, kind, mech, count, len(g))
    assert by[repro] in g and by[repro]["statements"] == min(f["statements"] for f in g), repro
    assert src == ", ".join(sorted({f["source"] for f in g})), src
assert rows[0][0] == "reference", rows[0]  # the policy under test first
assert "kmod / early-seal" in page and "0.9" in page  # stress first detection
new_links = re.findall(r'<a href="([^"]+)" class="new"', table)
assert sorted(new_links) == sorted(f["reproducer"] for f in new), new_links

j = ET.parse(d + "/junit.xml").getroot()[0]
assert j.get("failures") == "1" and j.get("skipped") == "1", j.attrib
fails = [c for c in j if c.find("failure") is not None]
assert len(fails) == 1 and "early-seal" in fails[0].get("name"), [c.attrib for c in fails]

s = open(d + "/summary.md").read()
assert "**NEW FINDING**" in s and "corpus add --policy reference --kind early-seal" in s
md = s[s.index("## Findings not in the corpus"):s.index("## Variants of corpus traces")]
assert md.count("\n- ") == len(groups), md
md = s[s.index("## Variants of corpus traces"):s.index("## Runs")]
assert md.count("\n- ") == len(vgroups), md
EOF

# --- night 2, with history: nothing new under reference -------------------
mkdir "$tmp/hist"
cp "$tmp/n1/nightly.json" "$tmp/hist/2024-05-01.json"
night "$tmp/n2" 2024-05-02T02:00:00Z
rm -r "$tmp/n2/stress/embedded"
"$T" report --policy reference --corpus "$CORPUS" --history "$tmp/hist" "$tmp/n2" >"$tmp/n2.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "nothing new under reference: exit 0" || { bad "night 2 exit $rc, want 0"; cat "$tmp/n2.log"; }
python3 "$HERE/check_report.py" "$tmp/n2/report.html" --min-svg 5 >/dev/null && ok "html with trend chart valid" ||
    bad "night 2 report.html"
python3 - "$tmp/n2" <<'EOF' && ok "trend against the previous night" || bad "trend"
import sys, re
page = open(sys.argv[1] + "/report.html").read()
trend = page[page.index('id="trend"'):]
rows = re.findall(r"<tr><td>(2024-[^<]*)</td>", trend)
assert rows == ["2024-05-01T02:00:00Z", "2024-05-02T02:00:00Z (tonight)"], rows
assert "reference 1&#8594;0 (fewer)" in trend, trend[:400]
assert 'class="banner clean"' in page
EOF
# the same night under kmod: its findings there are all known or variants
# of corpus traces: exit 0, nothing fails in junit.xml
"$T" report --policy kmod --corpus "$CORPUS" "$tmp/n2" >"$tmp/kmod.log" 2>&1
rc=$?
[ $rc -eq 0 ] && python3 - "$tmp/n2" <<'EOF' && ok "kmod variants count as known: exit 0" || bad "kmod variants (exit $rc)"
import json, sys, xml.etree.ElementTree as ET
n = json.load(open(sys.argv[1] + "/nightly.json"))
st = {f["status"] for f in n["findings"] if f["policy"] == "kmod"}
assert st == {"known", "variant"} and n["new_under_policy"] == 0, (st, n["new_under_policy"])
assert ET.parse(sys.argv[1] + "/junit.xml").getroot()[0].get("failures") == "0"
EOF
# without the traces they are known as (nor any other with their root
# causes), the kmod findings are new, counted once per mechanism (fewer
# than the findings: several share one), and junit.xml fails once per
# mechanism
cp -r "$CORPUS" "$tmp/corpus"
for round in 1 2 3 4 5 6 7 8; do # each trace removed may uncover another
    python3 - "$tmp/n2" "$tmp/corpus" <<'EOF' || break
import json, os, sys
n = json.load(open(sys.argv[1] + "/nightly.json"))
known = [f["known_as"] for f in n["findings"] if f["policy"] == "kmod" and "known_as" in f]
for k in known:
    p = os.path.join(sys.argv[2], os.path.basename(k))
    if os.path.exists(p):
        os.remove(p)
sys.exit(0 if known else 1)
EOF
    "$T" report --policy kmod --corpus "$tmp/corpus" "$tmp/n2" >/dev/null 2>&1
done
"$T" report --policy kmod --corpus "$tmp/corpus" "$tmp/n2" >"$tmp/kmod.log" 2>&1
[ $? -eq 1 ] && ok "new kmod findings under --policy kmod: exit 1" || bad "--policy kmod exit"
python3 - "$tmp/n2" "$tmp/kmod.log" <<'EOF' && ok "new kmod findings counted by mechanism" || bad "kmod count by mechanism"
import json, re, sys, xml.etree.ElementTree as ET
n = json.load(open(sys.argv[1] + "/nightly.json"))
new = [f for f in n["findings"] if f["policy"] == "kmod" and f["status"] not in ("known", "variant")]
mechs = {(f["kind"], f["mechanism"]) for f in new}
assert n["new_under_policy"] == len(mechs) < len(new), (n["new_under_policy"], len(mechs), len(new))
said = re.search(r"(\d+) findings? under kmod not in the corpus \(one per mechanism\)", open(sys.argv[2]).read())
assert said and int(said.group(1)) == len(mechs), said
j = ET.parse(sys.argv[1] + "/junit.xml").getroot()[0]
assert j.get("failures") == str(len(mechs)), (j.get("failures"), len(mechs))
EOF
# once added to the corpus, a finding is known: exit 0
"$T" corpus add --dir "$tmp/corpus" --json "$tmp/n2/fuzz/findings"/kmod-* >"$tmp/add.log" 2>&1
"$T" report --policy kmod --corpus "$tmp/corpus" "$tmp/n2" >/dev/null 2>&1
[ $? -eq 0 ] && ok "after corpus add, kmod findings are known: exit 0" || { bad "known after add"; cat "$tmp/add.log"; }

# --- bad input ------------------------------------------------------------
night "$tmp/n3" 2024-05-03T02:00:00Z
echo '{"tool":"ternrig stress", "totals": {' >"$tmp/n3/stress/mount/stress.json"
echo 'spawn a' >"$tmp/n3/stress/embedded/reproducers/early-seal-1.trace"
echo 'a frob f' >>"$tmp/n3/stress/embedded/reproducers/early-seal-1.trace"
"$T" report --corpus "$CORPUS" "$tmp/n3" >"$tmp/n3.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'stress/mount/stress.json:2:1: unexpected end of input' "$tmp/n3.log" &&
    ok "broken stress JSON: exit 2 with file:line:col" || { bad "broken JSON exit $rc"; cat "$tmp/n3.log"; }
python3 - "$tmp/n3" <<'EOF' && ok "broken pieces shown in the report" || bad "broken pieces"
import json, sys
n = json.load(open(sys.argv[1] + "/nightly.json"))
err = [s for s in n["steps"] if s["status"] == "error"]
assert len(err) == 1 and "stress/mount/stress.json" in err[0]["name"], err
u = [f for f in n["findings"] if f["status"] == "unreadable"]
assert len(u) == 1 and "early-seal-1.trace:2: unknown statement" in u[0]["error"], u
EOF
# hostile JSON: deep nesting, random bytes, a truncated escape: an error
# with a position, never a crash (the _asan flavour checks memory too)
mkdir -p "$tmp/n4/stress/x"
head -c 100000 /dev/zero | tr '\0' '[' >"$tmp/n4/stress/x/deep.json"
head -c 4096 /dev/urandom >"$tmp/n4/stress/x/noise.json"
printf '{"tool":"ternrig stress","a":"\\u12' >"$tmp/n4/stress/x/escape.json"
printf '{"tool":"ternrig stress","findings":[{"kind":"early-seal","reproducer":"../../../etc/passwd"}],"timeline":[{"t":"x"}],"totals":7}\n' \
    >"$tmp/n4/stress/x/odd.json"
"$T" report --corpus "$CORPUS" "$tmp/n4" >"$tmp/n4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'deep.json:1:66: nested deeper than 64' "$tmp/n4.log" &&
    grep -q 'escape.json:1:.*\\u escape' "$tmp/n4.log" && grep -q 'noise.json:' "$tmp/n4.log" &&
    python3 "$HERE/check_report.py" "$tmp/n4/report.html" --min-svg 0 >/dev/null &&
    ok "hostile JSON: exit 2 with positions, the page still valid" || { bad "hostile JSON exit $rc"; cat "$tmp/n4.log"; }
echo '{"name":"build","status":"error","seconds":1,"note":"cmake failed"}' >"$tmp/n2/steps.jsonl"
"$T" report --corpus "$CORPUS" "$tmp/n2" >/dev/null 2>&1
[ $? -eq 2 ] && ok "a step in error: exit 2" || bad "error step exit"
"$T" report --corpus "$CORPUS" "$tmp/nonexistent" >"$tmp/x.log" 2>&1
[ $? -eq 2 ] && grep -q 'not a directory' "$tmp/x.log" && ok "missing dir: exit 2" || bad "missing dir"
"$T" report --policy kmod3 "$tmp/n2" >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad policy: exit 2" || bad "bad policy"
"$T" report --help | grep -q 'usage: ternrig report' && ok help || bad help

checks_done "report"
