#!/usr/bin/env bash
# report_render.sh TERNRIG CORPUS FIXTURES - report.html rendered by a real
# headless browser (Debian's chromium): the DOM it builds holds every
# chart, and the screenshot shows the banner and the chart lines in their
# colours.  ci/setup.sh installs chromium, so CI runs this; elsewhere it
# skips (exit 77) when chromium is not installed.
set -u
T=$1
CORPUS=$2
FIX=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "SKIP: chromium is not installed, so report.html is not rendered in a"
    echo "real browser here (apt-get install chromium to run this test)"
    exit 77
fi
tmp=$(mktemp -d)
group=
cleanup() {
    [ -n "$group" ] && kill -9 -- "-$group" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

cp -r "$FIX" "$tmp/night"
printf '{"started":"2024-05-01T02:00:00Z"}\n' >"$tmp/night/meta.json"
"$T" report --corpus "$CORPUS" "$tmp/night" >/dev/null 2>&1
[ -s "$tmp/night/report.html" ] || { echo "FAIL no report.html"; exit 1; }

# browse ARGS...: chromium in its own process group, at most 60 s
browse() {
    HOME=$tmp setsid "$browser" --headless --disable-gpu --no-sandbox \
        --no-first-run --user-data-dir="$tmp/profile" "$@" \
        "file://$tmp/night/report.html" >"$tmp/out" 2>"$tmp/err" &
    group=$!
    local waited=0
    while kill -0 "$group" 2>/dev/null && [ $waited -lt 600 ]; do
        sleep 0.1 # polling the browser's exit, bounded: not a synchronization
        waited=$((waited + 1))
    done
    kill -9 -- "-$group" 2>/dev/null
    wait "$group" 2>/dev/null
    group=
}

browse --dump-dom
python3 - "$tmp/out" "$tmp/night/report.html" <<'EOF' && ok "browser DOM has every chart and table" || { bad "DOM"; tail -5 "$tmp/err"; }
import sys, re
dom, src = open(sys.argv[1]).read(), open(sys.argv[2]).read()
assert "<h1>ternrig nightly, 2024-05-01T02:00:00Z</h1>" in dom, dom[:300]
for tag in ("svg", "polyline", "table"):
    n_dom = len(re.findall("<%s[ >]" % tag, dom))
    n_src = len(re.findall("<%s[ >]" % tag, src))
    assert n_dom == n_src and n_dom > 0, (tag, n_dom, n_src)
EOF

browse --window-size=1000,5000 --force-device-scale-factor=0.5 --hide-scrollbars --screenshot="$tmp/shot.png"
python3 - "$tmp/shot.png" <<'EOF' && ok "screenshot shows the banner and the chart lines" || { bad "screenshot"; tail -5 "$tmp/err"; }
import sys, struct, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and not interlace, ihdr
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = {}
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 2):
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
    prev = line
want = {"banner #fde2e2": b"\xfd\xe2\xe2", "first line #1f77b4": b"\x1f\x77\xb4",
        "second line #d62728": b"\xd6\x27\x28"}
missing = [k for k, v in want.items() if colours.get(v, 0) < 20]
assert not missing, ("missing colours", missing, w, h)
EOF

[ $fails -eq 0 ] && echo "report render checks passed (chromium)" || exit 1
