#!/bin/sh
# what: bash opens out on fd 3 itself (`exec 3> out`), then `echo hello >&3`
# expect out "hello\n"
#
# The way to write a file from a shell on TernFS: `exec 3> out` opens out
# straight onto fd 3 (no dup2, no close).  `echo hello >&3` dup2s fd 3
# onto fd 1, writes, and restores fd 1 with a dup2 that closes the file's
# copy after the write: reference, kmod and fuse-naive seal all 6 bytes
# there.  closetracker does not count a dup2, and seals at the final
# `exec 3>&-` close(2), with the same 6 bytes.
# predict exact
exec bash -c 'exec 3> out; echo hello >&3; exec 3>&-'
