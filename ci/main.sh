#!/usr/bin/env bash
# ci/main.sh - the main job: set up and build, replay the whole corpus
# through the model under every flush policy (the table of what each
# policy gets wrong), then mount the embedded filesystem and replay the
# corpus on it for real under the policies it runs without BPF contexts
# (`ternrig policies --no-bpf`: reference and fuse-naive).  Exit status: 0
# when every expectation holds, 1 when one fails, 2 on a trace error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
echo
rc=0
./build/ternrig replay --all-policies --quiet corpus/traces "$@" || rc=$?
echo
if [ "$(id -u)" -ne 0 ] || [ ! -w /dev/fuse ]; then
    echo "real replay skipped: mounting the embedded filesystem needs root and /dev/fuse"
    exit $rc
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for policy in $(./build/ternrig policies --no-bpf); do
    echo "== for real on the embedded filesystem, policy $policy"
    r=0
    ./build/ternrig replay --real --policy "$policy" --quiet corpus/traces \
        >"$out" 2>&1 || r=$?
    grep -E '^(FAIL|SKIP)|expectations hold|expectation failed|failed:' "$out" || true
    [ "$r" -gt "$rc" ] && rc=$r
done
exit $rc
