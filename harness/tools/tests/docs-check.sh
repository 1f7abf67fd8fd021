#!/bin/sh
# docs-check catches an edit (ctest docs/check/catches-an-edit): a page
# whose quoted block matches its command passes, and the same page with
# one quoted number edited past docs-check's tolerance fails, for each
# kind of number it compares (a count exactly, bytes within a fifth, a
# decimal within a tenth); an edit within the tolerance passes, and a
# block of output that names no command fails. The command is printf, so
# the test needs no case and takes a second.
#
#   docs-check.sh DOCS_CHECK BUILD_DIR    (KEEP=1 keeps its scratch pages)
set -u
check=$1
build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-docs-check.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0

run='printf "  threads     +40 at 20 clients, +80 at 40\\n  heap        +1000 B/client (+20000, +40000 B)\\n  growth      +2.00/client, scales 2.0x\\n"'

# page NAME COMMAND LINE...: a page whose block quotes these lines as
# COMMAND's output (an empty COMMAND: a block that names none).
page() {
	name=$1
	cmd=$2
	shift 2
	{
		echo "# A page"
		echo
		[ -z "$cmd" ] || echo "<!-- output: $cmd -->"
		echo '```text'
		printf '%s\n' "$@"
		echo '```'
	} >"$work/$name.md"
}

# expect STATUS NAME WHAT: docs-check of page NAME must exit STATUS.
expect() {
	r=0
	"$check" --build "$build" "$work/$2.md" >"$work/$2.out" 2>&1 || r=$?
	if [ "$r" -eq "$1" ]; then
		echo "ok: $3 (exit $r)"
	else
		echo "FAIL: $3: exit $r, expected $1"
		cat "$work/$2.out"
		failures=$((failures + 1))
	fi
}

t='  threads     +40 at 20 clients, +80 at 40'
h='  heap        +1000 B/client (+20000, +40000 B)'
g='  growth      +2.00/client, scales 2.0x'
page same "$run" "$t" "$h" "$g"
expect 0 same "the page as the run prints it passes"
page count "$run" "  threads     +41 at 20 clients, +80 at 40" "$h" "$g"
expect 1 count "a count edited by one fails"
page bytes "$run" "$t" "  heap        +1000 B/client (+20000, +52000 B)" "$g"
expect 1 bytes "bytes edited by 30% fail"
page bytes-near "$run" "$t" "  heap        +1000 B/client (+20000, +42000 B)" "$g"
expect 0 bytes-near "bytes within 5% pass"
page decimal "$run" "$t" "$h" "  growth      +2.50/client, scales 2.0x"
expect 1 decimal "a decimal edited by 25% fails"
page word "$run" "$t" "$h" "  growth      +2.00/client, shrinks 2.0x"
expect 1 word "a word edited fails"
# A table's columns: under "lost" the numbers are bytes (a byte more is
# within the tolerance), under "fds" counts (one more fails).
table='printf "case       err       lost  fds\\n11-tls     0    3502401   48\\n"'
page table "$table" "case       err       lost  fds" "11-tls     0    3502402   48"
expect 0 table "bytes under a table's lost column within the tolerance pass"
page table-fds "$table" "case       err       lost  fds" "11-tls     0    3502401   49"
expect 1 table-fds "a count under a table's fds column edited by one fails"
page unmarked "" "$t"
expect 1 unmarked "a block of output that names no command fails"

# A run that differs once (the first prints 41, then 40): the block
# matches on the second run, and the output says what the first said.
flip="if [ -e $work/ran ]; then echo 'threads +40'; else : >$work/ran; echo 'threads +41'; fi"
page retry "$flip" "threads +40"
expect 0 retry "a block that matches on its second run passes"
grep -q "matched on run 2 of 3; run 1 at line 5: threads +40: count 40 in the doc, 41 in the run" \
	"$work/retry.out" && echo "ok: and says why run 1 did not match" || {
	echo "FAIL: the retry's first mismatch is not named"
	cat "$work/retry.out"
	failures=$((failures + 1))
}

[ $failures -eq 0 ] && echo "docs-check catches every edit"
[ $failures -eq 0 ]
