#!/bin/sh
# what: `dd if=in of=out`
# expect out "one\ntwo\n"
#
# dd moves its output onto fd 1: open (fd 3), dup2 onto 1, close(3), then
# it writes.  The close seals 0 bytes under every policy.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec dd if="$CLIENT_DATA/in" of=out status=none
