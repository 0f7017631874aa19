#!/bin/sh
# what: `cp in out; sed -i s/one/ONE/ out`: sed writes a temporary file, then renames it over out
# expect out "ONE\ntwo\n"
#
# cp's out is sealed at cp's close; sed -i writes ./sedXXXXXX, fclose()s
# it (sealed whole by its creator) and renames it over the sealed out:
# every policy ends with the edited file.
# predict exact
printf 'one\ntwo\n' > "$CLIENT_DATA/in"
cp "$CLIENT_DATA/in" out || exit 1
exec sed -i s/one/ONE/ out
