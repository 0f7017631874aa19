#!/bin/sh
# what: a C program writes, forks a child that exits at once, writes again, closes
# expect out "before\nafter\n"
#
# The child's exit flushes out (its inherited fd) from another process,
# mm gone, while the creator still writes.  reference and the kmod
# policies ignore it (not the creator's process), closetracker too (no
# close(2) was counted); fuse-naive seals there, so "after" is refused.
# predict exact
# predict[fuse-naive] truncated
cc -o "$CLIENT_DATA/forker" "$CLIENT_DIR/fork_child_exits.c" || exit 1
exec "$CLIENT_DATA/forker"
