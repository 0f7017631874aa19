#!/bin/sh
# what: `sort -o out in`
# expect out "a\nb\nc\n"
#
# sort moves its output file onto fd 1 (open, dup2, close) before writing,
# so the close seals 0 bytes under every policy; its truncate and writes
# that follow are refused.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
printf 'c\na\nb\n' > "$CLIENT_DATA/in"
exec sort -o out "$CLIENT_DATA/in"
