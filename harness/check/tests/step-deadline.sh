#!/bin/sh
# A step has a deadline of its own (ctest harness/errors/step-deadline):
# crawl-server answers ten messages of a connection at once and each
# later one in 3 s, under the 5 s client deadline, so no single wait gives
# up. Before, the course's check of it waited out every message and
# called it clean (exit 0) after 60 s; now the burst's step ends on its
# 10 s deadline, and the check says "not yet" (exit 1), how far the burst
# got, within 15 s.
#
#   step-deadline.sh LEAKLAB-CHECK CRAWL-SERVER
set -u
check=$1
crawl=$2
out=$(mktemp "${TMPDIR:-/tmp}/step-deadline.XXXXXX")
trap 'rm -f "$out"' EXIT
t0=$(date +%s.%N)
r=0
"$check" --case 01-unclosed-connection --verify --program "$crawl" --scenario burst --native \
	>"$out" 2>&1 || r=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "step-deadline: exit $r in $secs s"
grep -E 'stopped answering|^verdict' "$out" | sed 's/^/  | /'
fail=0
[ $r -eq 1 ] || { echo "step-deadline: FAIL: exit $r, expected 1"; fail=1; }
grep -Eq 'your program stopped answering: the step ran past its deadline of 10 s: [0-9]+ of 20 messages answered' "$out" ||
	{ echo "step-deadline: FAIL: the step's deadline is not named"; fail=1; }
grep -q 'your program is stuck (exit 1' "$out" || { echo "step-deadline: FAIL: not named stuck"; fail=1; }
awk -v s="$secs" 'BEGIN { exit !(s < 15) }' || { echo "step-deadline: FAIL: over 15 s"; fail=1; }
[ $fail -eq 0 ] || { sed 's/^/  | /' "$out"; exit 1; }
echo "step-deadline: ended on the step's deadline, within 15 s"
