#!/bin/sh
# what: bash runs its builtin `echo hello > out`
# expect out "hello\n"
#
# bash opens out (fd 3), dup2s it onto fd 1 and closes fd 3 before echo
# writes.  That close is the creator's first conscious close (SPEC §5), so
# every policy seals out with 0 bytes there (closetracker counts the
# close(2)), and echo's write fails: EPERM.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
exec bash -c 'echo hello > out'
