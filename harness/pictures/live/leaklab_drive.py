"""Run a case's two programs and drive them the way the harness does, from
Python's standard library alone: the live dashboard and the Prometheus test
share this.

- read_case(): a case's plan, as leaklab-check --plan states it (the
  manifest is the checker's to read);
- Program: a case program started on 127.0.0.1 port 0, in its own process
  group, that dies with us (PR_SET_PDEATHSIG) and is stopped with SIGTERM;
- run_client() and Load: the case's scenario, one client or a steady
  rate, driven by leaklab-check --drive: the judge's own clients, so
  there is one client implementation;
- ws_connect(), ws_send(), ws_recv(): a minimal RFC 6455 client for the
  tests' own talk to Chromium's DevTools (over TLS when asked);
- get_metrics(): GET /metrics as served; scrape(): parsed into {name: value}.

Every network wait has a deadline, so a stuck program costs a client, not
the run.
"""
import base64
import ctypes
import hashlib
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import leaklab_plan  # noqa: E402

# The gauges GET /metrics serves (LL_PROBE_METRIC_* in
# lib/include/leaklab/probe.h), by the signal names the plan uses.
METRICS = {
    "threads": "leaklab_threads",
    "fds": "leaklab_open_fds",
    "heap": "leaklab_heap_bytes",
}
READY = re.compile(rb"^leaklab: listening on ([0-9.]+):([0-9]+)$")
# RFC 6455 section 1.3: the GUID the server appends to Sec-WebSocket-Key.
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLIENT_SECONDS = 5.0


class DriveError(Exception):
    """A program would not start, or a client or scrape failed."""


def read_case(name, check=None):
    """Case name's plan (leaklab-check --plan, harness/pictures/leaklab_plan.py)
    with "expect" the signals the leak shows natively; DriveError if the
    checker cannot give it."""
    try:
        return leaklab_plan.read_plan(check or leaklab_plan.find_check(), name)
    except leaklab_plan.PlanError as e:
        raise DriveError(str(e))


def case_names(check=None):
    """The built cases (NN-slug), in order; DriveError if there is no checker."""
    try:
        return leaklab_plan.case_names(check or leaklab_plan.find_check())
    except leaklab_plan.PlanError as e:
        raise DriveError(str(e))


def read_ready_port(fd, deadline):
    """Reads a program's stdout (fd) up to its ready line: the port it
    names. "timeout" when the monotonic deadline passed first, "exited"
    when the pipe closed first."""
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return "exited"
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            m = READY.match(line.strip())
            if m:
                return int(m.group(2))


def die_with_parent():
    """A preexec_fn for Popen: the child gets a session and process group of
    its own (so stopping the group stops anything it spawned), and SIGTERM
    from the kernel when the thread that started it dies, so no program
    outlives a dashboard or a test that was killed with SIGKILL."""
    os.setsid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the process group still lets stop() find it


class Program:
    """A leaklab server started on 127.0.0.1:port (0: any free port). start() returns once it
    printed its ready line (or raises DriveError within seconds).

    Start it from the main thread: the kernel's parent-death signal fires
    when the thread that forked it ends, not only the process.
    """

    def __init__(self, path, args=(), label=None, port=0):
        self.path = path
        self.want_port = port
        self.args = list(args)
        self.label = label or os.path.basename(path)
        self.proc = None
        self.port = None

    def start(self, seconds=20):
        if not os.access(self.path, os.X_OK):
            raise DriveError(f"{self.path} is not built (./leaklab build)")
        # The ready line is read from a pipe; later output (none is
        # expected) goes to the same pipe, which nobody reads, so it is
        # closed after the ready line: a program that logs then gets
        # EPIPE instead of blocking on a full pipe.
        self.proc = subprocess.Popen([self.path, "--port", str(self.want_port), *self.args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     preexec_fn=die_with_parent)
        port = read_ready_port(self.proc.stdout.fileno(), time.monotonic() + seconds)
        if port == "timeout":
            self.stop()
            raise DriveError(f"{self.label}: no ready line within {seconds} s")
        if port == "exited":
            status = self.stop()
            raise DriveError(f"{self.label} exited (status {status}) before its ready line")
        self.port = port
        self.proc.stdout.close()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, seconds=10):
        """SIGTERM to the program's group, SIGKILL after seconds. Returns
        its exit status (negative: killed by that signal), None if it was
        never started. Safe to call twice."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.proc.wait()


def uses_tls(case):
    """Whether the case's programs serve wss (started with --tls)."""
    return bool(case) and bool(case.get("tls"))


