#!/usr/bin/env bash
# ci/update-readme-matrix.sh [TERNRIG] - regenerate the real-program
# compatibility matrix in README.md (between the clients-matrix markers)
# from `ternrig clients --all-policies --markdown`.  Run it after changing
# corpus/clients/ or the filesystem, or when a policy starts running (the
# clients test fails while the README is stale).  Needs root and /dev/fuse.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-build/ternrig}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$T" clients --all-policies --markdown >"$out" || rc=$?
if [ "$rc" -ge 2 ]; then
    echo "update-readme-matrix: ternrig clients failed (exit $rc)" >&2
    exit "$rc"
fi
[ "$rc" -eq 0 ] || echo "update-readme-matrix: some cells differ from SPEC.md's predictions (marked in the table)" >&2
ci/readme_section.sh put clients-matrix "$out"
echo "README.md: matrix regenerated ($(grep -c '^| `' "$out") programs)"
