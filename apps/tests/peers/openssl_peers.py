"""TLS against OpenSSL's own command-line tools, in both directions.

    openssl_peers.py s_client ECHO_SERVER...
        `openssl s_client` as the client of `ECHO_SERVER --tls`: a raw
        WebSocket upgrade over TLS with a fixed key (the 101 and its
        Sec-WebSocket-Accept are checked byte for byte), masked frames
        (text, a 16-bit length binary, a close with 1000), and their echoes.

    openssl_peers.py s_server TLS_PEER
        The library's TLS client (TLS_PEER, tls-peer.c) against
        `openssl s_server -rev` with a certificate made here by `openssl
        req`: once with the wrong CA (the handshake must fail), once with
        the right one (lines must come back reversed).

Both start their servers on port 0, stop them with deadlines, and leave
nothing running. Exit 77 (skipped) when the openssl tool is missing.
"""
import base64
import hashlib
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peerproc import fail, skip, spawn, start_server, stop, stop_server, read_line_until  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# RFC 6455 section 1.3's own example key, so the expected accept value can
# be read in the RFC: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = base64.b64encode(hashlib.sha1(KEY + GUID).digest())
MASK = bytes((0x37, 0xFA, 0x21, 0x3D))  # section 5.7's example mask


def openssl():
    path = os.environ.get("LEAKLAB_OPENSSL") or shutil.which("openssl")
    if not path:
        skip("openssl not found (Debian package: openssl)")
    return path


