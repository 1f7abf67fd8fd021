# course.sh - the student's loop, sourced by ./leaklab (POSIX sh).
#
#   start NN      exercises/NN-slug.c from leak.c: the brief instead of the
#                 header, the LEAK: comments taken out (derived here, never
#                 a third copy in the tree); prints what verify judges
#   verify NN     builds the file (the case's exercise target: the kit's own
#                 flags and -Werror) in a place of its own, then
#                 leaklab-check --verify natively and under memcheck at once
#                 (native rows first); exit 0 pass, 1 not clean or does not
#                 build, 2 no verdict
#   watch [NN]    verify on every save (no NN: the first case not done);
#                 after a pass, the next case not done; q quits at once
#   grade NN FILE... | DIR   many files judged, several at a time, progress
#                 untouched: a table, --json F, --junit F
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

# Builds FILE as case NAME's exercise into DIR/NAME-exercise; on failure
# prints the compiler's words and returns 1.
#
# The first build of a case's exercise, and the first after the kit's own
# sources or the build tree's configuration changed, goes through CMake.
# Its exercise target has one source (a wrapper that #includes the file)
# and one binary, so that build holds the build tree's lock from writing
# the wrapper to copying the binary out, and then records how CMake
# compiled and linked it (exercise_build.py: BUILD/exercises/NAME.cmds).
# Every other build runs those two commands itself, into DIR, holding the
# lock shared: verifies at once (of one case or many, from grade or two
# terminals) build side by side, each their own file, and a build is the
# compiler's time alone (0.2 s for case 03, against 0.8 s through make).
build_exercise() {
	name=$1
	file=$2
	dir=$3
	cmds=$build_dir/exercises/$name.cmds
	mkdir -p "$build_dir/exercises"
	exec 9>"$build_dir/exercises/.build.lock"
	flock 9
	rc=0
	if exercise_cmds_stale "$name" "$cmds"; then
		build_exercise_locked "$name" "$file" "$dir" || rc=$?
		if [ $rc -eq 0 ]; then
			if /usr/bin/python3 "$root/harness/course/exercise_build.py" "$build_dir" "$name" \
				>"$cmds.new"; then
				mv "$cmds.new" "$cmds"
			else
				rm -f "$cmds.new" "$cmds"
			fi
		fi
	else
		flock -s 9
		compile_exercise "$name" "$file" "$dir" "$cmds" || rc=$?
	fi
	exec 9>&-
	return $rc
}

# exercise_cmds_stale NAME CMDS: true when CMDS is missing, or older than
# a source of the kit, of the case or of the checker, or than the build
# tree's configuration: the next build goes through CMake.
exercise_cmds_stale() {
	[ -s "$2" ] && [ -x "$bin/leaklab-check" ] || return 0
	[ -n "$(find "$root/lib" "$root/cmake" "$root/CMakeLists.txt" "$root/cases/CMakeLists.txt" \
		"$root/cases/$1" "$root/harness/check" "$build_dir/CMakeCache.txt" -newer "$2" \
		\( -name '*.[ch]' -o -name CMakeLists.txt -o -name '*.cmake' \
		-o -name CMakeCache.txt \) -print 2>/dev/null | head -n 1)" ]
}

# compile_exercise NAME FILE DIR CMDS: compiles and links FILE into
# DIR/NAME-exercise with CMake's own commands for the exercise (CMDS).
compile_exercise() {
	{
		read -r cdir
		read -r ccmd
		read -r lcmd
	} <"$4"
	# shellcheck disable=SC2016,SC2034 # $obj, $src and $out are eval's, in CMDS
	if (obj=$3/$1.o src=$2 out=$3/$1-exercise && cd "$cdir" && eval "$ccmd" &&
		eval "$lcmd") >"$3/build.log" 2>&1; then
		rm -f "$3/$1.o"
		return 0
	fi
	echo "leaklab: ${2#"$root"/} does not build:"
	sed "s|$root/||g" "$3/build.log"
	return 1
}

