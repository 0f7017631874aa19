#!/bin/sh
# what: `rsync in out`: writes a temporary file, closes it, renames it to out
# expect out "one\ntwo\n"
#
# rsync's receiver (a forked process) creates .out.XXXXXX, writes it and
# close(2)s it: sealed whole by its creator under every policy; the rename
# of the sealed file then puts it in place.
# predict exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec rsync "$CLIENT_DATA/in" out
