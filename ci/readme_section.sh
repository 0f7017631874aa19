#!/usr/bin/env bash
# ci/readme_section.sh get NAME [README] - print the generated section NAME
#   of README (default README.md): the lines between `<!-- NAME:begin -->`
#   and `<!-- NAME:end -->`.
# ci/readme_section.sh put NAME FILE [README] - replace that section with
#   FILE's lines, in place.
# Both fail (exit 2, a message) when README lacks either marker.  The
# README's generated tables (clients-matrix, lab-table) are read by their
# tests and written by ci/update-readme-*.sh through this one script.
set -euo pipefail
usage() { echo "usage: $0 get NAME [README] | put NAME FILE [README]" >&2; exit 2; }
[ $# -ge 2 ] || usage
verb=$1 name=$2
case "$verb" in
    get) [ $# -le 3 ] || usage; readme=${3:-README.md} ;;
    put) [ $# -ge 3 ] && [ $# -le 4 ] || usage; gen=$3; readme=${4:-README.md}
         [ -r "$gen" ] || { echo "$0: cannot read $gen" >&2; exit 2; } ;;
    *) usage ;;
esac
begin="<!-- $name:begin -->" end="<!-- $name:end -->"
grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" || {
    echo "$0: $readme lacks the $name markers ($begin, $end)" >&2
    exit 2
}
if [ "$verb" = get ]; then
    awk -v b="$begin" -v e="$end" '$0 == e { on = 0 } on { print } $0 == b { on = 1 }' "$readme"
    exit 0
fi
tmp=$(mktemp "$readme.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v b="$begin" -v e="$end" -v gen="$gen" '
    $0 == b { print; while ((getline l < gen) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }
' "$readme" >"$tmp"
cat "$tmp" >"$readme"
