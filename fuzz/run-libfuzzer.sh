#!/bin/sh
# run-libfuzzer.sh FUZZER CORPUS_DIR ARTIFACT_DIR SECONDS [libFuzzer options...]
#
# The smoke test of one libFuzzer target (fuzz preset): fuzz for SECONDS
# with a fixed seed, starting from a copy of the seed corpus in a temporary
# directory, so that the inputs libFuzzer adds never land in the source
# tree. A crash is kept in ARTIFACT_DIR (in the build tree) and fails the
# test with libFuzzer's exit code.
set -u
if [ $# -lt 4 ]; then
	echo "usage: $0 FUZZER CORPUS_DIR ARTIFACT_DIR SECONDS [options...]" >&2
	exit 2
fi
fuzzer=$1 corpus=$2 artifacts=$3 seconds=$4
shift 4

work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
cp "$corpus"/* "$work"/ || exit 1
mkdir -p "$artifacts" || exit 1

# -timeout: one input taking 10 s is a hang worth failing on; the total
# time bound is what keeps the test short on a loaded machine.
"$fuzzer" -max_total_time="$seconds" -seed=1 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$@" "$work"
