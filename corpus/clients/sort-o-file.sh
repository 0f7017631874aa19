#!/bin/sh
# what: `sort -o out in`
# expect out "a\nb\nc\n"
#
# sort moves its output file onto fd 1 (open, dup2, close) before writing,
# so the close seals 0 bytes under every policy; its truncate and writes
# that follow are refused.
# predict empty
printf 'c\na\nb\n' > "$CLIENT_DATA/in"
exec sort -o out "$CLIENT_DATA/in"
