#!/bin/sh
# The course's self-check of one case (ctest label course), as rustlings
# checks its exercises: the start file must fail verify, fixed.c must pass
# it, every wrong fix in cases/NN-slug/wrong-fixes/ must fail it (a check
# of it saying NOT clean: a file that does not build fails nothing), hints.md
# must have its three tiers, in the case's own words (not the new-case
# template's placeholders), and its plan a behaviour check. A native
# verdict that fails on a count was announced by verify's first answer,
# and no first answer comes before a verdict that passes.
#
#   selfcheck.sh ROOT NN-slug
#
# Natively, what a native run can show; memcheck only where a wrong fix
# says "mode: memcheck" (the fixed variant's own memcheck test runs the
# same verify under Valgrind). Exit 0 when every claim holds, 1 otherwise.
set -eu
root=$1
name=$2
num=${name%%-*}
case_dir=$root/cases/$name
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-course.XXXXXX")
trap 'rm -rf "$work"' EXIT
export LEAKLAB_EXERCISES=$work/exercises
failures=0

fail() {
	echo "selfcheck $name: FAIL: $*"
	failures=$((failures + 1))
}
ok() { echo "selfcheck $name: ok: $*"; }

# 1. hints.md: a brief, then exactly "## Hint 1", "## Hint 2", "## Hint 3".
hints=$case_dir/hints.md
if [ ! -f "$hints" ]; then
	fail "no hints.md"
else
	tiers=$(grep '^## Hint ' "$hints" | tr '\n' ' ')
	[ "$tiers" = "## Hint 1 ## Hint 2 ## Hint 3 " ] && ok "hints.md has three tiers" ||
		fail "hints.md tiers are '$tiers', not Hint 1, 2, 3"
	brief=$(awk '/^## Hint/ { exit } NR > 1 && /[a-z]/ { n++ } END { print n + 0 }' "$hints")
	[ "$brief" -gt 0 ] && ok "hints.md has a brief" || fail "hints.md has no brief before Hint 1"
fi

# 1b. The case's own words: a brief or hint still as ./leaklab new-case's
# template wrote it (harness/course/case-template/hints.md) is a placeholder.
tpl=$root/harness/course/case-template/hints.md
# section FILE K: the text of the brief (K 0) or of hint K, blank lines dropped.
section() {
	awk -v k="$2" '/^## Hint / { n = $3 + 0; next } NR > 1 && n == k && /./ { print }' "$1"
}
if [ -f "$hints" ] && [ -f "$tpl" ]; then
	sed -e "s/@SLUG@/$name/g" -e "s/@NN@/$num/g" "$tpl" >"$work/template-hints.md"
	for k in 0 1 2 3; do
		what=$([ $k -eq 0 ] && echo "the brief" || echo "hint $k")
		if [ -n "$(section "$hints" $k)" ] &&
			[ "$(section "$hints" $k)" = "$(section "$work/template-hints.md" $k)" ]; then
			fail "hints.md: $what is still the template's placeholder: write the case's own"
		fi
	done
fi

# 2. The case's plan names a behaviour check and the exit paths.
plan=$("${LEAKLAB_BUILD:-$root/build}/bin/leaklab-check" --plan "$name" 2>/dev/null || true)
printf '%s' "$plan" | grep -q '"behaviours": \[$' && ok "the plan has a behaviour check" ||
	fail "the plan has no behaviour check (BEHAVIOUR in its CMakeLists.txt)"
printf '%s' "$plan" | grep -q '"verify": \["' && ok "the plan lists exit paths" ||
	fail "the plan has no exit paths (VERIFY in its CMakeLists.txt)"

