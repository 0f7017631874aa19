#!/bin/sh
# what: bash runs the external `/bin/echo hello > out`
# expect out "hello\n"
#
# The forked child opens out, dup2s it onto fd 1 and closes the original:
# the creator's conscious close seals 0 bytes under every policy, before
# the child execs /bin/echo, whose write then fails.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
exec bash -c '/bin/echo hello > out; true'
