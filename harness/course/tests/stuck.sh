#!/bin/sh
# A fix that spins is the student's bug, named fast (ctest label course):
# case 01's handler with `continue` where `break` was (the wrong fix
# spins-on-close) must get "not yet" (exit 1), saying the program is
# stuck and its threads kept running, within 15 s natively, and leave
# nothing running. Before it took almost two minutes and said "no verdict".
# And a handler that never answers is "not yet" within 15 s too.
#
#   stuck.sh ROOT
set -eu
root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-stuck.XXXXXX")
trap 'rm -rf "$work"' EXIT
export LEAKLAB_EXERCISES=$work/exercises
# Its own run folders: other checks of case 01 may run meanwhile (ctest -j),
# and only this test's programs are looked for below.
export LEAKLAB_RUNS=$work/runs
case_dir=$root/cases/01-unclosed-connection
spin=$work/spin.c
patch -s -o "$spin" "$case_dir/fixed.c" <"$case_dir/wrong-fixes/spins-on-close.patch"
# The build first, so that the clock measures the judging.
"$root/leaklab" verify 01 --native --file="$case_dir/fixed.c" >"$work/out" 2>&1 ||
	{ cat "$work/out"; echo "stuck: FAIL: fixed.c does not pass"; exit 1; }
t0=$(date +%s.%N)
r=0
"$root/leaklab" verify 01 --native --file="$spin" >"$work/out" 2>&1 || r=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "stuck: verify of the spinning handler: exit $r in $secs s"
grep -E 'stuck|kept running' "$work/out" | sed 's/^/  | /'
fail=0
[ $r -eq 1 ] || fail=1
grep -q 'your program is stuck (exit 1' "$work/out" || fail=1
grep -q 'kept running' "$work/out" || fail=1
awk -v s="$secs" 'BEGIN { exit !(s < 15) }' || { echo "stuck: FAIL: over 15 s"; fail=1; }
# Nothing of it keeps spinning: no process runs the file's binary.
sleep 0.5
if pgrep -f "$work/runs/01-unclosed-connection\." >/dev/null 2>&1; then
	echo "stuck: FAIL: the spinning program is still running"
	fail=1
fi
[ $fail -eq 0 ] || { sed 's/^/  | /' "$work/out"; exit 1; }

# A handler that never answers (its send deleted): the first client that
# waits its whole deadline ends the run, instead of a deadline per client.
mute=$work/mute.c
sed '/err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);/d' "$case_dir/fixed.c" >"$mute"
cmp -s "$mute" "$case_dir/fixed.c" && { echo "stuck: FAIL: could not delete the send"; exit 1; }
t0=$(date +%s.%N)
r=0
"$root/leaklab" verify 01 --native --file="$mute" >"$work/out" 2>&1 || r=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "stuck: verify of a handler that never answers: exit $r in $secs s"
grep -E 'stopped answering' "$work/out" | sed 's/^/  | /'
[ $r -eq 1 ] || fail=1
grep -q 'your program stopped answering: no answer within 5 s' "$work/out" || fail=1
awk -v s="$secs" 'BEGIN { exit !(s < 15) }' || { echo "stuck: FAIL: over 15 s"; fail=1; }
[ $fail -eq 0 ] || { sed 's/^/  | /' "$work/out"; exit 1; }
echo "stuck: named the student's, within 15 s"
