"""leaklab live: a case's leak and fixed programs side by side under a
steady load, plotted live in a browser.

    leaklab_live.py --case NN-slug [--check BUILD/bin/leaklab-check]
                    [--rate R] [--load-seconds S] [--seconds T] [--port P]
                    [--leak-port P] [--fixed-port P]

Starts both programs on 127.0.0.1 (port 0 each), sends each one warm-up
client (the first client pays one-off costs, lazy initialisation and
allocator arenas, about 130 KiB of heap that stays and is not a leak), then
samples both
programs' GET /metrics every second and drives R clients a second into
each for S seconds, following the case's scenario. The page at the printed
URL plots threads, open fds and heap of both, leak beside fix, and says
whether the leak line rises and the fixed line stays flat.

The run ends by itself after T seconds (the lines stay up after the load
stops, so the fix is seen to return to where it was), or on Ctrl-C or
SIGTERM; both programs are stopped with SIGTERM and must exit 0. They are
also sent SIGTERM by the kernel if this process is killed outright.

The page is served on 127.0.0.1 only, and a request whose Host or Origin
is not this server's own is refused (403): a page on another site cannot
read it, even through a DNS name rebound to 127.0.0.1.

Exit status: 0 after a clean run, 1 if a program failed (died, or did not
exit 0 on SIGTERM), 2 if the run could not start (a message says why).
Standard library only.
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time

# No __pycache__ in the source tree for the one module imported.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leaklab_drive as drive  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The files the page is made of, with their types; nothing else is served
# but /state.json.
ASSETS = {
    "/": ("dashboard.html", "text/html; charset=utf-8"),
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
# No script, style or connection beyond this server, and no framing by
# another page.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
SAMPLE_SECONDS = 1.0
BASELINE_SECONDS = 2.0
MAX_SECONDS = 3600


def say(message):
    print(f"leaklab: {message}", file=sys.stderr, flush=True)


class Run:
    """The state the page reads: the case, both programs, the load and
    every sample so far. Samples are appended by the sampler thread and
    read by the HTTP threads under one lock."""

    def __init__(self, case, args):
        self.case = case
        self.args = args
        self.tls = drive.uses_tls(case)  # the programs serve wss, /metrics included
        self.lock = threading.Lock()
        self.programs = {}
        self.samples = {"leak": [], "fixed": []}
        self.started_at = time.time()
        self.load = None
        self.finished = False
        self.problem = None

    def add_sample(self, variant, t, values):
        row = [round(t, 2)] + [values.get(drive.METRICS[s]) for s in ("threads", "fds", "heap")]
        with self.lock:
            self.samples[variant].append(row)

    def state(self):
        m = self.case
        load = self.load
        with self.lock:
            samples = {k: list(v) for k, v in self.samples.items()}
        return {
            "case": {"name": m["name"], "summary": m.get("summary", ""),
                     "scenario": m["scenario"], "expect": m["expect"]},
            "columns": ["t", "threads", "fds", "heap"],
            "rate": self.args.rate,
            "load_seconds": self.args.load_seconds,
            "seconds": self.args.seconds,
            "now": round(time.time() - self.started_at, 2),
            "load": None if load is None else {
                "running": load.running(),
                "start": None if load.started_at is None else round(load.started_at - self.started_at, 2),
                "stop": None if load.stopped_at is None else round(load.stopped_at - self.started_at, 2),
                "clients": load.counts(),
            },
            "programs": {v: {"pid": p.proc.pid, "port": p.port, "alive": p.alive()}
                         for v, p in self.programs.items()},
            "samples": samples,
            "finished": self.finished,
            "problem": self.problem,
        }


def make_handler(run, port_box):
    """The request handler, bound to run; port_box[0] is the port the
    server listens on (known once it is bound)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "leaklab-live"
        sys_version = ""

        def allowed(self):
            """Host must name this server (127.0.0.1 or localhost with its
            port), and Origin and Sec-Fetch-Site, when a browser sends
            them, must say the request comes from this server's own page. Anything else is a page from elsewhere,
            or a DNS name rebound to 127.0.0.1, and gets 403."""
            port = port_box[0]
            hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
            host = self.headers.get_all("Host") or []
            if len(host) != 1 or host[0].strip().lower() not in hosts:
                return False
            origin = self.headers.get_all("Origin") or []
            if len(origin) > 1:
                return False
            if origin and origin[0].strip().lower() not in {f"http://{h}" for h in hosts}:
                return False
            # A browser says where a request comes from; a page of another
            # site may still load our files without an Origin (an <img> or
            # a <script>), so that is refused too.
            site = self.headers.get("Sec-Fetch-Site")
            if site is not None and site.strip().lower() not in ("same-origin", "none"):
                return False
            return True

        def send_body(self, status, body, ctype, head_only=False):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in SECURITY_HEADERS.items():
                self.send_header(k, v)
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def refuse(self, status, why):
            self.send_body(status, (why + "\n").encode(), "text/plain; charset=utf-8")

        def serve(self, head_only):
            if not self.allowed():
                self.refuse(403, "forbidden: Host or Origin is not this server")
                return
            path = self.path.split("?", 1)[0]
            if path == "/state.json":
                body = json.dumps(run.state(), separators=(",", ":")).encode()
                self.send_body(200, body, "application/json", head_only)
                return
            if path not in ASSETS:
                self.refuse(404, "not found")
                return
            name, ctype = ASSETS[path]
            with open(os.path.join(HERE, name), "rb") as f:
                self.send_body(200, f.read(), ctype, head_only)

        def do_GET(self):
            self.serve(False)

        def do_HEAD(self):
            self.serve(True)

        def refuse_method(self):
            # The dashboard is read-only: nothing a request sends can
            # start, stop or change the run.
            self.refuse(405, "method not allowed: the dashboard is read-only")

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method

        def log_message(self, *args):
            pass  # the page polls every second; logging it is noise

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # A dashboard restarted at once on the same --port should not fail on
    # the old socket's TIME_WAIT.
    allow_reuse_address = True