build_exercise_locked() {
	configure
	wrapper=$build_dir/exercises/$1.c
	want="#include \"$2\" /* written by ./leaklab verify: the file being verified */"
	if [ ! -f "$wrapper" ] || [ "$(cat "$wrapper")" != "$want" ]; then
		printf '%s\n' "$want" >"$wrapper"
	fi
	log=$3/build.log
	# The checker too, when its sources changed since it was built: asking
	# make about it every time cost 0.4 s of every verify.
	targets="$1-exercise"
	if [ ! -x "$bin/leaklab-check" ] ||
		[ -n "$(find "$root/harness/check" "$root/lib" "$root/cmake" "$root/CMakeLists.txt" \
			-newer "$bin/leaklab-check" \( -name '*.[ch]' -o -name CMakeLists.txt \
			-o -name '*.cmake' \) -print 2>/dev/null | head -n 1)" ]; then
		targets="$targets leaklab-check"
	fi
	# shellcheck disable=SC2086
	if ! cmake --build "$build_dir" -j "$jobs" --target $targets >"$log" 2>&1; then
		if grep -q "No rule to make target.*$1-exercise\|unknown target" "$log"; then
			configure force
			# shellcheck disable=SC2086
			cmake --build "$build_dir" -j "$jobs" --target $targets \
				>"$log" 2>&1 && cp "$bin/$1-exercise" "$3/" && return 0
		fi
		echo "leaklab: ${2#"$root"/} does not build:"
		grep -v -e '^\[' -e '^gmake' -e '^make' -e '^Consolidate' -e 'Error [0-9]*$' \
			-e '^In file included from .*/build/exercises/' "$log" |
			sed "s|$root/||g"
		return 1
	fi
	cp "$bin/$1-exercise" "$3/"
}

