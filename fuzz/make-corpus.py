#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets: fuzz/corpus/<target>/<name>.

Seeds are the examples of RFC 6455 (section 1.2 and 1.3 handshakes,
section 5.7 frames) and the edge cases the parsers must refuse, so that
both drivers start from inputs that reach deep into each parser instead of
having to discover the syntax byte by byte. The frame targets read one
config byte before the stream (fuzz/fuzz_ws_frame.c): the seeds vary it so
every chunking and take pattern is in the corpus.

Run it from anywhere; it rewrites the seeds it knows and leaves any other
file (regression inputs added by hand, named crash-* or regress-*) alone.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])  # the mask of RFC 6455 section 5.7


def frame(opcode, payload, fin=True, masked=False, rsv=0, length=None):
    """One frame; length overrides the announced length (to lie about it)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    m = 0x80 if masked else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n <= 0xFFFF:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if masked:
        payload = bytes(c ^ MASK[i % 4] for i, c in enumerate(payload))
        head += MASK
    return head + payload


def close_body(code, reason=b""):
    return struct.pack(">H", code) + reason


def frame_seeds(masked):
    """(name, config byte, stream) for a parser that expects masked or not."""
    f = lambda op, p=b"", **kw: frame(op, p, masked=masked, **kw)
    kosme = "κόσμε".encode()
    return [
        # RFC 6455 section 5.7, in this side's masking.
        ("rfc-hello", 0x00, f(0x1, b"Hello")),
        ("rfc-fragmented", 0x04, f(0x1, b"Hel", fin=False) + f(0x0, b"lo")),
        ("rfc-ping-pong", 0x08, f(0x9, b"Hello") + f(0xA, b"Hello")),
        ("rfc-binary-256", 0x0C, f(0x2, bytes(range(256)))),
        # The header of a 64 KiB frame with only its first bytes (section 5.7's last example).
        ("rfc-binary-64k-head", 0x03, f(0x2, b"\x00" * 16, length=65536)[:30]),
        ("ping-between-fragments", 0x18,
         f(0x1, b"Hel", fin=False) + f(0x9, b"?") + f(0x0, b"lo")),
        ("utf8-split-across-fragments", 0x1C,
         f(0x1, kosme[:3], fin=False) + f(0x0, kosme[3:7], fin=False) + f(0x0, kosme[7:])),
        ("close-1000-reason", 0x10, f(0x8, close_body(1000, b"bye"))),
        ("close-empty", 0x05, f(0x8)),
        ("close-one-byte", 0x06, f(0x8, b"\x03")),
        ("close-code-1005", 0x07, f(0x8, close_body(1005))),
        ("close-bad-utf8-reason", 0x09, f(0x8, close_body(1001, b"\xc0\xaf"))),
        ("text-bad-utf8", 0x0A, f(0x1, b"ab\xed\xa0\x80cd")),
        ("text-truncated-utf8", 0x0B, f(0x1, b"ab\xe2\x82")),
        ("rsv1-set", 0x00, f(0x1, b"x", rsv=4)),
        ("reserved-opcode", 0x00, f(0x3, b"x")),
        ("control-not-final", 0x00, f(0x9, b"x", fin=False)),
        ("control-126-bytes", 0x04, f(0xA, b"p" * 126)),
        ("continuation-first", 0x00, f(0x0, b"x")),
        ("text-inside-fragmented", 0x00, f(0x1, b"a", fin=False) + f(0x1, b"b")),
        ("length-msb-set", 0x00, frame(0x2, b"", masked=masked, length=1 << 63)),
        ("too-big-for-125", 0x01, f(0x2, b"z" * 126)),
        ("fragments-too-big-for-125", 0x15,
         f(0x2, b"y" * 100, fin=False) + f(0x0, b"y" * 100)),
        ("wrong-masking", 0x00, frame(0x1, b"Hello", masked=not masked)),
        ("many-small-messages", 0x0E, b"".join(f(0x1 + i % 2, bytes([65 + i]) * i) for i in range(20))),
        ("large-then-small", 0x13, f(0x2, b"L" * 2000) + f(0x1, b"s")),
        ("empty-stream", 0x00, b""),
    ]


def handshake_seeds():
    rfc = (b"GET /chat HTTP/1.1\r\n"
           b"Host: server.example.com\r\n"
           b"Upgrade: websocket\r\n"
           b"Connection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Origin: http://example.com\r\n"
           b"Sec-WebSocket-Protocol: chat, superchat\r\n"
           b"Sec-WebSocket-Version: 13\r\n"
           b"\r\n")
    return [
        ("rfc-1.2-request", rfc),
        ("rfc-request-then-frame", rfc + frame(0x1, b"Hello", masked=True)),
        ("version-8", rfc.replace(b"Version: 13", b"Version: 8")),
        ("no-version", rfc.replace(b"Sec-WebSocket-Version: 13\r\n", b"")),
        ("no-key", rfc.replace(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b"")),
        ("short-key", rfc.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"dGhlIHNhbXBsZQ==")),
        ("lowercase-and-lists",
         b"GET / HTTP/1.1\r\nhost: h\r\nupgrade: WebSocket\r\n"
         b"connection: keep-alive, , Upgrade\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
         b"sec-websocket-version:13\r\n\r\n"),
        ("duplicate-host", rfc.replace(b"Host: server.example.com\r\n",
                                       b"Host: a\r\nHost: b\r\n")),
        ("duplicate-key", rfc.replace(b"Origin:", b"Sec-WebSocket-Key: x\r\nOrigin:")),
        ("obs-fold", rfc.replace(b"Origin: http://example.com\r\n",
                                 b"Origin: http://example.com\r\n continued\r\n")),
        ("bare-lf", rfc.replace(b"Upgrade: websocket\r\n", b"Upgrade: websocket\n")),
        ("space-before-colon", rfc.replace(b"Upgrade:", b"Upgrade :")),
        ("post", rfc.replace(b"GET", b"POST")),
        ("http-1.0", rfc.replace(b"HTTP/1.1", b"HTTP/1.0")),
        ("path-255", rfc.replace(b"/chat", b"/" + b"p" * 254)),
        ("path-256", rfc.replace(b"/chat", b"/" + b"p" * 255)),
        ("incomplete", rfc[:-2]),
        ("empty-line-only", b"\r\n\r\n"),
    ]


def response_seeds():
    rfc = (b"HTTP/1.1 101 Switching Protocols\r\n"
           b"Upgrade: websocket\r\n"
           b"Connection: Upgrade\r\n"
           b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
           b"\r\n")
    return [
        ("rfc-1.3-response", rfc),
        ("response-then-frame", rfc + frame(0x1, b"Hello")),
        ("wrong-accept", rfc.replace(b"s3pPLMB", b"s3pPLMA")),
        ("no-accept", rfc.replace(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", b"")),
        ("two-accepts", rfc.replace(b"\r\n\r\n",
                                    b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")),
        ("subprotocol", rfc.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: chat\r\n\r\n")),
        ("status-no-reason", rfc.replace(b"101 Switching Protocols", b"101")),
        ("status-200", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ("status-426",
         b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        ("lowercase-lists",
         b"HTTP/1.1 101 x\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
         b"sec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
        ("incomplete", rfc[:-1]),
    ]


def utf8_seeds():
    return [
        ("ascii", b"Hello, WebSocket: plain ASCII, longer than a word."),
        ("rfc-3629-examples", "A≢Α. 한국어 日本語 𣎴".encode()),
        ("kosme", "κόσμε".encode()),
        ("boundaries", "\u0080\u07ff\u0800\uffff\U00010000\U0010ffff".encode()),
        ("around-surrogates", "\ud7ff\ue000".encode()),
        ("overlong-slash-2", b"\xc0\xaf"),
        ("overlong-slash-3", b"\xe0\x80\xaf"),
        ("overlong-slash-4", b"\xf0\x80\x80\xaf"),
        ("surrogate-d800", b"\xed\xa0\x80"),
        ("above-10ffff", b"\xf4\x90\x80\x80"),
        ("lead-f5", b"\xf5\x80\x80\x80"),
        ("five-bytes", b"\xf8\x88\x80\x80\x80"),
        ("lone-continuation", b"abc\x80def"),
        ("truncated-3", b"ascii then \xe2\x82"),
        ("truncated-4", b"\xf0\x9f\x98"),
        ("ascii-then-multibyte-at-8", b"01234567\xc3\xa9" + b"89abcdef" * 3),
    ]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for target, masked in (("ws_frame_server", True), ("ws_frame_client", False)):
        for name, config, stream in frame_seeds(masked):
            write(target, name, bytes([config]) + stream)
    for name, data in handshake_seeds():
        write("ws_handshake", name, data)
    for name, data in response_seeds():
        write("ws_client_response", name, data)
    for name, data in utf8_seeds():
        write("utf8", name, data)


if __name__ == "__main__":
    main()
