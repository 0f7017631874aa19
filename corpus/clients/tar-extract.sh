#!/bin/sh
# what: `tar -xf in.tar`: a directory and two files
# expect sub/a.txt "alpha\n"
# expect sub/b.txt "beta\nbeta\n"
#
# tar creates each file, writes it and closes it before setting its times:
# sealed whole under every policy.
# predict exact
mkdir -p "$CLIENT_DATA/src/sub"
printf 'alpha\n' > "$CLIENT_DATA/src/sub/a.txt"
printf 'beta\nbeta\n' > "$CLIENT_DATA/src/sub/b.txt"
tar -C "$CLIENT_DATA/src" -cf "$CLIENT_DATA/in.tar" sub || exit 1
exec tar -xf "$CLIENT_DATA/in.tar"
