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
"$1" conform "${args[@]}" "$2"
