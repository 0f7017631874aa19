#!/bin/sh
# what: a C program writes 40 files, reads each back, then writes out
# expect out "read 40 inputs, sum 2025\n"
#
# Each file is sealed by its creator's fclose (a close(2) after the data:
# every policy seals it). Reading it back is a read-only open, whose close
# is no conscious close, but under fuse-closetracker it is a close(2) on
# the mount: TernFS's close tracker gives the sealed file a counter that
# is never deleted. With TernFS's 1,048,576-entry map that costs nothing
# here; with a small one (`ternrig clients --closetracker-map 16`) the
# reads fill the map, out's close is not counted and out is never sealed
# (lost under fuse-closetracker only).
# predict exact
cc -o "$CLIENT_DATA/read_then_write" "$CLIENT_DIR/read_then_write.c" || exit 1
exec "$CLIENT_DATA/read_then_write"
