#!/usr/bin/env bash
# conform.sh TERNRIG CORPUS - every corpus trace user space can run conforms:
# the kernel's flushes (who, mm, decision) match the model's, step by step.
# Needs root and /dev/fuse: skipped (exit 77) otherwise.
set -u
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
# the policies /proc contexts can run; conform_bpf.sh runs the others
args=()
for pol in $("$1" policies --no-bpf); do args+=(--policy "$pol"); done
[ ${#args[@]} -gt 0 ] || { echo "ternrig policies --no-bpf: none"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" conform -v "${args[@]}" "$2" >"$out" 2>&1
rc=$?
grep -v '^CONFORMS' "$out"
# only what user space cannot do may be skipped (a kernel thread): SPEC
# v2's tmpfile, link, open and closetracker_map run for real
if grep '^SKIP' "$out" | grep -v 'a kernel thread'; then
    echo "the real executor skipped traces it must run"; exit 1
fi
exit $rc
