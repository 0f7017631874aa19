#!/usr/bin/env bash
# readme_section.sh SRCDIR - ci/readme_section.sh, which reads and writes
# the README's generated tables: `get` prints exactly a section's lines,
# `put` replaces exactly them (the rest byte for byte), a round trip
# changes nothing, and a README without the markers or a wrong call is a
# clear error (exit 2) that leaves the file as it was.
set -u
S="$1/ci/readme_section.sh"
source "$(dirname "$0")/checks.sh"
R=$tmp/README.md
printf 'intro\n<!-- t:begin -->\nold 1\nold 2\n<!-- t:end -->\nmiddle\n<!-- u:begin -->\nu\n<!-- u:end -->\nend\n' >"$R"
cp "$R" "$tmp/orig"
grep -v "t:end" "$R" >"$tmp/orig-noend"

bash "$S" get t "$R" >"$tmp/got"
if [ "$(cat "$tmp/got")" = "$(printf 'old 1\nold 2')" ]; then ok get; else bad "get printed: $(cat "$tmp/got")"; fi

printf 'new a\nnew b\nnew c\n' >"$tmp/gen"
bash "$S" put t "$tmp/gen" "$R"
want=$(printf 'intro\n<!-- t:begin -->\nnew a\nnew b\nnew c\n<!-- t:end -->\nmiddle\n<!-- u:begin -->\nu\n<!-- u:end -->\nend')
if [ "$(cat "$R")" = "$want" ]; then ok "put replaces the section only"; else bad "put gave: $(cat "$R")"; fi

bash "$S" get t "$R" >"$tmp/again"
if cmp -s "$tmp/again" "$tmp/gen"; then ok "get after put"; else bad "get after put differs"; fi
cp "$R" "$tmp/before-rt"
bash "$S" get u "$R" >"$tmp/u" && bash "$S" put u "$tmp/u" "$R"
if cmp -s "$R" "$tmp/before-rt"; then ok "round trip is the identity"; else bad "round trip changed the file"; fi

cp "$R" "$tmp/kept"
expect_rc "missing markers" 2 "lacks the nope markers" -- bash "$S" put nope "$tmp/gen" "$R"
expect_rc "missing end marker" 2 "lacks the t markers" -- bash "$S" get t "$tmp/orig-noend"
expect_rc "unreadable generated file" 2 "cannot read" -- bash "$S" put t "$tmp/none" "$R"
expect_rc "wrong verb" 2 "usage" -- bash "$S" set t "$R"
if cmp -s "$R" "$tmp/kept"; then ok "a failed put leaves the file"; else bad "a failed put changed the file"; fi
checks_done readme_section
