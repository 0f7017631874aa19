#!/usr/bin/env bash
# hostile.sh TERNRIG CORPUS - the commands that do not mount, given what an
# attacker of the command line (or a shared directory) gives them (issue
# 18): FIFOs, symlink loops, deep trees, dangling links, text named .trb,
# raw bytes that look like text, bytes that are not UTF-8, bad numbers,
# broken nightly pieces.  Every command runs under `timeout`, so a
# regression to a hang fails here instead of hanging CI.
set -u
T=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CORPUS=$2
source "$(dirname "$0")/checks.sh"
t() { timeout 20 "$T" "$@"; } # a hang is exit 124, never a stuck CI job
good=$CORPUS/basic-close.trace

# --- 1-4: the directory walk -------------------------------------------
mkdir "$tmp/fifo"
cp "$good" "$tmp/fifo/"
mkfifo "$tmp/fifo/x.trace"
expect_rc fifo_skipped_said 0 'x.trace: skipped: a FIFO' -- t replay "$tmp/fifo"
expect_rc fifo_one_trace 0 'out of 1 trace$' -- t replay "$tmp/fifo"
expect_rc fifo_json 0 '"pass":true' -- t replay --json "$tmp/fifo"
expect_rc fifo_seeds 0 'skipped: a FIFO' -- t seeds --out "$tmp/fifo-seeds" "$tmp/fifo"
expect_rc fifo_corpus_check 0 'skipped: a FIFO' -- t corpus check "$tmp/fifo"

mkdir "$tmp/loop"
cp "$good" "$tmp/loop/"
ln -s . "$tmp/loop/again"
ln -s "$tmp/loop" "$tmp/loop/abs"
expect_rc symlink_loop_once 0 'out of 1 trace$' -- t replay "$tmp/loop"
expect_rc symlink_loop_said 0 'again: skipped: a directory already searched' -- t replay "$tmp/loop"
expect_rc symlink_loop_corpus_check 0 '' -- t corpus check "$tmp/loop"
ln -s basic-close.trace "$tmp/loop/alias.trace"
expect_rc file_alias_said 0 'close.trace: skipped: a file already found' -- t replay "$tmp/loop"
expect_rc file_alias_once 0 'out of 1 trace$' -- t replay "$tmp/loop"

mkdir -p "$tmp/deep/1/2/3/4/5/6/7/8/9/10/11/12"
cp "$good" "$tmp/deep/1/2/3/4/5/6/7/8/9/10/11/12/deep.trace"
expect_rc deep_trace_found 0 'PASS .*12/deep.trace' -- t replay "$tmp/deep"

mkdir "$tmp/dangle"
cp "$good" "$tmp/dangle/"
ln -s nowhere "$tmp/dangle/gone.trace"
expect_rc dangling_trace_reported 2 'gone.trace: a dangling symlink' -- t replay "$tmp/dangle"
rm "$tmp/dangle/gone.trace"
ln -s self.trace "$tmp/dangle/self.trace"
expect_rc looping_trace_reported 2 'self.trace: a symlink loop' -- t replay "$tmp/dangle"
rm "$tmp/dangle/self.trace"
ln -s nowhere "$tmp/dangle/subdir"
expect_rc dangling_other_said 0 'subdir: skipped: a dangling symlink' -- t replay "$tmp/dangle"

# --- 5-6: text or binary, by content ------------------------------------
printf 'spawn a\na create f\na write f 5\na close f\nexpect f sealed 6\n' >"$tmp/wrong.trb"
expect_rc text_named_trb_parsed 1 'expectation failed, line 5' -- t replay "$tmp/wrong.trb"
printf 'spawn a\na frob f\n' >"$tmp/typo.trb"
expect_rc text_named_trb_error 2 'typo.trb:2: .*read as a text trace' -- t replay "$tmp/typo.trb"
expect_rc text_trb_decode_refused 2 'is a text trace already' -- t decode "$tmp/wrong.trb"
for b in '\x20' '\x0a' '#x' '\x23\x20\x01' '\xff\xfe' '\x00'; do
    printf "$b" >"$tmp/raw.trb"
    expect_rc "decode_raw_$b" 0 '# decoded from' -- t decode "$tmp/raw.trb"
    t decode -o "$tmp/raw.trace" "$tmp/raw.trb" >/dev/null 2>&1
    expect_rc "decoded_raw_replays_$b" 0 '' -- t replay "$tmp/raw.trace"
    expect_rc "replay_raw_$b" 0 'PASS' -- t replay "$tmp/raw.trb"
