"""The live dashboard in a real browser: headless Chromium over the DevTools
protocol.

    test_live.py MANIFEST [--screenshot PNG] [--load-seconds S]

Runs leaklab_live.py on the case (its two programs, a steady load), checks
that the dashboard refuses a foreign Host or Origin and every method but
GET, opens the page in Debian's Chromium (headless, fresh empty profile, no
network but 127.0.0.1), waits until the load has stopped and the programs
settled, and then asks the page itself, through Runtime.evaluate, what it
drew and concluded: for every signal the case's leak shows, the leak line
must rise and the fixed line stay flat, both in the page's verdict and in
the SVG polylines it drew. Optionally saves a screenshot of the page.

Exit 0 pass, 1 fail, 77 skipped (Chromium missing or will not start: the
reason is printed). LEAKLAB_CHROMIUM names another Chromium binary.
"""
import argparse
import http.client
import json
import os
import base64
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ in the source tree for the one module imported.
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import leaklab_drive as drive  # noqa: E402

READY = re.compile(rb"^leaklab: dashboard at (http://127\.0\.0\.1:([0-9]+)/)$")
# Chromium's start is about 2.5 s of CPU: seconds on an idle machine, tens
# of seconds on two cores shared with a build.
CHROMIUM_START_SECONDS = 60
# After the load stops: samples the page must have seen before judging,
# and how long we wait for them at most.
SETTLE_SAMPLES = 3
SETTLE_SECONDS = 40








def find_chromium():
    path = os.environ.get("LEAKLAB_CHROMIUM")
    if path:
        return path
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    drive.skip("chromium not found (Debian package: chromium; ./leaklab deps installs it)")


def start_dashboard(case, load_seconds):
    """leaklab_live.py in its own process group; returns (proc, url, port)
    once it printed its URL."""
    cmd = [sys.executable, os.path.join(HERE, "leaklab_live.py"), "--case", case,
           "--rate", "5", "--load-seconds", str(load_seconds),
           # It ends by itself even if this test were killed outright.
           "--seconds", str(load_seconds + SETTLE_SECONDS + CHROMIUM_START_SECONDS)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, preexec_fn=drive.die_with_parent)
    deadline = time.monotonic() + 30
    pending = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            drive.fail(f"leaklab_live.py exited with status {proc.wait()} before printing its URL")
        pending += chunk
        for line in pending.split(b"\n")[:-1]:
            m = READY.match(line.strip())
            if m:
                return proc, m.group(1).decode(), int(m.group(2))
        pending = pending.split(b"\n")[-1]
    drive.stop_group(proc)
    drive.fail("leaklab_live.py printed no URL within 30 s")


