#!/bin/sh
# what: dash runs the external `cat in > out`
# expect out "one\ntwo\n"
#
# dash performs a command's redirections in the shell itself, before it
# vforks the command: it opens out, saves fd 1, dup2s out onto fd 1 and
# closes the original.  That close, the creator's, seals 0 bytes under
# every policy; cat (another process) then has its write refused.
# predict empty
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
exec dash -c 'cat "$CLIENT_DATA/in" > out; true'