done

# --- 7: JSON is valid UTF-8 whatever the bytes of a path ------------------
bad_name=$(printf 'n\xff\xfe\xc3(\xed\xa0\x80"\\\001')
mkdir "$tmp/$bad_name"
cp "$good" "$tmp/$bad_name/x.trace"
printf 'spawn a\na frob f\n' >"$tmp/$bad_name/y.trace"
json_valid() { # NAME LINES FILE: FILE holds LINES lines, each valid JSON in strict UTF-8
    if python3 -c 'import json, sys
lines = open(sys.argv[1], encoding="utf-8", errors="strict").read().splitlines()
assert len(lines) == int(sys.argv[2]), lines
for l in lines:
    json.loads(l)
' "$3" "$2"; then ok "$1"; else bad "$1"; cat "$3"; fi
}
t replay --all-policies --json "$tmp/$bad_name" >"$tmp/json" 2>/dev/null
npol=$("$T" policies | wc -l) # one line per trace and policy
json_valid json_non_utf8_path $((2 * npol)) "$tmp/json"
t replay --json "$tmp/$bad_name/gone.trace" >"$tmp/json" 2>/dev/null
json_valid json_non_utf8_missing 1 "$tmp/json"
python3 -c 'import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert o["trace"].endswith("n\u00ff\u00fe\u00c3(\u00ed\u00a0\u0080\"\\\u0001/gone.trace"), o["trace"]
' "$tmp/json" && ok json_bytes_as_latin1_code_points || bad json_bytes_as_latin1_code_points

# --- 10-11: help about help; numbers that wrap are refused ---------------
expect_rc help_help 0 'usage: ternrig help \[COMMAND\]' -- t help help
for n in -1 ' 1' +1 99999999999999999999999 18446744073709551616 0 1x ''; do
    expect_rc "bench_seed_'$n'" 2 'bad --seed' -- t bench --seed "$n" --seconds 0.01 --programs 1
done
expect_rc bench_seed_max 0 'model ops/s' -- t bench --seed 18446744073709551615 --seconds 0.01 --programs 1
expect_rc bench_programs_wrap 2 'bad --programs' -- t bench --programs 18446744073709551617 --seconds 0.01
expect_rc stress_workers_wrap 2 'workers must be' -- t stress --workers 4294967297 --policy no-such  # never mounts
expect_rc stress_seed_negative 2 'bad seed' -- t stress --seed -1 --policy no-such
for n in 0 1048577 -1 x ''; do  # refused before anything mounts
    expect_rc "fs_closetracker_map_'$n'" 2 'closetracker-map' -- t fs --closetracker-map "$n" "$tmp"
    expect_rc "clients_closetracker_map_'$n'" 2 'closetracker-map' -- t clients --closetracker-map "$n"
done

# --- --json: a missing PATH per policy, failures cut at 32 said ----------
t replay --all-policies --json "$tmp/nowhere" >"$tmp/json" 2>/dev/null
json_valid json_missing_path_valid "$npol" "$tmp/json"
python3 -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert o["policy"] and o["pass"] is False and "No such file" in o["error"], o
' "$tmp/json" && ok json_missing_path_has_policy || bad json_missing_path_has_policy
{ printf 'spawn a\na create f\na write f 5\na close f\n'
  for i in $(seq 40); do echo 'expect f sealed 6'; done; } >"$tmp/f40.trace"
t replay --json "$tmp/f40.trace" >"$tmp/json" 2>/dev/null
python3 -c 'import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["failed"] == 40 and len(o["failures"]) == 32, o
assert o["failures_cut"] is True and o["failures_left_out"] == 8, o
' "$tmp/json" && ok json_failures_cut_said || { bad json_failures_cut_said; cat "$tmp/json"; }
expect_rc text_failures_cut_said 1 '8 more failed expectations left out' -- t replay "$tmp/f40.trace"
expect_rc json_with_real_refused 2 'without --all-policies, --json' -- t replay --json --mount "$tmp/nowhere" "$good" # never mounts
expect_rc usage_json_not_with_real 0 'ternrig replay \(--real' -- t replay --help

