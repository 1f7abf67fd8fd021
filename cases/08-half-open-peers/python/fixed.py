"""08-half-open-peers, Python twin, fixed variant.

An echo server with a keepalive: every --ping-ms the handler pings the
client (ws.ping()), the asyncio liveness check of the seeds' servers.

What leaked (leak.py): a peer that vanished without a FIN never answers
again, but the handler read with no deadline, so it waited for that peer
forever, with its tasks and its socket.

The fix: a read deadline, renewed by every pong. Each read is an
asyncio.wait_for(ws.recv(), timeout=...) that wakes at the next ping or at
the deadline, whichever comes first; the pong waiter ws.ping() returns
pushes the deadline out when the pong arrives. A peer that answers pings
stays as long as it likes; one that sends no pong for --pong-wait-ms is
reaped: its TCP connection is aborted (a peer that is gone cannot take
part in a close handshake, RFC 6455 section 7.1.1), which ends the
connection's tasks and closes its socket. --ping-ms must be shorter than
--pong-wait-ms, so a live peer has a ping to answer before its deadline.

Signals: tasks and fds return to the baseline once the silent peers'
deadline has passed.
"""

import asyncio
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../lib/twin/python"))
import twin  # noqa: E402

knobs = {
    "ping-ms": [1000, "milliseconds between keepalive pings"],
    "pong-wait-ms": [3000, "a peer that sends no pong for this long is reaped (the read deadline)"],
}


async def handle(ws):
    loop = asyncio.get_running_loop()
    ping_s = knobs["ping-ms"][0] / 1000
    wait_s = knobs["pong-wait-ms"][0] / 1000
    next_ping = loop.time() + ping_s
    # FIX: the read deadline: the peer must show it is alive by then.
    deadline = loop.time() + wait_s

    def renew(pong):
        nonlocal deadline
        # FIX: a pong proves the peer is there: renew its deadline.
        if not pong.cancelled() and pong.exception() is None:
            deadline = loop.time() + wait_s

    try:
        while True:
            now = loop.time()
            if now >= deadline:
                # FIX: no pong within pong-wait-ms: the peer is gone, reap it.
                ws.transport.abort()
                break
            if now >= next_ping:
                pong = await ws.ping()
                pong.add_done_callback(renew)
                next_ping = now + ping_s
                continue
            try:
                msg = await asyncio.wait_for(ws.recv(), timeout=min(next_ping, deadline) - now)
            except asyncio.TimeoutError:
                continue  # a ping or the deadline is due; recv() is safe to cancel
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass  # the peer closed or went away: the loop is over either way


twin.main(
    "08-half-open-peers-fixed-python",
    "Echo server with keepalive pings and a read deadline renewed by pongs.",
    handle,
    knobs,
)
