#!/usr/bin/python3
"""forking.py - a python3-websockets echo server that starts helpers the
way real servers do, for leaklab-probe's test that nothing outlives a
probe. Before it serves, it starts:

  - a worker that stays in its process group (fork);
  - a daemon that leaves the group and the session (setsid), whose
    parent (a middle process) exits at once, so it is nobody's child;
  - with "stubborn", it also ignores SIGTERM itself.

Every helper's PID goes to the file named by PIDFILE, one a line. The
port is PORT in the environment.
"""
import asyncio
import os
import signal
import sys
import time

import websockets


def helper(detach):
    pid = os.fork()
    if pid:
        return pid
    if detach:
        os.setsid()
        if os.fork():
            os._exit(0)  # the middle process: its child is orphaned
        with open(os.environ["PIDFILE"], "a") as f:
            f.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(60)


async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


async def main():
    stubborn = len(sys.argv) > 1 and sys.argv[1] == "stubborn"
    with open(os.environ["PIDFILE"], "a") as f:
        f.write("%d\n" % helper(False))
    helper(True)
    os.wait()  # the middle process
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", int(os.environ["PORT"])):
        await stop


if __name__ == "__main__":
    asyncio.run(main())
