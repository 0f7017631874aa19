#!/bin/sh
# what: dash runs the external `cat in > out`
# expect out "one\ntwo\n"
#
# dash performs a command's redirections in the shell itself, before it
# vforks the command: it opens out, saves fd 1, dup2s out onto fd 1 and
# closes the original.  That close, the creator's, seals 0 bytes under
# every policy; cat (another process) then has its write refused.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec dash -c 'cat "$CLIENT_DATA/in" > out; true'
