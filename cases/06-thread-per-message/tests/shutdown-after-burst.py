#!/usr/bin/python3
"""shutdown-after-burst.py PROGRAM [MESSAGES [BYTES]] - 06's shutdown contract under load.

Starts PROGRAM (06's fixed server, or a twin of it) on an ephemeral port,
sends MESSAGES (default 1100) text messages, each padded to BYTES
(default: not padded, about 20 bytes), on one connection without reading the echoes, so the handler ends up waiting for a free slot of the
audit pool behind a collector that acknowledges after 20 s, then sends
SIGTERM and times the exit. The contract (DESIGN.md section 4, the
harness's LC_SHUTDOWN_EXIT_MS): exit 0 within 2 s. A wait for a slot that
shutdown cannot cancel holds the exit until the collector acknowledges.
Prints what it measured; exit 0 when the contract holds, 1 when not.
"""
import base64
import os
import select
import signal
import socket
import subprocess
import sys
import time

EXIT_LIMIT_S = 2.0  # harness/check/drive/shutdown.h: LC_SHUTDOWN_EXIT_MS


def frame(text):
    """A masked text frame (RFC 6455 section 5.3: a client masks every frame)."""
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    if len(data) < 126:
        head += bytes([0x80 | len(data)])
    elif len(data) < 65536:
        head += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + len(data).to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def main():
    program = sys.argv[1]
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 1100
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    proc = subprocess.Popen([program, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline() if ready else ""
        if "listening on" not in line:
            print(f"no ready line within 10 s: {line!r}")
            return 2
        host, port = line.split()[-1].rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                print("the server closed during the handshake")
                return 2
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            print(f"the handshake was refused: {head.splitlines()[0]!r}")
            return 2
        burst = b"".join(frame(f"burst message {i} ".ljust(size, "x"))
                         for i in range(messages))
        sock.settimeout(0.5)
        try:
            sock.sendall(burst)
        except socket.timeout:
            pass  # the server stopped reading: its echoes filled the buffers first
        time.sleep(0.2)  # the handler takes what fits, and waits for a free slot
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - start
        sock.close()
        print(f"{messages} messages, then SIGTERM: "
              + (f"exit {code} after {took:.2f} s" if code is not None
                 else f"still running after {took:.0f} s")
              + f" (limit {EXIT_LIMIT_S:.0f} s)")
        return 0 if code == 0 and took <= EXIT_LIMIT_S else 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
