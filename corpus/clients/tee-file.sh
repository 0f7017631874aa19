#!/bin/sh
# what: `tee out < in`
# expect out "one\ntwo\n"
#
# tee opens out itself, writes, closes: sealed whole under every policy.
# predict exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec tee out < "$CLIENT_DATA/in" > /dev/null
