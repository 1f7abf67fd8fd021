#!/bin/sh
# harness-times.sh - wall time of every case check (native and under
# memcheck) and of the whole ctest run with -j2, against the targets in
# docs/performance.md. Slow (minutes), so it is not part of leaklab-bench's
# default run.
#
# usage: bench/harness-times.sh [--no-ctest] [--csv FILE] [BUILD_DIR]
#   BUILD_DIR  a configured and built default (Debug, Valgrind) build;
#              default: build next to this script's parent
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build="$top/build"
csv=harness-times.csv
run_ctest=1
while [ $# -gt 0 ]; do
	case "$1" in
	--no-ctest) run_ctest=0 ;;
	--csv) shift; csv="$1" ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	-*) echo "harness-times.sh: unknown option $1" >&2; exit 2 ;;
	*) build="$1" ;;
	esac
	shift
done
check="$build/bin/leaklab-check"
if [ ! -x "$check" ]; then
	echo "harness-times.sh: $check not found: build $build first" >&2
	exit 2
fi

# Seconds since the epoch with milliseconds (GNU date).
now() { date +%s.%3N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "section,case,variant,mode,seconds,exit" > "$csv"
printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %-6s %8s %8s\n' case variant native memcheck
failed=0
for name in $("$check" --list | cut -f1); do
	for variant in leak fixed; do
		line=$(printf '%-26s %-6s' "$name" "$variant")
		for mode in native memcheck; do
			flag=""
			[ "$mode" = memcheck ] && flag=--memcheck
			start=$(now)
			"$check" --case "$name" --variant "$variant" $flag >/dev/null 2>&1
			rc=$?
			secs=$(elapsed "$start" "$(now)")
			[ $rc -eq 0 ] || failed=1
			mark=""
			[ $rc -eq 0 ] || mark="!"
			line="$line $(printf '%7ss%s' "$secs" "$mark")"
			echo "case,$name,$variant,$mode,$secs,$rc" >> "$csv"
		done
		echo "$line"
	done
done

if [ $run_ctest -eq 1 ]; then
	start=$(now)
	ctest --test-dir "$build" -j2 >/dev/null 2>&1
	rc=$?
	secs=$(elapsed "$start" "$(now)")
	[ $rc -eq 0 ] || failed=1
	echo "suite,ctest,all,-j2,$secs,$rc" >> "$csv"
	printf 'whole suite, ctest -j2: %ss (exit %d)\n' "$secs" "$rc"
fi
printf 'load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
[ $failed -eq 0 ] || echo "(! = the check failed; its time still counts)"
exit $failed
