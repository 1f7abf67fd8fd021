#!/bin/sh
# Every walkthrough keeps the fix behind the exercise (label docs, quick):
# a student sent to a case's page meets "## Your turn first", with the
# case's own ./leaklab start and watch, before any section that gives the
# answer away ("Find it", "Why it leaks", "The fix", "Prove it"). The
# new-case template's page too.
#
#   your-turn-first.sh ROOT
set -u
root=$1
bad=0
n=0
for page in "$root"/docs/cases/[0-9][0-9]-*.md "$root/harness/course/case-template/walkthrough.md"; do
	n=$((n + 1))
	name=$(basename "$page" .md)
	num=${name%%-*}
	case $num in [0-9][0-9]) ;; *) num=@NN@ ;; esac
	turn=$(grep -n '^## Your turn first$' "$page" | head -n 1 | cut -d: -f1)
	if [ -z "$turn" ]; then
		echo "FAIL: $page has no '## Your turn first' section"
		bad=$((bad + 1))
		continue
	fi
	first=$(grep -n '^## \(Find it\|Why it leaks\|The fix\|Prove it\)$' "$page" | head -n 1)
	if [ -n "$first" ] && [ "${first%%:*}" -lt "$turn" ]; then
		echo "FAIL: $page: '${first#*:}' (line ${first%%:*}) comes before '## Your turn first' (line $turn)"
		bad=$((bad + 1))
	fi
	# The section, up to the next heading, names the case's own commands.
	section=$(sed -n "$((turn + 1)),\$p" "$page" | sed '/^## /,$d')
	for cmd in "./leaklab start $num" "./leaklab watch $num"; do
		printf '%s\n' "$section" | grep -qF "$cmd" || {
			echo "FAIL: $page: '## Your turn first' does not say '$cmd'"
			bad=$((bad + 1))
		}
	done
done
[ $bad -eq 0 ] || exit 1
echo "ok: $n pages put 'Your turn first' before the answer"
