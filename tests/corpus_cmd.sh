#!/usr/bin/env bash
# corpus_cmd.sh TERNRIG CORPUS - the corpus workflow: `ternrig corpus add`
# turns a finding into a corpus trace (normalized, minimized, named by
# policy, kind and shape, expectations for every policy that hold),
# refuses shapes the corpus has (renamed, other write sizes, or a larger
# trace showing the same minimized bug), and `corpus check` catches broken
# expectations, missing policies and duplicate shapes.
set -u
T=$1
CORPUS=$2
source "$(dirname "$0")/checks.sh"


cp -r "$CORPUS" "$tmp/corpus"
mkdir "$tmp/f"
# a fuzz reproducer of a bug the corpus lacks: kmod refuses the create of a
# process whose leader exited (its mm is gone) - with extra statements and
# names as a stress worker writes them
cat >"$tmp/f/kmod-create-failed-1.trace" <<'EOF'
# ternrig fuzz finding: create-failed under the kmod policy.
spawn p0
spawn p9
p9 exit_group
p0 thread p1
p0 exit
p1 create f0 cloexec
p1 write f0 3
p1 close f0
EOF

expect_rc add_dry_run 0 'new +.*create-failed under kmod -> .*/kmod-create-failed-[0-9a-f]{12}\.trace' -- \
    "$T" corpus add --dir "$tmp/corpus" --dry-run "$tmp/f/kmod-create-failed-1.trace"
[ "$(ls "$tmp/corpus" | wc -l)" -eq "$(ls "$CORPUS" | wc -l)" ] && ok "dry run writes nothing" ||
    bad "dry run wrote a file"
expect_rc add 0 'added .*kmod-create-failed-[0-9a-f]{12}\.trace' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/kmod-create-failed-1.trace"
new=$(ls "$tmp"/corpus/kmod-create-failed-*.trace 2>/dev/null | head -1)
if [ -n "$new" ]; then
    # normalized and minimized: p9 and the write/close are gone, names canonical
    python3 - "$new" $("$T" policies) <<'EOF' && ok "the added trace: minimized, canonical names, expectations for all policies" || bad "added trace content"
import sys
text = open(sys.argv[1]).read()
stmts = [l for l in text.splitlines() if l and not l.startswith("#") and not l.startswith("expect")]
assert stmts == ["spawn a", "a thread b", "a exit", "b create f cloexec"], stmts
exp = [l for l in text.splitlines() if l.startswith("expect")]
covered = set()
for l in exp:
    head = l.split()[0]
    covered |= {"reference"} if head == "expect" else set(head[7:-1].split(","))
assert covered == set(sys.argv[2:]), covered  # `ternrig policies`
# reference aborts f when the process dies; kmod refuses the create (the
# leader's mm is gone); fuse-naive seals on the teardown flush
for want in ("expect f aborted", "expect clean",
             "expect[kmod,kmod-2024,fuse-closetracker] f transient",
             "expect[kmod,kmod-2024] violation create-failed f",
             "expect[fuse-naive] violation visible-after-abort f"):
    assert want in exp, (want, exp)
assert "# ternrig fuzz finding: create-failed under the kmod policy." in text
EOF
    expect_rc added_replays 0 "expectations hold$("$T" policies | sed 's| *.*| +1/1|' | tr -d '\n')" -- "$T" replay --all-policies --quiet "$new"
else
    bad "no kmod-create-failed file written"
fi

expect_rc add_again_refused 1 'duplicate .*same shape as .*kmod-create-failed-' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/kmod-create-failed-1.trace"
sed -e 's/\bp1\b/w7/g; s/\bf0\b/x2/g; s/ 3$/ 99/' "$tmp/f/kmod-create-failed-1.trace" >"$tmp/f/renamed.trace"
expect_rc renamed_is_duplicate 1 'duplicate' -- "$T" corpus add --dir "$tmp/corpus" "$tmp/f/renamed.trace"
# a hand-written corpus trace, renamed, other sizes, expects dropped
grep -v '^expect' "$CORPUS/nonleader-exec-slot-reuse-fork.trace" |
    sed -e 's/\bt\b/q/g; s/ 10$/ 7/' >"$tmp/f/known.trace"
expect_rc known_shape_refused 1 'same shape as .*nonleader-exec-slot-reuse-fork.trace' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/known.trace"
# its minimized kmod early-seal form (what ternrig fuzz reports) is known too
printf 'spawn a\na create f\na thread b\nb exec\nb fork c reuses a\nc close f\nexpect[kmod] violation early-seal f\n' \
    >"$tmp/f/kmod-early-seal-1.trace"
