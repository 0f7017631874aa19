#!/usr/bin/env bash
# corpus_fill.sh TERNRIG CORPUS - `ternrig corpus fill --policy P` writes the
# model's expectations for P into traces, as a new policy needs: after the
# last expect line, comments and the other policies' lines kept byte for
# byte; a trace that has lines for P is refused unless --force, which
# replaces them (striking P from a shared list) and leaves a trace that
# already says what the model says untouched.  Every filled trace replays
# under P, and a filled copy of the corpus passes `corpus check`.
set -u
T=$1
CORPUS=$2
source "$(dirname "$0")/checks.sh"
mapfile -t policies < <("$T" policies)
[ "${#policies[@]}" -ge 3 ] || bad "ternrig policies lists ${#policies[@]}"

# a trace with lines for one policy only: the others are "new"
first=${policies[1]}
cat >"$tmp/orig.trace" <<TRACE
# A child writes on an inherited fd and closes it.
spawn a
a create f
a write f 5   # five bytes
a fork b
b close f
a write f 5
a close f
expect[$first] f sealed 10   # the leader's close seals
# a comment after the expectations
TRACE

for p in "${policies[@]}"; do
    [ "$p" = "$first" ] && continue
    cp "$tmp/orig.trace" "$tmp/$p.trace"
    expect_rc "fill $p" 0 "^filled +$tmp/$p.trace: [0-9]+ expect lines? for $p\$" -- \
        "$T" corpus fill --policy "$p" "$tmp/$p.trace"
    # nothing but lines for p, added right after the last expect line (9)
    diff "$tmp/orig.trace" "$tmp/$p.trace" >"$tmp/diff"
    added=$(grep -c '^> ' "$tmp/diff")
    if [ "$(head -1 "$tmp/diff")" != "9a10,$((9 + added))" ] ||
        [ "$(grep -vc '^> ' "$tmp/diff")" -ne 1 ]; then
        bad "fill $p changed more than it added after line 9: $(cat "$tmp/diff")"
    elif [ "$p" = reference ] && grep '^> ' "$tmp/diff" | grep -qv '^> expect '; then
        bad "fill reference wrote a line that is not a bare expect"
    elif [ "$p" != reference ] && grep '^> ' "$tmp/diff" | grep -qvF "> expect[$p] "; then
        bad "fill $p wrote a line not for $p"
    else
        ok "fill $p: $added lines for $p after the last expect line, the rest kept"
    fi
    expect_rc "filled trace replays under $p" 0 'expectations hold +1/1' -- \
        "$T" replay --policy "$p" --quiet "$tmp/$p.trace"
    expect_rc "refused without --force ($p)" 1 "$p.trace:[0-9]+: already has an expectation for $p" -- \
        "$T" corpus fill --policy "$p" "$tmp/$p.trace"
    cp "$tmp/$p.trace" "$tmp/$p.before"
    expect_rc "--force on the model's own lines ($p)" 0 "^same " -- \
        "$T" corpus fill --force --policy "$p" "$tmp/$p.trace"
    cmp -s "$tmp/$p.before" "$tmp/$p.trace" && ok "unchanged ($p)" ||
        bad "--force changed a trace the model agrees with ($p)"
done

# --force strikes P from a shared list and keeps the rest of the line
p=${policies[0]}
sed "s/^expect\[$first\] f sealed 10 /expect[$first,$p] f sealed 7 /" \
    "$tmp/orig.trace" >"$tmp/shared.trace"
expect_rc "a wrong shared line fails under $p" 1 '' -- \
    "$T" replay --policy "$p" --quiet "$tmp/shared.trace"
expect_rc "refused: $p is in a shared list" 1 'shared.trace:9: already has' -- \
    "$T" corpus fill --policy "$p" "$tmp/shared.trace"
expect_rc "--force replaces $p's lines" 0 '^filled ' -- \
    "$T" corpus fill --force --policy "$p" "$tmp/shared.trace"
grep -qxF "expect[$first] f sealed 7   # the leader's close seals" "$tmp/shared.trace" &&
    ok "$p struck from the list, the rest of the line kept" ||
    bad "shared line: $(sed -n 9p "$tmp/shared.trace")"
expect_rc "after --force, holds under $p" 0 '' -- \
    "$T" replay --policy "$p" --quiet "$tmp/shared.trace"
# the other policy's wrong line stays: fill only ever touches P's lines
expect_rc "after --force, $first's own line untouched (still wrong)" 1 '' -- \
    "$T" replay --policy "$first" --quiet "$tmp/shared.trace"

# --dry-run writes nothing; usage and trace errors
cp "$tmp/orig.trace" "$tmp/dry.trace"
expect_rc dry_run 0 '^would fill ' -- \
    "$T" corpus fill --dry-run --policy "${policies[2]}" "$tmp/dry.trace"
cmp -s "$tmp/orig.trace" "$tmp/dry.trace" && ok "dry run wrote nothing" ||
    bad "dry run changed the trace"
expect_rc no_policy 2 'fill: --policy P is required' -- "$T" corpus fill "$tmp/dry.trace"
all=$(echo "${policies[*]}" | sed 's/ /, /g')
expect_rc bad_policy 2 "unknown policy 'nope' \\(policies: $all\\)" -- \
    "$T" corpus fill --policy nope "$tmp/dry.trace"
printf 'spawn a\na bogus f\n' >"$tmp/bad.trace"
expect_rc trace_error 2 'bad.trace:2:' -- "$T" corpus fill --policy "$p" "$tmp/bad.trace"

# the whole corpus, every policy refilled: still passes corpus check, and
# refilling again changes nothing
cp -r "$CORPUS" "$tmp/corpus"
for p in "${policies[@]}"; do
    expect_rc "corpus fill --force --policy $p" 0 '' -- \
        "$T" corpus fill --force --policy "$p" "$tmp/corpus"
done
expect_rc "the refilled corpus checks" 0 'every expectation holds' -- \
    "$T" corpus check "$tmp/corpus"
for p in "${policies[@]}"; do
    n=$("$T" corpus fill --force --policy "$p" "$tmp/corpus" | grep -vc '^same ')
    [ "$n" -eq 0 ] && ok "refilling $p again changes nothing" ||
        bad "refilling $p again changed $n traces"
done
checks_done "corpus fill"
