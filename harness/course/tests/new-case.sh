#!/bin/sh
# An instructor's new case (ctest label course): ./leaklab new-case in a
# copy of the kit makes a skeleton that builds, whose leak variant is
# caught and whose fixed variant is clean, and that the course can start.
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

"$kit/leaklab" new-case 99-my-own-case >"$work/out" 2>&1 || { cat "$work/out"; fail "new-case failed"; }
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
echo "new-case: the skeleton builds, leaks, is fixed, and starts as an exercise"
