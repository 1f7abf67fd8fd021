"""Hostile clients against a leaklab server (echo-server).

    hostile.py SCENARIO [--time-scale F] -- COMMAND...

Starts COMMAND (echo-server, possibly wrapped in memcheck-run, built from harness/tools/memcheck-run.c) with
the options the scenario needs appended (--handshake-timeout-ms,
--max-conns, --write-timeout-ms), reads its ready line, plays one hostile
client, then checks that the server still echoes for a normal client
(python3-websockets), sends SIGTERM and requires exit status 0. Under
memcheck-run, status 0 also means no Valgrind error, no lost byte and no
fd left open.

Scenarios:
  slowloris        handshakes trickled a few bytes per 50 ms, then stalled:
                   the handshake deadline must close each one in time.
  huge-length      frame headers announcing 2^63-1 bytes (1009), 2^63 (the
                   reserved MSB: 1002) and max + 1 (1009): no allocation.
  cut-mid-payload  1 MiB announced, 10 KiB sent, then a TCP reset: the
                   connection threads end and threads/fds/heap return to
                   their baseline.
  flood            60 connections against --max-conns 20: 20 upgraded, the
                   rest 503; the server stays up and recovers its baseline.
  ping-flood       10,000 pings on one connection, with the pongs read
                   concurrently and then not read at all: every ping
                   answered, heap bounded.
  never-reads      1 MiB messages sent to echo by a client that never reads:
                   heap stays bounded (one message in flight), other
                   clients are served, the write deadline drops the client.

Every bound on time is multiplied by --time-scale (use 4 or more under
Valgrind). Lines starting with "figure:" are the measurements the docs quote.
"""
import argparse
import asyncio
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import websockets

READY = re.compile(rb"^leaklab: listening on ([0-9.]+):([0-9]+)$")
KEY_REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
MIB = 1 << 20
SCALE = 1.0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def figure(name, value):
    print(f"figure: {name} = {value}", flush=True)


def wait_for(pred, timeout, what, interval=0.05):
    """Polls pred until it returns something true, at most timeout (scaled) seconds."""
    deadline = time.monotonic() + timeout * SCALE
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Failure(f"{what}: not true after {timeout * SCALE:.1f} s (last: {last!r})")
        time.sleep(interval)


# --- the server ---------------------------------------------------------

