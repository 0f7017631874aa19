#!/usr/bin/env bash
# clients.sh TERNRIG SRCDIR - `ternrig clients` for real: every program in
# corpus/clients runs on the embedded filesystem under every policy it can
# run, and each cell must be what SPEC.md predicts (the scripts' predict
# lines); some cells are also checked here by name:
#   bash's `echo hello > out`      empty under reference and fuse-naive
#   Python open/write/close        exact under both
#   Python write around subprocess exact under reference, truncated under
#                                  fuse-naive
#   C exit without close           lost under reference, exact under
#                                  fuse-naive
# A column the filesystem cannot run must say why.  A wrong prediction and
# a wrong expected content must be caught.  README.md's matrix must be the
# one the command generates.  SIGINT leaves nothing behind.
# The usage checks run anywhere; the rest needs root and /dev/fuse and is
# skipped (exit 77, with the reason) without them.
set -u
T=$1
SRC=$2
CLIENTS=$SRC/corpus/clients
source "$(dirname "$0")/checks.sh"
# a failure, with the output that shows it
fail() { bad "$1"; sed 's/^/    /' "$tmp/out" | head -40; }

expect_rc help 0 'usage: ternrig clients' -- "$T" clients --help
expect_rc bad_policy 2 "unknown policy 'kmod3'" -- "$T" clients --policy kmod3
expect_rc both_policy_flags 2 'exclude' -- "$T" clients --policy kmod --all-policies
expect_rc unknown_client 2 'no client frob in' -- "$T" clients --dir "$CLIENTS" cp-file frob
mkdir "$tmp/none"
expect_rc empty_dir 2 'no NAME.sh clients in' -- "$T" clients --dir "$tmp/none"
mkdir "$tmp/malformed"
printf '#!/bin/sh\n# what: x\n# expect out "x"\n# predict maybe\n' >"$tmp/malformed/m.sh"
expect_rc malformed 2 "m.sh:4: predict: not exact/empty/truncated/lost/error: 'maybe'" -- \
    "$T" clients --dir "$tmp/malformed"
mkdir "$tmp/needpath"
printf '#!/bin/sh\n# what: x\n# needs /bin/sh\n# expect out "x"\n' >"$tmp/needpath/n.sh"
expect_rc needs_path 2 "n.sh:3: needs: give program names, not paths" -- \
    "$T" clients --dir "$tmp/needpath"
