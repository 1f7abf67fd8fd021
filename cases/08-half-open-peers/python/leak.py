"""08-half-open-peers, Python twin, leaking variant.

An echo server with a keepalive: every --ping-ms the handler pings the
client (ws.ping()), the asyncio liveness check of the seeds' servers.

What leaks: a peer that vanished without a FIN (a laptop lid closed, a NAT
entry dropped) never answers again, and its connection stays: the
handler's task, the library's tasks of the connection and its socket, for
as long as the process runs.

Why: the handler waits for the next message with no deadline: the only
wake-up is the next ping. The pings still "succeed" (the kernel takes the
bytes and waits), and nobody looks at whether a pong ever came back, so a
silent peer is read from, and pinged, forever.

The fix (fixed.py): a read deadline renewed by every pong:
asyncio.wait_for(..., timeout=...) on each read, and a peer that sends no
pong for --pong-wait-ms is reaped.

Signals: live asyncio tasks and fds grow with every silent peer; threads
stay flat, as a connection is a few tasks on the one event loop.
"""

import asyncio
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../lib/twin/python"))
import twin  # noqa: E402

knobs = {
    "ping-ms": [1000, "milliseconds between keepalive pings"],
    "pong-wait-ms": [3000, "unused here: nothing ever gives up on a silent peer"],
}


async def handle(ws):
    loop = asyncio.get_running_loop()
    ping_s = knobs["ping-ms"][0] / 1000
    next_ping = loop.time() + ping_s
    try:
        while True:
            now = loop.time()
            if now >= next_ping:
                await ws.ping()  # LEAK: the pong it returns is never awaited
                next_ping = now + ping_s
                continue
            try:
                # LEAK: the only wake-up is the next ping; nothing ever gives up.
                msg = await asyncio.wait_for(ws.recv(), timeout=next_ping - now)
            except asyncio.TimeoutError:
                continue  # time to ping again; recv() is safe to cancel
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass  # the peer closed or went away: the loop is over either way


twin.main(
    "08-half-open-peers-leak-python",
    "Echo server with keepalive pings and no read deadline.",
    handle,
    knobs,
)
