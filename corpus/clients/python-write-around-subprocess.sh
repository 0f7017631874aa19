#!/bin/sh
# what: Python writes, runs `true` with subprocess, writes again, closes
# expect out "before\nafter\n"
#
# subprocess vforks a child that closes every inherited fd with
# close_range before exec'ing true: a flush of out from another process
# while the creator is still writing.  reference and the kmod policies
# ignore it (not the creator's process), closetracker too (close_range is
# not a counted close(2)); fuse-naive seals there, so "after" is refused.
# predict exact
# predict[fuse-naive] truncated
exec python3 -c '
import subprocess
f = open("out", "w")
f.write("before\n")
f.flush()
subprocess.run(["true"], check=True)
f.write("after\n")
f.close()
'
