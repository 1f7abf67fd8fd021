#!/bin/sh
# The code the walkthroughs quote is the kit's code (label docs, quick):
# harness/tools/quoted-code passes on the tree, and fails on a copy of a
# walkthrough whose quoted diff, or quoted C, has one line edited.
#
#   quoted-code.sh ROOT
set -u
root=$1
tool=$root/harness/tools/quoted-code
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

"$tool" "$root" || fail "the walkthroughs quote code that is not the kit's"

# A copy beside the cases it quotes: ROOT/docs/cases/NAME.md is read
# against ROOT/cases/NAME, so the copy keeps its name in a tree of links.
mkdir -p "$work/docs/cases"
ln -s "$root/cases" "$work/cases"
ln -s "$root/lib" "$work/lib"
page=01-unclosed-connection.md

# One added line of the fix's diff, changed.
sed 's/^+\(.*\)FIX: a vanished peer/+\1FIX: a lost peer/' "$root/docs/cases/$page" >"$work/docs/cases/$page"
cmp -s "$root/docs/cases/$page" "$work/docs/cases/$page" && fail "the edit of the diff changed nothing"
"$tool" "$work" "$work/docs/cases/$page" >"$work/out" && fail "an edited diff passed"
grep -q "is not found" "$work/out" || fail "the edited diff failed without saying which line"
echo "ok: an edited line of a quoted diff fails"

# One line of quoted C, changed.
first_c=$(grep -n '^```c$' "$root/docs/cases/$page" | head -n 1 | cut -d: -f1)
[ -n "$first_c" ] || fail "$page quotes no C"
sed "$((first_c + 1))s/\$/ \/* edited *\//" "$root/docs/cases/$page" >"$work/docs/cases/$page"
"$tool" "$work" "$work/docs/cases/$page" >"$work/out" && fail "an edited C quote passed"
grep -q "no longer the kit's" "$work/out" || fail "the edited C quote failed without saying so"
echo "ok: an edited line of quoted C fails"
