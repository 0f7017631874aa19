#!/usr/bin/env bash
# corpus_min.sh TERNRIG FUZZ_DIR - `ternrig corpus min` on the libFuzzer
# build: every target's seeds merge into a smaller corpus with the same
# coverage; a `ternrig fuzz --out` directory merges in; copies of inputs
# add nothing; what it
# keeps replays cleanly.
set -u
T=$1
D=$2
source "$(dirname "$0")/checks.sh"
count() { find "$1" -maxdepth 1 -type f | wc -l; }

"$T" corpus min --fuzz-dir "$D" --out "$tmp/min" >"$tmp/log" 2>&1 || { bad "corpus min exit $?"; cat "$tmp/log"; }
for t in $("$T" policies | sed 's/-/_/g; s/^/fuzz_/') fuzz_decode fuzz_trace_parse; do
    seeds=$(count "$D/seeds/$t")
    kept=$(count "$tmp/min/$t")
    if [ "$kept" -ge 1 ] && [ "$kept" -le "$seeds" ]; then ok "$t: $seeds seeds -> $kept"; else bad "$t: $seeds seeds -> $kept"; fi
done
before=$(count "$tmp/min/fuzz_kmod")
mkdir -p "$tmp/night/corpus/fuzz_kmod" # a `ternrig fuzz --out` directory
for f in "$D"/seeds/fuzz_kmod/*; do cp "$f" "$tmp/night/corpus/fuzz_kmod/copy-$(basename "$f")"; done
"$T" corpus min --fuzz-dir "$D" --out "$tmp/min" "$tmp/night" >"$tmp/log2" 2>&1 || bad "second merge exit $?"
line=$(grep -E '^fuzz_kmod ' "$tmp/log2")
inputs=$(echo "$line" | awk '{print $2}')
kept=$(echo "$line" | awk '{print $3}')
want_inputs=$(( $(count "$D/seeds/fuzz_kmod") * 2 + before ))
# libFuzzer keeps an input only for features nothing smaller has: copies
# add nothing, so the corpus does not grow
[ "$inputs" = "$want_inputs" ] && [ "$kept" -ge 1 ] && [ "$kept" -le "$before" ] &&
    ok "the night's corpus is merged in, copies add nothing ($inputs inputs -> $kept)" ||
    { bad "second merge: $line, want $want_inputs inputs and at most $before kept"; cat "$tmp/log2"; }
"$D/fuzz_kmod_replay" "$tmp/min/fuzz_kmod" >/dev/null 2>&1 && ok "the kept inputs replay" || bad "replay of the kept inputs"
[ ! -e "$tmp/min/.collect" ] && [ ! -e "$tmp/min/fuzz_kmod.new" ] && ok "no scratch left" || bad "scratch left in --out"
checks_done "corpus min"
