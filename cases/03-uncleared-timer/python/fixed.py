"""03-uncleared-timer, Python twin, fixed variant.

Each connection gets a heartbeat: an asyncio task that pings the client
every interval (asyncio.create_task(heartbeat(ws)) in the handler).

What leaked (leak.py): the heartbeat task of every ended connection ran on
forever, because nothing cancelled it.

The fix: the handler cancels the task in a finally, on every way out, and
waits until it has ended (fixed.c's ll_timer_cancel, which joins).

Signals: live asyncio tasks, threads and fds return to the baseline.
"""

import asyncio
import contextlib
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../lib/twin/python"))
import twin  # noqa: E402

knobs = {"heartbeat-ms": [1000, "milliseconds between pings"]}


async def heartbeat(ws):
    while True:
        await asyncio.sleep(knobs["heartbeat-ms"][0] / 1000)
        try:
            await ws.ping()  # a fresh payload each time: the same one twice is refused
        except websockets.ConnectionClosed:
            pass  # after the connection closed; a heartbeat has nothing to say about it


async def handle(ws):
    beat = asyncio.create_task(heartbeat(ws))
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass  # a peer that vanished: the loop is over either way
    finally:
        # FIX: the heartbeat ends with its connection, however it ends.
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat


twin.main(
    "03-uncleared-timer-fixed-python",
    "Echo server with a heartbeat per connection, stopped when it closes.",
    handle,
    knobs,
)
