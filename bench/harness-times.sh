#!/bin/sh
# harness-times.sh - wall time of the kit's own checks, against the targets
# in docs/performance.md. Slow (minutes), so it is not part of
# leaklab-bench's default run, and no test: timings are evidence to read.
#
#   checks   leaklab-check --case X --variant V, natively and under
#            memcheck, for every case
#   verify   the student's loop: ./leaklab verify NN of the start file
#            (what ./leaklab start makes from leak.c) and of fixed.c, each
#            saved afresh (touched) before its run, natively only
#            (--native) and whole (native and memcheck), as the median of
#            --runs runs: the build, the first answer (the native check's
#            first answer line when a count fails the file, else its rows,
#            counted from the end of the build; from the whole run) and the
#            totals, wall clock from the command's start
#   ctest    the whole suite with -j2
#
# usage: bench/harness-times.sh [--runs N] [--cases "NN NN..."] [--no-checks]
#                               [--no-verify] [--no-ctest] [--csv FILE] [BUILD_DIR]
#   --runs N   runs of each verify (default 3); the table shows medians
#   --cases    only these cases (numbers or slugs; default every case)
#   BUILD_DIR  a configured and built default (Debug, Valgrind) build;
#              default: build next to this script's parent
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build="$top/build"
csv=harness-times.csv
runs=3
cases=
do_checks=1
do_verify=1
run_ctest=1
while [ $# -gt 0 ]; do
	case "$1" in
	--no-checks) do_checks=0 ;;
	--no-verify) do_verify=0 ;;
	--no-ctest) run_ctest=0 ;;
	--runs) shift; runs="$1" ;;
	--runs=*) runs=${1#--runs=} ;;
	--cases) shift; cases="$1" ;;
	--cases=*) cases=${1#--cases=} ;;
	--csv) shift; csv="$1" ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	-*) echo "harness-times.sh: unknown option $1" >&2; exit 2 ;;
	*) build="$1" ;;
	esac
	shift
done
case $runs in '' | *[!0-9]* | 0) echo "harness-times.sh: --runs needs a number from 1" >&2; exit 2 ;; esac
build=$(cd "$build" 2>/dev/null && pwd) || { echo "harness-times.sh: no build $build" >&2; exit 2; }
check="$build/bin/leaklab-check"
if [ ! -x "$check" ]; then
	echo "harness-times.sh: $check not found: build $build first" >&2
	exit 2
fi

# The cases to time: every case, or those --cases names.
all=$("$check" --list | cut -f1)
if [ -n "$cases" ]; then
	sel=
	for q in $cases; do
		case $q in [0-9]) q=0$q ;; esac
		m=$(printf '%s\n' "$all" | grep -E "^$q(-|\$)" || printf '%s\n' "$all" | grep -x -F -- "$q")
		[ -n "$m" ] || { echo "harness-times.sh: no case $q" >&2; exit 2; }
		sel="$sel $m"
	done
	all=$sel
fi