def masked(opcode, payload):
    """A final client frame: clients must mask (RFC 6455 section 5.3)."""
    head = bytes((0x80 | opcode,))
    n = len(payload)
    if n < 126:
        head += bytes((0x80 | n,))
    elif n < 65536:
        head += bytes((0x80 | 126,)) + struct.pack("!H", n)
    else:
        head += bytes((0x80 | 127,)) + struct.pack("!Q", n)
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def unmasked(opcode, payload):
    """What the server must send back: the same message, not masked."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + struct.pack("!H", n)
    else:
        head = bytes((0x80 | opcode, 127)) + struct.pack("!Q", n)
    return head + payload


class Reader:
    """Exact reads from a pipe, each bounded by a deadline."""

    def __init__(self, proc, seconds):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.deadline = time.monotonic() + seconds

    def _more(self, what):
        left = self.deadline - time.monotonic()
        if left <= 0:
            fail(f"{what}: nothing within the deadline (have {self.buf[:200]!r})")
        ready, _, _ = select.select([self.fd], [], [], left)
        if ready:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                fail(f"{what}: s_client's output ended (have {self.buf[:200]!r})")
            self.buf += chunk

    def until(self, marker, what):
        while marker not in self.buf:
            self._more(what)
        head, self.buf = self.buf.split(marker, 1)
        return head + marker

    def exactly(self, n, what):
        while len(self.buf) < n:
            self._more(what)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def at_end(self, what):
        """The stream must end (the server closed) with nothing more in it."""
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                fail(f"{what}: the connection stayed open")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                self.buf += chunk
        if self.buf:
            fail(f"{what}: unexpected bytes {self.buf[:200]!r}")


def s_client(server_command):
    tool = openssl()
    server, port = start_server(server_command + ["--tls"])
    # -quiet: no session dump on stdout, and EOF on stdin does not end the
    # session; -nocommands: a line starting with Q or R is data, not a
    # command. Certificate verification messages go to stderr.
    client = spawn([tool, "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                    "localhost", "-quiet", "-nocommands"],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        rd = Reader(client, 20)
        client.stdin.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           b"Connection: Upgrade\r\nSec-WebSocket-Key: " + KEY +
                           b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        client.stdin.flush()
        head = rd.until(b"\r\n\r\n", "the upgrade response")
        lines = head.split(b"\r\n")
        if not re.match(rb"^HTTP/1\.1 101 ", lines[0]):
            fail(f"upgrade answered {lines[0]!r}")
        fields = {}
        for line in lines[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                fields[k.strip().lower()] = v.strip()
        if fields.get(b"sec-websocket-accept") != ACCEPT:
            fail(f"Sec-WebSocket-Accept {fields.get(b'sec-websocket-accept')!r}, expected {ACCEPT!r}")
        if fields.get(b"upgrade", b"").lower() != b"websocket":
            fail(f"Upgrade header {fields.get(b'upgrade')!r}")
        print(f"ok: 101 over TLS with Sec-WebSocket-Accept {ACCEPT.decode()}", flush=True)

        # Section 5.7's masked "Hello", then a binary message with a 16-bit
        # length, each echoed unmasked.
        for opcode, payload in ((0x1, b"Hello"), (0x2, bytes(i % 251 for i in range(300)))):
            client.stdin.write(masked(opcode, payload))
            client.stdin.flush()
            want = unmasked(opcode, payload)
            got = rd.exactly(len(want), f"the echo of {len(payload)} bytes")
            if got != want:
                fail(f"echo of opcode {opcode}, {len(payload)} bytes: got {got[:40]!r}...")
            print(f"ok: masked {len(payload)}-byte frame (opcode {opcode}) echoed", flush=True)

        # The close handshake: the server echoes 1000 and then closes TCP.
        client.stdin.write(masked(0x8, struct.pack("!H", 1000) + b"bye"))
        client.stdin.flush()
        got = rd.exactly(4, "the close frame")
        if got != bytes((0x88, 2)) + struct.pack("!H", 1000):
            fail(f"close answered with {got!r}, expected 1000 echoed")
        rd.at_end("after the close handshake")
        print("ok: close 1000 echoed, then the server closed the connection", flush=True)
        # s_client ends by itself once the server closed the connection.
        client.stdin.close()
        try:
            status = client.wait(10)
        except subprocess.TimeoutExpired:
            fail("s_client still running after the server closed the connection")
        err = client.stderr.read().decode(errors="replace")
        if status != 0 and "unexpected eof while reading" in err:
            # A bare TCP FIN after the close handshake: RFC 8446 section
            # 6.1 wants a close_notify first, and the server sends one
            # from ll_transport_destroy once the handshake ended cleanly.
            fail("no TLS close_notify before the server closed the connection")
        elif status != 0:
            fail(f"s_client exited with {status}: {err[-500:]!r}")
        else:
            print("ok: the TLS session ended with close_notify", flush=True)
    finally:
        stop(client)
        if server.poll() is None:
            stop_server(server, os.path.basename(server_command[-1]))


def make_cert(tool, directory, name):
    """A self-signed EC P-256 certificate for localhost/127.0.0.1."""
    cert = os.path.join(directory, f"{name}-cert.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    r = subprocess.run([tool, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-days", "1", "-keyout", key, "-out", cert],
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        fail(f"openssl req: {r.stderr.decode(errors='replace')}")
    return cert, key


def run_peer(command):
    r = subprocess.run(command, capture_output=True, timeout=30)
    sys.stdout.write(r.stdout.decode(errors="replace"))
    sys.stdout.flush()
    if r.returncode != 0:
        fail(f"{' '.join(command)} exited {r.returncode}: {r.stderr.decode(errors='replace')}")


def s_server(peer):
    tool = openssl()
    with tempfile.TemporaryDirectory(prefix="leaklab-tls-") as tmp:
        cert, key = make_cert(tool, tmp, "localhost")
        stranger, _ = make_cert(tool, tmp, "stranger")
        # -naccept 2: the refused handshake, then the real one; after that
        # s_server exits by itself. -rev answers every line reversed.
        server = spawn([tool, "s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key,
                        "-rev", "-naccept", "2"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            m = read_line_until(server, re.compile(rb"^ACCEPT 127\.0\.0\.1:([0-9]+)$"), 20,
                                "openssl s_server")
            port = m.group(1).decode()
            run_peer([peer, "--expect-reject", "127.0.0.1", port, stranger])
            run_peer([peer, "127.0.0.1", port, cert])
            try:
                status = server.wait(10)
            except subprocess.TimeoutExpired:
                fail("s_server did not exit after its two connections")
            if status != 0:
                fail(f"s_server exited with {status}")
            print("ok: s_server saw both connections and exited", flush=True)
        finally:
            stop(server)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("s_client", "s_server"):
        sys.exit(__doc__)
    if sys.argv[1] == "s_client":
        s_client(sys.argv[2:])
    else:
        s_server(sys.argv[2])


if __name__ == "__main__":
    main()
