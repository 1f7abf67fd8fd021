#!/bin/sh
# The page check must fail when the page says what its blocks do not:
# each edit below, made to a copy of docs/detectors.md, must make
# lint_doc.py exit 1 and name what no longer holds.
#
#   test_lint_doc.sh LINT_DOC DOC
set -u
lint=$1
doc=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint-doc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
try() { # NAME SED-EXPRESSION EXPECTED-TEXT
	sed "$2" "$doc" >"$tmp/doc.md"
	if cmp -s "$doc" "$tmp/doc.md"; then
		echo "FAIL: $1: the edit changed nothing (the page moved on; update this test)"
		status=1
		return
	fi
	out=$(python3 "$lint" "$tmp/doc.md")
	rc=$?
	if [ $rc -ne 1 ] || ! printf '%s\n' "$out" | grep -q -- "$3"; then
		echo "FAIL: $1: exit $rc, expected 1 with \"$3\":"
		printf '%s\n' "$out" | sed 's/^/  | /'
		status=1
	else
		echo "ok: $1: $(printf '%s\n' "$out" | grep -m1 -- "$3")"
	fi
}
python3 "$lint" "$doc" || status=1
try "a grid cell" 's/^\(04-unbounded-map *+ *\)-/\1+/' "04-unbounded-map mc-exit: the grid says +"
try "a source line" 's/handle (leak\.c:\([0-9]*\))/handle (leak.c:1)/' "but line 1 of cases/04-unbounded-map/leak.c"
try "a case the prose says is missed" 's/\*\*memcheck at exit\*\* misses 04,/**memcheck at exit** misses 01, 04,/' "the prose says it misses 01"
try "a quoted number" 's/+259$/+258/' "which no block prints"
exit $status
