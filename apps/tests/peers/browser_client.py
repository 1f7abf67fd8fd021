"""A real browser as a client of a leaklab server: headless Chromium.

    browser_client.py PAGE_HTML SERVER [ARGS...]

Starts SERVER on port 0, serves PAGE_HTML from a small HTTP server of its
own (also on port 0), and opens it in Debian's Chromium (headless, fresh
empty profile, no network but 127.0.0.1). The page's own WebSocket
exchanges text, UTF-8 and binary messages with SERVER (up to 64 KiB),
closes with 1000, and POSTs the outcome back to /result. Then Chromium is
stopped with its whole process group, SERVER gets SIGTERM and must exit 0.

Exit 77 (skipped) when Chromium is not installed (Debian package:
chromium); LEAKLAB_CHROMIUM names another binary.
"""
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peerproc import fail, skip, spawn, start_server, stop, stop_server  # noqa: E402

RESULT_SECONDS = 60
# What the page POSTs to /result, handed over from the HTTP thread.
RESULTS = queue.Queue()


def find_chromium():
    path = os.environ.get("LEAKLAB_CHROMIUM")
    if path:
        return path
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    skip("chromium not found (Debian package: chromium)")


def page_server(page, results):
    """An HTTP server on 127.0.0.1:0 in a thread: GET / gives the page,
    POST /result hands the body to results. Anything else is a 404."""
    with open(page, "rb") as f:
        body = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?", 1)[0] not in ("/", "/page.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/result":
                self.send_error(404)
                return
            n = int(self.headers.get("Content-Length", "0"))
            results.put(self.rfile.read(n))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass  # Chromium's favicon requests and the like are noise

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def run_browser(chromium, url):
    """Opens url in a headless Chromium with a new empty profile and
    returns what the page POSTed to /result, or fails after
    RESULT_SECONDS. Chromium and all its helpers are gone on return."""
    with tempfile.TemporaryDirectory(prefix="leaklab-chromium-") as tmp:
        profile = os.path.join(tmp, "profile")
        log_path = os.path.join(tmp, "chromium.log")
        # A file, not a pipe: nobody reads Chromium's chatter while it
        # runs, and a full pipe would stall it.
        with open(log_path, "wb") as log:
            # No sandbox (root in containers), and nothing that reaches
            # past 127.0.0.1 or wants a display or a GPU.
            browser = spawn([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-quic", "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--disable-dev-shm-usage", "--no-default-browser-check",
                             f"--user-data-dir={profile}", url],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        try:
            return RESULTS.get(timeout=RESULT_SECONDS)
        except queue.Empty:
            status = browser.poll()
            stop(browser)
            with open(log_path, "rb") as f:
                err = f.read().decode(errors="replace")[-2000:]
            fail(f"no result from the page within {RESULT_SECONDS} s (chromium "
                 f"{'still running' if status is None else f'exited {status}'}): {err}")
        finally:
            # Before the profile directory goes: the page's job is done.
            stop(browser)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    chromium = find_chromium()
    page, command = sys.argv[1], sys.argv[2:]
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    server, port = start_server(command)
    httpd = page_server(page, RESULTS)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/page.html?port={port}"
        print(f"peer: {version}; page {url}", flush=True)
        result = json.loads(run_browser(chromium, url))
        print(f"page: {json.dumps(result, ensure_ascii=False)}", flush=True)
        if not result.get("ok"):
            fail(f"the page reports: {result.get('error')}")
        for step in ("binary of 64 KiB", "text of 64 KiB", "UTF-8 text"):
            if step not in result.get("log", []):
                fail(f"the page never got through '{step}'")
        print("ok: Chromium's WebSocket exchanged text, UTF-8 and binary up to 64 KiB "
              "and closed cleanly with 1000", flush=True)
    finally:
        httpd.shutdown()
        httpd.server_close()
        if server.poll() is None:
            stop_server(server, os.path.basename(command[0]))
        else:
            fail(f"{command[0]} died during the test (status {server.returncode})")


if __name__ == "__main__":
    main()
