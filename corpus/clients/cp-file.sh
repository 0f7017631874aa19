#!/bin/sh
# what: `cp in out`
# expect out "one\ntwo\n"
#
# cp opens out, writes, and close(2)s it: the creator's first conscious
# close comes after the data, so every policy seals all of it.
# predict exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec cp "$CLIENT_DATA/in" out
