#!/bin/sh
# what: `make` runs a cp rule: `out: in` / `cp in out`
# needs make cp
# expect out "made by cp\n"
#
# make forks and execs cp (through no shell: the recipe has no shell
# syntax); cp creates out, writes it and closes it, the creator's first
# conscious close: sealed whole under every policy.  make itself never
# opens out.
# predict exact
printf 'made by cp\n' > "$CLIENT_DATA/in"
printf 'out: %s/in\n\tcp %s/in out\n' "$CLIENT_DATA" "$CLIENT_DATA" > "$CLIENT_DATA/Makefile"
exec make -s -f "$CLIENT_DATA/Makefile" out
