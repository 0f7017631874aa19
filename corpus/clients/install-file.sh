#!/bin/sh
# what: `install -m 644 in out`
# expect out "one\ntwo\n"
#
# install copies like cp (open, write, close), then changes the mode:
# sealed whole under every policy.
# predict exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec install -m 644 "$CLIENT_DATA/in" out