def sampler(run, stop):
    """Every SAMPLE_SECONDS, both programs' /metrics into run. A program
    that dies ends the run (stop is set) with the reason in run.problem."""
    tick = time.monotonic()
    while not stop.is_set():
        t = time.time() - run.started_at
        for variant, prog in run.programs.items():
            if not prog.alive():
                run.problem = f"{prog.label} exited (status {prog.proc.returncode}) during the run"
                stop.set()
                return
            try:
                run.add_sample(variant, t, drive.scrape(prog.port, tls=run.tls))
            except (OSError, drive.DriveError) as e:
                # One slow scrape is a gap in the line, not the end.
                say(f"{prog.label}: /metrics: {e}")
        tick += SAMPLE_SECONDS
        stop.wait(max(0.0, tick - time.monotonic()))


def summary(run):
    """Lines for the terminal at the end: each signal's first and last
    sample, leak beside fix."""
    names = {"threads": "threads", "fds": "open fds", "heap": "heap bytes"}
    lines = [f"{'signal':<12}{'leak':>30}{'fixed':>30}"]
    for i, s in enumerate(("threads", "fds", "heap"), start=1):
        cells = []
        for v in ("leak", "fixed"):
            rows = [r for r in run.samples[v] if r[i] is not None]
            if rows:
                a, b = int(rows[0][i]), int(rows[-1][i])
                cells.append(f"{a} -> {b} ({b - a:+d})")
            else:
                cells.append("no samples")
        mark = " *" if s in run.case["expect"] else ""
        lines.append(f"{names[s] + mark:<12}{cells[0]:>30}{cells[1]:>30}")
    lines.append("(* the signals this case's leak shows)")
    return lines


