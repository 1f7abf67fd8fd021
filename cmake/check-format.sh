#!/bin/sh
# Fails when clang-format (the repo's .clang-format) would change a C file:
# the style is applied to everything, and this test keeps it that way.
# Run from anywhere; fix with:  git ls-files '*.c' '*.h' | xargs clang-format -i
set -eu
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
command -v "$fmt" >/dev/null 2>&1 || { echo "check-format: $fmt not found: skipped"; exit 77; }
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'); do
	if ! "$fmt" --style=file "$f" | cmp -s - "$f"; then
		echo "check-format: $f would change under $fmt"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "check-format: every C file is formatted"
exit $bad
