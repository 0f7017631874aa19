#!/bin/sh
# what: bash runs its builtin `echo hello > out`
# expect out "hello\n"
#
# bash opens out (fd 3), dup2s it onto fd 1 and closes fd 3 before echo
# writes.  That close is the creator's first conscious close (SPEC §5), so
# every policy seals out with 0 bytes there (closetracker counts the
# close(2)), and echo's write fails: EPERM.
# predict empty
exec bash -c 'echo hello > out'