# --- 8-9: report without its corpus, or with broken pieces ---------------
mkdir "$tmp/night"
echo '{"name":"build","status":"pass","seconds":1}' >"$tmp/night/steps.jsonl"
expect_rc report_clean_night 0 '0 findings under reference' -- t report --corpus "$CORPUS" "$tmp/night"
expect_rc report_no_corpus 2 'corpus /nonexistent: No such file' -- t report --corpus /nonexistent "$tmp/night"
expect_rc report_no_corpus_said_once 2 'cannot be trusted' -- t report --corpus /nonexistent "$tmp/night"
expect_rc report_outside_repository 2 'corpus corpus/traces: No such file.*--corpus DIR' -- env -C "$tmp" timeout 20 "$T" report "$tmp/night"
mkdir "$tmp/empty-corpus"
expect_rc report_empty_corpus 2 'no .trace or .trb files' -- t report --corpus "$tmp/empty-corpus" "$tmp/night"
report_refuses() { # NAME PATTERN STEP-LINE: the step line is refused, exit 2, one message
    echo "$3" >"$tmp/night/steps.jsonl"
    expect_rc "report_$1" 2 "$2" -- t report --corpus "$CORPUS" "$tmp/night"
    if grep -q 'not in the corpus' "$tmp/out"; then bad "report_$1: also says a finding count"; fi
}
report_refuses unknown_status 'steps.jsonl:1: step .build.: "status" must be' '{"name":"build","status":"weird","seconds":1}'
report_refuses seconds_string 'steps.jsonl:1: step .build.: "seconds" must be a number' '{"name":"build","status":"pass","seconds":"abc"}'
report_refuses no_name 'steps.jsonl:1: a step needs a "name"' '{"status":"pass"}'
report_refuses broken_line 'steps.jsonl:1: ' '{"name":'
echo '{"name":"build","status":"pass","seconds":1}' >"$tmp/night/steps.jsonl"
echo '{"started":' >"$tmp/night/meta.json"
report_refuses broken_meta 'meta.json:' '{"name":"build","status":"pass","seconds":1}'
rm "$tmp/night/meta.json"

# --- 12: seeds writes nothing when a trace is bad --------------------------
mkdir "$tmp/half"
cp "$good" "$tmp/half/a.trace"
printf 'spawn a\na frob f\n' >"$tmp/half/b.trace"
cp "$good" "$tmp/half/c.trace"
expect_rc seeds_trace_error 2 'b.trace:2: unknown statement' -- t seeds --out "$tmp/half-seeds" "$tmp/half"
[ ! -e "$tmp/half-seeds" ] && ok seeds_nothing_written || { bad seeds_nothing_written; find "$tmp/half-seeds" | head; }
rm "$tmp/half/b.trace"
expect_rc seeds_good 0 '2 traces ->' -- t seeds --out "$tmp/half-seeds" "$tmp/half"

# --- report walks OUTDIR with the same walker: FIFO, loop, depth ----------
mkdir -p "$tmp/night2/a/b/c/d/e/f"
echo '{"name":"build","status":"pass","seconds":1}' >"$tmp/night2/steps.jsonl"
mkfifo "$tmp/night2/a/stuck.json"
ln -s .. "$tmp/night2/a/up"
echo '{"tool":' >"$tmp/night2/a/b/c/d/e/f/deep.json"
expect_rc report_fifo_skipped 2 'stuck.json: skipped: a FIFO' -- t report --corpus "$CORPUS" "$tmp/night2"
expect_rc report_deep_json_read 2 'deep.json:2:1' -- t report --corpus "$CORPUS" "$tmp/night2"
expect_rc report_loop_ended 2 'up: skipped: a directory already searched' -- t report --corpus "$CORPUS" "$tmp/night2"

