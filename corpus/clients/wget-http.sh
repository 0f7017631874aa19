#!/bin/sh
# what: `wget -O out http://127.0.0.1:PORT/in` from a local `python3 -m http.server`
# needs wget python3
# expect out "fetched by wget\n"
#
# The server (python3 -m http.server, bound to 127.0.0.1 on a port the
# kernel picks, serving $CLIENT_DATA/www) runs in this script's process
# group and is stopped before it exits (ternrig kills the group anyway).
# wget -O opens out before the download and fcloses it before exiting:
# sealed whole under every policy.
# predict exact
mkdir -p "$CLIENT_DATA/www" || exit 1
printf 'fetched by wget\n' > "$CLIENT_DATA/www/in"
mkfifo "$CLIENT_DATA/port" || exit 1
(cd "$CLIENT_DATA/www" && exec python3 -u -m http.server 0 --bind 127.0.0.1) \
    >"$CLIENT_DATA/port" 2>"$CLIENT_DATA/server.log" &
server=$!
# "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ...": a blocking
# read, no polling; EOF (the server failed) leaves port empty
exec 3<"$CLIENT_DATA/port"
read -r _ _ _ _ _ port _ <&3
if [ -z "$port" ]; then
    cat "$CLIENT_DATA/server.log" >&2
    kill "$server" 2>/dev/null
    exit 1
fi
wget -q -O out "http://127.0.0.1:$port/in"
rc=$?
kill "$server"
wait "$server"
exit $rc