def status_of(port, method="GET", path="/", headers=None):
    """The HTTP status of one request with exactly these headers (Host
    included: http.client sends ours instead of its own)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def check_origin_rules(port):
    own = f"127.0.0.1:{port}"
    cases = [
        ("own Host", "GET", {"Host": own}, 200),
        ("localhost Host", "GET", {"Host": f"localhost:{port}"}, 200),
        ("own Host and Origin", "GET", {"Host": own, "Origin": f"http://{own}"}, 200),
        # DNS rebinding: a name of the attacker's now resolves to 127.0.0.1,
        # and the browser sends that name as Host.
        ("rebound name as Host", "GET", {"Host": f"rebind.attacker.example:{port}"}, 403),
        ("own address, other port", "GET", {"Host": "127.0.0.1:1"}, 403),
        ("no Host", "GET", {}, 403),
        ("foreign Origin", "GET", {"Host": own, "Origin": "http://attacker.example"}, 403),
        ("null Origin", "GET", {"Host": own, "Origin": "null"}, 403),
        ("cross-site fetch", "GET", {"Host": own, "Sec-Fetch-Site": "cross-site"}, 403),
        ("same-origin fetch", "GET", {"Host": own, "Sec-Fetch-Site": "same-origin"}, 200),
        ("POST", "POST", {"Host": own, "Content-Length": "0"}, 405),
    ]
    for what, method, headers, want in cases:
        for path in ("/", "/state.json"):
            got = status_of(port, method, path, headers)
            if got != want:
                drive.fail(f"{what} ({method} {path}): status {got}, expected {want}")
    print(f"ok: the dashboard answers its own Host and Origin and refuses a foreign "
          f"Host, Origin or site and POST ({len(cases) * 2} requests)", flush=True)


class DevTools:
    """A DevTools protocol session on one page target, over the kit's own
    WebSocket client (leaklab_drive)."""

    def __init__(self, port, target_url):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        pages = [t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(target_url)]
        if not pages:
            raise drive.DriveError(f"no page target for {target_url} among {len(targets)} targets")
        ws_path = re.sub(r"^ws://[^/]+", "", pages[0]["webSocketDebuggerUrl"])
        self.sock = drive.ws_connect("127.0.0.1", port, ws_path, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        msg_id = self.next_id
        drive.ws_send(self.sock, 0x1, json.dumps({"id": msg_id, "method": method,
                                                  "params": params}).encode())
        while True:
            opcode, payload = drive.ws_recv(self.sock)
            if opcode == 0x8:
                raise drive.DriveError("DevTools closed the connection")
            msg = json.loads(payload)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise drive.DriveError(f"{method}: {msg['error']}")
                return msg["result"]

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise drive.DriveError(f"page: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def close(self):
        self.sock.close()


# What the test reads from the page: its own verdicts, how many points it
# drew, and from the SVG itself the first and last point of each line.
PAGE_PROBE = """JSON.stringify((() => {
  const live = window.leaklabLive;
  if (!live || !live.state) return null;
  const lines = {};
  for (const s of document.querySelectorAll('.chart')) {
    lines[s.dataset.signal] = {};
    for (const p of s.querySelectorAll('polyline')) {
      const pts = p.getAttribute('points').trim().split(' ').map(q => q.split(',').map(Number));
      lines[s.dataset.signal][p.dataset.variant] = {n: pts.length, first: pts[0], last: pts[pts.length - 1],
        top: Math.min(...pts.map(q => q[1]))};
    }
    lines[s.dataset.signal].verdict_class = s.querySelector('.verdict').className;
    lines[s.dataset.signal].verdict_text = s.querySelector('.verdict').textContent;
  }
  return {updates: live.updates, error: live.error, verdicts: live.verdicts, drawn: live.drawn,
          load: live.state.load, now: live.state.now, status: document.getElementById('status').textContent,
          leak_samples: live.state.samples.leak.length, lines};
})())"""


def settled(page):
    load = page and page.get("load")
    if not load or load["running"] or load["stop"] is None:
        return False
    return page["now"] >= load["stop"] + SETTLE_SAMPLES


def judge(page, expect):
    for name in expect:
        v = page["verdicts"][name]
        line = page["lines"][name]
        if not v["rising"]:
            drive.fail(f"{name}: the page does not see the leak rise ({v['text']})")
        if not v["flat"]:
            drive.fail(f"{name}: the page does not see the fix stay flat ({v['text']})")
        if "good" not in line["verdict_class"]:
            drive.fail(f"{name}: the verdict is not shown as good ({line['verdict_class']})")
        leak, fixed = line.get("leak"), line.get("fixed")
        if not leak or not fixed or leak["n"] < 10 or fixed["n"] < 10:
            drive.fail(f"{name}: the page drew too few points ({page['drawn'][name]})")
        # SVG y grows downwards: the leak's last point is above its first,
        # the fix ends no higher than it started (within a pixel and a
        # half). It may end lower: the first sample can catch the warm-up
        # client's memory before the allocator got it back.
        if not leak["last"][1] < leak["first"][1] - 5:
            drive.fail(f"{name}: the leak line does not rise on screen ({leak})")
        if fixed["first"][1] - fixed["last"][1] > 1.5:
            drive.fail(f"{name}: the fixed line rises on screen ({fixed})")
        print(f"ok: {name}: {v['text']} (leak line {leak['first'][1]:.0f} -> "
              f"{leak['last'][1]:.0f} px, fixed {fixed['first'][1]:.0f} -> "
              f"{fixed['last'][1]:.0f} px, {leak['n']} points each)", flush=True)


def screenshot(dt, path):
    metrics = dt.call("Page.getLayoutMetrics")
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = dt.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                   clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(f"screenshot: {path} ({int(size['width'])}x{int(size['height'])})", flush=True)


def run_browser(chromium, url, tmp):
    """Chromium on url with remote debugging on a port of its choosing
    (read from DevToolsActivePort in the fresh profile); returns (proc,
    port). Skips if it does not come up."""
    profile = os.path.join(tmp, "profile")
    log_path = os.path.join(tmp, "chromium.log")
    # A file, not a pipe: nobody reads Chromium's chatter while it runs.
    log = open(log_path, "wb")
    # No sandbox (root in containers), and nothing that reaches past
    # 127.0.0.1 or wants a display or a GPU; timers of a page nobody
    # looks at must not be throttled, since the page polls once a second.
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-quic", "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--disable-dev-shm-usage", "--no-default-browser-check",
                             "--disable-background-timer-throttling",
                             "--disable-renderer-backgrounding", "--hide-scrollbars",
                             "--window-size=1040,1400", "--remote-debugging-address=127.0.0.1",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}", url],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                            preexec_fn=drive.die_with_parent)
    log.close()
    active = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + CHROMIUM_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with open(active) as f:
                first = f.readline().strip()
            if first.isdigit():
                return proc, int(first)
        except OSError:
            pass
        time.sleep(0.2)
    status = proc.poll()
    drive.stop_group(proc)
    with open(log_path, "rb") as f:
        tail = f.read().decode(errors="replace")[-1500:]
    if status is None:
        drive.skip(f"Chromium opened no DevTools port within {CHROMIUM_START_SECONDS} s: {tail}")
    drive.skip(f"Chromium will not start: {chromium} exited with status {status}: {tail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case", help="NN-slug (its plan from LEAKLAB_CHECK or the build's checker)")
    ap.add_argument("--screenshot")
    ap.add_argument("--load-seconds", type=float, default=15)
    args = ap.parse_args()
    chromium = find_chromium()
    try:
        expect = drive.read_case(args.case)["expect"]
    except drive.DriveError as e:
        drive.fail(f"cannot read the case: {e}")
    started = time.monotonic()
    dash, url, port = start_dashboard(args.case, args.load_seconds)
    # Chromium's start overlaps the load, so the page's deadline counts
    # from the dashboard's: 2 s of baseline, the load, then the settling.
    deadline = time.monotonic() + 2 + args.load_seconds + SETTLE_SECONDS
    browser = None
    try:
        check_origin_rules(port)
        with tempfile.TemporaryDirectory(prefix="leaklab-live-") as tmp:
            try:
                browser, dt_port = run_browser(chromium, url, tmp)
                dt = None
                page = None
                while time.monotonic() < deadline:
                    try:
                        if dt is None:
                            dt = DevTools(dt_port, url)
                        raw = dt.evaluate(PAGE_PROBE)
                        page = json.loads(raw) if raw else None
                    except (OSError, ValueError, drive.DriveError) as e:
                        # The page may still be loading: try again, bounded.
                        print(f"waiting for the page: {e}", flush=True)
                        if dt is not None:
                            dt.close()
                            dt = None
                    if settled(page):
                        break
                    time.sleep(1)
                if not settled(page):
                    drive.fail(f"the page never showed the load stopped and settled: {page}")
                print(f"page: {page['updates']} updates, {page['leak_samples']} samples a "
                      f"program; {page['status']}", flush=True)
                judge(page, expect)
                if args.screenshot:
                    screenshot(dt, args.screenshot)
                dt.close()
            finally:
                if browser is not None:
                    drive.stop_group(browser)
    finally:
        status = drive.stop_group(dash, seconds=20)
        # Its closing summary: each signal's first and last sample.
        sys.stdout.write(dash.stdout.read().decode(errors="replace"))
    if status != 0:
        drive.fail(f"leaklab_live.py exited with status {status} on SIGTERM, expected 0 "
             "(both programs must stop cleanly)")
    print(f"ok: the dashboard stopped both programs and exited 0 "
          f"({time.monotonic() - started:.1f} s in all)", flush=True)


if __name__ == "__main__":
    main()
