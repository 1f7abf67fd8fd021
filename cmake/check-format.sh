#!/bin/sh
# Fails when clang-format (the repo's .clang-format) would change a C file:
# the style is applied to everything, and this test keeps it that way.
# Run from anywhere; fix with:  git ls-files '*.c' '*.h' | xargs clang-format -i
set -eu
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
command -v "$fmt" >/dev/null 2>&1 || { echo "check-format: $fmt not found: skipped"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
# One clang-format for all the files: --dry-run -Werror names each one that
# would change (a process a file cost seconds on a busy machine).
# shellcheck disable=SC2086
if "$fmt" --style=file --dry-run -Werror $files 2>"${TMPDIR:-/tmp}/check-format.$$"; then
	rm -f "${TMPDIR:-/tmp}/check-format.$$"
	echo "check-format: every C file is formatted ($(echo "$files" | wc -l) files)"
	exit 0
fi
grep -o '^[^:]*\.[ch]:' "${TMPDIR:-/tmp}/check-format.$$" | sort -u | sed 's/:$//; s/^/check-format: would change: /'
rm -f "${TMPDIR:-/tmp}/check-format.$$"
exit 1