class Server:
    def __init__(self, command):
        # A session of its own, so kill() can reach valgrind under memcheck-run too.
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = READY.match(line.strip())
            if m:
                self.host, self.port = m.group(1).decode(), int(m.group(2))
                return
        self.kill()
        raise Failure("the server never printed its ready line")

    def stop(self):
        """SIGTERM, then the exit status (memcheck-run's verdict when wrapped)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60 * SCALE)
        figure("stop after SIGTERM (s)", f"{time.monotonic() - t0:.2f}")
        return rc

    def kill(self):
        # SIGTERM first: memcheck-run passes it on to the program under Valgrind,
        # where SIGKILL would orphan it.
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # The whole session: a server left behind would hold
                # ctest's output pipe until the test's timeout.
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()


def metrics_once(srv):
    """GET /metrics as a dict of floats, or None if refused (503: the server is full)."""
    with socket.create_connection((srv.host, srv.port), timeout=10 * SCALE) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 503 "):
        return None
    check(head.startswith(b"HTTP/1.1 200 "), f"GET /metrics answered {head[:40]!r}")
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("leaklab_"):
            name, value = line.split()
            out[name[len("leaklab_"):]] = float(value)
    for k in ("threads", "open_fds", "resident_bytes", "heap_bytes"):
        check(k in out, f"/metrics has no leaklab_{k}: {body!r}")
    return out


def metrics(srv):
    return wait_for(lambda: metrics_once(srv), 10, "GET /metrics answered 200")


def show(m):
    return (f"threads {m['threads']:.0f}, fds {m['open_fds']:.0f}, "
            f"rss {m['resident_bytes'] / MIB:.1f} MiB, heap {m['heap_bytes'] / 1024:.0f} KiB")


def baseline(srv):
    """
    Metrics once the one-time allocations (first connection, arenas) are
    behind us and the warm-up connections' threads have ended: two samples
    in a row with the same threads and fds.
    """
    echo_check(srv)
    echo_check(srv)
    prev = {}

    def stable():
        m = metrics(srv)
        same = prev and (m["threads"], m["open_fds"]) == (prev["threads"], prev["open_fds"])
        prev.update(m)
        return m if same else None

    m = wait_for(stable, 10, "a stable baseline", 0.1)
    print(f"baseline: {show(m)}", flush=True)
    return m


def back_to_baseline(srv, base, what, timeout=10):
    """
    Polls /metrics until threads and fds are back at the baseline (or below:
    a baseline sample may have caught a warm-up thread on its way out);
    returns the sample and the seconds it took.
    """
    t0 = time.monotonic()
    last = {}

    def settled():
        m = metrics_once(srv)
        if m is None:
            return None
        last["m"] = m
        return m if (m["threads"] <= base["threads"] and
                     m["open_fds"] <= base["open_fds"]) else None

    try:
        m = wait_for(settled, timeout, f"{what}: threads and fds back to baseline", 0.1)
    except Failure:
        got = show(last["m"]) if "m" in last else "no answer"
        raise Failure(f"{what}: baseline {show(base)}, still {got} "
                      f"after {timeout * SCALE:.1f} s")
    took = time.monotonic() - t0
    print(f"{what}: back to baseline in {took:.2f} s: {show(m)}", flush=True)
    return m, took


# --- clients ------------------------------------------------------------

async def echo_async(uri):
    async with websockets.connect(uri, open_timeout=10 * SCALE,
                                  close_timeout=10 * SCALE) as ws:
        await ws.send("still there?")
        got = await asyncio.wait_for(ws.recv(), 10 * SCALE)
        check(got == "still there?", f"echo answered {got!r}")
        data = os.urandom(70000)
        await ws.send(data)
        got = await asyncio.wait_for(ws.recv(), 10 * SCALE)
        check(got == data, "binary echo of 70000 bytes differs")


def echo_check(srv):
    """A normal client (python3-websockets) gets its text and binary echoed."""
    asyncio.run(echo_async(f"ws://{srv.host}:{srv.port}/"))


async def refused_async(uri):
    try:
        async with websockets.connect(uri, open_timeout=10 * SCALE):
            return 101
    except websockets.exceptions.InvalidHandshake as e:
        # Debian 12's websockets 10.4 raises InvalidStatusCode (status_code);
        # later releases raise InvalidStatus (response.status_code).
        code = getattr(e, "status_code", None)
        if code is None and getattr(e, "response", None) is not None:
            code = e.response.status_code
        if code is None and isinstance(e, websockets.exceptions.InvalidMessage):
            # Closed without an answer: what a server past its refusers does.
            return "closed"
        if code is None:
            raise
        return code


def read_head(s, timeout):
    """Reads an HTTP response head; returns (head, rest) or (partial, None) on EOF."""
    data = b""
    s.settimeout(timeout * SCALE)
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return data, None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def ws_open(srv, rcvbuf=None):
    """A raw upgraded socket (and bytes that came behind the 101)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # Before connect, so the window is small from the start (and not autotuned).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10 * SCALE)
    s.connect((srv.host, srv.port))
    s.sendall(KEY_REQUEST)
    head, rest = read_head(s, 10)
    check(rest is not None and head.startswith(b"HTTP/1.1 101 "), f"upgrade answered {head!r}")
    return s, rest


def mask_bytes(payload, key):
    n = len(payload)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame_header(opcode, length, fin=True):
    """A masked client frame header for length bytes (any 64-bit value, even illegal)."""
    b0 = (0x80 if fin else 0) | opcode
    if length < 126:
        return bytes([b0, 0x80 | length])
    if length < 65536:
        return bytes([b0, 0x80 | 126]) + struct.pack("!H", length)
    return bytes([b0, 0x80 | 127]) + struct.pack("!Q", length)