# verify NN [--native|--memcheck] [--file=F] [--json=FILE] [--no-progress]:
# exit 0, 1 or 2. --memcheck runs the case's own Valgrind tool
# (leaklab-check --checker): memcheck, or DRD for a case registered with
# MODE drd. --json writes the verdict and the rows that failed (grade's
# record of one file); --no-progress leaves exercises/.progress alone.
cmd_verify() {
	nn=
	file=
	modes=
	json=
	track=1
	early=
	t0=$(date +%s.%N)
	while [ $# -gt 0 ]; do
		case $1 in
		--native) modes="$modes --native" ;;
		--memcheck) modes="$modes --checker" ;;
		--file=*) file=${1#--file=} ;;
		--file) file=${2:-}; shift ;;
		--json=*) json=${1#--json=} ;;
		--json) json=${2:-}; shift ;;
		--no-progress) track= ;;
		--stop-early) early=1 ;;
		-*) die "verify: unknown option $1 (--native, --memcheck, --file F, --json F, --no-progress)" ;;
		*) nn=$1 ;;
		esac
		shift
	done
	name=$(resolve_case "$nn")
	[ -n "$file" ] || file=$exercises/$name.c
	case $file in /*) ;; *) file=$(pwd)/$file ;; esac
	case $json in '' | /*) ;; *) json=$(pwd)/$json ;; esac
	rel=${file#"$root"/}
	[ -f "$file" ] || die "no $rel: ./leaklab start ${name%%-*} makes it"
	[ -n "$modes" ] || modes="--native --checker"
	deps kit
	# This verify's own place: the binary, the build log, each mode's report.
	# A verify that was killed (q in watch) leaves its folder: old ones go.
	mkdir -p "$runs_dir"
	find "$runs_dir" -mindepth 1 -maxdepth 1 -mmin +120 \
		-exec rm -rf {} + 2>/dev/null || true
	run=$(mktemp -d "$runs_dir/$name.XXXXXX")
	if ! build_exercise "$name" "$file" "$run"; then
		[ -z "$track" ] || progress_set "$name" started "" "does not build"
		echo "verdict: $name: your file does not build (exit 1)"
		[ -z "$json" ] || verify_json "$name" "$file" 1 "does not build" "$run" "$json" "$t0"
		rm -rf "$run"
		return 1
	fi
	# When each step ended (seconds since the epoch), for the record
	# (--json's build_seconds and each mode's answer time).
	echo "start $t0" >"$run/times"
	echo "built $(date +%s.%N)" >>"$run/times"
	rc=0
	ran=
	# Both modes: the checker's run (Valgrind's, the slow one) starts at
	# once, beside the native run, on a core of its own; the native rows
	# are shown as soon as they are in, the checker's when it is done, in
	# the same order and words as one after the other. --stop-early
	# (watch) ends the checker's run when the native one has failed.
	bg=
	case $modes in *--native*--checker* | *--checker*--native*)
		modes=--native
		verify_exec --checker --beside-native &
		bg=$!
		;;
	esac
	for md in $modes; do
		if [ -n "$ran" ] && [ $rc -eq 0 ]; then
			echo
			if [ "$md" = --checker ]; then
				echo "native: clean; now under $(checker_name "$name") (a few seconds)..."
			else
				echo "$(checker_name "$name"): clean; now natively..."
			fi
		fi
		r=0
		(verify_exec "$md") || r=$?
		verify_shown "$md" "$r"
		ran="$ran $md"
		[ $r -gt $rc ] && rc=$r
		[ -n "$early" ] && [ $r -ne 0 ] && break
	done
	if [ -n "$bg" ]; then
		if [ -n "$early" ] && [ $rc -ne 0 ]; then
			# The program under test dies with its check (PR_SET_PDEATHSIG).
			kill "$bg" 2>/dev/null || true
			wait "$bg" 2>/dev/null || true
		else
			if [ $rc -eq 0 ]; then
				echo
				echo "native: clean; now under $(checker_name "$name") (started beside it)..."
			fi
			r=0
			wait "$bg" || r=$?
			verify_shown --checker "$r"
			ran="$ran --checker"
			[ $r -gt $rc ] && rc=$r
		fi
	fi
	state=$(progress_get "$name" 2)
	# A pass needs every mode: one clean mode alone is no PASS and no "done".
	case $ran in *--native*--checker* | *--checker*--native*) every=1 ;; *) every= ;; esac
	if [ $rc -eq 0 ] && [ -z "$every" ]; then
		[ -z "$track" ] || progress_set "$name" "${state:-started}" "" "clean (${ran# --} only)"
		# What grade records: the modes it was asked for all passed.
		said="pass (${ran# --} only)"
		echo "verdict: $name: clean under ${ran# --} only; ./leaklab verify ${name%%-*} runs every mode, and only that can pass"
		[ -z "$json" ] || verify_json "$name" "$file" "$rc" "$said" "$run" "$json" "$t0"
		rm -rf "$run"
		return 0
	fi
	case $rc in
	0)
		[ -z "$track" ] || progress_set "$name" done "" "pass"
		said="pass"
		echo "verdict: $name: PASS: the leak is gone and the feature works (./leaklab solution ${name%%-*} shows the reference fix)"
		;;
	1)
		[ "$state" = done ] || state=started
		[ -z "$track" ] || progress_set "$name" "$state" "" "not clean"
		said="not yet"
		echo "verdict: $name: NOT YET: see the rows above (./leaklab hint ${name%%-*} for a hint)"
		;;
	*)
		[ -z "$track" ] || progress_set "$name" "${state:-started}" "" "no verdict"
		said="no verdict"
		echo "verdict: $name: NO VERDICT: the check itself could not run (exit $rc)"
		;;
	esac
	[ -z "$json" ] || verify_json "$name" "$file" "$rc" "$said" "$run" "$json" "$t0"
	rm -rf "$run"
	return $rc
}

# verify_exec MODE [OPTION...]: becomes leaklab-check's judging of the
# built exercise ($name, $run, $rel) in MODE (--native or --checker), its
# report in the run's folder (MODE.out, MODE.json). Run it in a subshell of
# its own ("( )" or "&"): a kill of that process then reaches leaklab-check
# itself. Beside the native check the checker's takes --beside-native:
# what the native rows say already (on which exit path a count grew,
# whether the idle program spins) it does not pay for again at Valgrind's
# pace: a second for each path, and for each point of a leak's run.
# The native check says its first answer (a count an exit path left off
# the baseline, or a client a shutdown start left without its 1001, fails
# a fix whatever comes after) on verify's own output at once, through
# descriptor 3, and its rows when it is done.
verify_exec() {
	vmode=$1
	shift
	[ "$vmode" != --native ] || set -- "$@" --first-answer-fd 3
	exec "$bin/leaklab-check" --case "$name" --verify --program "$run/$name-exercise" \
		--source "$rel" "$vmode" "$@" --quiet --json "$run/${vmode#--}.json" \
		3>&1 >"$run/${vmode#--}.out" 2>&1
}

# verify_shown MODE EXIT: shows MODE's report and records its exit code
# (MODE.rc) and when it was shown (the times file), for --json.
verify_shown() {
	cat "$run/${1#--}.out"
	echo "${1#--} $(date +%s.%N)" >>"$run/times"
	echo "$2" >"$run/${1#--}.rc"
}

# verify_json NAME FILE EXIT VERDICT RUNDIR OUT T0: verify's record as
# JSON (harness/course/results.py reads the run's reports and rows).
verify_json() {
	secs=$(awk -v a="$7" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	/usr/bin/python3 "$root/harness/course/results.py" verdict --case "$1" --file "$2" \
		--exit "$3" --verdict "$4" --run "$5" --out "$6" --root "$root" --seconds "$secs" ||
		say "could not write $6"
}

# The case's Valgrind tool, in words: memcheck, or DRD for a MODE drd case.
checker_name() {
	if "$bin/leaklab-check" --plan "$1" 2>/dev/null | grep -q '"checker": "drd"'; then
		echo "DRD"
	else
		echo "memcheck"
	fi
}

# --- watch --------------------------------------------------------------

# A stamp that changes when the file is saved (editors that write a new
# file and rename it included).
file_stamp() {
	stat -c '%Y.%Z.%s.%i' "$1" 2>/dev/null || echo missing
}

# The first case, in course order after AFTER (wrapping around; from the
# start without AFTER), that is not done; nothing when every case is.
next_not_done() {
	after=${1:-}
	all=$(course_cases)
	if [ -n "$after" ]; then
		order=$(printf '%s\n' "$all" | awk -v a="$after" 'seen { print } $0 == a { seen = 1 }'
			printf '%s\n' "$all" | awk -v a="$after" '$0 == a { exit } { print }')
	else
		order=$all
	fi
	for c in $order; do
		[ "$(progress_get "$c" 2)" = done ] || {
			echo "$c"
			return 0
		}
	done
}

# Ends the verify that watch runs in the background: it leads a session
# of its own, so the group takes leaklab-check and the build along, and
# the program under test dies with leaklab-check (PR_SET_PDEATHSIG).
# dash's kill takes no "--": "kill -KILL -- -PID" fails there, and only
# the verify's shell died, leaving leaklab-check running.
watch_kill() {
	[ -n "${vpid:-}" ] || return 0
	kill -KILL "-$vpid" 2>/dev/null || kill -KILL "$vpid" 2>/dev/null || true
	wait "$vpid" 2>/dev/null || true
	vpid=
}

# watch [NN]: verify on every save, natively and under the case's
# Valgrind tool at once (a native run that fails ends the other: the
# next save is what counts); after a pass, on to the next case not done. q
# quits at once, ending a check that is running. Without NN: the first
# case not done.
cmd_watch() {
	nn=${1:-}
	if [ -z "$nn" ]; then
		nn=$(next_not_done)
		[ -n "$nn" ] || {
			echo "leaklab watch: every case is done ($(course_cases | grep -c .) of $(course_cases | grep -c .))"
			return 0
		}
	fi
	name=$(resolve_case "$nn")
	file=$exercises/$name.c
	[ -f "$file" ] || cmd_start "$name"
	tty=
	vpid=
	if [ -t 0 ]; then
		tty=1
		saved=$(stty -g)
		trap 'watch_kill; stty "$saved"; exit 0' INT TERM
		trap 'watch_kill; stty "$saved"' EXIT
		# A read waits up to 0.1 s for a key: q is seen at once.
		stty -icanon -echo min 0 time 1
	else
		trap 'watch_kill; exit 0' INT TERM
		trap 'watch_kill' EXIT
	fi
	inotify=
	command -v inotifywait >/dev/null 2>&1 && inotify=1
	last=
	clear=1
	while :; do
		stamp=$(file_stamp "$file")
		if [ "$stamp" != "$last" ]; then
			last=$stamp
			[ -n "$tty" ] && [ -n "$clear" ] && printf '\033[H\033[2J'
			clear=1
			echo "leaklab watch: ${file#"$root"/} (saved $(date +%H:%M:%S)); q quits"
			echo
			setsid "$root/leaklab" verify "$name" --stop-early &
			vpid=$!
			quit=
			while kill -0 "$vpid" 2>/dev/null; do
				if [ -n "$tty" ]; then
					key=$(dd bs=1 count=1 2>/dev/null || true)
					[ "$key" = q ] && quit=1 && break
				else
					sleep 0.1
				fi
				# A save while it runs: that check is stale, start again.
				[ "$(file_stamp "$file")" != "$last" ] && break
			done
			if [ -n "$quit" ]; then
				watch_kill
				echo
				echo "leaklab watch: stopped (q)"
				break
			fi
			if kill -0 "$vpid" 2>/dev/null; then
				watch_kill
				echo
				echo "leaklab watch: saved again: starting over"
				last=
				clear=
				continue
			fi
			r=0
			wait "$vpid" || r=$?
			vpid=
			echo
			case $r in
			0)
				next=$(next_not_done "$name")
				if [ -z "$next" ]; then
					echo "leaklab watch: PASS; every case is done. q quits"
				else
					echo "leaklab watch: PASS; next: $next"
					echo
					name=$next
					file=$exercises/$name.c
					[ -f "$file" ] || cmd_start "$name"
					last=
					clear=
					continue
				fi
				;;
			1) echo "leaklab watch: NOT YET; waiting for the next save of ${file#"$root"/}; q quits" ;;
			*) echo "leaklab watch: NO VERDICT (exit $r); waiting for the next save of ${file#"$root"/}; q quits" ;;
			esac
		fi
		if [ -n "$inotify" ] && [ -z "$tty" ]; then
			inotifywait -qq -t 1 -e close_write,moved_to,create "$exercises" 2>/dev/null || true
		elif [ -n "$tty" ]; then
			key=$(dd bs=1 count=1 2>/dev/null || true)
			[ "$key" = q ] && break
		else
			sleep 1
		fi
	done
	trap - INT TERM EXIT
	[ -n "$tty" ] && stty "$saved"
	return 0
}

# --- grade --------------------------------------------------------------

# grade NN FILE... | DIR... [--json F] [--junit F] [--jobs N] [--native|--memcheck]:
# every file judged as verify judges it, several at a time, each in its
# own place; exercises/.progress is never touched. A table, and the same
# as JSON and JUnit XML. Exit 0 every file passed, 1 some did not, 2 some
# had no verdict.
cmd_grade() {
	nn=
	gjson=
	gjunit=
	gjobs=$jobs
	gmodes=
	list=$(mktemp "${TMPDIR:-/tmp}/leaklab-grade-list.XXXXXX")
	while [ $# -gt 0 ]; do
		case $1 in
		--json=*) gjson=${1#--json=} ;;
		--json) gjson=${2:-}; shift ;;
		--junit=*) gjunit=${1#--junit=} ;;
		--junit) gjunit=${2:-}; shift ;;
		--jobs=*) gjobs=${1#--jobs=} ;;
		--jobs | -j) gjobs=${2:-}; shift ;;
		--native | --memcheck) gmodes="$gmodes $1" ;;
		-*) rm -f "$list"; die "grade: unknown option $1 (--json F, --junit F, --jobs N, --native, --memcheck)" ;;
		*)
			if [ -z "$nn" ]; then
				nn=$1
			elif [ -d "$1" ]; then
				find "$1" -maxdepth 1 -type f -name '*.c' | sort >>"$list"
			elif [ -f "$1" ]; then
				printf '%s\n' "$1" >>"$list"
			else
				rm -f "$list"
				die "grade: no file or folder $1"
			fi
			;;
		esac
		shift
	done
	case $gjobs in '' | *[!0-9]* | 0) rm -f "$list"; die "grade: --jobs is a positive number" ;; esac
	name=$(resolve_case "$nn")
	n=$(grep -c . "$list" || true)
	[ "$n" -gt 0 ] || { rm -f "$list"; die "usage: ./leaklab grade NN FILE... | DIR [--json F] [--junit F] [--jobs N]"; }
	deps kit
	configure
	work=$(mktemp -d "${TMPDIR:-/tmp}/leaklab-grade.XXXXXX")
	i=0
	while IFS= read -r f; do
		i=$((i + 1))
		case $f in /*) ;; *) f=$(pwd)/$f ;; esac
		printf '%s\n%s\n' "$i" "$f" >>"$work/items"
	done <"$list"
	rm -f "$list"
	say "grading $n file$([ "$n" -eq 1 ] || echo s) of $name, $gjobs at a time"
	# Each verify in a process of its own; its record says the verdict.
	LL_GRADE_LL=$root/leaklab LL_GRADE_CASE=$name LL_GRADE_WORK=$work LL_GRADE_MODES=$gmodes \
		xargs -d '\n' -n 2 -P "$gjobs" sh -c '
		r=0
		"$LL_GRADE_LL" verify "$LL_GRADE_CASE" --file="$1" --json="$LL_GRADE_WORK/$0.json" \
			--no-progress $LL_GRADE_MODES >"$LL_GRADE_WORK/$0.log" 2>&1 || r=$?
		echo "leaklab: graded $1: exit $r" >&2
	' <"$work/items" || true
	records=
	j=1
	while [ $j -le "$i" ]; do
		records="$records $work/$j.json"
		j=$((j + 1))
	done
	r=0
	/usr/bin/python3 "$root/harness/course/results.py" grade --case "$name" \
		${gjson:+--json "$gjson"} ${gjunit:+--junit "$gjunit"} $records || r=$?
	rm -rf "$work"
	return $r
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
	echo "replace the leak with your own, and the brief and hints with the case's own"
	echo "(the course's self-check fails the template's placeholders). Then, from the"
	echo "top of the checkout:"
	echo "  ./leaklab check $num                    builds it and judges the leak and the fix"
	echo "  ctest --test-dir build -L $num          every test of the case"
}
