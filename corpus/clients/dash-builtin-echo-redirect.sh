#!/bin/sh
# what: dash runs its builtin `echo hello > out`
# expect out "hello\n"
#
# dash, like bash, opens, dup2s onto fd 1 and closes the original before
# writing: sealed empty by the creator's close under every policy.
# predict empty
# The candidates that wait for the last fd of the file in the closer's
# table (README "Candidate policies") seal at the close of the dup,
# after the write (the program closes its stdout, or the shell its copy).
# predict[last-fd,last-fd-clean-exit] exact
exec dash -c 'echo hello > out'
