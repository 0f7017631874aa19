#!/bin/sh
# what: `curl -o out file://.../in` (a file:// URL: no network)
# needs curl
# expect out "fetched by curl\n"
#
# curl opens out when the first data arrives, writes it and fcloses it
# before exiting: the creator's first conscious close seals it whole
# under every policy.
# predict exact
printf 'fetched by curl\n' > "$CLIENT_DATA/in"
exec curl -s -S -o out "file://$CLIENT_DATA/in"