def client_frame(opcode, payload, fin=True):
    key = os.urandom(4)
    return frame_header(opcode, len(payload), fin) + key + mask_bytes(payload, key)


class FrameReader:
    """Server frames (unmasked) from a raw socket."""

    def __init__(self, s, pending=b""):
        self.s = s
        self.buf = bytearray(pending)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError("the server closed the stream")
            self.buf += chunk

    def next(self):
        self._need(2)
        opcode = self.buf[0] & 0x0F
        length = self.buf[1] & 0x7F
        off = 2
        if length == 126:
            self._need(4)
            length = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif length == 127:
            self._need(10)
            length = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        check(not self.buf[1] & 0x80, "the server masked a frame")
        self._need(off + length)
        payload = bytes(self.buf[off:off + length])
        del self.buf[:off + length]
        return opcode, payload


def close_code_after(srv, data, timeout=10):
    """Sends raw bytes on a fresh connection; returns (close code, seconds to EOF)."""
    s, rest = ws_open(srv)
    try:
        s.settimeout(timeout * SCALE)
        t0 = time.monotonic()
        s.sendall(data)
        r = FrameReader(s, rest)
        opcode, payload = r.next()
        check(opcode == 0x8 and len(payload) >= 2, f"expected a close frame, got {opcode} {payload!r}")
        code = struct.unpack("!H", payload[:2])[0]
        # Section 7.1.1: after its close frame the server closes the TCP connection.
        try:
            extra = s.recv(4096)
        except ConnectionResetError:
            extra = b""
        check(extra == b"", f"bytes after the close frame: {extra!r}")
        return code, time.monotonic() - t0
    finally:
        s.close()