def _client_tls():
    """The kit's servers make a fresh self-signed certificate at start:
    nothing to verify it against, as for the harness's own wss clients."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(host, port, timeout=CLIENT_SECONDS, tls=False):
    """A TCP connection, with the TLS handshake done when tls is set."""
    sock = socket.create_connection((host, port), timeout=timeout)
    if not tls:
        return sock
    try:
        return _client_tls().wrap_socket(sock)
    except BaseException:
        sock.close()
        raise


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise DriveError("the server closed the connection mid-frame")
        buf += chunk
    return buf


def ws_connect(host, port, path="/", timeout=CLIENT_SECONDS, extra_headers=(), tls=False):
    """Opens a WebSocket (RFC 6455 section 4.1), over TLS when tls is
    set, and returns the socket, with timeout as its per-operation
    deadline. Raises DriveError or OSError; the socket is closed on
    failure."""
    sock = connect(host, port, timeout, tls)
    try:
        key = base64.b64encode(os.urandom(16))
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key.decode()}",
                 "Sec-WebSocket-Version: 13", *extra_headers]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise DriveError("the server closed the connection during the handshake")
            head += chunk
            if len(head) > 16384:
                raise DriveError("handshake reply too long")
        status = head.split(b"\r\n", 1)[0]
        if not status.startswith(b"HTTP/1.1 101"):
            raise DriveError(f"handshake refused: {status.decode(errors='replace')}")
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        if b"sec-websocket-accept: " + accept.lower() not in head.lower():
            raise DriveError("wrong Sec-WebSocket-Accept")
        # Nothing else may follow a 101 before the first frame is asked
        # for; a server that sent a frame at once would be lost here, which
        # none of the kit's programs does.
        return sock
    except BaseException:
        sock.close()
        raise


def ws_send(sock, opcode, payload=b""):
    """One masked frame with FIN set (section 5.2: a client masks every
    frame)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(head + mask + masked)


def ws_recv(sock):
    """The next message as (opcode, payload): continuation frames
    (section 5.4) are joined, pings are answered with a pong carrying the
    same data (section 5.5.2) and skipped, pongs are skipped."""
    parts, first = [], None
    while True:
        b0, b1 = _recv_exact(sock, 2)
        opcode, n = b0 & 0x0F, b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", _recv_exact(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", _recv_exact(sock, 8))[0]
        mask = _recv_exact(sock, 4) if b1 & 0x80 else None
        payload = _recv_exact(sock, n) if n else b""
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if opcode == 0x9:
            ws_send(sock, 0xA, payload)
            continue
        if opcode == 0xA:
            continue
        if opcode == 0x8:
            return opcode, payload
        if opcode != 0x0:
            first = opcode
        parts.append(payload)
        if b0 & 0x80:
            return first, b"".join(parts)


def ws_close(sock):
    """The close handshake (section 7.1.2): send 1000, read until the
    server's close frame or EOF, then close the socket."""
    try:
        ws_send(sock, 0x8, struct.pack("!H", 1000))
        while True:
            opcode, _ = ws_recv(sock)
            if opcode == 0x8:
                break
    except (OSError, DriveError):
        pass  # the server may close the TCP connection at once
    finally:
        sock.close()


