#!/bin/sh
# what: `tar -cf out.tar sub`: an archive of a directory and two files
# needs tar
# expect out.tar control
#
# tar creates out.tar, writes it in 10 KiB records, in order, and closes
# it: sealed whole under every policy.  The archive's bytes do not depend
# on where it runs (fixed times, owners and order).
# predict exact
mkdir -p "$CLIENT_DATA/src/sub"
printf 'alpha\n' > "$CLIENT_DATA/src/sub/a.txt"
printf 'beta\nbeta\n' > "$CLIENT_DATA/src/sub/b.txt"
exec tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=gnu -C "$CLIENT_DATA/src" -cf out.tar sub
