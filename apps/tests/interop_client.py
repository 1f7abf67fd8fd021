"""Debian's python3-websockets as a client of a leaklab server.

    interop_client.py [--clients N] [--] COMMAND...

Starts COMMAND (echo-server, possibly wrapped in memcheck-run), reads its
ready line, then checks with an independent RFC 6455 implementation:
every length encoding up to 1 MiB (text and binary), fragmented messages,
ping/pong, close codes, N clients in parallel, and that protocol errors get
the right close code (1002, 1007, 1009). Finally it sends SIGTERM and
requires exit status 0 (under memcheck-run that also means no leak and no
fd left open).
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import websockets

READY = re.compile(rb"^leaklab: listening on ([0-9.]+):([0-9]+)$")


def start(command):
    # A session of its own, so that a failure can stop the server and
    # everything under it (memcheck-run's valgrind) with one killpg: a
    # server left running would hold ctest's output pipe until its timeout.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = READY.match(line.strip())
        if m:
            return proc, m.group(1).decode(), int(m.group(2))
    kill_all(proc)
    sys.exit("the server never printed its ready line")


def kill_all(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


async def sizes(uri):
    async with websockets.connect(uri, max_size=None) as ws:
        for n in (0, 1, 125, 126, 127, 65535, 65536, 1 << 20):
            text = "x" * n
            await ws.send(text)
            assert await ws.recv() == text, f"text of {n} bytes"
            data = bytes(i % 251 for i in range(n))
            await ws.send(data)
            assert await ws.recv() == data, f"binary of {n} bytes"
        # Multi-byte UTF-8 survives as text.
        await ws.send("κόσμε 🙂")
        assert await ws.recv() == "κόσμε 🙂"


async def fragments(uri):
    async with websockets.connect(uri) as ws:
        # An iterable makes websockets send one fragment per item.
        await ws.send(["Hel", "lo, ", "fragments"])
        assert await ws.recv() == "Hello, fragments"
        await ws.send([b"\x00\x01", b"\x02"])
        assert await ws.recv() == b"\x00\x01\x02"


async def ping(uri):
    async with websockets.connect(uri) as ws:
        for payload in (b"", b"ping", b"x" * 125):
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, 5)


async def close_codes(uri):
    for code, reason in ((1000, ""), (1001, "going"), (4000, "custom reason")):
        ws = await websockets.connect(uri)
        await ws.close(code=code, reason=reason)
        # The server echoes the code it received (RFC 6455 section 5.5.1).
        assert ws.close_code == code, (ws.close_code, code)


async def one_client(uri, i):
    async with websockets.connect(uri) as ws:
        for j in range(5):
            msg = f"client {i} message {j}"
            await ws.send(msg)
            assert await ws.recv() == msg


async def parallel(uri, n):
    await asyncio.gather(*(one_client(uri, i) for i in range(n)))


async def held_open(uri, n, open_timeout):
    """n clients connected at the same time, all answered while all are open.

    They connect 20 at a time (all stay open): a burst of n handshakes at
    once measures the machine's scheduler more than the server, and under
    memcheck each new connection thread is slow to start.
    """
    gate = asyncio.Semaphore(20)

    async def connect():
        async with gate:
            return await websockets.connect(uri, open_timeout=open_timeout)

    conns = await asyncio.gather(*(connect() for _ in range(n)))
    try:
        for i, ws in enumerate(conns):
            await ws.send(str(i))
        for i, ws in enumerate(conns):
            assert await ws.recv() == str(i)
    finally:
        await asyncio.gather(*(ws.close() for ws in conns))


def raw_upgrade(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, "server closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101 "), head
    return s


def close_code_after(host, port, frame):
    """Sends one raw frame and returns the close code the server answers with."""
    s = raw_upgrade(host, port)
    s.sendall(frame)
    data = b""
    while len(data) < 4:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert len(data) >= 4 and data[0] == 0x88, data
    return struct.unpack("!H", data[2:4])[0]


def protocol_errors(host, port):
    mask = b"\x00\x00\x00\x00"
    # Unmasked client frame: 1002.
    assert close_code_after(host, port, b"\x81\x02hi") == 1002
    # Reserved opcode 3: 1002.
    assert close_code_after(host, port, b"\x83\x80" + mask) == 1002
    # Text that is not UTF-8: 1007.
    assert close_code_after(host, port, b"\x81\x81" + mask + b"\xff") == 1007
    # A header announcing 2^62 bytes: 1009, and nothing allocated for it.
    assert close_code_after(host, port, b"\x82\xff" + struct.pack("!Q", 1 << 62) + mask) == 1009
    # A bad handshake gets HTTP 400.
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 400 ")
    s.close()


async def main_async(host, port, clients, held, open_timeout):
    uri = f"ws://{host}:{port}/"
    await sizes(uri)
    print("ok: every length encoding to 1 MiB, text and binary")
    await fragments(uri)
    print("ok: fragmented messages")
    await ping(uri)
    print("ok: ping/pong")
    await close_codes(uri)
    print("ok: close codes echoed")
    await parallel(uri, clients)
    print(f"ok: {clients} clients in parallel")
    await held_open(uri, held, open_timeout)
    print(f"ok: {held} clients connected at once")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--held", type=int, default=200)
    ap.add_argument("--open-timeout", type=float, default=10,
                    help="seconds for one client's handshake (more under memcheck)")
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    proc, host, port = start(args.command)
    try:
        asyncio.run(main_async(host, port, args.clients, args.held, args.open_timeout))
        protocol_errors(host, port)
        print("ok: protocol errors answered with 1002, 1007, 1009 and HTTP 400")
    except BaseException:
        kill_all(proc)
        raise
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=120)
    print(f"server exited with status {rc}")
    sys.exit(0 if rc == 0 else 1)


if __name__ == "__main__":
    main()
