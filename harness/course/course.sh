# course.sh - the student's loop, sourced by ./leaklab (POSIX sh).
#
#   start NN      exercises/NN-slug.c from leak.c: the brief instead of the
#                 header, the LEAK: comments taken out (derived here, never
#                 a third copy in the tree); prints what verify judges
#   verify NN     builds the file (the case's exercise target: the kit's own
#                 flags and -Werror), then leaklab-check --verify natively
#                 and under memcheck; exit 0 pass, 1 not clean or does not
#                 build, 2 no verdict
#   watch [NN]    verify on every save; q quits
#   hint NN       the next tier of cases/NN-slug/hints.md
#   progress      every case: pending / started / done, last verdict, hints
#   reset NN      the start file again (asks on a terminal; --yes skips)
#   solution NN   after a pass: diff -u leak.c fixed.c
#   new-case NN-slug   an instructor's skeleton of a new case
#
# Expects from ./leaklab: $root, $build_dir, $bin, $jobs, say, die, deps, configure. The exercises
# live in $LEAKLAB_EXERCISES (default: exercises/ in the checkout,
# git-ignored); progress in its .progress file, one line a case:
#   NN-slug <TAB> state <TAB> hints used <TAB> last verdict

exercises=${LEAKLAB_EXERCISES:-$root/exercises}
progress_file=$exercises/.progress

# The cases in the tree, one slug a line.
course_cases() {
	for d in "$root"/cases/[0-9][0-9]-*/; do
		[ -f "$d/leak.c" ] && basename "$d"
	done
}

# Prints the one case that NN names: 3, 03, the slug, or a unique part of it.
resolve_case() {
	q=${1:-}
	[ -n "$q" ] || die "which case? one of: $(course_cases | tr '\n' ' ')"
	case $q in
	[0-9] | [0-9][0-9])
		num=$(printf '%02d' "$(expr "$q" + 0)")
		found=$(course_cases | grep "^$num-" || true)
		;;
	*)
		found=$(course_cases | grep -x -F -- "$q" || true)
		[ -n "$found" ] || found=$(course_cases | grep -F -- "$q" || true)
		;;
	esac
	n=$(printf '%s' "$found" | grep -c . || true)
	if [ "$n" -eq 1 ]; then
		printf '%s\n' "$found"
		return 0
	fi
	if [ "$n" -gt 1 ]; then
		say "'$q' could be any of: $(printf '%s' "$found" | tr '\n' ' ')"
	else
		say "no case '$q'. The cases:"
		course_cases | sed 's/^/  /' >&2
	fi
	exit 2
}

# What ./leaklab verify judges for case $1, in the checker's words
# (leaklab-check --plan-text: the plan's sentences, written once in C).
plan_text_of() {
	"$bin/leaklab-check" --plan-text "$1" 2>/dev/null && return 0
	configure force
	cmake --build "$build_dir" -j "$jobs" --target leaklab-check >/dev/null
	"$bin/leaklab-check" --plan-text "$1" ||
		die "no plan for $1 (is it in cases/CMakeLists.txt? ./leaklab build)"
}

# --- progress ---------------------------------------------------------

# progress_get NAME FIELD (2 state, 3 hints, 4 verdict)
progress_get() {
	[ -f "$progress_file" ] || return 0
	awk -F '\t' -v n="$1" -v f="$2" '$1 == n { print $f; exit }' "$progress_file"
}

# progress_set NAME STATE HINTS VERDICT (an empty field keeps the old value)
progress_set() {
	mkdir -p "$exercises"
	tmp=$progress_file.tmp.$$
	{
		echo "# leaklab course progress: case, state, hints used, last verdict"
		[ -f "$progress_file" ] && grep -v '^#' "$progress_file" |
			awk -F '\t' -v n="$1" '$1 != n'
		old_state=$(progress_get "$1" 2)
		old_hints=$(progress_get "$1" 3)
		old_verdict=$(progress_get "$1" 4)
		printf '%s\t%s\t%s\t%s\n' "$1" "${2:-${old_state:-pending}}" \
			"${3:-${old_hints:-0}}" "${4:-$old_verdict}"
	} >"$tmp"
	{
		grep '^#' "$tmp"
		grep -v '^#' "$tmp" | sort
	} >"$tmp.sorted"
	mv "$tmp.sorted" "$progress_file"
	rm -f "$tmp"
}

