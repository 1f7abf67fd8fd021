#!/bin/sh
# probe-test.sh - one leaklab-probe test against a server nobody here
# wrote (or a leaky one of the same stack): prepares the server, runs the
# probe, and checks its exit status and the verdict of the signal the
# test names. A missing toolchain skips the test (exit 77) and says why.
#
#   probe-test.sh KIND
#
# Environment (set by CMake): PROBE, SERVERS (tests/servers), PEERS
# (bench/peers), LWS_ECHO and LWS_LEAKY (empty without libwebsockets),
# SCRATCH, DOC
# (docs/probe.md, whose quoted output the node-ws test re-checks).
set -u
kind=$1
out=$SCRATCH/$kind
rm -rf "$out"
mkdir -p "$out"

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

need_node() {
	command -v node >/dev/null 2>&1 || skip "node is not installed"
	node -e "try{require('ws')}catch(e){require('/usr/share/nodejs/ws')}" 2>/dev/null ||
		skip "the ws package is not installed (apt-get install node-ws)"
}
need_python() {
	[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
	/usr/bin/python3 -c "import websockets" 2>/dev/null ||
		skip "python3-websockets is not installed (apt-get install python3-websockets)"
}
# Builds the gorilla echo server offline, in GOPATH mode, into $out, with
# the build cache ctest gives (GOCACHE: the twins' own, LEAKLAB_GO_CACHE),
# or the scratch folder's when run by hand without one.
need_go() {
	command -v go >/dev/null 2>&1 || skip "go is not installed"
	[ -d /usr/share/gocode/src/github.com/gorilla/websocket ] ||
		skip "gorilla/websocket is not installed (apt-get install golang-github-gorilla-websocket-dev)"
	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=${GOCACHE:-$SCRATCH/gocache} GOFLAGS= \
		go build -o "$out/gorilla-echo" "$SERVERS/gorilla-echo.go" ||
		fail "the gorilla echo server did not build"
}

# probe EXPECTED-EXIT [probe options] -- COMMAND...: runs the probe with
# JSON and JUnit output, and checks its exit status.
probe() {
	want=$1
	shift
	"$PROBE" --quiet --logs "$out" --json "$out/probe.json" --junit "$out/probe.xml" "$@" \
		>"$out/table.txt" 2>"$out/stderr.txt"
	got=$?
	cat "$out/table.txt"
	[ "$got" = "$want" ] || fail "leaklab-probe exited $got, expected $want"
}
# The table's row for signal $1 must end with verdict $2.
row() {
	grep -E "^$1 .* $2\$" "$out/table.txt" >/dev/null ||
		fail "the $1 row does not say \"$2\""
}
says() {
	grep -F -- "$1" "$out/table.txt" >/dev/null || fail "the output does not say \"$1\""
}
# Drops from a table (stdin) what moves from run to run: the command line
# (paths), the port, the log folder, the plot, the settling times,
# resident memory (never judged) and the rows of the signals named.
steady() {
	skip='^(rss \(KiB\)'
	for s in "$@"; do skip="$skip|$s"; done
	grep -Ev "$skip) |^\$|^== |^settled: |^logs kept in |^plot: " |
		sed -E 's/port [0-9]+/port P/; s/127\.0\.0\.1:[0-9]+/127.0.0.1:P/g'
}
# quoted MARKER [SIGNAL...]: docs/probe.md quotes this run in the block
# whose "$ ./leaklab probe" line holds MARKER; that block must be the
# run's table, line for line, but for what steady drops.
quoted() {
	marker=$1
	shift
	awk -v m="$marker" 'index($0, "$ ./leaklab probe") == 1 && index($0, m) { on = 1; next }
		on && /^```/ { exit } on' "$DOC" | steady "$@" >"$out/doc.txt"
	[ -s "$out/doc.txt" ] || fail "docs/probe.md quotes no run of \"$marker\""
	steady "$@" <"$out/table.txt" >"$out/run.txt"
	if ! diff -u "$out/doc.txt" "$out/run.txt"; then
		fail "docs/probe.md's quote of \"$marker\" is not what the probe says now (above: - doc, + run)"
	fi
}
# fds_said LABEL: docs/probe.md gives this run's fds row, as
# "`B N 2N 4N` with HELD held (LABEL)".
fds_said() {
	said=$(awk -v l="$1" '$1 == "fds" { printf "`%s %s %s %s` with %s held (%s)", $2, $3, $4, $5, $6, l }' \
		"$out/table.txt")
	grep -F -- "$said" "$DOC" >/dev/null || fail "docs/probe.md does not say $said"
}
# The doc must hold this line of the run's output, whole.
in_doc() {
	grep -F -x -- "$1" "$DOC" >/dev/null || fail "docs/probe.md does not quote \"$1\""
}

GOROUTINES='goroutines,/debug/pprof/goroutine?debug=1,goroutine profile: total'

case $kind in
node-ws)
	need_node
	probe 0 --csv "$out/points.csv" --plot "$out/growth.png" -- node "$PEERS/ws-echo.js" "{port}"
	row fds "drains back"
	grep -x "held-4N,40,.*" "$out/points.csv" >/dev/null || fail "the CSV has no held-4N row"
	if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
		[ -s "$out/growth.png" ] || fail "no growth plot"
	fi
	grep -F '<testsuite name="leaklab-probe" tests="5" failures="0" errors="0">' \
		"$out/probe.xml" >/dev/null || fail "the JUnit report is not a clean suite of 5"
	grep -F '"exit": 0,' "$out/probe.json" >/dev/null || fail "the JSON says no exit 0"
	quoted "node ws-echo.js"
	;;
node-timer-leak)
	need_node
	probe 1 --runtime timers,/metrics,app_timers -- node "$SERVERS/node-leaky.js" timer
	row timers "GROWS with the load"
	row fds "drains back"
	grep -F '<failure message="grows with the load' "$out/probe.xml" >/dev/null ||
		fail "the JUnit report has no failure"
	# Four timers a client (one per scenario that upgrades) and one a
	# burst: the same every time, and docs/probe.md quotes it.
	quoted "node node-leaky.js timer"
	# and its JUnit report, but for the command's path and resident memory.
	grep -E '^<testsuite |name="(run|fds|timers)"' "$out/probe.xml" | while IFS= read -r line; do
		in_doc "$line"
	done || exit 1
	;;
node-fd-leak)
	need_node
	probe 1 --runtime timers,/metrics,app_timers -- node "$SERVERS/node-leaky.js" fd
	row fds "GROWS with the load"
	row timers "flat"
	;;
node-fixed)
	need_node
	probe 0 --runtime timers,/metrics,app_timers -- node "$SERVERS/node-leaky.js" clean
	row timers "drains back"
	;;
python-websockets)
	need_python
	probe 0 -- /usr/bin/python3 "$PEERS/py-echo.py" "{port}"
	row threads flat
	fds_said python3-websockets
	;;
python-task-leak)
	need_python
	probe 1 --runtime tasks,/metrics,app_tasks -- /usr/bin/python3 "$SERVERS/py-leaky.py" task "{port}"
	row tasks "GROWS with the load"
	row threads flat
	says "verdict: LEAK: tasks +4.04 (spread 0.00) per client" # docs/probe.md says so
	;;
python-thread-leak)
	need_python
	probe 1 --runtime tasks,/metrics,app_tasks -- /usr/bin/python3 "$SERVERS/py-leaky.py" thread "{port}"
	row threads "GROWS with the load"
	row tasks "drains back"
	says "verdict: LEAK: threads +4.04 (spread 0.00) per client" # docs/probe.md says so
	;;
python-fixed)
	need_python
	probe 0 --runtime tasks,/metrics,app_tasks -- /usr/bin/python3 "$SERVERS/py-leaky.py" clean "{port}"
	row tasks "drains back"
	;;
python-zombie-leak)
	# Forks a child per connection and never waits for it: zombies, caught on processes.
	need_python
	probe 1 --scenario connect-close,connect-drop -- /usr/bin/python3 -c '
import asyncio, os, websockets
async def echo(ws, path=None):
    if os.fork() == 0:
        os._exit(0)
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(os.environ["PORT"])):
        await asyncio.Future()
asyncio.run(main())'
	row processes "GROWS with the load"
	row threads flat
	says "verdict: LEAK: processes +2.00 (spread 0.00) per client" # docs/probe.md says so
	;;
python-subprotocol)
	# Upgrades only at /ws, and only a client that offers the "chat" subprotocol.
	need_python
	server='
import asyncio, http, os, websockets
async def gate(path, headers):
    if path != "/ws":
        return http.HTTPStatus.NOT_FOUND, [], b"no such path\n"
    if headers.get("Sec-WebSocket-Protocol") != "chat":
        return http.HTTPStatus.BAD_REQUEST, [], b"offer chat\n"
async def echo(ws, path=None):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(os.environ["PORT"]),
                                subprotocols=["chat"], process_request=gate):
        await asyncio.Future()
asyncio.run(main())'
	probe 0 --path /ws --subprotocol chat --scenario connect-close,connect-drop,silent-peer \
		-- /usr/bin/python3 -c "$server"
	row fds "drains back"
	probe 2 --path /ws --scenario connect-close -- /usr/bin/python3 -c "$server"
	says "answered the upgrade to /ws with HTTP 400, not 101"
	;;
lws)
	[ -n "$LWS_ECHO" ] || skip "libwebsockets-dev was not found when the build was configured"
	probe 0 -- "$LWS_ECHO" --port "{port}"
	row threads flat
	fds_said libwebsockets
	;;
lws-memcheck)
	[ -n "$LWS_ECHO" ] || skip "libwebsockets-dev was not found when the build was configured"
	command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
	probe 0 --memcheck --scenario connect-close,connect-drop --load 5 -- "$LWS_ECHO" --port "{port}"
	row "heap \\(bytes\\)" flat
	says "memcheck at exit: 0 errors"
	quoted "lws-echo --port"
	;;
lws-heap-leak)
	# A per-connection log never freed: only memcheck sees it, on heap and lost.
	[ -n "$LWS_LEAKY" ] || skip "libwebsockets-dev was not found when the build was configured"
	command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
	probe 1 --memcheck --scenario connect-close,connect-drop --load 5 -- "$LWS_LEAKY" --port "{port}" --leak
	row "heap \\(bytes\\)" "GROWS with the load"
	row "lost \\(bytes\\)" "GROWS with the load"
	row threads flat
	quoted "lws-leaky --port {port} --leak"
	;;
lws-fixed)
	[ -n "$LWS_LEAKY" ] || skip "libwebsockets-dev was not found when the build was configured"
	command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
	probe 0 --memcheck --scenario connect-close,connect-drop --load 5 -- "$LWS_LEAKY" --port "{port}"
	row "lost \\(bytes\\)" flat
	says "memcheck at exit: 0 errors, 0 bytes lost"
	;;
go-gorilla)
	need_go
	probe 0 --runtime "$GOROUTINES" -- "$out/gorilla-echo" -addr "127.0.0.1:{port}"
	row goroutines "drains back"
	fds_said gorilla/websocket
	;;
go-goroutine-leak)
	need_go
	probe 1 --runtime "$GOROUTINES" -- "$out/gorilla-echo" -leak -addr "127.0.0.1:{port}"
	row goroutines "GROWS with the load"
	# The Go runtime adds threads as goroutines block: their row moves.
	quoted "./gorilla-echo -leak" threads
	;;
forks)
	# Nothing the server started may outlive the probe: not the worker in
	# its group, not the daemon that left the group and lost its parent;
	# and a server that ignores SIGTERM is killed and gets no verdict.
	need_python
	for how in polite stubborn; do
		pids=$out/pids-$how
		: >"$pids"
		if [ $how = polite ]; then want=0; else want=2; fi
		PIDFILE=$pids probe $want --stop-timeout 1000 --scenario connect-close,connect-drop \
			--load 5 -- /usr/bin/python3 "$SERVERS/forking.py" $how
		[ "$(wc -l <"$pids")" -ge 2 ] || fail "the server did not start its helpers"
		for pid in $(cat "$pids"); do
			if kill -0 "$pid" 2>/dev/null; then
				kill -9 "$pid"
				fail "process $pid, started by the server, outlived the probe"
			fi
		done
		says "still ran after it stopped: killed"
	done
	says "did not stop within 1000 ms of SIGTERM"
	# docs/probe.md quotes how the stubborn one ended.
	for what in stopped note verdict; do
		in_doc "$(grep "^$what: " "$out/table.txt")"
	done
	;;
not-websocket)
	need_python
	probe 2 -- /usr/bin/python3 -m http.server --bind 127.0.0.1 "{port}"
	says 'not a WebSocket server: 127.0.0.1:'
	says 'answered the upgrade to / with "HTTP/1.0 200 OK", not HTTP/1.1 101'
	quoted "python3 -m http.server"
	grep -F '<error message="not a WebSocket server' "$out/probe.xml" >/dev/null ||
		fail "the JUnit report has no error"
	# A command that cannot run says so.
	probe 2 -- "$out/no-such-server" "{port}"
	says "the command was not found or could not be run"
	;;
port-taken)
	# The first start finds its port taken (as when another program binds
	# it between the probe's choice and the server's bind): the probe
	# chooses another port and starts it again.
	need_python
	probe 0 --scenario connect-close --load 5 -- sh -c '
if [ ! -e "$1" ]; then
	: >"$1"
	echo "OSError: [Errno 98] error while attempting to bind: address already in use" >&2
	exit 1
fi
exec /usr/bin/python3 "$2" "$PORT"' sh "$out/taken-once" "$PEERS/py-echo.py"
	row threads flat
	;;
exits-early)
	probe 2 -- sh -c 'echo "cannot open config" >&2; exit 3'
	says "the server exited before its port accepted a WebSocket upgrade (exit status 3)"
	says "cannot open config"
	;;
crashes)
	# Dies of SIGSEGV at its 30th connection, under the clients.
	need_python
	probe 2 -- /usr/bin/python3 -c '
import asyncio, os, signal, websockets
n = 0
async def echo(ws, path=None):
    global n
    n += 1
    if n == 30:
        os.kill(os.getpid(), signal.SIGSEGV)
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(os.environ["PORT"])):
        await asyncio.Future()
asyncio.run(main())'
	says "killed by signal 11 (SIGSEGV)"
	;;
*)
	fail "unknown test $kind"
	;;
esac
echo "PASS: $kind"
