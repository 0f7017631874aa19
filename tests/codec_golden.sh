#!/bin/bash
# codec_golden.sh TERNRIG DIR - `ternrig decode` prints exactly the stored
# text for each stored binary, and `ternrig encode` writes exactly the
# stored bytes (tests/fixtures/codec_golden/README.md).
set -u
T=$(realpath "$1")
cd "$2" || exit 2
fail=0 n=0
out=$(mktemp -d) || exit 2
trap 'rm -rf "$out"' EXIT
for f in *.trb *.bin; do
    n=$((n + 1))
    if ! "$T" decode "$f" >"$out/got" || ! cmp -s "$out/got" "$f.decoded"; then
        echo "FAIL: ternrig decode $f differs from $f.decoded"
        diff "$f.decoded" "$out/got" | head -20
        fail=1
    fi
done
for t in *.trace; do
    n=$((n + 1))
    b=${t%.trace}.trb
    if ! "$T" encode -o "$out/got.trb" "$t" || ! cmp -s "$out/got.trb" "$b"; then
        echo "FAIL: ternrig encode $t differs from $b"
        fail=1
    fi
done
n=$((n + 1))
if ! "$T" encode --raw -o "$out/got.bin" every-statement.trace ||
    ! cmp -s "$out/got.bin" every-statement-raw.bin; then
    echo "FAIL: ternrig encode --raw every-statement.trace differs"
    fail=1
fi
echo "$n golden file(s) checked"
exit $fail
