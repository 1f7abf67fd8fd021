"""03-uncleared-timer, Python twin, leaking variant.

Each connection gets a heartbeat: an asyncio task that pings the client
every interval (asyncio.create_task(heartbeat(ws)) in the handler).

What leaks: the heartbeat task of every connection that has ended keeps
running, forever, with the closed connection it pings.

Why: nothing cancels the task when the connection closes. Its pings on the
closed connection raise ConnectionClosed, which it ignores, so nothing
crashes and nobody notices while the tasks pile up.

The fix (fixed.py): the handler cancels the task on its way out, and waits
for it to end.

Signals: live asyncio tasks grow by one per closed connection; threads and
fds stay flat, as a task is an object on the one event loop, not a thread.
"""

import asyncio
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
    # LEAK: the task is never cancelled: it pings the closed connection for ever.
    asyncio.create_task(heartbeat(ws))
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass  # a peer that vanished: the loop is over either way


twin.main(
    "03-uncleared-timer-leak-python",
    "Echo server with a heartbeat per connection that is never stopped.",
    handle,
    knobs,
)