skip() { [ "$fails" -eq 0 ] || exit 1; echo "SKIP: $1 (usage checks passed)"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to mount FUSE"
[ -w /dev/fuse ] || skip "needs /dev/fuse"

# The whole matrix, as README.md shows it: every cell that ran is SPEC.md's
# prediction, and README.md holds this very table.
"$T" clients --all-policies --markdown --dir "$CLIENTS" >"$tmp/md" 2>"$tmp/out"
rc=$?
cat "$tmp/md" >>"$tmp/out"
if [ "$rc" -ne 0 ]; then fail "matrix: exit $rc (cells differ from SPEC.md's prediction)"; else ok matrix; fi

# cell ROW POLICY: the word a matrix cell starts with (exact, empty, n/a...)
cell() {
    awk -F' [|] ' -v row="\`$1\`" -v pol="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) { h = $i; sub(/ [|]$/, "", h); col[h] = i } }
        $1 == "| " row && (pol in col) {
            v = $(col[pol]); sub(/^[*]+/, "", v); sub(/[*:, (|].*$/, "", v); print v; exit }' "$tmp/md"
}
want_cell() {
    local got
    got=$(cell "$1" "$2")
    if [ "$got" = "$3" ]; then ok "cell $1 $2 = $3"; else cp "$tmp/md" "$tmp/out"; fail "cell $1 $2: '$got', want '$3'"; fi
}
for pol in reference fuse-naive; do
    want_cell bash-builtin-echo-redirect "$pol" empty
    want_cell python-open-write-close "$pol" exact
done
want_cell python-write-around-subprocess reference exact
want_cell python-write-around-subprocess fuse-naive truncated
want_cell c-exit-without-close reference lost
want_cell c-exit-without-close fuse-naive exact

# Each policy either ran (a column of cells) or says why not.
for pol in $("$T" policies); do
    col=$(cell bash-builtin-echo-redirect "$pol")
    if [ -z "$col" ]; then cp "$tmp/md" "$tmp/out"; fail "$pol: no column"
    elif [ "$col" = n/a ] && ! grep -q "^n/a under \`$pol\`: ternrig fs does not run it: ." "$tmp/md"; then
        cp "$tmp/md" "$tmp/out"; fail "$pol: n/a without a reason"
    else ok "column $pol: $col"; fi
done

bash "$SRC/ci/readme_section.sh" get clients-matrix "$SRC/README.md" >"$tmp/readme-md" 2>/dev/null
if [ ! -s "$tmp/readme-md" ]; then bad "README.md has no clients-matrix section"
elif ! diff -u "$tmp/readme-md" "$tmp/md" >"$tmp/out"; then
    fail "README.md's matrix is stale: run ci/update-readme-matrix.sh"
else ok readme_matrix; fi

# A wrong prediction is caught, and so is a wrong expected content.
mkdir "$tmp/wrong"
sed 's/^# predict empty$/# predict exact/' "$CLIENTS/bash-builtin-echo-redirect.sh" >"$tmp/wrong/bash-echo.sh"
sed 's/^# expect out "first\\nsecond\\n"$/# expect out "first\\n"/' "$CLIENTS/python-open-write-close.sh" >"$tmp/wrong/py.sh"
grep -q '^# predict exact$' "$tmp/wrong/bash-echo.sh" && grep -q '^# expect out "first\\n"$' "$tmp/wrong/py.sh" ||
    { echo "FAIL: could not make the wrong clients"; exit 1; }
expect_rc wrong_prediction 1 'under reference SPEC.md predicts exact' -- \
    "$T" clients --policy reference --dir "$tmp/wrong" bash-echo
expect_rc wrong_content 1 'in a plain directory it leaves out with other bytes \(13, expected 6\)' -- \
    "$T" clients --policy reference --dir "$tmp/wrong" py

# A client whose program is missing is skipped, and said to be: never a
# cell that ran, let alone one that passed.
mkdir "$tmp/needs"
printf '#!/bin/sh\n# what: runs a program nobody has\n# needs sh ternrig-no-such-program\n# expect out "x\\n"\n# predict exact\nternrig-no-such-program > out\n' \
    >"$tmp/needs/missing.sh"
cp "$CLIENTS/cp-file.sh" "$tmp/needs/"
"$T" clients --policy reference --dir "$tmp/needs" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then fail "needs: exit $rc, want 0"
elif ! grep -q '^missing  *skipped$' "$tmp/out" ||
     ! grep -q 'skipped: needs ternrig-no-such-program, which is not installed here' "$tmp/out" ||
     ! grep -q '^2 programs, 1 cells run in .*; 1 programs skipped, not run' "$tmp/out"; then
    fail "needs: the missing program's client is not said to be skipped"
else ok needs_skipped; fi

# A program's temporary files (TMPDIR) go to the run's scratch directory,
# never to /tmp itself: a compiler killed at the time limit or by SIGINT
# left its cc*.s and cc*.o there, and they now go with the scratch.
mkdir "$tmp/tmpdir"
printf '%s\n' '#!/bin/sh' '# what: says where TMPDIR is' '# expect out "scratch\n"' '# predict exact' \
    'case "$TMPDIR" in /tmp/ternrig-clients-*/tmpdir-*/tmp) [ -d "$TMPDIR" ] && echo scratch ;; *) echo "$TMPDIR" ;; esac > "$CLIENT_DATA/in"' \
    'exec cp "$CLIENT_DATA/in" out' \
    >"$tmp/tmpdir/tmpdir.sh"
expect_rc tmpdir_in_scratch 0 '' -- "$T" clients --policy reference --dir "$tmp/tmpdir"

# SIGINT in the middle: the program dies, the mount and the scratch go.
mkdir "$tmp/slow"
{
    printf '#!/bin/sh\n# what: writes out, then waits on the mount\n'
    printf '# expect out "x\\n"\necho x > out\n'
    printf 'case "$PWD" in /tmp/ternrig-real-*) ;; *) exit 0 ;; esac\n'
    printf 'echo "$PWD $CLIENT_DATA $$" > %s/fifo\nexec sleep 30\n' "$tmp"
} >"$tmp/slow/slow.sh"
mkfifo "$tmp/fifo"
"$T" clients --policy reference --dir "$tmp/slow" >"$tmp/out" 2>&1 &
cpid=$!
# read through a read-write fd with a time limit: never wait forever
exec 3<>"$tmp/fifo"
read -r -t 20 mdir data spid <&3 || { kill -KILL "$cpid"; fail "sigint: the program never ran"; }
kill -INT "$cpid"
wait "$cpid"
rc=$?
scratch=$(dirname "$(dirname "$data")")
if [ "$rc" -ne 130 ]; then fail "sigint: exit $rc, want 130"
elif grep -q " $(dirname "$mdir") " /proc/mounts || [ -e "$(dirname "$mdir")" ]; then fail "sigint: the mount is left"
elif [ -e "$scratch" ]; then fail "sigint: $scratch is left"
elif kill -0 "$spid" 2>/dev/null; then fail "sigint: the program still runs"
else ok sigint; fi

checks_done clients
