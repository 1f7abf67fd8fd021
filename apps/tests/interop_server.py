"""The library's client against Debian's python3-websockets echo server.

    interop_server.py CLIENT

Serves an echo server on 127.0.0.1 (port chosen by the kernel) with an
independent RFC 6455 implementation, runs CLIENT HOST PORT, and passes
when the client exits 0.
"""
import asyncio
import subprocess
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def main(client):
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(client, "127.0.0.1", str(port))
        rc = await asyncio.wait_for(proc.wait(), timeout=120)
    print(f"client exited with status {rc}")
    return rc


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main(sys.argv[1])) else 0)