def run_client(case, port, check=None, leak=False):
    """One unit of the case's scenario against 127.0.0.1:port, by the
    judge's own clients (leaklab-check --drive --clients 1). Raises
    DriveError when it was not served. For a leak variant (leak=True), a
    client that connected and then failed is served: its failure can be
    the leak itself (14's racy writer breaks the frame stream when the
    heartbeat meets an echo, and the client closes with 1002)."""
    cmd = [check or leaklab_plan.find_check(), "--drive", "--case", case["name"],
           "--port", str(port), "--clients", "1", "--rate", "10"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DriveError(f"{' '.join(cmd)}: {e}")
    # Served, even if the scenario then saw the leak (a leak's slow
    # subscriber that is never dropped counts as failed, as in a check).
    lines = out.stdout.strip().splitlines()
    try:
        last = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise DriveError(f"a client of {case['scenario']}: {out.stderr.strip() or 'no sample'}")
    served = last["served"] + (last["failed"] if leak else 0)
    if out.returncode == 2 or served < 1 or last["connect_failed"]:
        raise DriveError(f"a client of {case['scenario']} was not served: {lines[-1]}")


class Load:
    """Clients at rate per second against every (label, port) in targets,
    for seconds or until stop(): one leaklab-check --drive per target,
    which loops the case's scenario with the same client code the judge
    drives, and prints a sample a second that counts() reports."""

    def __init__(self, case, targets, rate=5.0, seconds=20.0, check=None):
        self.case = case
        self.targets = dict(targets)
        self.rate = rate
        self.seconds = seconds
        self.check = check or leaklab_plan.find_check()
        self.lock = threading.Lock()
        self.last = {label: {"served": 0, "failed": 0, "last_error": None}
                     for label in self.targets}
        self.procs = {}
        self.readers = []
        self.started_at = None
        self.stopped_at = None

    def start(self):
        self.started_at = time.time()
        for label, port in self.targets.items():
            proc = subprocess.Popen(
                [self.check, "--drive", "--case", self.case["name"], "--port", str(port),
                 "--rate", f"{self.rate:g}", "--seconds", f"{self.seconds:g}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                preexec_fn=die_with_parent)
            self.procs[label] = proc
            t = threading.Thread(target=self._read, args=(label, proc), daemon=True)
            t.start()
            self.readers.append(t)
        return self

    def _read(self, label, proc):
        for line in proc.stdout:
            try:
                s = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.last[label] = {"served": s["served"],
                                    "failed": s["failed"] + s["connect_failed"],
                                    "last_error": s["last_error"]}
            if s.get("done"):
                with self.lock:
                    if self.stopped_at is None:
                        self.stopped_at = time.time()

    def running(self):
        return any(p.poll() is None for p in self.procs.values())

    def stop(self, seconds=CLIENT_SECONDS + 5):
        """Ends every driver (SIGTERM: each lets go of the peers it held) and
        waits, bounded, for their last sample."""
        for proc in self.procs.values():
            stop_group(proc, seconds)
        for t in self.readers:
            t.join(seconds)
        with self.lock:
            if self.stopped_at is None:
                self.stopped_at = time.time()

    def counts(self):
        with self.lock:
            return {label: dict(v) for label, v in self.last.items()}


def get_metrics(port, host="127.0.0.1", timeout=2.0, tls=False):
    """GET /metrics from a leaklab program (over TLS when tls is set), read
    to the end: (head, body) as bytes, head without the blank line. Raises
    DriveError (not 200, or over 1 MiB) or OSError."""
    with connect(host, port, timeout, tls) as sock:
        sock.sendall(f"GET /metrics HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > 1 << 20:
                raise DriveError("/metrics reply too long")
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        status = head.split(b"\r\n", 1)[0].decode(errors="replace")
        raise DriveError(f"/metrics: {status}")
    return head, body


def scrape(port, host="127.0.0.1", timeout=2.0, tls=False):
    """GET /metrics parsed: {metric name: float}. Raises DriveError or OSError."""
    _, body = get_metrics(port, host, timeout, tls)
    values = {}
    for line in body.decode(errors="replace").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) >= 2:
            try:
                values[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return values


# ----- for the tests that use this module (test_live.py, test_prometheus.py)

# Exit status CTest reads as "skipped" (SKIP_RETURN_CODE).
SKIP = 77


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def skip(message):
    print(f"SKIP: {message}", flush=True)
    sys.exit(SKIP)


def stop_group(proc, seconds=10):
    """SIGTERM to proc's process group, SIGKILL after seconds; the status."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return proc.wait()