def reset(s):
    """Closes with SO_LINGER 0: the kernel sends RST instead of FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# --- scenarios ----------------------------------------------------------

SLOWLORIS_DEADLINE_MS = 500


def slowloris(srv):
    base = baseline(srv)
    deadline = SLOWLORIS_DEADLINE_MS / 1000
    # Half trickle 3 bytes every 50 ms for as long as the socket lives (the
    # deadline is absolute: progress must not extend it); half send 20 bytes
    # that way and then stall. None ever sends the final CRLF.
    n = 8
    clients = []
    for i in range(n):
        s = socket.create_connection((srv.host, srv.port), timeout=10 * SCALE)
        s.setblocking(False)
        clients.append({"s": s, "t0": time.monotonic(), "sent": 0,
                        "limit": len(KEY_REQUEST) - 2 if i % 2 == 0 else 20,
                        "closed": None, "got": b""})
    give_up = time.monotonic() + deadline + 5 * SCALE
    while any(c["closed"] is None for c in clients) and time.monotonic() < give_up:
        live = [c for c in clients if c["closed"] is None]
        readable, _, _ = select.select([c["s"] for c in live], [], [], 0.05)
        now = time.monotonic()
        for c in live:
            if c["s"] in readable:
                try:
                    chunk = c["s"].recv(4096)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    c["closed"] = now
                    continue
                c["got"] += chunk
            if c["sent"] < c["limit"]:
                part = KEY_REQUEST[c["sent"]:min(c["sent"] + 3, c["limit"])]
                try:
                    c["sent"] += c["s"].send(part)
                except (BrokenPipeError, ConnectionResetError):
                    c["closed"] = now
    times = []
    for i, c in enumerate(clients):
        c["s"].close()
        check(c["closed"] is not None,
              f"slowloris client {i} still open {deadline + 5 * SCALE:.1f} s after connecting")
        took = c["closed"] - c["t0"]
        times.append(took)
        check(c["got"] == b"", f"slowloris client {i} was answered {c['got'][:40]!r}")
        # The server's clock starts after our connect returned, so never before the deadline.
        check(took >= deadline * 0.9,
              f"slowloris client {i} closed after {took:.3f} s, before the {deadline} s deadline")
        check(took <= deadline + 1.5 * SCALE,
              f"slowloris client {i} closed after {took:.3f} s (deadline {deadline} s)")
    sent = sorted(c["sent"] for c in clients)
    figure("slowloris handshake deadline (s)", deadline)
    figure("slowloris closed after (s) min/max", f"{min(times):.3f} / {max(times):.3f}")
    figure("slowloris bytes sent before the close, min/max", f"{sent[0]} / {sent[-1]}")
    back_to_baseline(srv, base, "after slowloris")


def huge_length(srv):
    base = baseline(srv)
    cases = (
        ("2^63-1", (1 << 63) - 1, 1009),
        # Section 5.2: the most significant bit of a 64-bit length must be 0.
        ("2^63", 1 << 63, 1002),
        ("2^64-1", (1 << 64) - 1, 1002),
        ("16 MiB + 1 (max_message + 1)", 16 * MIB + 1, 1009),
    )
    rounds = 10
    for label, length, want in cases:
        times = []
        for _ in range(rounds):
            hdr = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", length) + os.urandom(4)
            code, took = close_code_after(srv, hdr)
            check(code == want, f"length {label}: close {code}, expected {want}")
            times.append(took)
        # Once the last of these connection threads has ended.
        m, _ = back_to_baseline(srv, base, f"after length {label}")
        dh = m["heap_bytes"] - base["heap_bytes"]
        print(f"length {label}: close {want} x{rounds}, closed in <= {max(times):.3f} s; "
              f"{show(m)}", flush=True)
        figure(f"huge-length {label}: close code", want)
        figure(f"huge-length {label}: heap after - before (B)", f"{dh:+.0f}")
        figure(f"huge-length {label}: rss after - before (KiB)",
               f"{(m['resident_bytes'] - base['resident_bytes']) / 1024:+.0f}")
        check(dh < 256 * 1024, f"length {label}: heap grew by {dh:.0f} B")

    # A legal 16 MiB - 1 header alone: the parser reserves at most 64 KiB
    # ahead of the payload that has arrived (ws_frame.c, RESERVE_AHEAD), so
    # the claim costs next to nothing while that connection is held ...
    s, _ = ws_open(srv)
    s.sendall(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 16 * MIB - 1) + os.urandom(4))
    time.sleep(0.2)  # the server reads the header; the bounded checks below do not depend on it
    m = metrics_once(srv)
    check(m is not None, "no /metrics answer with the 16 MiB header held")
    held = m["heap_bytes"] - base["heap_bytes"]
    figure("huge-length 16 MiB - 1 header held, no payload: heap after - before (KiB)",
           f"{held / 1024:+.0f}")
    check(held < 256 * 1024, f"a bare 16 MiB header cost {held:.0f} B of heap")

    # ... and the control: once 4 MiB of its payload really arrive, the probe
    # must see the heap grow by that much. This proves the checks above
    # could have failed.
    s.sendall(os.urandom(4 * MIB))

    def grew():
        m = metrics_once(srv)
        return m if m and m["heap_bytes"] - base["heap_bytes"] >= 4 * MIB else None

    m = wait_for(grew, 10, "control: heap grows by the 4 MiB of payload that arrived")
    figure("huge-length control, 4 MiB of payload held: heap after - before (KiB)",
           f"{(m['heap_bytes'] - base['heap_bytes']) / 1024:+.0f}")
    reset(s)
    m, _ = back_to_baseline(srv, base, "after huge-length")
    check(m["heap_bytes"] - base["heap_bytes"] < 256 * 1024,
          f"heap {m['heap_bytes'] - base['heap_bytes']:+.0f} B after the control")


def cut_mid_payload(srv):
    base = baseline(srv)
    n = 4
    socks = []
    payload = os.urandom(10 * 1024)
    for _ in range(n):
        s, _ = ws_open(srv)
        key = os.urandom(4)
        # A 1 MiB binary frame of which only the first 10 KiB ever arrive.
        s.sendall(frame_header(0x2, MIB) + key + mask_bytes(payload, key))
        socks.append(s)

    # While held, each one is a live socket in the server (and, unless the
    # server serves it from its epoll loop, a thread) holding the 10 KiB it
    # read: the measurement can see them, so their return to baseline means
    # something. Waiting for the heap too makes sure every frame was read
    # before the resets; a loaded run once sampled two of four still unread.
    def all_held():
        m = metrics_once(srv)
        return m if (m and m["open_fds"] >= base["open_fds"] + n and
                     m["heap_bytes"] >= base["heap_bytes"] + n * len(payload)) else None

    held = wait_for(all_held, 10, f"{n} held connections visible as fds and heap")
    print(f"held {n} cut frames: {show(held)}", flush=True)
    figure("cut-mid-payload held: threads/fds over baseline",
           f"+{held['threads'] - base['threads']:.0f} / +{held['open_fds'] - base['open_fds']:.0f}")
    figure("cut-mid-payload held: heap over baseline (KiB)",
           f"{(held['heap_bytes'] - base['heap_bytes']) / 1024:+.0f}")
    for s in socks:
        reset(s)
    m, took = back_to_baseline(srv, base, "after the resets")
    figure("cut-mid-payload: back to baseline after RST (s)", f"{took:.2f}")
    dh = m["heap_bytes"] - base["heap_bytes"]
    figure("cut-mid-payload: heap after - before (B)", f"{dh:+.0f}")
    check(dh < 256 * 1024, f"heap grew by {dh:.0f} B after {n} cut 1 MiB frames")


FLOOD_MAX = 20
FLOOD_OPEN = 60
REFUSE_HOLD = 4


def flood(srv):
    base = baseline(srv)
    uri = f"ws://{srv.host}:{srv.port}/"
    t0 = time.monotonic()
    socks = []
    for _ in range(FLOOD_OPEN):
        s = socket.create_connection((srv.host, srv.port), timeout=10 * SCALE)
        s.sendall(KEY_REQUEST)
        socks.append(s)
    # Read every answer; a refused client closes once it has its 503, as an
    # HTTP client does after "Connection: close". The upgraded ones are held.
    status = {}
    bufs = {s: b"" for s in socks}
    pending = set(socks)
    give_up = time.monotonic() + 15 * SCALE
    while pending and time.monotonic() < give_up:
        readable, _, _ = select.select(list(pending), [], [], 0.2)
        for s in readable:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                chunk = b""
            bufs[s] += chunk
            if b"\r\n\r\n" in bufs[s] or not chunk:
                pending.discard(s)
                status[s] = bufs[s][9:12].decode() if b"\r\n\r\n" in bufs[s] else "closed"
                if status[s] != "101":
                    s.close()
    check(not pending, f"{len(pending)} of {FLOOD_OPEN} flood clients never answered")
    took = time.monotonic() - t0
    upgraded = [s for s in socks if status[s] == "101"]
    refused = [s for s in socks if status[s] != "101"]
    codes = sorted(set(status[s] for s in refused))
    print(f"flood: {len(upgraded)} upgraded, {len(refused)} refused ({', '.join(codes)}) "
          f"in {took:.2f} s", flush=True)
    figure("flood: upgraded / refused", f"{len(upgraded)} / {len(refused)} ({', '.join(codes)})")
    figure("flood: all 60 answered in (s)", f"{took:.2f}")
    # The slot of the last /metrics request (or a warm-up connection) may
    # still be on its way out when the wave arrives: it counts against the
    # limit for a moment. So up to two fewer than the limit, never more...
    check(FLOOD_MAX - 2 <= len(upgraded) <= FLOOD_MAX,
          f"{len(upgraded)} upgraded with --max-conns {FLOOD_MAX}")
    check(set(codes) <= {"503", "closed"}, f"refused with {codes}")

    # ...and topped up to exactly the limit once those are gone.
    def one_more():
        if len(upgraded) >= FLOOD_MAX:
            return True
        s = socket.create_connection((srv.host, srv.port), timeout=10 * SCALE)
        s.sendall(KEY_REQUEST)
        head, _ = read_head(s, 10)
        if head.startswith(b"HTTP/1.1 101 "):
            upgraded.append(s)
        else:
            s.close()
        return len(upgraded) >= FLOOD_MAX

    wait_for(one_more, 10, f"{FLOOD_MAX} connections upgraded", 0.05)

    # Full: a normal client is refused with 503 too, and is not kept waiting.
    # The wave's refusals may still be draining (at most 8 at once, up to
    # 500 ms each, slower under Valgrind); past them a client is just
    # closed. Once they are done, a client gets its 503.
    t1 = time.monotonic()
    answers = []

    def gets_503():
        answers.append(asyncio.run(refused_async(uri)))
        return answers[-1] != "closed"

    wait_for(gets_503, 10, "a refused client answered, not just closed", 0.05)
    code = answers[-1]
    figure("flood: normal client while full gets", f"{code} in {time.monotonic() - t1:.2f} s")
    check(code == 503, f"a normal client got {code} while the server was full")

    # Refused clients that do not hang up: each refusal drains its client
    # for up to REFUSE_TIMEOUT_MS (500 ms, ws_server.c), on a thread of its
    # own, so a client behind them is answered at once. When the drain ran
    # on the accept loop, 4 of them held the next client for 2.0 s.
    held_refused = []
    for _ in range(REFUSE_HOLD):
        s = socket.create_connection((srv.host, srv.port), timeout=10 * SCALE)
        s.sendall(KEY_REQUEST)
        held_refused.append(s)
    t2 = time.monotonic()
    answers = []
    wait_for(gets_503, 10, "a refused client behind held ones answered, not just closed", 0.05)
    code = answers[-1]
    waited = time.monotonic() - t2
    figure(f"flood: 503 for a client behind {REFUSE_HOLD} refused clients that do not hang up (s)",
           f"{waited:.2f}")
    check(code == 503, f"a normal client got {code} behind held refused clients")
    check(waited < 1.0 * SCALE, f"the accept loop stalled {waited:.2f} s behind refusals")
    for s in held_refused:
        try:
            head, _ = read_head(s, 10)
        except ConnectionResetError:
            # The 503 went out and the socket was closed with the request
            # still unread: the kernel's reset can overtake the answer
            # on a loaded machine. Refused either way, and not hung.
            head = b"HTTP/1.1 503 (reset before it was read)"
        check(head.startswith(b"HTTP/1.1 503 "), f"held refused client got {head[:40]!r}")
        s.close()

    # Release the upgraded ones: half say goodbye properly, half vanish with a reset.
    for i, s in enumerate(upgraded):
        if i % 2:
            reset(s)
            continue
        s.settimeout(10 * SCALE)
        s.sendall(client_frame(0x8, struct.pack("!H", 1000)))
        r = FrameReader(s)
        opcode, payload = r.next()
        check(opcode == 0x8, f"held client {i}: got opcode {opcode} instead of close")
        s.close()
    _, took = back_to_baseline(srv, base, "after the flood")
    figure("flood: back to baseline after release (s)", f"{took:.2f}")


PINGS = 10000


def count_pongs(r, n, timeout):
    """Reads n pongs (payload = index) in order; returns how many arrived."""
    r.s.settimeout(timeout * SCALE)
    got = 0
    while got < n:
        opcode, payload = r.next()
        check(opcode == 0xA, f"pong {got}: opcode {opcode}")
        check(payload[:4] == struct.pack("!I", got), f"pong {got} carries {payload[:4]!r}")
        got += 1
    return got


def ping_frames(size):
    pad = b"p" * (size - 4)
    return b"".join(client_frame(0x9, struct.pack("!I", i) + pad) for i in range(PINGS))


def ping_flood(srv):
    base = baseline(srv)

    # 1. Pongs read while the pings go out.
    data = ping_frames(16)
    s, rest = ws_open(srv)
    r = FrameReader(s, rest)
    result = {}

    def reader():
        try:
            result["n"] = count_pongs(r, PINGS, 30)
        except BaseException as e:  # reported by the main thread
            result["e"] = e

    th = threading.Thread(target=reader)
    th.start()
    t0 = time.monotonic()
    s.sendall(data)
    th.join(60 * SCALE)
    took = time.monotonic() - t0
    check("e" not in result, f"concurrent pongs: {result.get('e')!r}")
    check(result.get("n") == PINGS, f"concurrent pongs: {result.get('n')} of {PINGS}")
    m = metrics(srv)
    figure("ping-flood read concurrently: 10,000 pongs in (s)", f"{took:.2f}")
    figure("ping-flood read concurrently: heap after - before (KiB)",
           f"{(m['heap_bytes'] - base['heap_bytes']) / 1024:+.0f}")
    check(m["heap_bytes"] - base["heap_bytes"] < MIB, f"heap after the pings: {show(m)}")
    s.sendall(client_frame(0x8, struct.pack("!H", 1000)))
    s.close()

    # 2. Pongs not read: 10,000 pings of 125 bytes (1.3 MB of pongs) into a
    # client with a 64 KiB receive buffer. The server may block writing
    # pongs; it must not queue them in memory.
    data = ping_frames(125)
    s, rest = ws_open(srv, rcvbuf=64 * 1024)
    sent = {"n": 0, "progress": time.monotonic()}

    def writer():
        try:
            view = memoryview(data)
            while sent["n"] < len(data):
                sent["n"] += s.send(view[sent["n"]:sent["n"] + 65536])
                sent["progress"] = time.monotonic()
        except OSError as e:
            sent["e"] = e

    th = threading.Thread(target=writer, daemon=True)
    th.start()
    # All sent, or stalled because the server blocks on pongs we do not read.
    wait_for(lambda: not th.is_alive() or time.monotonic() - sent["progress"] > 0.5, 30,
             "the unread pings all sent or stalled")
    m = metrics(srv)
    print(f"pings not read: {sent['n']} of {len(data)} bytes sent; {show(m)}", flush=True)
    figure("ping-flood not read: ping bytes accepted before reading",
           f"{sent['n']} of {len(data)}")
    figure("ping-flood not read: heap over baseline (KiB)",
           f"{(m['heap_bytes'] - base['heap_bytes']) / 1024:+.0f}")
    figure("ping-flood not read: rss over baseline (KiB)",
           f"{(m['resident_bytes'] - base['resident_bytes']) / 1024:+.0f}")
    check(m["heap_bytes"] - base["heap_bytes"] < MIB, f"heap while pongs pile up: {show(m)}")
    echo_check(srv)
    # Now read: every ping is answered, in order.
    t0 = time.monotonic()
    n = count_pongs(FrameReader(s, rest), PINGS, 30)
    th.join(10 * SCALE)
    check("e" not in sent, f"sending pings failed: {sent.get('e')!r}")
    figure("ping-flood not read: pongs read afterwards", f"{n} in {time.monotonic() - t0:.2f} s")
    s.sendall(client_frame(0x8, struct.pack("!H", 1000)))
    s.close()
    m, _ = back_to_baseline(srv, base, "after the ping flood")
    check(m["heap_bytes"] - base["heap_bytes"] < 256 * 1024, f"heap after: {show(m)}")


WRITE_TIMEOUT_MS = 2000
NEVER_READS_MSGS = 64


def never_reads(srv):
    base = baseline(srv)
    s, _ = ws_open(srv, rcvbuf=64 * 1024)
    frame = client_frame(0x2, os.urandom(MIB))
    state = {"sent": 0, "progress": time.monotonic()}

    def writer():
        # Non-blocking sends, so that a stall shows as no progress rather
        # than a thread stuck in the kernel past the end of the test.
        s.setblocking(False)
        try:
            for _ in range(NEVER_READS_MSGS):
                view = memoryview(frame)
                while view:
                    _, w, _ = select.select([], [s], [], 0.2)
                    if not w:
                        if state.get("stop"):
                            return
                        continue
                    n = s.send(view)
                    view = view[n:]
                    state["sent"] += n
                    state["progress"] = time.monotonic()
        except OSError as e:
            state["e"] = e

    th = threading.Thread(target=writer, daemon=True)
    th.start()
    # Stalled: no byte accepted for 300 ms. The server then sits in a write
    # to us (it reads nothing else meanwhile), with its deadline running.
    wait_for(lambda: time.monotonic() - state["progress"] > 0.3 or "e" in state, 20,
             "the never-reading client's sends stall")
    t_stall = time.monotonic()
    check("e" not in state, f"sending failed before the stall: {state.get('e')!r}")
    sent = state["sent"]
    print(f"never-reads: stalled after {sent / MIB:.1f} MiB sent", flush=True)

    m = metrics(srv)
    figure("never-reads: MiB sent before the stall", f"{sent / MIB:.1f}")
    figure("never-reads: heap over baseline while stalled (KiB)",
           f"{(m['heap_bytes'] - base['heap_bytes']) / 1024:+.0f}")
    figure("never-reads: rss over baseline while stalled (KiB)",
           f"{(m['resident_bytes'] - base['resident_bytes']) / 1024:+.0f}")
    # One message in flight (being echoed) and at most one being read.
    check(m["heap_bytes"] - base["heap_bytes"] < 3 * MIB,
          f"heap while a client does not read: {show(m)} after {sent / MIB:.1f} MiB sent")
    t_echo = time.monotonic()
    echo_check(srv)
    figure("never-reads: a normal client's echo while stalled took (s)",
           f"{time.monotonic() - t_echo:.2f}")

    # The write deadline must drop the client: the server shuts the socket
    # (POLLRDHUP is seen even with unread data in our buffer). If our sends
    # moved again after the stall was declared (a loaded machine pauses
    # anyone), the server was not blocked yet: the clock restarts from the
    # last progress.
    p = select.poll()
    p.register(s, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    limit = WRITE_TIMEOUT_MS / 1000 + 2 * SCALE
    while not p.poll(50):
        since = max(t_stall, state["progress"])
        check(time.monotonic() - since < limit,
              f"the never-reading client still connected {limit:.1f} s after its sends stalled")
    took = time.monotonic() - max(t_stall, state["progress"])
    state["stop"] = True
    figure("never-reads: write timeout (s)", WRITE_TIMEOUT_MS / 1000)
    figure("never-reads: dropped after the stall (s)", f"{took:.2f}")
    reset(s)
    th.join(5 * SCALE)
    m, _ = back_to_baseline(srv, base, "after never-reads")
    check(m["heap_bytes"] - base["heap_bytes"] < 256 * 1024, f"heap after: {show(m)}")


SCENARIOS = {
    "slowloris": (slowloris, ["--handshake-timeout-ms", str(SLOWLORIS_DEADLINE_MS)]),
    "huge-length": (huge_length, []),
    "cut-mid-payload": (cut_mid_payload, []),
    "flood": (flood, ["--max-conns", str(FLOOD_MAX)]),
    # Long enough that pongs left unread for a while are never cut by it.
    "ping-flood": (ping_flood, ["--write-timeout-ms", "60000"]),
    "never-reads": (never_reads, ["--write-timeout-ms", str(WRITE_TIMEOUT_MS)]),
}


def main():
    global SCALE
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    SCALE = args.time_scale
    run, extra = SCENARIOS[args.scenario]
    t0 = time.monotonic()
    srv = Server(args.command + extra)
    try:
        run(srv)
        echo_check(srv)
        print("ok: the server still echoes for a normal client", flush=True)
    except BaseException as e:
        srv.kill()
        if isinstance(e, Failure):
            sys.exit(f"FAIL: {args.scenario}: {e}")
        raise
    rc = srv.stop()
    print(f"server exited with status {rc} ({time.monotonic() - t0:.1f} s in all)")
    sys.exit(0 if rc == 0 else 1)


if __name__ == "__main__":
    main()
