#!/bin/sh
# Grading a class (ctest label course): thirty files of case 01 (copies
# of fixed.c, of the start file and of two wrong fixes) graded at once,
# five at a time, get the same verdicts as the first six of them (one of
# each kind, so the same file as each of the thirty) graded one at a
# time; the
# instructor's exercises/.progress is untouched; the JSON holds every
# file, and the JUnit XML is read by a real JUnit parser (Debian's
# python3-junitparser): one testcase a file, a failure (with the rows
# that failed as its message) for every file that is not yet right.
#
#   grade.sh ROOT
set -eu
root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-grade-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export LEAKLAB_EXERCISES=$work/instructor
ll=$root/leaklab
case_dir=$root/cases/01-unclosed-connection
class=$work/class
few=$work/few
mkdir -p "$class" "$few" "$LEAKLAB_EXERCISES"
fail() {
	echo "grade: FAIL: $*"
	exit 1
}

/usr/bin/python3 -c 'import junitparser' 2>/dev/null ||
	fail "python3-junitparser is missing (./leaklab deps installs it)"

# The instructor's own progress, which grading must leave alone.
printf '# leaklab course progress: case, state, hints used, last verdict\n03-uncleared-timer\tdone\t1\tpass\n' \
	>"$LEAKLAB_EXERCISES/.progress"
cp "$LEAKLAB_EXERCISES/.progress" "$work/progress.before"

LEAKLAB_EXERCISES=$work/start "$ll" start 01 >/dev/null
patch -s -o "$work/every-10th.c" "$case_dir/fixed.c" <"$case_dir/wrong-fixes/every-10th-drop.patch"
patch -s -o "$work/spins.c" "$case_dir/fixed.c" <"$case_dir/wrong-fixes/spins-on-close.patch"
i=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	n=$(printf '%02d' $i)
	case $((i % 6)) in
	0 | 1) cp "$case_dir/fixed.c" "$class/student$n.c" ;;
	2 | 3) cp "$work/start/01-unclosed-connection.c" "$class/student$n.c" ;;
	4) cp "$work/every-10th.c" "$class/student$n.c" ;;
	5) cp "$work/spins.c" "$class/student$n.c" ;;
	esac
	[ $i -gt 6 ] || cp "$class/student$n.c" "$few/"
done

t0=$(date +%s)
r=0
"$ll" grade 01 "$class" --native --jobs 5 --json "$work/at-once.json" \
	--junit "$work/at-once.xml" >"$work/at-once.out" 2>&1 || r=$?
t1=$(date +%s)
[ $r -eq 1 ] || { cat "$work/at-once.out"; fail "grade at once: exit $r, expected 1"; }
r=0
"$ll" grade 01 "$few" --native --jobs 1 --json "$work/one-by-one.json" \
	>"$work/one-by-one.out" 2>&1 || r=$?
t2=$(date +%s)
[ $r -eq 1 ] || { cat "$work/one-by-one.out"; fail "grade one at a time: exit $r, expected 1"; }
echo "grade: 30 files 5 at a time in $((t1 - t0)) s, 6 of them one at a time in $((t2 - t1)) s"
sed -n '1,12p;$p' "$work/at-once.out" | sed 's/^/  | /'

# The table an instructor reads: a header, then a line a file with its verdict.
grep -q '^file  *verdict  *rows that failed$' "$work/at-once.out" ||
	fail "the table has no 'file verdict rows-that-failed' header"
rows=$(grep -c 'student[0-9][0-9]\.c  *\(pass\|not yet\)' "$work/at-once.out" || true)
[ "$rows" -eq 30 ] || fail "the table has $rows lines of a file and its verdict, not 30"
grep -q '^30 files: 20 not yet, 10 pass' "$work/at-once.out" ||
	fail "the table's last line does not count 20 not yet and 10 pass"

cmp -s "$work/progress.before" "$LEAKLAB_EXERCISES/.progress" ||
	fail "grading changed the instructor's exercises/.progress"

/usr/bin/python3 - "$work" <<'PY' || fail "the records or the JUnit XML are not what they should be"
import json, sys
import xml.etree.ElementTree as ET
from junitparser import JUnitXml, Failure, Error

work = sys.argv[1]
once = json.load(open(work + "/at-once.json"))["files"]
serial = json.load(open(work + "/one-by-one.json"))["files"]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("  not so: " + what)
        ok = False

check(len(once) == 30 and len(serial) == 6, "30 and 6 records (%d, %d)" % (len(once), len(serial)))
# Each of the thirty is a copy of the one of its kind graded alone.
alone = {int(r["file"][-4:-2]) % 6: r for r in serial}
want = {0: "pass", 1: "pass", 2: "not yet", 3: "not yet", 4: "not yet", 5: "not yet"}
check([r["file"] for r in once] == sorted(r["file"] for r in once), "the files in order")
for a in once:
    n = int(a["file"][-4:-2])
    b = alone.get(n % 6)
    check(a["verdict"].startswith(want[n % 6]),
          "%s: %s, expected %s" % (a["file"], a["verdict"], want[n % 6]))
    check(b is not None and a["verdict"] == b["verdict"],
          "%s: at once %s, its copy one at a time %s"
          % (a["file"], a["verdict"], b and b["verdict"]))
    check(a["verdict"].startswith("pass") == (not a["failed"]),
          "%s: failed rows iff not a pass" % a["file"])
    if n % 6 == 5:
        check(any("stuck" in r or "kept running" in r for r in a["failed"]),
              "%s: the spinning fix is named stuck: %s" % (a["file"], a["failed"]))
    if n % 6 == 4:
        check(any(r.startswith("native: fds") for r in a["failed"]),
              "%s: the tenth-drop fix fails on fds: %s" % (a["file"], a["failed"]))

# The JUnit schema's required parts, read with ElementTree.
root = ET.parse(work + "/at-once.xml").getroot()
check(root.tag == "testsuites", "the root is testsuites")
suites = root.findall("testsuite")
check(len(suites) == 1, "one testsuite")
for attr in ("name", "tests", "failures", "errors"):
    check(attr in suites[0].attrib, "testsuite has %s" % attr)
for tc in suites[0].findall("testcase"):
    check("name" in tc.attrib and "classname" in tc.attrib, "testcase has name and classname")

# And by a JUnit parser, as a CI system reads it.
xml = JUnitXml.fromfile(work + "/at-once.xml")
cases = [c for s in xml for c in s]
check(len(cases) == 30, "30 testcases (%d)" % len(cases))
by_name = {r["file"]: r for r in once}
failed = 0
for c in cases:
    r = by_name.get(c.name)
    check(r is not None, "testcase %s is a graded file" % c.name)
    if r is None:
        continue
    results = list(c.result)
    if r["verdict"].startswith("pass"):
        check(not results, "%s passed: no failure" % c.name)
    else:
        failed += 1
        check(len(results) == 1 and isinstance(results[0], Failure),
              "%s: one failure" % c.name)
        if results:
            check(results[0].message == "; ".join(r["failed"]),
                  "%s: the failure's message is the rows that failed" % c.name)
check(failed == 20, "20 failures (%d)" % failed)
sys.exit(0 if ok else 1)
PY
echo "grade: the same verdicts at once and one at a time; JSON and JUnit agree; progress untouched"
