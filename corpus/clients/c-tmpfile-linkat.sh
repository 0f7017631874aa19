#!/bin/sh
# what: a C program publishes out whole: O_TMPFILE, write, linkat, close
# expect out "published whole with O_TMPFILE\n"
#
# open(".", O_TMPFILE) makes an unnamed transient file; linkat(fd, "",
# AT_EMPTY_PATH) by its creator names it, which seals it (reference: a
# thread of the creator process; kmod: owner == current->group_leader;
# the FUSE policies link for anyone). The close after the link flushes a
# sealed file: nothing to decide. kmod-2024 has no tmpfiles (EOPNOTSUPP):
# the program falls back to out.tmp, written, close(2)d by its creator
# (sealed) and renamed to out.
# predict exact
cc -o "$CLIENT_DATA/tmpfile_linkat" "$CLIENT_DIR/tmpfile_linkat.c" || exit 1
exec "$CLIENT_DATA/tmpfile_linkat"
