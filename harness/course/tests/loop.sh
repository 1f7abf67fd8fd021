#!/bin/sh
# The student's whole loop on case 03, as a new student would walk it
# (ctest label course): start, a failing verify, a file that does not
# build, reset, hints, the fix passing natively and under memcheck,
# progress, the solution, and watch driven under tmux: a save reruns
# verify, PASS only after memcheck, a pass moves on to the next case, q
# quits within a second even while memcheck runs, and watch without a
# case starts at the first case not done.
#
#   loop.sh ROOT
set -eu
root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-loop.XXXXXX")
session=leaklab-loop-$$
trap 'tmux kill-session -t "leaklab-loop-$$" 2>/dev/null || true
tmux kill-session -t "leaklab-loop-$$-first" 2>/dev/null || true
rm -rf "$work"' EXIT
export LEAKLAB_EXERCISES=$work/exercises
ll=$root/leaklab
ex=$LEAKLAB_EXERCISES/03-uncleared-timer.c
fixed=$root/cases/03-uncleared-timer/fixed.c
step=0

check() { # check DESCRIPTION CONDITION-COMMAND...
	step=$((step + 1))
	what=$1
	shift
	if "$@"; then
		echo "loop step $step ok: $what"
	else
		echo "loop step $step FAILED: $what"
		[ -f "$work/out" ] && sed 's/^/  | /' "$work/out"
		exit 1
	fi
}
run() { # run EXPECTED-EXIT COMMAND...: output in $work/out
	want=$1
	shift
	r=0
	"$@" >"$work/out" 2>&1 || r=$?
	[ "$r" -eq "$want" ] || { echo "exit $r, expected $want: $*" >>"$work/out"; return 1; }
}
has() { grep -q -- "$1" "$work/out"; }

check "start 3 makes the exercise" run 0 "$ll" start 3
check "... from leak.c, without LEAK: comments" sh -c "[ -f '$ex' ] && ! grep -q LEAK: '$ex'"
check "start again refuses to overwrite" run 2 "$ll" start 03
check "an unknown case lists the cases" run 2 "$ll" start nosuch
check "... naming them" has "03-uncleared-timer"
check "progress shows 03 started" run 0 "$ll" progress
check "... as started" has "03-uncleared-timer *started"

check "verify fails on the start file (exit 1)" run 1 "$ll" verify uncleared
check "... with a threads row that is not ok" has "threads .* NO$"
check "... pointing into the student's file" has "03-uncleared-timer.c:[0-9]"

printf 'int broken(\n' >>"$ex"
check "a file that does not build: exit 1" run 1 "$ll" verify 03 --native
check "... with the compiler's message" has "error:"
check "... and no verdict of the harness" sh -c "! grep -q 'leaklab-check' '$work/out'"

check "reset without --yes off a terminal refuses" run 2 "$ll" reset 03 </dev/null
check "reset --yes gives the start file back" run 0 "$ll" reset 03 --yes
check "... without the broken line" sh -c "! grep -q 'int broken(' '$ex'"

check "hint 1" run 0 "$ll" hint 03
check "... shows tier 1 only" sh -c "grep -q '## Hint 1' '$work/out' && ! grep -q '## Hint 2' '$work/out'"
check "hint 2" run 0 "$ll" hint 03
check "... shows tier 2" has "## Hint 2"
check "hint 3" run 0 "$ll" hint 03
check "... shows tier 3" has "## Hint 3"
check "progress counts 3 hints" run 0 "$ll" progress
check "... 3/3" has "03-uncleared-timer .*3/3"
check "no solution before a pass" run 1 "$ll" solution 03

cp "$fixed" "$ex"
check "the fix passes natively and under memcheck (exit 0)" run 0 "$ll" verify 03
check "... saying PASS" has "PASS"
check "progress shows 03 done" run 0 "$ll" progress
check "... as done" has "03-uncleared-timer *done"
check "the solution opens after the pass" run 0 "$ll" solution 03
check "... as the diff of leak.c and fixed.c" has "^+.*FIX:"

# watch, under tmux as a student's terminal: the start file first (not
# clean), then a save of the fix reruns verify (native, then memcheck), no
# PASS before memcheck has passed too, and a pass moves on to the next
# case not done (04: 01 and 02 come before 03, but the next is after it).
"$ll" reset 03 --yes >/dev/null 2>&1
rm -f "$LEAKLAB_EXERCISES/04-unbounded-map.c"
tmux new-session -d -s "$session" -x 160 -y 50 \
	"LEAKLAB_EXERCISES='$LEAKLAB_EXERCISES' '$ll' watch 03; echo WATCH-ENDED; sleep 30"
screen() { tmux capture-pane -p -t "$session" -S -300 >"$work/out" 2>/dev/null; }
wait_for() { # wait_for TEXT SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		screen
		grep -q -- "$1" "$work/out" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "watch verifies the start file: NOT YET" wait_for "watch: NOT YET" 60
cp "$fixed" "$ex.new" && mv "$ex.new" "$ex"
check "a save reruns verify: native clean, now memcheck" wait_for "now under memcheck" 60
check "... and no PASS line before memcheck has passed" sh -c "! grep -q PASS '$work/out'"
check "a pass moves on to the next case not done: 04" wait_for "watch: PASS; next: 04-unbounded-map" 120
wait_file() { # wait_file PATH SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ -f "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "... starting it" wait_file "$LEAKLAB_EXERCISES/04-unbounded-map.c" 30
check "... and verifying its start file" wait_for "watch: NOT YET" 60

# q during a memcheck run: 04's fix passes natively, then q while memcheck runs.
cp "$root/cases/04-unbounded-map/fixed.c" "$LEAKLAB_EXERCISES/04-unbounded-map.c.new"
mv "$LEAKLAB_EXERCISES/04-unbounded-map.c.new" "$LEAKLAB_EXERCISES/04-unbounded-map.c"
tmux clear-history -t "$session" 2>/dev/null || true
check "the save of 04's fix: native clean, now memcheck" wait_for "now under memcheck" 60
sleep 1 # memcheck is under way
t0=$(date +%s%N)
tmux send-keys -t "$session" q
check "q quits watch during the memcheck run" wait_for "WATCH-ENDED" 5
ms=$((($(date +%s%N) - t0) / 1000000))
echo "  q ended watch in $ms ms"
check "... within a second" test "$ms" -lt 1000
# The program runs in a process group of its own and dies with its check
# (its parent-death signal): that may take the kernel a moment.
quit_gone() {
	i=0
	while pgrep -f "exercises/runs/04-unbounded-map\." >/dev/null 2>&1; do
		[ $i -lt 30 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
check "... and the check it ran is gone" quit_gone

# watch without a case: the first case not done (01; 03 is done). A
# session of its own (the first one's tmux server stays up meanwhile).
session=$session-first
tmux new-session -d -s "$session" -x 160 -y 50 \
	"LEAKLAB_EXERCISES='$LEAKLAB_EXERCISES' '$ll' watch; echo WATCH-ENDED; sleep 30"
check "watch without a case starts at the first not done: 01" \
	wait_for "leaklab watch: exercises.*01-unclosed-connection.c\|leaklab watch: .*/01-unclosed-connection.c" 60
tmux send-keys -t "$session" q
check "q quits it" wait_for "WATCH-ENDED" 5
echo "loop: every step of the course works"
