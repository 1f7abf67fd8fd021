"""Processes for the peer tests: start a server, read its ready line, and
make sure that nothing a test started outlives it.

Every child is started in its own process group, so stopping it also stops
whatever it spawned (Chromium's renderers and helpers), and every wait has
a deadline, so a hung peer fails the test instead of hanging CTest.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

# Exit status CTest reads as "skipped" (SKIP_RETURN_CODE in peers.cmake).
SKIP = 77

READY = re.compile(rb"^leaklab: listening on ([0-9.]+):([0-9]+)$")


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def skip(message):
    print(f"SKIP: {message}", flush=True)
    sys.exit(SKIP)


def spawn(command, **kwargs):
    """Popen in a new process group (see stop())."""
    return subprocess.Popen(command, start_new_session=True, **kwargs)


def read_line_until(proc, pattern, seconds, what):
    """Reads proc's stdout line by line until pattern matches; returns the
    match. Fails (after stopping proc) if the stream ends or the deadline
    passes first; select() keeps a silent process from blocking us."""
    deadline = time.monotonic() + seconds
    fd = proc.stdout.fileno()
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            stop(proc)
            fail(f"{what}: no line matching {pattern.pattern!r} within {seconds} s")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            stop(proc)
            fail(f"{what} ended before printing {pattern.pattern!r} (status {proc.wait()})")
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            m = pattern.match(line.strip())
            if m:
                return m


def start_server(command, seconds=20):
    """Starts a leaklab server (it must listen on port 0) and returns
    (proc, port) once it printed its ready line."""
    proc = spawn(command, stdout=subprocess.PIPE)
    m = read_line_until(proc, READY, seconds, command[0])
    return proc, int(m.group(2))


def stop(proc, sig=signal.SIGTERM, seconds=10):
    """Sends sig to proc's process group, waits at most seconds, then kills
    the group. Returns proc's exit status (negative: killed by a signal).
    A group whose leader already exited is still swept, because its
    children (a browser's helpers) may not have."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait()


def stop_server(proc, name):
    """A leaklab server must stop on SIGTERM with status 0."""
    status = stop(proc)
    if status != 0:
        fail(f"{name} exited with status {status} after SIGTERM, expected 0")
    print(f"ok: {name} stopped on SIGTERM with status 0", flush=True)
