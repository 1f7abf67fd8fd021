"""twin.py - the program around a Python twin of a case: what lib/app.c is
to the C programs. It parses --host, --port and the case's knobs, serves
WebSocket on "/" (Debian's python3-websockets, run by Debian's
/usr/bin/python3) and a Prometheus /metrics on the same port, prints the
kit's ready line, and on SIGTERM or SIGINT shuts down: the server stops
accepting, every connection gets a close frame (1001, going away), and the
process exits 0.

/metrics reports the live asyncio tasks (asyncio.all_tasks(), the request's
own included), beside the threads and fds the kit's probe reports for C
programs. There is no leaklab_heap_bytes: Python's allocator keeps its own
arenas, and tracemalloc would slow every allocation.

A case's leak.py and fixed.py hold only the connection handler: the lesson
is `diff -u leak.py fixed.py`.
"""

import argparse
import asyncio
import http
import os
import signal
import sys

import websockets


def _threads():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def _fds():
    return len(os.listdir("/proc/self/fd")) - 1  # not the one listing them


def _metrics():
    lines = [
        "# HELP leaklab_tasks Live asyncio tasks (asyncio.all_tasks()), this request's included.",
        "# TYPE leaklab_tasks gauge",
        f"leaklab_tasks {len(asyncio.all_tasks())}",
        "# TYPE leaklab_threads gauge",
        f"leaklab_threads {_threads()}",
        "# TYPE leaklab_open_fds gauge",
        f"leaklab_open_fds {_fds()}",
    ]
    return ("\n".join(lines) + "\n").encode()


async def _process_request(path, headers):
    """Answers GET /metrics before any handshake; None lets a WebSocket through."""
    if path == "/metrics":
        return (http.HTTPStatus.OK, [("Content-Type", "text/plain; version=0.0.4")], _metrics())
    return None


def main(name, summary, handler, knobs=None):
    """Runs the server around handler(ws) until SIGTERM, then exits 0.

    knobs maps an option name (e.g. "heartbeat-ms") to [default, help]; the
    parsed value replaces the default in the list.
    """
    knobs = knobs or {}
    p = argparse.ArgumentParser(
        prog=name,
        description=summary,
        epilog='Prints "leaklab: listening on HOST:PORT" when ready; SIGINT or SIGTERM stops it.',
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=0, help="port, 0 for any free one")
    for k, v in knobs.items():
        p.add_argument("--" + k, type=int, default=v[0], help=v[1])
    args = p.parse_args()
    for k, v in knobs.items():
        v[0] = getattr(args, k.replace("-", "_"))

    async def serve():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        # The library's own keepalive is off: the case's heartbeat is the lesson.
        async with websockets.serve(
            handler, args.host, args.port, process_request=_process_request, ping_interval=None
        ) as server:
            host, port = server.sockets[0].getsockname()[:2]
            print(f"leaklab: listening on {host}:{port}", flush=True)
            await stop
        # Leaving the block closed every connection with 1001 and waited for
        # their handlers; asyncio.run() cancels what is left (a leak's tasks).

    asyncio.run(serve())
    sys.exit(0)