# Seconds since the epoch with milliseconds (GNU date).
now() { date +%s.%3N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "section,case,variant,mode,run,seconds,exit,build,native_answer,checker_answer" > "$csv"
printf 'machine: %s cores, %s\n' "$(nproc)" "$(valgrind --version 2>/dev/null)"
printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
failed=0

if [ $do_checks -eq 1 ]; then
	printf '%-26s %-6s %8s %8s\n' case variant native memcheck
	for name in $all; do
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
				echo "check,$name,$variant,$mode,1,$secs,$rc,,," >> "$csv"
			done
			echo "$line"
		done
	done
fi

if [ $do_verify -eq 1 ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/harness-times.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	export LEAKLAB_BUILD="$build" LEAKLAB_EXERCISES="$work/exercises"
	mkdir -p "$work/fixed"
	for name in $all; do
		"$top/leaklab" start "${name%%-*}" >/dev/null 2>&1 ||
			{ echo "harness-times.sh: ./leaklab start $name failed" >&2; exit 2; }
		cp "$top/cases/$name/fixed.c" "$work/fixed/$name.c"
	done
	# Each run takes every case in turn, so a burst of load from elsewhere
	# falls on many cases rather than on every run of one.
	r=1
	while [ "$r" -le "$runs" ]; do
		for name in $all; do
			for variant in start fixed; do
				if [ $variant = start ]; then
					file=$work/exercises/$name.c
					want=1
				else
					file=$work/fixed/$name.c
					want=0
				fi
				for mode in native whole; do
					flag=
					[ $mode = native ] && flag=--native
					touch "$file"
					start=$(now)
					"$top/leaklab" verify "${name%%-*}" "--file=$file" $flag --no-progress \
						--json="$work/record.json" >"$work/out" 2>&1
					rc=$?
					secs=$(elapsed "$start" "$(now)")
					# A start file that passes or a fix that fails: the
					# timing is of the wrong thing; say so.
					if [ $rc -ne $want ]; then
						failed=1
						echo "harness-times.sh: verify $name $variant $mode: exit $rc, expected $want" >&2
						sed 's/^/  | /' "$work/out" >&2
					fi
					parts=$(/usr/bin/python3 -c '
import json, sys
try:
    rec = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    rec = {}
modes = {m["mode"]: m.get("first_answer_seconds", m.get("answer_seconds", ""))
         for m in rec.get("modes", [])}
print("%s,%s,%s" % (rec.get("build_seconds", ""), modes.get("native", ""), modes.get("memcheck", "")))
' "$work/record.json")
					rm -f "$work/record.json"
					echo "verify,$name,$variant,$mode,$r,$secs,$rc,$parts" >> "$csv"
				done
			done
		done
		printf 'verify: run %d of %d done (load average %s)\n' "$r" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
		r=$((r + 1))
	done
	echo
	/usr/bin/python3 - "$csv" "$runs" <<'EOF'
import csv, statistics, sys

rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["section"] == "verify"]
runs = sys.argv[2]


def med(values):
    v = [float(x) for x in values if x != ""]
    return "%.1f" % statistics.median(v) if v else "-"


def cell(name, variant, mode, key):
    return [r[key] for r in rows if (r["case"], r["variant"], r["mode"]) == (name, variant, mode)]


print("./leaklab verify NN, seconds, median of %s runs; build: the build of the saved file;" % runs)
print("answer: the first answer line, or else the native rows, counted from the end of the build")
print("(whole run); native: verify --native; whole: native and memcheck (DRD for 14), from the")
print("command's start")
print("%-24s %28s   %28s" % ("", "start file (fails)", "fixed.c (passes)"))
print("%-24s %6s %7s %7s %6s   %6s %7s %7s %6s" % ("case", "build", "answer", "native", "whole",
                                                 "build", "answer", "native", "whole"))
names = []
for r in rows:
    if r["case"] not in names:
        names.append(r["case"])
worst = {}
for name in names:
    out = "%-24s" % name
    for variant in ("start", "fixed"):
        b = med(cell(name, variant, "native", "build") + cell(name, variant, "whole", "build"))
        a = med(cell(name, variant, "whole", "native_answer"))
        n = med(cell(name, variant, "native", "seconds"))
        w = med(cell(name, variant, "whole", "seconds"))
        out += " %6s %7s %7s %6s  " % (b, a, n, w)
        for k, v in (("answer", a), ("whole " + variant, w)):
            if v != "-" and float(v) > worst.get(k, (0, ""))[0]:
                worst[k] = (float(v), name)
    print(out.rstrip())
for k in ("answer", "whole start", "whole fixed"):
    if k in worst:
        print("slowest %s: %.1f s (%s)" % (k, worst[k][0], worst[k][1]))
EOF
fi

if [ $run_ctest -eq 1 ]; then
	start=$(now)
	ctest --test-dir "$build" -j2 >/dev/null 2>&1
	rc=$?
	secs=$(elapsed "$start" "$(now)")
	[ $rc -eq 0 ] || failed=1
	echo "suite,ctest,all,-j2,1,$secs,$rc,,," >> "$csv"
	printf 'whole suite, ctest -j2: %ss (exit %d)\n' "$secs" "$rc"
fi
printf 'load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
[ $failed -eq 0 ] || echo "(! or a message above: a check or verify did not end as expected; its time still counts)"
exit $failed
