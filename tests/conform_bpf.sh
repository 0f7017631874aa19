#!/usr/bin/env bash
# conform_bpf.sh TERNRIG CORPUS - with BPF flush contexts, the corpus runs
# for real under every policy that needs them (`ternrig policies` but not
# `--no-bpf`: kmod, kmod-2024, fuse-closetracker and the candidates
# last-fd, clean-exit, last-fd-clean-exit) and conforms flush by
# flush with the model (pointers, close counts, decisions), every trace,
# once: each run is judged by the schedule the kernel took (task_struct
# reuse, exit order; see real_exec.h), so no difference and no rerun is
# allowed.  Needs root, /dev/fuse and BPF: skipped (exit 77) with the
# reason otherwise.
set -u
T=$1
CORPUS=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount FUSE"; exit 77; }
[ -w /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
probe=$("$T" fs --probe 2>&1) || { echo "SKIP: $probe"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
for pol in $("$T" policies | grep -vxF -f <("$T" policies --no-bpf)); do
    "$T" conform -v --policy "$pol" "$CORPUS" >"$out" 2>&1
    rc=$?
    grep -v '^CONFORMS' "$out"
    # only what user space cannot do may be skipped (a kernel thread):
    # SPEC v2's tmpfile, link, open and closetracker_map run for real
    if grep '^SKIP' "$out" | grep -v 'a kernel thread'; then
        echo "under $pol the real executor skipped traces it must run"; fail=1
    fi
    [ "$rc" -eq 0 ] || { echo "conform under $pol: exit $rc"; fail=1; }
    # the flushes compared: a run that compared none proves nothing
    n=$(awk -v p="$pol" '$1 == p { print $5 }' "$out")
    grep -q '^schedules: ' "$out" || { echo "under $pol no schedule counts"; fail=1; }
    [ "${n:-0}" -ge 40 ] || { echo "under $pol only ${n:-0} flushes compared"; fail=1; }
done
# a given mount whose close tracker is not the trace's: the trace is
# skipped, saying why, never run against a map the model does not have
mnt=$(mktemp -d)
trap 'rm -f "$out"; umount "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
if "$T" fs --daemon --policy fuse-closetracker --context bpf \
        --closetracker-map 64 "$mnt"; then
    "$T" replay --mount "$mnt" "$CORPUS/closetracker-map-full-loses-new-file.trace" \
        "$CORPUS/open-sealed-file-read-only.trace" >"$out" 2>&1
    cat "$out"
    [ "$(grep -c '^SKIP .*close tracker has .* the mount.s 64' "$out")" -eq 2 ] ||
        { echo "--mount with another map size: not skipped"; fail=1; }
    umount "$mnt" || fail=1
else
    echo "ternrig fs --daemon --closetracker-map 64 did not mount"; fail=1
fi
exit $fail
