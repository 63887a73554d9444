# tap.sh - what every tests/cli script starts with (sourced): a scratch
# directory $work, removed at exit, and check DESCRIPTION COMMAND, which
# prints one TAP line for whether COMMAND (a shell string) succeeds.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
check() { # $1 = description, $2 = command
    n=$((n + 1))
    if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
