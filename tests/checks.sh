# checks.sh - sourced by the shell tests: a temporary directory removed on
# exit, ok/bad lines, a failure count, and expect_rc for commands.
#   expect_rc NAME WANT_RC GREP_PATTERN -- CMD...  runs CMD, checks its exit
#   status and that its output matches the pattern (empty: any)
#   checks_done WHAT                                 the closing line and exit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

expect_rc() {
    local name=$1 want=$2 pat=$3
    shift 4
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$name: exit $rc, want $want"; sed 's/^/    /' "$tmp/out" | head -20
    elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$tmp/out"; then
        bad "$name: output lacks /$pat/"; sed 's/^/    /' "$tmp/out" | head -20
    else
        ok "$name"
    fi
}

checks_done() {
    if [ "$fails" -ne 0 ]; then
        echo "$fails $1 check(s) failed"
        exit 1
    fi
    echo "all $1 checks passed"
    exit 0
}