def parse_args(argv):
    p = argparse.ArgumentParser(prog="leaklab live", description=__doc__.split("\n\n")[0])
    p.add_argument("--case", required=True, help="the case, NN-slug")
    p.add_argument("--check", help="the leaklab-check whose plan of the case to follow "
                   "(default: LEAKLAB_CHECK, else the build's)")
    p.add_argument("--rate", type=float, default=5.0, help="clients per second into each program (default 5)")
    p.add_argument("--load-seconds", type=float,
                   help="how long the load runs (default: half the run, at most 60)")
    p.add_argument("--seconds", type=float, default=120.0,
                   help="when the whole run ends, load included (default 120)")
    p.add_argument("--port", type=int, default=0, help="the dashboard's port on 127.0.0.1 (default: any free one)")
    p.add_argument("--leak-port", type=int, default=0,
                   help="the leak program's port, for a Prometheus of your own to scrape (default: any)")
    p.add_argument("--fixed-port", type=int, default=0, help="the fixed program's port (default: any)")
    args = p.parse_args(argv)
    if args.load_seconds is None:
        args.load_seconds = min(60.0, args.seconds / 2)
    if not 0.1 <= args.rate <= 50:
        p.error("--rate must be between 0.1 and 50 clients a second")
    if not 0 <= args.load_seconds <= args.seconds <= MAX_SECONDS:
        p.error(f"need 0 <= --load-seconds <= --seconds <= {MAX_SECONDS}")
    for port in (args.port, args.leak_port, args.fixed_port):
        if not 0 <= port <= 65535:
            p.error("ports must be 0..65535")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        case = drive.read_case(args.case, args.check)
    except (OSError, drive.DriveError) as e:
        say(f"cannot read the case: {e}")
        return 2
    run = Run(case, args)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    httpd = None
    status = 0
    try:
        # From the main thread, before any other: see drive.Program.
        for variant in ("leak", "fixed"):
            port = args.leak_port if variant == "leak" else args.fixed_port
            run.programs[variant] = drive.Program(case[variant], case["program_args"],
                                                  port=port).start()
        for variant, prog in run.programs.items():
            drive.run_client(case, prog.port, check=args.check, leak=variant == "leak")
        port_box = [0]
        try:
            httpd = Server(("127.0.0.1", args.port), make_handler(run, port_box))
        except OSError as e:
            say(f"cannot listen on 127.0.0.1:{args.port}: {e.strerror or e}")
            return 2
        port_box[0] = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         name="http", daemon=True).start()
        threading.Thread(target=sampler, args=(run, stop), name="sampler", daemon=True).start()
        url = f"http://127.0.0.1:{port_box[0]}/"
        # The one line a script (or the test) waits for; stdout, flushed.
        print(f"leaklab: dashboard at {url}", flush=True)
        say(f"{case['name']}: leak (port {run.programs['leak'].port}) beside fixed "
            f"(port {run.programs['fixed'].port}); {args.rate:g} clients/s each for "
            f"{args.load_seconds:g} s, the run ends after {args.seconds:g} s or on Ctrl-C")
        if not stop.wait(min(BASELINE_SECONDS, args.seconds)):
            run.load = drive.Load(case, {v: p.port for v, p in run.programs.items()},
                                  rate=args.rate, seconds=args.load_seconds,
                                  check=args.check).start()
        stop.wait(max(0.0, args.seconds - (time.time() - run.started_at)))
    except (OSError, drive.DriveError) as e:
        say(f"cannot start {case['name']}: {e}")
        status = 2
    finally:
        stop.set()
        if run.load is not None:
            run.load.stop()
        run.finished = True
        for prog in run.programs.values():
            rc = prog.stop()
            if rc != 0 and status == 0:
                say(f"{prog.label} exited with status {rc} after SIGTERM, expected 0")
                status = 1
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
    if run.problem:
        say(run.problem)
        status = 1
    if any(run.samples.values()):
        for line in summary(run):
            print(line, flush=True)
        if run.load is not None:
            counts = run.load.counts()
            print("clients served: " + ", ".join(
                f"{v} {c['served']} ({c['failed']} failed)" for v, c in counts.items()), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
