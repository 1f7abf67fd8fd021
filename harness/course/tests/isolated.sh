#!/bin/sh
# Verifies at once each judge their own file (ctest label course): in each
# of three rounds, two verifies of case 01 start together, one of fixed.c
# (must pass natively: exit 0) and one that destroys its connection twice
# (glibc aborts it: exit 1, "killed by SIGABRT"), and beside them a verify
# of case 03's fixed.c. Before each verify built and ran the one exercise
# binary of its case, and the two judged each other's files.
#
#   isolated.sh ROOT
set -eu
root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-isolated.XXXXXX")
trap 'rm -rf "$work"' EXIT
export LEAKLAB_EXERCISES=$work/exercises
# Its verifies' own folders in a place of its own: other tests verify too.
export LEAKLAB_RUNS=$work/runs
ll=$root/leaklab
good=$work/good.c
double=$work/double.c
cp "$root/cases/01-unclosed-connection/fixed.c" "$good"
# The handler's one destroy, twice.
sed 's/^\tll_ws_conn_destroy(conn);$/\tll_ws_conn_destroy(conn);\n\tll_ws_conn_destroy(conn);/' \
	"$good" >"$double"
cmp -s "$good" "$double" && { echo "isolated: FAIL: could not make the double destroy"; exit 1; }
cp "$root/cases/03-uncleared-timer/fixed.c" "$work/timer.c"

fail=0
for round in 1 2 3; do
	"$ll" verify 01 --native --file="$good" >"$work/good.out" 2>&1 &
	a=$!
	"$ll" verify 01 --native --file="$double" >"$work/double.out" 2>&1 &
	b=$!
	"$ll" verify 03 --native --file="$work/timer.c" >"$work/timer.out" 2>&1 &
	c=$!
	ra=0 rb=0 rc=0
	wait $a || ra=$?
	wait $b || rb=$?
	wait $c || rc=$?
	echo "isolated round $round: fixed.c exit $ra, double destroy exit $rb, 03 fixed.c exit $rc"
	if [ $ra -ne 0 ] || [ $rb -ne 1 ] || [ $rc -ne 0 ] ||
		! grep -q 'killed by SIGABRT' "$work/double.out" ||
		! grep -q "== 01-unclosed-connection, native: $good ==" "$work/good.out" ||
		! grep -q "== 01-unclosed-connection, native: $double ==" "$work/double.out"; then
		for f in good double timer; do
			echo "--- $f"
			sed 's/^/  | /' "$work/$f.out"
		done
		fail=1
	fi
done
# Nothing of theirs is left behind: each verify's own place is gone.
left=$(find "$LEAKLAB_RUNS" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
[ "$left" -eq 0 ] || { echo "isolated: FAIL: $left verify folders left behind"; fail=1; }
[ $fail -eq 0 ] && echo "isolated: three verifies at once, three rounds, each judged its own file"
exit $fail
