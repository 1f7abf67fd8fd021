#!/usr/bin/python3
"""py-echo.py - the Python peer of leaklab-bench: an echo server on
Debian's python3-websockets (asyncio, one thread), compression off so that
it does the same work as the other servers.

Speaks the kit's protocol for servers: binds 127.0.0.1, port 0 (or the
first argument), prints "leaklab: listening on 127.0.0.1:PORT" when ready,
exits 0 on SIGTERM. Run it with /usr/bin/python3, the interpreter that
sees Debian's package.
"""
import asyncio
import signal
import sys

import websockets


async def echo(ws, path=None):
    # path is passed by websockets before 10.1 and ignored after.
    async for message in ws:
        await ws.send(message)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, compression=None,
                                max_size=16 << 20, ping_interval=None,
                                backlog=1024) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"leaklab: listening on 127.0.0.1:{bound}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
