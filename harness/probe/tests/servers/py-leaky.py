#!/usr/bin/python3
"""py-leaky.py - a python3-websockets server that leaks the way asyncio
and threaded servers do, for leaklab-probe's tests. It listens on the
port given as its second argument and serves GET /metrics on the same
port ("app_tasks N": asyncio's live tasks).

  py-leaky.py task PORT     a watcher task per connection, never cancelled
                            (caught on tasks)
  py-leaky.py thread PORT   a worker thread per connection that waits for
                            an event nobody sets (caught on threads)
  py-leaky.py clean PORT    neither: the same server, fixed
"""
import asyncio
import http
import signal
import sys
import threading

import websockets

MODE = sys.argv[1]
NEVER = threading.Event()
# asyncio keeps only weak references to tasks: a task nothing refers to
# can be collected. Servers keep their background tasks in a set.
WATCHERS = set()


async def metrics(path, headers):
    if path == "/metrics":
        body = "app_tasks %d\n" % len(asyncio.all_tasks())
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], body.encode()
    return None


async def watch(ws):
    await asyncio.Event().wait()


async def echo(ws, path=None):
    watcher = None
    if MODE == "task":
        # LEAK: the watcher is never cancelled when the connection ends,
        # and the set keeps it (and its connection) alive.
        WATCHERS.add(asyncio.get_running_loop().create_task(watch(ws)))
    elif MODE == "thread":
        # LEAK: the worker waits for an event nobody sets.
        threading.Thread(target=NEVER.wait, daemon=True).start()
    else:
        # FIX: the watcher ends with its connection.
        watcher = asyncio.get_running_loop().create_task(watch(ws))
    try:
        async for message in ws:
            await ws.send(message)
    finally:
        if watcher:
            watcher.cancel()


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[2]),
                                process_request=metrics, ping_interval=None):
        await stop


if __name__ == "__main__":
    asyncio.run(main())