cmd_progress() {
	printf '%-28s %-8s %-6s %s\n' "case" "state" "hints" "last verdict"
	course_cases | while read -r name; do
		state=$(progress_get "$name" 2)
		hints=$(progress_get "$name" 3)
		verdict=$(progress_get "$name" 4)
		printf '%-28s %-8s %-6s %s\n' "$name" "${state:-pending}" "${hints:-0}/3" \
			"${verdict:--}"
	done
	done_n=$(course_cases | while read -r name; do
		[ "$(progress_get "$name" 2)" = done ] && echo x
	done | grep -c x || true)
	echo "$done_n of $(course_cases | grep -c .) done"
}

# --- the start file ----------------------------------------------------

# The brief: the text of hints.md between its title and the first hint.
brief_of() {
	awk '/^## Hint/ { exit } NR > 1 { print }' "$root/cases/$1/hints.md" |
		sed -e '/./,$!d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# leak.c with its header comment replaced by the brief and every comment
# that holds "LEAK:" removed.
derive_start() {
	name=$1
	{
		echo "/*"
		echo " * $name: your exercise (./leaklab verify ${name%%-*} judges it)."
		echo " *"
		brief_of "$name" | sed -e 's/^/ * /' -e 's/ *$//'
		echo " */"
		awk '
		function flush() {
			if (buf != "" && buf !~ /LEAK:/)
				printf "%s", buf
			buf = ""
		}
		# The header: everything up to the end of the first comment.
		!body {
			if ($0 ~ /\*\//)
				body = 1
			next
		}
		incomment {
			buf = buf $0 "\n"
			if ($0 ~ /\*\//) {
				incomment = 0
				flush()
			}
			next
		}
		/^[ \t]*\/\*/ {
			buf = $0 "\n"
			if ($0 ~ /\*\//)
				flush()
			else
				incomment = 1
			next
		}
		{ print }
		' "$root/cases/$name/leak.c"
	}
}

cmd_start() {
	name=$(resolve_case "${1:-}")
	file=$exercises/$name.c
	rel=${file#"$root"/}
	if [ -f "$file" ]; then
		say "$rel already exists: edit it, then ./leaklab verify ${name%%-*}"
		say "(./leaklab reset ${name%%-*} starts it over)"
		exit 2
	fi
	deps kit
	mkdir -p "$exercises"
	derive_start "$name" >"$file"
	progress_set "$name" started "" ""
	plan=$(plan_text_of "$name") || exit 2
	echo "leaklab: $name started: edit $rel"
	echo
	brief_of "$name" | sed 's/^/  /'
	echo
	printf '%s\n' "$plan"
	echo
	echo "Next: ./leaklab watch ${name%%-*} (verifies on every save), ./leaklab hint ${name%%-*} when stuck."
}

cmd_reset() {
	yes=
	nn=
	for a in "$@"; do
		case $a in
		--yes | -y) yes=1 ;;
		*) nn=$a ;;
		esac
	done
	name=$(resolve_case "$nn")
	file=$exercises/$name.c
	rel=${file#"$root"/}
	if [ -f "$file" ] && [ -z "$yes" ]; then
		if [ -t 0 ]; then
			printf 'leaklab: replace %s with a fresh start file? Your changes are lost. [y/N] ' "$rel" >&2
			read -r answer || answer=
			case $answer in
			y | Y | yes) ;;
			*)
				say "kept $rel"
				return 0
				;;
			esac
		else
			die "reset would overwrite $rel: give --yes to confirm"
		fi
	fi
	rm -f "$file"
	cmd_start "$name" >/dev/null
	progress_set "$name" started "" "-"
	say "$rel is the start file again"
}

# --- hints and the solution ---------------------------------------------

cmd_hint() {
	name=$(resolve_case "${1:-}")
	hints=$root/cases/$name/hints.md
	[ -f "$hints" ] || die "$name has no hints.md"
	used=$(progress_get "$name" 3)
	used=${used:-0}
	tiers=$(grep -c '^## Hint [0-9]' "$hints" || true)
	if [ "$used" -ge "$tiers" ]; then
		say "no more hints for $name: all $tiers are below."
		used=$((tiers - 1))
	fi
	next=$((used + 1))
	# A line "<!-- output: ... -->" is for the docs check, not the student.
	awk -v n="$next" '
		/^## Hint / { show = ($3 + 0 <= n) }
		/^<!-- output: .* -->$/ { next }
		show { print }
	' "$hints" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
	state=$(progress_get "$name" 2)
	progress_set "$name" "${state:-pending}" "$next" ""
	[ "$next" -lt "$tiers" ] && echo && echo "(./leaklab hint ${name%%-*} again for hint $((next + 1)) of $tiers)"
	return 0
}

cmd_solution() {
	name=$(resolve_case "${1:-}")
	if [ "$(progress_get "$name" 2)" != done ]; then
		say "the solution of $name opens after your fix passes: ./leaklab verify ${name%%-*}"
		exit 1
	fi
	echo "The reference fix of $name: diff -u leak.c fixed.c. Lines with - are"
	echo "the leaking program, lines with + the fix; LEAK: and FIX: mark the sites."
	echo "Your fix passed too: it need not be the same to be right."
	echo
	(cd "$root/cases/$name" && diff -u leak.c fixed.c) || true
	return 0
}

# --- verify -------------------------------------------------------------

# Builds FILE as case NAME's exercise; on failure prints the compiler's
# words and returns 1.
build_exercise() {
	name=$1
	file=$2
	configure
	wrapper=$build_dir/exercises/$name.c
	mkdir -p "$build_dir/exercises"
	want="#include \"$file\" /* written by ./leaklab verify: the file being verified */"
	if [ ! -f "$wrapper" ] || [ "$(cat "$wrapper")" != "$want" ]; then
		printf '%s\n' "$want" >"$wrapper"
	fi
	log=$build_dir/exercises/$name.build.log
	if ! cmake --build "$build_dir" -j "$jobs" --target "$name-exercise" leaklab-check \
		>"$log" 2>&1; then
		if grep -q "No rule to make target.*$name-exercise\|unknown target" "$log"; then
			configure force
			cmake --build "$build_dir" -j "$jobs" --target "$name-exercise" leaklab-check \
				>"$log" 2>&1 && return 0
		fi
		echo "leaklab: ${file#"$root"/} does not build:"
		grep -v -e '^\[' -e '^gmake' -e '^make' -e '^Consolidate' -e 'Error [0-9]*$' \
			-e '^In file included from .*/build/exercises/' "$log" |
			sed "s|$root/||g"
		return 1
	fi
}

# verify NN [--native|--memcheck] [--file F]: exit 0, 1 or 2. --memcheck
# runs the case's own Valgrind tool (leaklab-check --checker): memcheck, or
# DRD for a case registered with MODE drd.
cmd_verify() {
	nn=
	file=
	modes=
	for a in "$@"; do
		case $a in
		--native) modes="$modes --native" ;;
		--memcheck) modes="$modes --checker" ;;
		--file=*) file=${a#--file=} ;;
		-*) die "verify: unknown option $a (--native, --memcheck, --file=F)" ;;
		*) nn=$a ;;
		esac
	done
	name=$(resolve_case "$nn")
	[ -n "$file" ] || file=$exercises/$name.c
	case $file in /*) ;; *) file=$(pwd)/$file ;; esac
	rel=${file#"$root"/}
	[ -f "$file" ] || die "no $rel: ./leaklab start ${name%%-*} makes it"
	[ -n "$modes" ] || modes="--native --checker"
	deps kit
	if ! build_exercise "$name" "$file"; then
		progress_set "$name" started "" "does not build"
		echo "verdict: $name: your file does not build (exit 1)"
		return 1
	fi
	rc=0
	for md in $modes; do
		"$bin/leaklab-check" --case "$name" --verify --source "$rel" $md --quiet || {
			r=$?
			[ $r -gt $rc ] && rc=$r
		}
	done
	state=$(progress_get "$name" 2)
	case $rc in
	0)
		progress_set "$name" done "" "pass"
		echo "verdict: $name: PASS: the leak is gone and the feature works (./leaklab solution ${name%%-*} shows the reference fix)"
		;;
	1)
		[ "$state" = done ] || state=started
		progress_set "$name" "$state" "" "not clean"
		echo "verdict: $name: NOT YET: see the rows above (./leaklab hint ${name%%-*} for a hint)"
		;;
	*)
		progress_set "$name" "${state:-started}" "" "no verdict"
		echo "verdict: $name: NO VERDICT: the check itself could not run (exit $rc)"
		;;
	esac
	return $rc
}

# --- watch --------------------------------------------------------------

# A stamp that changes when the file is saved (editors that write a new
# file and rename it included).
file_stamp() {
	stat -c '%Y.%Z.%s.%i' "$1" 2>/dev/null || echo missing
}

cmd_watch() {
	nn=${1:-}
	if [ -z "$nn" ]; then
		nn=$(ls -t "$exercises"/[0-9][0-9]-*.c 2>/dev/null | head -n 1 || true)
		[ -n "$nn" ] || die "nothing started yet: ./leaklab start NN"
		nn=$(basename "$nn" .c)
	fi
	name=$(resolve_case "$nn")
	file=$exercises/$name.c
	[ -f "$file" ] || die "no ${file#"$root"/}: ./leaklab start ${name%%-*} makes it"
	tty=
	if [ -t 0 ]; then
		tty=1
		saved=$(stty -g)
		trap 'stty "$saved"; exit 0' INT TERM
		trap 'stty "$saved"' EXIT
		stty -icanon -echo min 0 time 0
	fi
	inotify=
	command -v inotifywait >/dev/null 2>&1 && inotify=1
	last=
	while :; do
		stamp=$(file_stamp "$file")
		if [ "$stamp" != "$last" ]; then
			last=$stamp
			[ -n "$tty" ] && printf '\033[H\033[2J'
			echo "leaklab watch: ${file#"$root"/} (saved $(date +%H:%M:%S)); q quits"
			echo
			result="native NOT YET"
			if cmd_verify "$name" --native; then
				echo
				echo "native: clean; now under memcheck (a few seconds)..."
				if cmd_verify "$name" --memcheck; then
					result="native PASS, memcheck PASS"
				else
					result="native PASS, memcheck NOT YET"
				fi
			fi
			echo
			echo "leaklab watch: $result; waiting for the next save of ${file#"$root"/}; q quits"
		fi
		if [ -n "$inotify" ]; then
			inotifywait -qq -t 1 -e close_write,moved_to,create "$exercises" 2>/dev/null || true
		else
			sleep 1
		fi
		if [ -n "$tty" ]; then
			key=$(dd bs=1 count=1 2>/dev/null || true)
			[ "$key" = q ] && break
		fi
	done
	[ -n "$tty" ] && stty "$saved"
	return 0
}

# --- new-case -----------------------------------------------------------

cmd_new_case() {
	slug=${1:-}
	case $slug in
	[0-9][0-9]-[a-z]*) ;;
	*) die "usage: ./leaklab new-case NN-slug (two digits, a dash, lower-case words)" ;;
	esac
	printf '%s' "$slug" | grep -qx '[0-9][0-9]-[a-z0-9-]*' ||
		die "the slug is lower-case letters, digits and dashes: '$slug'"
	dir=$root/cases/$slug
	[ -e "$dir" ] && die "cases/$slug exists already"
	num=${slug%%-*}
	course_cases | grep -q "^$num-" && die "case number $num is taken: $(course_cases | grep "^$num-")"
	tpl=$root/harness/course/case-template
	mkdir -p "$dir/wrong-fixes"
	for f in leak.c fixed.c CMakeLists.txt hints.md wrong-fixes/frees-only-on-close.patch; do
		sed -e "s/@SLUG@/$slug/g" -e "s/@NN@/$num/g" "$tpl/$f" >"$dir/$f"
	done
	sed -e "s/@SLUG@/$slug/g" -e "s/@NN@/$num/g" "$tpl/walkthrough.md" \
		>"$root/docs/cases/$slug.md"
	echo "add_subdirectory($slug)" >>"$root/cases/CMakeLists.txt"
	echo "leaklab: made cases/$slug (leak.c, fixed.c, CMakeLists.txt, hints.md, wrong-fixes/)"
	echo "         and docs/cases/$slug.md, and added it to cases/CMakeLists.txt."
	echo "The skeleton leaks a buffer per connection so its tests pass from the start;"
	echo "replace the leak with your own, then: ./leaklab check $num and ctest -L $num."
}
