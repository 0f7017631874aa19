#!/bin/sh
# what: dash runs its builtin `echo hello > out`
# expect out "hello\n"
#
# dash, like bash, opens, dup2s onto fd 1 and closes the original before
# writing: sealed empty by the creator's close under every policy.
# predict empty
exec dash -c 'echo hello > out'