expect_rc minimized_known 1 'same shape as .*nonleader-exec-slot-reuse-fork.trace' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/kmod-early-seal-1.trace"
expect_rc json 1 '"status":"duplicate","same_as":' -- \
    "$T" corpus add --dir "$tmp/corpus" --json "$tmp/f/known.trace"
# the generated expectations match the hand-written ones on a corpus trace
mkdir "$tmp/empty"
grep -v '^expect' "$CORPUS/nonleader-exec-slot-reuse-fork.trace" >"$tmp/f/x.trace"
"$T" corpus add --dir "$tmp/empty" --keep "$tmp/f/x.trace" >/dev/null 2>&1
if diff <(grep -h '^expect' "$tmp"/empty/*.trace | sort) \
        <(grep '^expect' "$CORPUS/nonleader-exec-slot-reuse-fork.trace" | sort) >"$tmp/diff"; then
    ok "generated expectations equal the hand-written ones"
else
    bad "generated expectations differ"; cat "$tmp/diff"
fi

printf 'spawn a\na create f\na write f 1\na thread b\nb write f 2\nb close f\n' >"$tmp/f/clean.trace"
expect_rc no_violation_refused 2 'no violation under any policy; give --policy and --kind' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/clean.trace"
expect_rc real_only_with_kind 0 'added .*reference-early-seal-' -- \
    "$T" corpus add --dir "$tmp/corpus" --policy reference --kind early-seal "$tmp/f/clean.trace"
printf 'spawn a\na frob f\n' >"$tmp/f/broken.trace"
expect_rc malformed_finding 2 'broken.trace:2: unknown statement' -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/broken.trace"
printf 'spawn a\na close f\n' >"$tmp/f/invalid.trace"
expect_rc invalid_finding 2 "invalid.trace:2: fd 'f' is not open" -- \
    "$T" corpus add --dir "$tmp/corpus" "$tmp/f/invalid.trace"
expect_rc policy_without_kind 2 'go together' -- \
    "$T" corpus add --dir "$tmp/corpus" --policy kmod "$tmp/f/clean.trace"
expect_rc add_nothing 2 'no finding given' -- "$T" corpus add

# --- check ----------------------------------------------------------------
expect_rc check_corpus 0 'every expectation holds' -- "$T" corpus check "$CORPUS"
expect_rc check_with_added 0 'every expectation holds' -- "$T" corpus check "$tmp/corpus"
mkdir "$tmp/c2"
sed 's/^expect f sealed 100$/expect f sealed 101/' "$CORPUS/basic-close.trace" >"$tmp/c2/wrong.trace"
grep -q 'sealed 101' "$tmp/c2/wrong.trace" || bad "fixture: basic-close.trace changed"
expect_rc check_wrong_expectation 1 'FAIL .*wrong.trace:[0-9]+: under reference, expect f sealed 101: f is sealed 100' -- \
    "$T" corpus check "$tmp/c2"
rm "$tmp/c2/wrong.trace"
sed -e 's/\ba\b/z/g' "$CORPUS/killed-writer.trace" >"$tmp/c2/killed-writer-renamed.trace"
cp "$CORPUS/killed-writer.trace" "$tmp/c2/"
expect_rc check_duplicate_shape 1 'same shape as' -- "$T" corpus check "$tmp/c2"
rm "$tmp/c2"/killed-writer*
grep -v '^expect\[' "$CORPUS/killed-writer.trace" >"$tmp/c2/bare.trace"
expect_rc check_missing_policy 1 'bare.trace: no expectation applies under kmod' -- "$T" corpus check "$tmp/c2"
expect_rc check_bad_dir 2 'No such file' -- "$T" corpus check "$tmp/nonexistent"
expect_rc check_policy_without_mount 2 'goes with --mount' -- "$T" corpus check --policy kmod "$CORPUS"

# --- min needs the libFuzzer build ----------------------------------------
expect_rc min_no_targets 2 'no libFuzzer targets found in /nonexistent' -- \
    "$T" corpus min --fuzz-dir /nonexistent --out "$tmp/min"
expect_rc min_no_out 2 'out DIR is required' -- "$T" corpus min
expect_rc help 0 'usage: ternrig corpus add' -- "$T" corpus --help
expect_rc unknown_sub 2 "unknown subcommand 'frob'" -- "$T" corpus frob

checks_done "corpus command"
