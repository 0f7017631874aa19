#!/usr/bin/env bash
# cli.sh TERNRIG CORPUS - the command line as a user meets it: help, bad
# flags, missing files, malformed traces (FILE:LINE), exit codes, JSON, the
# encode/decode round trip and truncated binary input.
set -u
T=$1
CORPUS=$2
source "$(dirname "$0")/checks.sh"

expect_rc help 0 'replay' -- "$T" help
expect_rc help_cmd 0 'all-policies' -- "$T" help replay
expect_rc replay_help 0 'usage: ternrig replay' -- "$T" replay --help
expect_rc no_command 2 'usage' -- "$T"
expect_rc unknown_command 2 "unknown command 'frobnicate'" -- "$T" frobnicate
expect_rc bad_flag 2 "Try 'ternrig replay --help'" -- "$T" replay --bogus x
expect_rc bad_policy 2 "unknown policy 'kmod3'" -- "$T" replay --policy kmod3 "$CORPUS"
expect_rc policy_and_all 2 'exclude' -- "$T" replay --policy kmod --all-policies "$CORPUS"
expect_rc no_trace 2 'no trace given' -- "$T" replay
expect_rc missing_file 2 '/nonexistent/x.trace: No such file' -- "$T" replay /nonexistent/x.trace
mkdir "$tmp/empty"
expect_rc empty_dir 2 'no .trace or .trb files' -- "$T" replay "$tmp/empty"

printf 'spawn a\na create f\na frob f\n' >"$tmp/syntax.trace"
expect_rc syntax_error 2 "syntax.trace:3: unknown statement 'a frob'" -- "$T" replay "$tmp/syntax.trace"
printf 'spawn a\na write f 0\n' >"$tmp/range.trace"
expect_rc size_range 2 'range.trace:2: write size 0 out of range' -- "$T" replay "$tmp/range.trace"
printf 'spawn a\na exit_group\na create f\n' >"$tmp/dead.trace"
expect_rc dead_task 2 "dead.trace:3: task 'a' is dead" -- "$T" replay --all-policies "$tmp/dead.trace"
printf 'spawn a\na close f\n' >"$tmp/notopen.trace"
expect_rc fd_not_open 2 "notopen.trace:2: fd 'f' is not open" -- "$T" replay "$tmp/notopen.trace"

printf 'spawn a\na create f\na write f 5\na close f\nexpect f sealed 6\n' >"$tmp/wrong.trace"
expect_rc failing_expectation 1 'expectation failed, line 5: expect f sealed 6: f is sealed 5' -- "$T" replay "$tmp/wrong.trace"
expect_rc passing_expectation 0 'PASS  kmod' -- "$T" replay "$tmp/wrong.trace" --policy kmod
expect_rc timeline 0 'flush f by a .* -> seal' -- "$T" replay -v "$tmp/wrong.trace" --policy kmod
expect_rc corpus_all 0 'expectations hold' -- "$T" replay --all-policies --quiet "$CORPUS"

# --json: one object per trace and policy, each a valid JSON document
"$T" replay --all-policies --json "$CORPUS/killed-writer.trace" >"$tmp/json" 2>&1
if [ "$(wc -l <"$tmp/json")" -eq "$("$T" policies | wc -l)" ] &&
   python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert o["pass"] is True and o["trace"].endswith("killed-writer.trace"), o
    assert "a" not in o["files"] and "f" in o["files"], o
naive = [json.loads(l) for l in open(sys.argv[1])][3]
assert naive["policy"] == "fuse-naive"
assert any(f["kind"] == "visible-after-abort" for f in naive["findings"]), naive
' "$tmp/json"; then ok json; else bad json; cat "$tmp/json"; fi

# encode -> decode keeps the program, expectations included
fails_before=$fails
for t in "$CORPUS"/*.trace; do
    "$T" encode -o "$tmp/x.trb" "$t" && "$T" decode -o "$tmp/x.trace" "$tmp/x.trb" &&
        "$T" replay --all-policies --quiet "$tmp/x.trace" >/dev/null &&
        "$T" replay --all-policies --quiet "$tmp/x.trb" >/dev/null ||
        bad "round trip of $t"
done
[ "$fails" -eq "$fails_before" ] && ok encode_decode_corpus
expect_rc encode_invalid 2 "dead.trace:3: task 'a' is dead" -- "$T" encode -o "$tmp/dead.trb" "$tmp/dead.trace"
{ echo 'spawn a'; echo 'a create f'; for i in $(seq 600); do echo 'a write f 1'; done
  echo 'a close f'; echo 'expect f sealed 600'; } >"$tmp/long.trace"
expect_rc encode_long_raw_refused 2 'at most 512' -- "$T" encode --raw -o "$tmp/long.raw" "$tmp/long.trace"
"$T" encode -o "$tmp/long.trb" "$tmp/long.trace"
expect_rc long_binary_keeps_all 0 'PASS  reference.*\(1 expectation\)' -- "$T" replay "$tmp/long.trb"
expect_rc decode_text_refused 2 'is a text trace already' -- "$T" decode "$CORPUS/basic-close.trace"
printf 'spawn a\na thread t\nt exec\nt thread v\nt exit\nkill t\n' >"$tmp/zkill.trace"
expect_rc kill_zombie_leader_after_exec 0 'PASS' -- "$T" replay "$tmp/zkill.trace"
expect_rc json_and_verbose 2 'exclude' -- "$T" replay --json -v "$CORPUS"
expect_rc encode_to_tty_refused 2 'terminal' -- script -qec "$T encode $CORPUS/basic-close.trace" /dev/null

# truncated and garbage binary input: a valid program, never a crash
"$T" encode -o "$tmp/full.trb" "$CORPUS/exec-from-nonleader-thread.trace"
size=$(stat -c %s "$tmp/full.trb")
fails_before=$fails
for n in $(seq 0 "$size"); do
    head -c "$n" "$tmp/full.trb" >"$tmp/cut.trb"
    "$T" replay --all-policies --quiet "$tmp/cut.trb" >/dev/null 2>&1
    rc=$?
    [ "$rc" -le 1 ] || bad "truncated at $n bytes: exit $rc"
done
head -c 4096 /dev/urandom >"$tmp/noise.bin"
"$T" decode "$tmp/noise.bin" >"$tmp/noise.trace" && "$T" replay --all-policies --quiet "$tmp/noise.trace" >/dev/null
[ $? -le 1 ] || bad "random bytes"
[ "$fails" -eq "$fails_before" ] && ok truncated_and_random_binary

expect_rc bench_smoke 0 'model ops/s' -- "$T" bench --seconds 0.05 --programs 5
expect_rc bench_bad_seconds 2 "bad --seconds" -- "$T" bench --seconds -1

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all CLI checks passed"