# The verifies run two at a time (each mostly waits for counts to settle,
# and after the case's first build each compiles its file in a folder of
# its own), and are reported in order once all are done. launch FILE MODE: verify FILE in MODE into
# FILE.out, its exit code into FILE.rc.
running=
launch() {
	file=$1
	md=$2
	# shellcheck disable=SC2086
	set -- $running
	if [ $# -ge 2 ]; then
		wait "$1" || true
		shift
	fi
	(
		r=0
		"$root/leaklab" verify "$num" "--file=$file" "--$md" --no-progress \
			>"$file.out" 2>&1 || r=$?
		echo "$r" >"$file.rc"
	) &
	running="$* $!"
}
# rc FILE: the exit code of FILE's verify.
rc() { cat "$1.rc" 2>/dev/null || echo none; }

# 3. The start file: no LEAK: left, and verify must say "not clean" (1), not 0 or 2.
"$root/leaklab" start "$num" >/dev/null
start=$work/start.c
cp "$LEAKLAB_EXERCISES/$name.c" "$start"
if grep -q 'LEAK:' "$start"; then
	fail "the start file still holds LEAK: comments"
fi
launch "$start" native

# 4. fixed.c passes.
fixed=$work/fixed.c
cp "$case_dir/fixed.c" "$fixed"
launch "$fixed" native

# 5. Every wrong fix fails, in the mode it names.
n=0
for p in "$case_dir"/wrong-fixes/*.patch; do
	[ -f "$p" ] || continue
	n=$((n + 1))
	w=$work/wrong-$(basename "$p" .patch).c
	if ! patch -s -o "$w" "$case_dir/fixed.c" <"$p" >/dev/null 2>&1; then
		echo "patch" >"$w.rc"
		continue
	fi
	mode=$(sed -n 's/^mode: *//p' "$p" | head -n 1)
	launch "$w" "${mode:-native}"
done
wait

# judged FILE: verify ran FILE and a check of it said NOT clean: a file
# that no longer builds is "not yet" too, and proves nothing here.
judged() { grep -q '^verdict: NOT clean' "$1.out"; }

# first_agrees FILE: the native check's first answer (verify's first line
# when an exit path leaves a count off the baseline, or a shutdown start a
# client without its 1001) is followed by a
# native verdict that is NOT clean (on its rows, or a program found
# stuck or crashed after it), and a native report with a threads or fds
# row not ok had one: a first answer never contradicts the whole one.
first_agrees() {
	native=$(awk '/^== .*, native: /{ n = 1; next } /^== /{ n = 0 } n' "$1.out")
	count_no=$(printf '%s\n' "$native" | grep -cE '^  (threads|fds) .* NO$' || true)
	if grep -q '^native, first answer: .*: NOT clean' "$1.out"; then
		printf '%s\n' "$native" | grep -q '^verdict: NOT clean'
	else
		[ "$count_no" -eq 0 ]
	fi
}

# 6. Every first answer agrees with its native verdict, and every native
# verdict that fails on a count had one.
for f in "$start" "$fixed" "$work"/wrong-*.c; do
	[ -f "$f.out" ] || continue
	if ! first_agrees "$f"; then
		fail "$(basename "$f"): the first answer and the native rows disagree"
		cat "$f.out"
	fi
done
if grep -q '^native, first answer:' "$start.out"; then
	ok "the start file's first answer: $(grep -m 1 '^native, first answer:' "$start.out" | sed 's/.*(\([0-9.]* s\) in.*/\1 into the native check/')"
fi

r=$(rc "$start")
if [ "$r" = 1 ] && judged "$start"; then
	ok "the start file fails verify ($(grep -c ' NO$' "$start.out" || true) row(s) not ok)"
elif [ "$r" = 1 ]; then
	fail "the start file: verify exit 1, but no check of it said NOT clean"
	cat "$start.out"
else
	fail "the start file: verify exit $r, expected 1"
	cat "$start.out"
fi
r=$(rc "$fixed")
if [ "$r" = 0 ]; then
	ok "fixed.c passes verify"
else
	fail "fixed.c: verify exit $r, expected 0"
	cat "$fixed.out"
fi
for p in "$case_dir"/wrong-fixes/*.patch; do
	[ -f "$p" ] || continue
	w=$work/wrong-$(basename "$p" .patch).c
	r=$(rc "$w")
	if [ "$r" = patch ]; then
		fail "$(basename "$p") does not apply to fixed.c"
	elif [ "$r" = 1 ] && judged "$w"; then
		ok "wrong fix $(basename "$p" .patch) fails verify: $(grep -m 1 ' NO$' "$w.out" | sed 's/  */ /g')"
	elif [ "$r" = 1 ]; then
		fail "wrong fix $(basename "$p" .patch): verify exit 1, but no check of it said NOT clean (does it still build?)"
		cat "$w.out"
	else
		fail "wrong fix $(basename "$p" .patch): verify exit $r, expected 1"
		cat "$w.out"
	fi
done
[ $n -gt 0 ] || fail "no wrong fix in cases/$name/wrong-fixes/"

[ $failures -eq 0 ] && echo "selfcheck $name: every claim holds"
[ $failures -eq 0 ]
