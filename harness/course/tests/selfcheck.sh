#!/bin/sh
# The course's self-check of one case (ctest label course), as rustlings
# checks its exercises: the start file must fail verify, fixed.c must pass
# it, every wrong fix in cases/NN-slug/wrong-fixes/ must fail it, hints.md
# must have its three tiers, in the case's own words (not the new-case
# template's placeholders), and its plan a behaviour check.
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

# verify FILE MODE: prints verify's output on failure; returns its exit code.
verify() {
	out=$work/verify.out
	r=0
	"$root/leaklab" verify "$num" "--file=$1" "--$2" >"$out" 2>&1 || r=$?
	return $r
}

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

# 3. The start file: no LEAK: left, and verify must say "not clean" (1), not 0 or 2.
"$root/leaklab" start "$num" >/dev/null
start=$LEAKLAB_EXERCISES/$name.c
if grep -q 'LEAK:' "$start"; then
	fail "the start file still holds LEAK: comments"
fi
r=0
verify "$start" native || r=$?
if [ $r -eq 1 ]; then
	ok "the start file fails verify ($(grep -c ' NO$' "$out" || true) row(s) not ok)"
else
	fail "the start file: verify exit $r, expected 1"
	cat "$out"
fi

# 4. fixed.c passes.
r=0
verify "$case_dir/fixed.c" native || r=$?
if [ $r -eq 0 ]; then
	ok "fixed.c passes verify"
else
	fail "fixed.c: verify exit $r, expected 0"
	cat "$out"
fi

# 5. Every wrong fix fails, in the mode it names. Two verifies at a time
# (each mostly waits for counts to settle; their builds take turns under
# verify's build lock), reported in the patches' order.
n=0
running=
for p in "$case_dir"/wrong-fixes/*.patch; do
	[ -f "$p" ] || continue
	n=$((n + 1))
	w=$work/$(basename "$p" .patch).c
	if ! patch -s -o "$w" "$case_dir/fixed.c" <"$p" >/dev/null 2>&1; then
		echo "patch" >"$w.rc"
		continue
	fi
	mode=$(sed -n 's/^mode: *//p' "$p" | head -n 1)
	set -- $running
	if [ $# -ge 2 ]; then
		wait "$1" || true
		shift
		running=$*
	fi
	(
		r=0
		"$root/leaklab" verify "$num" "--file=$w" "--${mode:-native}" --no-progress \
			>"$w.out" 2>&1 || r=$?
		echo "$r" >"$w.rc"
	) &
	running="$running $!"
done
wait
for p in "$case_dir"/wrong-fixes/*.patch; do
	[ -f "$p" ] || continue
	w=$work/$(basename "$p" .patch).c
	r=$(cat "$w.rc" 2>/dev/null || echo none)
	if [ "$r" = patch ]; then
		fail "$(basename "$p") does not apply to fixed.c"
	elif [ "$r" = 1 ]; then
		ok "wrong fix $(basename "$p" .patch) fails verify: $(grep -m 1 ' NO$' "$w.out" | sed 's/  */ /g')"
	else
		fail "wrong fix $(basename "$p" .patch): verify exit $r, expected 1"
		cat "$w.out"
	fi
done
[ $n -gt 0 ] || fail "no wrong fix in cases/$name/wrong-fixes/"

[ $failures -eq 0 ] && echo "selfcheck $name: every claim holds"
[ $failures -eq 0 ]
