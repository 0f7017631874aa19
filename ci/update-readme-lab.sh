#!/usr/bin/env bash
# ci/update-readme-lab.sh [TERNRIG [LAB.json]] - regenerate the policy
# lab's table in README.md (between the lab-table markers).  Without
# LAB.json it first runs `ternrig lab` ($LAB_ARGS, default: the command's
# defaults) and keeps its result in ci/lab-readme.json; with LAB.json it
# takes that result.  The table is drawn from ci/lab-readme.json by
# `ternrig lab --from ci/lab-readme.json --markdown`.  Run it after adding
# a policy, changing the corpus, the clients or a policy's decisions: the
# lab_readme test fails while the README's copy is stale.  The full run
# fuzzes every policy with every engine built and runs a storm and the
# clients matrix per policy: needs root, /dev/fuse and the fuzz-nosan and
# afl-nosan builds, and takes about a quarter of an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-build/ternrig}
saved=ci/lab-readme.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 2 ]; then
    cp "$2" "$tmp/lab.json"
else
    # shellcheck disable=SC2086 # LAB_ARGS is a list of options
    "$T" lab ${LAB_ARGS:-} --out "$tmp/out" --json >"$tmp/lab.json"
fi
"$T" lab --from "$tmp/lab.json" --markdown >"$tmp/table.md"
ci/readme_section.sh put lab-table "$tmp/table.md"
cp "$tmp/lab.json" "$saved"
echo "README.md: lab table regenerated from $saved"
