#!/bin/sh
# An instructor's new case (ctest label course): ./leaklab new-case in a
# copy of the kit makes a skeleton that builds, whose leak variant is
# caught and whose fixed variant is clean, and that the course can start;
# its advice works from the top of the checkout, and the course's
# self-check fails it until its brief and hints are its own.
#
#   new-case.sh ROOT
set -eu
unset LEAKLAB_BUILD LEAKLAB_EXERCISES
root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-new-case.XXXXXX")
trap 'rm -rf "$work"' EXIT
kit=$work/kit
mkdir "$kit"
# The kit as a clone has it: the tracked files, and the course's own new ones.
(cd "$root" && { git ls-files 2>/dev/null || find . -path ./build -prune -o -type f -print; } |
	grep -v '^build' | tar -cf - -T -) | (cd "$kit" && tar -xf -)

fail() {
	echo "new-case: FAIL: $*"
	exit 1
}

"$kit/leaklab" new-case 99-my-own-case >"$work/new-case.out" 2>&1 ||
	{ cat "$work/new-case.out"; fail "new-case failed"; }
for f in cases/99-my-own-case/leak.c cases/99-my-own-case/fixed.c \
	cases/99-my-own-case/CMakeLists.txt cases/99-my-own-case/hints.md \
	docs/cases/99-my-own-case.md; do
	[ -f "$kit/$f" ] || fail "no $f"
done
grep -q 'add_subdirectory(99-my-own-case)' "$kit/cases/CMakeLists.txt" || fail "not in cases/CMakeLists.txt"
grep -q '@SLUG@\|@NN@' -r "$kit/cases/99-my-own-case" "$kit/docs/cases/99-my-own-case.md" &&
	fail "placeholders left in the skeleton"
"$kit/leaklab" new-case 99-again >"$work/out" 2>&1 && fail "a second case 99 was accepted"
"$kit/leaklab" new-case Bad_Name >"$work/out" 2>&1 && fail "a bad slug was accepted"

cmake -S "$kit" -B "$kit/build" -DLEAKLAB_WERROR=ON >"$work/out" 2>&1 || { cat "$work/out"; fail "configure"; }
cmake --build "$kit/build" -j "${LEAKLAB_JOBS:-2}" --target 99-my-own-case-leak 99-my-own-case-fixed \
	leaklab-check >"$work/out" 2>&1 || { cat "$work/out"; fail "the skeleton does not build"; }
check=$kit/build/bin/leaklab-check
"$check" --case 99-my-own-case --variant leak --native --quiet >"$work/out" 2>&1 ||
	{ cat "$work/out"; fail "the skeleton's leak is not caught"; }
"$check" --case 99-my-own-case --variant fixed --native --quiet >"$work/out" 2>&1 ||
	{ cat "$work/out"; fail "the skeleton's fix is not clean"; }
LEAKLAB_EXERCISES=$work/ex "$kit/leaklab" start 99 >"$work/out" 2>&1 || { cat "$work/out"; fail "start 99"; }
grep -q 'LEAK:' "$work/ex/99-my-own-case.c" && fail "the start file keeps LEAK:"

# The advice new-case printed works from the top of the checkout: its
# ctest command finds the case's tests in the build.
advice=$(sed -n 's/^  \(ctest --test-dir build -L 99\) .*/\1/p' "$work/new-case.out")
[ -n "$advice" ] || { cat "$work/new-case.out"; fail "new-case advises no ctest command"; }
(cd "$kit" && $advice -N) >"$work/out" 2>&1 || { cat "$work/out"; fail "the advice '$advice' fails"; }
grep -q 'Total Tests: [1-9]' "$work/out" || { cat "$work/out"; fail "'$advice' finds no test"; }
grep -q '^  ./leaklab check 99 ' "$work/new-case.out" || fail "new-case advises no ./leaklab check 99"

# The course's self-check fails the template's placeholder brief and hints,
# and passes once they are the case's own.
r=0
LEAKLAB_BUILD=$kit/build sh "$kit/harness/course/tests/selfcheck.sh" "$kit" 99-my-own-case \
	>"$work/out" 2>&1 || r=$?
[ $r -ne 0 ] || { cat "$work/out"; fail "the self-check passed the template's placeholders"; }
for what in "the brief" "hint 1" "hint 2" "hint 3"; do
	grep -q "$what is still the template's placeholder" "$work/out" ||
		{ cat "$work/out"; fail "the self-check did not name the placeholder $what"; }
done
cat >"$kit/cases/99-my-own-case/hints.md" <<'HINTS'
# 99-my-own-case

An echo server that keeps a scratch buffer for each connection. Fix it so
that every connection gives its buffer back, however it ends, and the
echo still works.

## Hint 1
Watch the heap: it climbs by a few KiB for every client that comes and goes.

## Hint 2
Look at what the handler allocates before its loop.

## Hint 3
Free it once, on the way out of the handler, after the loop.
HINTS
r=0
LEAKLAB_BUILD=$kit/build sh "$kit/harness/course/tests/selfcheck.sh" "$kit" 99-my-own-case \
	>"$work/out" 2>&1 || r=$?
[ $r -eq 0 ] || { cat "$work/out"; fail "the self-check fails the case with its own hints"; }
echo "new-case: the skeleton builds, leaks, is fixed, and starts as an exercise"