# --- 13-14: stress checks its output paths before the run ----------------
# (--mount of a missing directory: stress stops there, never mounting)
echo x >"$tmp/afile"
expect_rc stress_report_unwritable 2 'stress: --report .*afile.*: [Nn]ot a directory' -- t stress --mount "$tmp/nowhere" --duration 1s --report "$tmp/afile/r.json"
expect_rc stress_junit_is_dir 2 'stress: --junit .*: a directory, not a file' -- t stress --mount "$tmp/nowhere" --duration 1s --junit "$tmp"
expect_rc stress_out_unwritable 2 'stress: --out .*afile.*: [Nn]ot a directory' -- t stress --mount "$tmp/nowhere" --duration 1s --out "$tmp/afile/out"
t stress --mount "$tmp/nowhere" --duration 1s --out "$tmp/made/out" --report "$tmp/made2/sub/r.json" >/dev/null 2>&1
[ -d "$tmp/made/out" ] && [ -d "$tmp/made2/sub" ] && ok stress_output_folders_made_first || bad stress_output_folders_made_first
# --- 13: the other commands' outputs, checked before they run ------------
expect_rc fuzz_out_unwritable 2 'fuzz: --out .*afile.*: [Nn]ot a directory' -- t fuzz --out "$tmp/afile/out" --time 1s --fuzz-dir "$tmp/nowhere"
t fuzz --out "$tmp/fmade/sub" --time 1s --fuzz-dir "$tmp/nowhere" --nosan-dir "$tmp/nowhere" >/dev/null 2>&1
[ -d "$tmp/fmade/sub/logs" ] && ok fuzz_out_made_first || bad fuzz_out_made_first
expect_rc watch_output_is_dir 2 'watch: -o .*: a directory, not a file' -- t watch --mount "$tmp/nowhere" -o "$tmp" -- true
expect_rc watch_output_unwritable 2 'watch: -o .*afile.*: [Nn]ot a directory' -- t watch --mount "$tmp/nowhere" -o "$tmp/afile/r.txt" -- true
t watch --mount "$tmp/nowhere" -o "$tmp/wmade/sub/r.txt" -- true >/dev/null 2>&1
[ -d "$tmp/wmade/sub" ] && ok watch_output_folder_made_first || bad watch_output_folder_made_first
mkdir -p "$tmp/night3/report.html"
echo '{"name":"build","status":"pass","seconds":1}' >"$tmp/night3/steps.jsonl"
expect_rc report_output_is_dir 2 'report.html: a directory, not a file' -- t report --corpus "$CORPUS" "$tmp/night3"
[ ! -e "$tmp/night3/nightly.json" ] && ok report_nothing_written || bad report_nothing_written
NIGHTLY=$(dirname "$0")/../ci/nightly.sh
expect_rc nightly_out_is_file 2 'nightly.sh: --out .*afile is not a directory' -- timeout 20 bash "$NIGHTLY" --budget 10s --out "$tmp/afile"
expect_rc nightly_out_under_file 2 'nightly.sh: cannot create --out .*afile/x/logs: Not a directory' -- timeout 20 bash "$NIGHTLY" --budget 10s --out "$tmp/afile/x"
expect_rc nightly_history_under_file 2 'nightly.sh: cannot create --history .*afile/h: Not a directory' -- timeout 20 bash "$NIGHTLY" --budget 10s --out "$tmp/nout" --history "$tmp/afile/h"

# --- 14: a reproducer that cannot be written during the run is said and fails it
# (a plain directory as --mount: no FUSE; files are visible at once, so
# early-seal is found within the first scenarios and early-seal-1.trace is
# written; a directory in its place makes that write fail)
mkdir -p "$tmp/plain" "$tmp/rout/reproducers/early-seal-1.trace"
expect_rc stress_reproducer_unwritten 2 'cannot write a reproducer: .*early-seal-1.trace: Is a directory' -- t stress --mount "$tmp/plain" --duration 2s --workers 2 --seed 1 --out "$tmp/rout" --report "$tmp/rout.json"
grep -q 'reproducer could not be written (first: .*early-seal-1.trace' "$tmp/out" && ok stress_reproducer_unwritten_in_summary || bad stress_reproducer_unwritten_in_summary
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["reproducers_unwritten"] >= 1 and r["exit"] == 2, r
assert "early-seal-1.trace" in r["reproducers_unwritten_first"], r
assert all(f["reproducer"] != sys.argv[2] for f in r["findings"]), r
' "$tmp/rout.json" "$tmp/rout/reproducers/early-seal-1.trace" && ok stress_reproducer_unwritten_json || bad stress_reproducer_unwritten_json
[ -z "$(ls -A "$tmp/plain")" ] && ok stress_plain_mount_left_clean || bad stress_plain_mount_left_clean
checks_done hostile-input
