#!/bin/sh
# what: `gzip -dc in.gz > out` (the shell redirects gzip's output)
# expect out "compressed\nline\n"
#
# The shell (dash, as /bin/sh) opens out, dup2s it onto fd 1 and closes
# the original before it starts gzip: sealed with 0 bytes under every
# policy, and gzip's write is refused.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
printf 'compressed\nline\n' | gzip -c > "$CLIENT_DATA/in.gz"
gzip -dc "$CLIENT_DATA/in.gz" > out
