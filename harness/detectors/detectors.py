"""Which tool sees which leak: every case, leak and fix, under every
detector an engineer would reach for, measured.

    detectors.py --check BUILD/bin/leaklab-check --build BUILD [NN ...]
                 [--jobs N] [--json FILE] [--text FILE] [--no-twins]
    detectors.py ... --verify-doc docs/detectors.md --cells NN:DET,...

Each case's two programs and its twins (not with --no-twins) run under each
detector on the case's own scenario and load, as leaklab-check --plan
states them: the program is started under the detector, one warm-up
client, then the case's load by the judge's own clients
(leaklab-check --drive), then SIGTERM, and the detector's own report is
read. A cell holds the number the detector prints, whether that number
would make a person look ("LOOK") or not ("quiet"), and its cost: the
session's wall time against the same session run natively.

--verify-doc re-runs the cells named and fails (exit 1) when one's
verdict differs from the matrix quoted in the doc.

Exit 0 the matrix was written, 1 a verdict differs from the doc, 2 no
verdict (the kit is not built, a program did not start).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "harness", "pictures", "live"))
import leaklab_drive as drive  # noqa: E402

# The threshold a person looks at, per client served: the kit's own
# (leaklab-check's leak-grows limit): 256 heap bytes, half a thread or fd.
BYTES_PER_CLIENT = 256
READY_SECONDS = 60
EXIT_SECONDS = 60
SUPP = os.path.join(ROOT, "harness", "tools", "valgrind.supp")
SANITIZERS = {"lsan": "leak", "asan": "address", "tsan": "thread"}


class NoVerdict(Exception):
    """The kit failed itself: a program did not start, a tool is missing."""


def log(msg):
    print(f"detectors: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- cells

def cell(value, look, seconds=None, note=None):
    """One detector's answer for one program: the number it printed
    (value, text), look True (it would make a person look), False (quiet)
    or None (not run: value says why)."""
    return {"value": value, "look": look, "seconds": seconds, "note": note}


def not_run(why):
    return cell(why, None)


def kib(n):
    return f"{n / 1024:.1f} KiB" if n >= 10240 else f"{n:.0f} B"


# ------------------------------------------------------------- sessions

class Session:
    """One program run under a detector: started with prefix before it,
    warm-up client, the case's load, SIGTERM to the program itself, and
    its exit awaited. Times are wall-clock seconds."""

    def __init__(self, ctx, case, program, prefix=(), env=None, target="self", tag=""):
        self.ctx, self.case, self.program = ctx, case, program
        self.prefix, self.env, self.target = list(prefix), env, target
        self.tag = tag
        self.run_dir = tempfile.mkdtemp(prefix=f"{case['name'][:2]}-{tag}-",
                                        dir=ctx.runs)
        self.proc = None
        self.port = None
        self.status = None
        self.ready_s = None
        self.seconds = None
        self.served = 0
        self.marks = {}

    def path(self, name):
        return os.path.join(self.run_dir, name)

    def _pid(self):
        """The pid to signal: the process itself (Valgrind runs the program
        in its own pid) or, under a wrapper (heaptrack's script), the
        descendant that runs the program's binary."""
        if self.target == "self":
            return self.proc.pid
        want = os.path.realpath(self.program)
        for _ in range(100):
            for pid in _descendants(self.proc.pid):
                try:
                    if os.path.realpath(f"/proc/{pid}/exe") == want:
                        return pid
                except OSError:
                    pass
            time.sleep(0.05)
        raise NoVerdict(f"{self.tag}: no process runs {self.program}")

    def start(self):
        env = dict(os.environ)
        env.update(self.env or {})
        cmd = [*self.prefix, self.program, "--port", "0", *self.case["program_args"]]
        self.t0 = time.monotonic()
        self.stderr = open(self.path("stderr"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env,
                                     preexec_fn=drive.die_with_parent)
        port = drive.read_ready_port(self.proc.stdout.fileno(), self.t0 + READY_SECONDS)
        if port == "timeout":
            self.kill()
            raise NoVerdict(f"{self.tag} {self.program}: no ready line in {READY_SECONDS} s")
        if port == "exited":
            self.kill()
            raise NoVerdict(f"{self.tag} {self.program}: exited before its ready line "
                            f"(status {self.proc.returncode}; {self.path('stderr')})")
        self.port = port
        self.ready_s = time.monotonic() - self.t0
        # Later output goes nowhere: a reader thread drains the pipe.
        threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()
        self.pid = self._pid()
        return self

    def drive(self, clients):
        """clients units of the case's scenario, by leaklab-check --drive:
        the judge's own clients. The shutdown scenario restarts its program,
        so for it the clients are held open instead (hold())."""
        if self.case["scenario"] == "shutdown":
            return
        cmd = [self.ctx.check, "--drive", "--case", self.case["name"], "--port", str(self.port),
               "--clients", str(clients), "--rate", "200"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        lines = out.stdout.strip().splitlines()
        try:
            last = json.loads(lines[-1])
        except (IndexError, ValueError):
            raise NoVerdict(f"{self.tag}: the clients gave no sample: {out.stderr.strip()}")
        # A burst's load is messages on one connection: "served" counts
        # connections, so only a client that could not connect is a fault.
        if last["connect_failed"] or last["served"] + last["failed"] < 1:
            raise NoVerdict(f"{self.case['name']} {self.tag}: clients could not connect: "
                            f"{lines[-1]}")
        self.served += clients

    def settle(self, seconds=5.0):
        """Waits until the program's threads and fds hold still for 300 ms
        (bounded): a client's thread still ending is not a leak."""
        deadline = time.monotonic() + seconds
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            try:
                now = (len(os.listdir(f"/proc/{self.pid}/task")),
                       len(os.listdir(f"/proc/{self.pid}/fd")))
            except OSError:
                return
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= 0.3:
                return
            time.sleep(0.05)

    def hold(self, clients):
        """For the shutdown scenario (12): clients connected and held
        across SIGTERM, as the judge's shutdown scenario holds them."""
        socks = []
        for _ in range(clients):
            socks.append(drive.ws_connect("127.0.0.1", self.port, self.case["path"],
                                          tls=drive.uses_tls(self.case)))
        self.served += clients
        return socks

    def stop(self, held=()):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.status = self.proc.wait(EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.status = None
        for s in held:
            s.close()
        self.kill()
        self.seconds = time.monotonic() - self.t0
        self.stderr.close()

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def run(self, mid=None):
        """The whole session: start, warm up, base point, the load, the
        second point, stop. mid(session, "base"|"load") runs at the two
        points. Returns self."""
        self.start()
        held = []
        try:
            if self.case["scenario"] != "shutdown":
                self.drive(1)
            self.settle()
            self.marks["base"] = time.monotonic() - self.t0
            if mid:
                mid(self, "base")
            load = self.case["load"]
            if self.case["scenario"] == "shutdown":
                held = self.hold(load)
            else:
                self.drive(load)
            self.settle()
            self.marks["load"] = time.monotonic() - self.t0
            if mid:
                mid(self, "load")
        except BaseException:
            for s in held:
                s.close()
            self.kill()
            raise
        self.stop(held)
        return self

    def err_text(self):
        with open(self.path("stderr"), "rb") as f:
            return f.read().decode(errors="replace")


def _drain(f):
    try:
        while f.read(65536):
            pass
    except (OSError, ValueError):
        pass


def _descendants(pid):
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


# ------------------------------------------------------------ detectors

def det_native(ctx, case, variant):
    s = Session(ctx, case, case[variant], tag=f"native-{variant}").run()
    ctx.native[case["name"], variant] = s.seconds
    return cell(f"exit {s.status}", False, s.seconds)


def det_kit(ctx, case, variant):
    """leaklab-check itself, natively: threads, fds and heap at N and 2N."""
    out = os.path.join(ctx.runs, f"kit-{case['name']}-{variant}.json")
    t0 = time.monotonic()
    r = subprocess.run([ctx.check, "--case", case["name"], "--variant", variant, "--native",
                        "--quiet", "--json", out], capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    if r.returncode == 2 or not os.path.exists(out):
        raise NoVerdict(f"kit {case['name']} {variant}: no verdict: {r.stdout[-500:]}")
    with open(out) as f:
        run = json.load(f)["runs"][0]
    parts, look = [], False
    for name, sig in run["signals"].items():
        st = sig.get("status") or ""
        pc = sig.get("per_client")
        if _grew(st):
            look = True
            if name == "heap":
                parts.append(f"heap +{pc:.0f} B/client")
            elif name == "race":
                parts.append(f"race {sig.get('at_2n')}")
            else:
                parts.append(f"{name} +{pc:.2f}/client")
    return cell(", ".join(parts) or "flat", look, secs)


def _grew(status):
    """A signal the checker judged and saw grow ("leaks (expected)",
    "grows"), not one it measured without judging ("grows (not judged)")."""
    return status.startswith("leaks") or (status.startswith("grows") and "not " not in status)


def _memcheck_prefix(s, extra=()):
    return ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=all",
            "--track-fds=yes", f"--suppressions={SUPP}", "--vgdb=yes",
            "--vgdb-error=999999", f"--log-file={s.path('valgrind.log')}", *extra]


LEAK_KINDS = ("definitely lost", "indirectly lost", "possibly lost", "still reachable")


def parse_leak_summary(text):
    """Bytes (and their increase where memcheck prints one) per kind from
    the last LEAK SUMMARY in text."""
    out = {}
    for kind in LEAK_KINDS:
        ms = re.findall(kind + r": ([0-9,]+) (?:\(([+-][0-9,]+)\) )?bytes", text)
        if ms:
            b, inc = ms[-1]
            out[kind] = (int(b.replace(",", "")), int(inc.replace(",", "")) if inc else None)
    return out


def count_open_fds(text):
    """The fds memcheck (--track-fds=yes, text only in 3.19) lists open at
    exit, but for the three standard ones and those the program inherited
    (Valgrind's own log among them). None if it printed no such list."""
    if "FILE DESCRIPTORS:" not in text:
        return None
    part = text[text.rfind("FILE DESCRIPTORS:"):]
    part = part.split("HEAP SUMMARY")[0]
    n = 0
    for block in re.split(r"\n==[0-9]+== (?=Open )", part)[1:]:
        n += "<inherited from parent>" not in block
    return n


def det_memcheck(ctx, case, variant):
    """One Valgrind memcheck session gives two columns: at exit (the leak
    summary and fds) and between two points (vgdb's leak_check after the
    warm-up and after the load)."""
    points = {}

    def mid(s, point):
        # After the warm-up a leak search sets the base; after the load,
        # "increased" prints what grew since and the summary's (+N).
        what = ["summary"] if point == "base" else ["full", "reachable", "increased"]
        r = subprocess.run(["vgdb", f"--pid={s.pid}", "leak_check", *what],
                           capture_output=True, text=True, timeout=120)
        points[point] = r.stdout + r.stderr

    s = Session(ctx, case, case[variant], tag=f"memcheck-{variant}")
    s.prefix = _memcheck_prefix(s)
    s.run(mid)
    with open(s.path("valgrind.log"), errors="replace") as f:
        text = f.read()
    # The exit summary is the last one in the log (vgdb's went to it too).
    tail = text[text.rfind("HEAP SUMMARY"):] if "HEAP SUMMARY" in text else text
    leaks = parse_leak_summary(tail)
    # Errors other than the leak records the ERROR SUMMARY also counts.
    errors = len(re.findall(r"^==[0-9]+== (?:Invalid (?:read|write|free)|Conditional jump|"
                            r"Use of uninitialised|Syscall param|Mismatched free)", text, re.M))
    fds = count_open_fds(text)
    b = {k: leaks.get(k, (0, None))[0] for k in LEAK_KINDS}
    value = (f"def {b['definitely lost']} ind {b['indirectly lost']} pos {b['possibly lost']} "
             f"reach {b['still reachable']} fds {fds if fds is not None else '?'}")
    if errors:
        value = f"{errors} errors, " + value
    # What memcheck calls an error by default (--errors-for-leak-kinds=
    # definite,possible), and fds left open: still reachable is not.
    lost = b["definitely lost"] + b["indirectly lost"] + b["possibly lost"]
    look = bool(lost or (fds or 0) > 0 or errors)
    if s.status != 0:
        value += f" (exit {s.status})"
    at_exit = cell(value, look, s.seconds)
    at_exit["bytes"] = b
    at_exit["fds"] = fds
    at_exit["errors"] = errors
    # Growth: the increase vgdb's second leak_check printed, all kinds.
    inc = parse_leak_summary(points.get("load", ""))
    if not inc:
        growth = not_run("vgdb gave no leak summary: " + points.get("load", "")[-200:])
    else:
        total = sum(v[1] or 0 for v in inc.values())
        per = total / case["load"]
        kinds = ", ".join(f"{k.split()[0][:4]} {v[1]:+d}" for k, v in inc.items() if v[1])
        growth = cell(f"{per:+.0f} B/client ({kinds or 'nothing grew'})",
                      per >= BYTES_PER_CLIENT, s.seconds)
        growth["per_client"] = per
    return {"memcheck-exit": at_exit, "memcheck-growth": growth}


def parse_sanitizer_leaks(text):
    m = re.findall(r"SUMMARY: \w+Sanitizer: ([0-9]+) byte\(s\) leaked in ([0-9]+) allocation", text)
    return (int(m[-1][0]), int(m[-1][1])) if m else (0, 0)


def det_lsan(ctx, case, variant, kind="lsan"):
    prog = ctx.sanitized(case, variant, kind)
    s = Session(ctx, case, prog, tag=f"{kind}-{variant}")
    opts = f"log_path={s.path('report')}:exitcode=23"
    env = {"LSAN_OPTIONS": opts, "ASAN_OPTIONS": opts}
    s.env = env
    s.run()
    text = _read_prefixed(s.path("report"))
    leaked, allocs = parse_sanitizer_leaks(text)
    errors = len(re.findall(r"ERROR: AddressSanitizer: (?!.*leak)", text))
    value = f"{leaked} B in {allocs} allocations" if leaked else "no leak"
    if errors:
        what = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", text).group(1)
        value = f"{what}; " + value
    c = cell(value, bool(leaked or errors), s.seconds)
    c["leaked"] = leaked
    return c


def det_asan(ctx, case, variant):
    return det_lsan(ctx, case, variant, "asan")


# A race detector sees a race only in a run where the two accesses meet.
# As the kit's own check gives a race case up to three more bursts, so does
# TSan here, for either variant: a fix must stay quiet in every run.
RACE_RUNS = 4


def det_tsan(ctx, case, variant):
    prog = ctx.sanitized(case, variant, "tsan")
    runs = RACE_RUNS if "race" in case["expect"] else 1
    seconds = 0.0
    for _ in range(runs):
        s = Session(ctx, case, prog, tag=f"tsan-{variant}")
        s.env = {"TSAN_OPTIONS": f"log_path={s.path('report')}:report_thread_leaks=1"}
        s.run()
        seconds += s.seconds
        text = _read_prefixed(s.path("report"))
        if "WARNING: ThreadSanitizer:" in text:
            break
    races = len(re.findall(r"WARNING: ThreadSanitizer: data race", text))
    # TSan folds alike thread leaks into one report: "And N more similar".
    tleaks = len(re.findall(r"WARNING: ThreadSanitizer: thread leak", text))
    tleaks += sum(int(n) for n in re.findall(r"And ([0-9]+) more similar thread leaks", text))
    other = len(re.findall(r"WARNING: ThreadSanitizer: (?!data race|thread leak)", text))
    value = f"races {races}, thread leaks {tleaks}" + (f", other {other}" if other else "")
    return cell(value, bool(races or tleaks or other), seconds)


def det_drd(ctx, case, variant):
    s = Session(ctx, case, case[variant], tag=f"drd-{variant}")
    s.prefix = ["valgrind", "--tool=drd", f"--log-file={s.path('drd.log')}",
                f"--suppressions={os.path.join(ROOT, 'harness', 'tools', 'valgrind-race.supp')}"]
    s.run()
    with open(s.path("drd.log"), errors="replace") as f:
        text = f.read()
    errs = re.findall(r"ERROR SUMMARY: ([0-9,]+) errors from ([0-9,]+) contexts", text)
    n = int(errs[-1][0].replace(",", "")) if errs else None
    conflicts = len(re.findall(r"Conflicting (?:load|store)", text))
    if n is None:
        return cell(f"no summary (exit {s.status})", None, s.seconds)
    return cell(f"{n} errors ({conflicts} conflicting accesses)", n > 0, s.seconds)


def det_heaptrack(ctx, case, variant):
    """heaptrack has no second point within a run: two runs, the case's
    load and twice it, and heaptrack_print --diff between them: what the
    second load left leaked that the first did not, per client."""
    runs = []
    for load in (case["load"], 2 * case["load"]):
        s = Session(ctx, dict(case, load=load), case[variant], tag=f"heaptrack-{variant}",
                    target="child")
        s.prefix = ["heaptrack", "-o", s.path("heaptrack")]
        s.run()
        files = [f for f in os.listdir(s.run_dir) if f.startswith("heaptrack.")]
        if not files:
            return cell(f"no data file: {s.err_text()[-200:]}", None, s.seconds)
        runs.append((s, s.path(files[0])))
    leaked = []
    for _, f in runs:
        out = _heaptrack_print(f)
        leaked.append(_human_bytes(re.search(r"total memory leaked: ([0-9.]+[KMG]?)B?", out)))
    diff = _heaptrack_print("--diff", runs[0][1], runs[1][1])
    grown = _human_bytes(re.search(r"total memory leaked: (-?[0-9.]+[KMG]?)B?", diff))
    secs = sum(s.seconds for s, _ in runs)
    if None in leaked or grown is None:
        return cell(f"no summary: {diff[-200:]}", None, secs)
    per = grown / case["load"]
    c = cell(f"{per:+.0f} B/client (diff); leaked at exit {kib(leaked[0])}",
             per >= BYTES_PER_CLIENT, secs)
    c["per_client"] = per
    return c


def _heaptrack_print(*args):
    r = subprocess.run(["heaptrack_print", "--print-leaks", "0", "--print-peaks", "0",
                        "--print-allocators", "0", "--print-temporary", "0",
                        *args],
                       capture_output=True, text=True, timeout=120)
    return r.stdout + r.stderr


def _human_bytes(m):
    if not m:
        return None
    v = m.group(1)
    if v[-1] not in "KMG" and not v[-1].isdigit():
        return None
    mult = {"K": 1000, "M": 1000**2, "G": 1000**3}.get(v[-1], 1)
    return float(v.rstrip("KMG")) * mult


def det_massif(ctx, case, variant):
    """massif's heap at the two points (vgdb's snapshot command), and its
    peak with the site in the case's file that held most of it."""
    def mid(s, point):
        subprocess.run(["vgdb", f"--pid={s.pid}", "snapshot", s.path(f"snap-{point}")],
                       capture_output=True, text=True, timeout=120)

    s = Session(ctx, case, case[variant], tag=f"massif-{variant}")
    s.prefix = ["valgrind", "--tool=massif", "--time-unit=ms", "--vgdb=yes",
                "--vgdb-error=999999", f"--massif-out-file={s.path('massif.out')}",
                f"--log-file={s.path('massif.log')}"]
    s.run(mid)
    try:
        snaps = {p: _massif_snapshots(s.path(f"snap-{p}"))[-1][1] for p in ("base", "load")}
        snaps_all = _massif_snapshots(s.path("massif.out"))
    except (OSError, IndexError):
        return cell(f"no massif output (exit {s.status})", None, s.seconds)
    per = (snaps["load"] - snaps["base"]) / case["load"]
    peak_t, peak, peak_block = max(snaps_all, key=lambda x: x[1])
    # What held the peak: the first entry in the case's own file, the
    # biggest (massif sorts a tree's children by size).
    src = os.path.basename(case[variant]).rsplit("-", 1)[1] + ".c"
    m = re.search(r"n[0-9]+: ([0-9]+) 0x[0-9A-F]+: (\w+) \((" + re.escape(src)
                  + r"):([0-9]+)\)", peak_block)
    site = f" by {m.group(2)} ({m.group(3)}:{m.group(4)})" if m else ""
    c = cell(f"{per:+.0f} B/client; peak {kib(peak)}{site}", per >= BYTES_PER_CLIENT, s.seconds)
    c["per_client"] = per
    return c


def _massif_snapshots(path):
    """[(time, heap bytes with the allocator's extra, the snapshot's text)]."""
    with open(path, errors="replace") as f:
        text = f.read()
    snaps = []
    for block in text.split("snapshot=")[1:]:
        t = int(re.search(r"time=([0-9]+)", block).group(1))
        h = int(re.search(r"mem_heap_B=([0-9]+)", block).group(1))
        x = int(re.search(r"mem_heap_extra_B=([0-9]+)", block).group(1))
        snaps.append((t, h + x, block))
    return snaps


def det_prometheus(ctx, case, variant):
    return ctx.prometheus_cell(case, variant)


def det_bcc(ctx, case, variant):
    return not_run(ctx.bcc_why())


def _read_prefixed(prefix):
    """A sanitizer's log_path=F writes F.PID: every such file's text."""
    d, base = os.path.split(prefix)
    text = ""
    for f in sorted(os.listdir(d)):
        if f.startswith(base + "."):
            with open(os.path.join(d, f), errors="replace") as fh:
                text += fh.read()
    return text


# The columns, in the order a reader meets them: (key, title, function).
# memcheck's one session fills two columns.
DETECTORS = [
    ("kit", "kit growth", det_kit),
    ("memcheck-exit", "memcheck exit", det_memcheck),
    ("memcheck-growth", "memcheck growth", None),
    ("lsan", "LeakSanitizer", det_lsan),
    ("asan", "ASan", det_asan),
    ("heaptrack", "heaptrack", det_heaptrack),
    ("massif", "massif", det_massif),
    ("tsan", "TSan", det_tsan),
    ("drd", "DRD", det_drd),
    ("prometheus", "Prometheus", det_prometheus),
    ("bcc", "bcc memleak", det_bcc),
]


# -------------------------------------------------------------- context

class Context:
    def __init__(self, args):
        self.check = args.check
        self.build = args.build
        self.out = os.path.join(self.build, "detectors")
        # A re-check of the doc (the ctest) keeps its runs apart from a
        # whole run's.
        self.runs = args.runs or os.path.join(self.out, "verify-runs" if args.verify_doc else "runs")
        shutil.rmtree(self.runs, ignore_errors=True)
        os.makedirs(self.runs, exist_ok=True)
        self.native = {}
        self.lock = threading.Lock()
        self.built = {}
        self.prom = {}
        self._bcc = None

    # The sanitizer builds: clang, the kit's flags, the sanitizer, into
    # BUILD/detectors/KIND/ (remade when a source is newer).
    def sanitized(self, case, variant, kind):
        src = os.path.join(case["source"], f"{variant}.c")
        d = os.path.join(self.out, kind)
        exe = os.path.join(d, f"{case['name']}-{variant}")
        with self.lock:
            lib = self._sanitized_lib(kind)
            deps = [os.path.join(case["source"], f) for f in os.listdir(case["source"])
                    if f.endswith((".c", ".h"))]
            if _newer(exe, [*deps, *lib]):
                return exe
            # The case's shared parts (any other .c beside leak.c and fixed.c), as CMake builds it.
            shared = sorted(os.path.join(case["source"], f) for f in os.listdir(case["source"])
                            if f.endswith(".c") and f not in ("leak.c", "fixed.c"))
            cmd = ["clang", *_CFLAGS, f"-I{case['source']}", f"-fsanitize={SANITIZERS[kind]}",
                   "-o", exe, src, *shared, *lib, "-lssl", "-lcrypto", "-lpthread"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                raise NoVerdict(f"clang -fsanitize={SANITIZERS[kind]} {src}: {r.stderr[-800:]}")
        return exe

    def _sanitized_lib(self, kind):
        if kind in self.built:
            return self.built[kind]
        d = os.path.join(self.out, kind, "lib")
        os.makedirs(d, exist_ok=True)
        objs = []
        srcdir = os.path.join(ROOT, "lib", "src")
        for f in sorted(os.listdir(srcdir)):
            if not f.endswith(".c"):
                continue
            src, obj = os.path.join(srcdir, f), os.path.join(d, f[:-2] + ".o")
            headers = [os.path.join(srcdir, "internal.h")]
            inc = os.path.join(ROOT, "lib", "include", "leaklab")
            headers += [os.path.join(inc, h) for h in os.listdir(inc)]
            if not _newer(obj, [src, *headers]):
                r = subprocess.run(["clang", *_CFLAGS, f"-fsanitize={SANITIZERS[kind]}", "-c",
                                    "-o", obj, src], capture_output=True, text=True)
                if r.returncode:
                    raise NoVerdict(f"clang {src}: {r.stderr[-800:]}")
            objs.append(obj)
        self.built[kind] = objs
        return objs

    def bcc_why(self):
        """Why bcc's memleak does not run here, from memleak's own words
        when it tried (or None if it would)."""
        if self._bcc is not None:
            return self._bcc
        tool = shutil.which("memleak-bpfcc") or "/usr/sbin/memleak-bpfcc"
        if not os.path.exists(tool):
            self._bcc = "not installed (Debian package bpfcc-tools)"
            return self._bcc
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            r = subprocess.run([tool, "-p", str(sleeper.pid), "1", "1"], capture_output=True,
                               text=True, timeout=60)
            text = r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            text = "timed out"
        finally:
            sleeper.kill()
            sleeper.wait()
        m = re.search(r"Unable to find kernel headers[^\n]*|Exception: [^\n]*|Failed[^\n]*", text)
        if m or "Traceback" in text:
            first = re.search(r"Unable to find kernel headers", text)
            self._bcc = (f"cannot run here: no kernel headers for {os.uname().release} "
                         "(CONFIG_IKHEADERS unset, no linux-headers package), so BPF cannot "
                         "compile" if first else f"cannot run here: {m.group(0) if m else text[-200:]}")
        else:
            self._bcc = ""
        return self._bcc

    def prometheus_cell(self, case, variant):
        return self.prom.get((case["name"], variant)) or not_run("not measured")


_CFLAGS = ["-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "lib", "include"), "-g", "-O1",
           "-fno-omit-frame-pointer", "-std=c11", "-w"]


def _newer(target, sources):
    try:
        t = os.path.getmtime(target)
    except OSError:
        return False
    return all(os.path.getmtime(s) <= t for s in sources)


# ----------------------------------------------------------- Prometheus

def run_prometheus(ctx, cases, seconds=6.0, rate=5.0):
    """Debian's prometheus scraping every case's two programs at once
    (natively, each on its own port, every second) while the judge's
    clients come at rate a second for seconds; then deriv() of each gauge
    over a window from before the load to after it settled. Fills
    ctx.prom; a case whose leak the /metrics gauges cannot carry gets a
    reason instead."""
    sys.path.insert(0, os.path.join(ROOT, "harness", "pictures", "prometheus"))
    import test_prometheus as tp
    binary = shutil.which("prometheus")
    why = None
    if not binary:
        why = "not installed (Debian package prometheus)"
    todo = []
    for m in cases:
        for v in ("leak", "fixed"):
            if why:
                ctx.prom[m["name"], v] = not_run(why)
            elif m["scenario"] == "shutdown":
                ctx.prom[m["name"], v] = not_run("the leak happens at SIGTERM, after the last scrape")
            elif m.get("tls"):
                ctx.prom[m["name"], v] = not_run("/metrics is wss-only here, with a certificate "
                                                 "made at start: not scraped")
            else:
                todo.append((m, v))
    if not todo:
        return
    programs = {}
    t0 = time.monotonic()
    prom = None
    with tempfile.TemporaryDirectory(prefix="prom-", dir=ctx.runs) as tmp:
        try:
            for m, v in todo:
                programs[m["name"], v] = drive.Program(m[v], m["program_args"]).start()
            for (name, v), p in programs.items():
                m = next(c for c, _ in todo if c["name"] == name)
                drive.run_client(m, p.port, check=ctx.check)
            config = os.path.join(tmp, "prometheus.yml")
            tp.write_config(config, programs)
            prom, port = _start_prom(tp, binary, config, tmp)
            tp.wait_scraped(port, len(programs), time.time(), 20)
            time.sleep(3)
            start = time.time()
            by_case = {}
            for m, v in todo:
                by_case.setdefault(m["name"], (m, {}))[1][v] = programs[m["name"], v].port
            loads = [drive.Load(m, ports, rate=rate, seconds=seconds, check=ctx.check).start()
                     for m, ports in by_case.values()]
            while any(ld.running() for ld in loads):
                time.sleep(0.2)
            for ld in loads:
                ld.stop()
            time.sleep(4)
            at = time.time()
            tp.wait_scraped(port, len(programs), at - 1, 10)
            window = int(at - start) + 3
            secs = time.monotonic() - t0
            for m, v in todo:
                parts, look = [], False
                for sig, metric in drive.METRICS.items():
                    sel = f'{metric}{{case="{m["name"]}",variant="{v}"}}'
                    rows = tp.query(port, f"deriv({sel}[{window}s])", at)
                    slope = rows[0][1] if rows else 0.0
                    per = slope / rate
                    limit = tp.LIMIT_PER_CLIENT[sig]
                    if per >= limit:
                        look = True
                        parts.append(f"{sig} {slope:+.3g}/s" if sig != "heap"
                                     else f"heap {slope:+.0f} B/s")
                if "race" in m["expect"]:
                    value = ", ".join(parts) or "flat (a race is not a count)"
                else:
                    value = ", ".join(parts) or "flat"
                c = cell(value, look, secs / len(todo))
                ctx.prom[m["name"], v] = c
        finally:
            if prom is not None:
                drive.stop_group(prom)
            for p in programs.values():
                p.stop()


def _start_prom(tp, binary, config, tmp):
    try:
        return tp.start_prometheus(binary, config, tmp)
    except SystemExit:
        raise NoVerdict("prometheus did not start (see above)")


# ---------------------------------------------------------------- twins

def run_twins(ctx, case):
    """Each twin's own runtime count (pprof's goroutines, Node.js's active
    resources, asyncio's tasks), by leaklab-check --twin, and goleak for a
    Go twin with a go test: {lang: {"runtime": {variant: cell}, "goleak": ...}}."""
    out = {}
    for t in case.get("twins") or []:
        lang = t["lang"]
        row = {"runtime": {}, "name": t["runtime"]}
        for v in ("leak", "fixed"):
            if t.get("skip"):
                row["runtime"][v] = not_run(t["skip"])
                continue
            js = os.path.join(ctx.runs, f"twin-{case['name']}-{lang}-{v}.json")
            t0 = time.monotonic()
            r = subprocess.run([ctx.check, "--case", case["name"], "--twin", lang, "--variant", v,
                                "--quiet", "--json", js], capture_output=True, text=True,
                               timeout=600)
            secs = time.monotonic() - t0
            if r.returncode == 2 or not os.path.exists(js):
                row["runtime"][v] = not_run(f"no verdict (exit {r.returncode})")
                continue
            with open(js) as f:
                run = json.load(f)["runs"][0]
            sig = run["signals"].get("runtime") or {}
            pc = sig.get("per_client")
            # The runtime's own count, and any other signal that grew
            # (a Go map's leak is heap, not goroutines).
            value = (f"{t['runtime']} {pc:+.2f}/client" if pc is not None
                     else f"{t['runtime']} {sig.get('status') or 'not measured'}")
            # The twin's own verdict: a leak reproduced (exit 0) is a
            # look; a fix judged clean (exit 0) is quiet.
            look = (r.returncode == 0) == (v == "leak")
            for name, sg in run["signals"].items():
                st = sg.get("status") or ""
                if _grew(st) and v == "leak":
                    if name != "runtime" and sg.get("per_client") is not None:
                        unit = " B" if name == "heap" else ""
                        value += f", {name} {sg['per_client']:+.{0 if unit else 2}f}{unit}/client"
            row["runtime"][v] = cell(value, look, secs)
        if lang == "go":
            row["goleak"] = {v: goleak(ctx, case, v) for v in ("leak", "fixed")}
        out[lang] = row
    return out


def go_cache(build):
    """LEAKLAB_GO_CACHE from the build tree's CMakeCache.txt, or the build
    tree's own go-cache where it says nothing."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("LEAKLAB_GO_CACHE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return f"{os.path.abspath(build)}/go-cache"


def goleak(ctx, case, variant):
    d = os.path.join(case["source"], "go")
    if not os.path.exists(os.path.join(d, "twin_test.go")):
        return not_run("no go test for this twin")
    # The twins' own build cache (LEAKLAB_GO_CACHE): ctest gives it as
    # GOCACHE; run by hand, the build tree's CMake cache says where it is.
    cache = os.environ.get("GOCACHE") or go_cache(ctx.build)
    env = dict(os.environ, GO111MODULE="off", GOPROXY="off", GOFLAGS="",
               GOPATH=f"{os.path.abspath(ctx.build)}/gopath:/usr/share/gocode",
               GOCACHE=cache)
    race = ["-race"] if case["name"].startswith("14-") else []
    t0 = time.monotonic()
    r = subprocess.run(["go", "test", "-count=1", *race, f"{variant}.go", "twin_test.go"],
                       cwd=d, env=env, capture_output=True, text=True, timeout=300)
    secs = time.monotonic() - t0
    text = r.stdout + r.stderr
    m = re.search(r"found unexpected goroutines:?\s*\[?([^\n]*)", text)
    n = len(re.findall(r"^\s*\[?Goroutine [0-9]+ in state", text, re.M))
    if r.returncode == 0:
        return cell("ok", False, secs)
    if m or n:
        return cell(f"{n} unexpected goroutines", True, secs)
    first = next((ln.strip() for ln in text.splitlines() if "FAIL" in ln or "Error" in ln
                  or "race" in ln.lower()), text.strip()[-120:])
    return cell(f"test failed: {' '.join(first.split())[:80]}", True, secs)


# ---------------------------------------------------------------- render

COLS = [(k, t) for k, t, _ in DETECTORS]


def _cols(result):
    return [(c["key"], c["title"]) for c in result["columns"]]


def symbol(leak, fixed):
    if leak is None or fixed is None or leak["look"] is None or fixed["look"] is None:
        return "n/a"
    s = "+" if leak["look"] else "-"
    return s + ("!" if fixed["look"] else "")


def cost(c, native):
    if c.get("seconds") is None:
        return ""
    if native:
        return f"{c['seconds']:.1f} s, {c['seconds'] / native:.1f}x"
    return f"{c['seconds']:.1f} s"


def render(result):
    lines = []
    cases = result["cases"]
    lines.append(f"which detector sees which leak: {len(cases)} cases, leak and fix, each on its own "
                 "scenario and load")
    lines.append("+ the leak's number would make a person look, - it would not; ! the fix's would "
                 "too; n/a not run (see the case)")
    cols = _cols(result)
    head = f"{'case':<24}" + "".join(f"{_short(t):>11}" for _, t in cols)
    lines.append(head)
    for c in cases:
        row = f"{c['name']:<24}"
        for k, _ in cols:
            cells = c["cells"].get(k, {})
            row += f"{symbol(cells.get('leak'), cells.get('fixed')):>11}"
        lines.append(row.rstrip())
    every = [cc for c in cases for cc in c["cells"].values()]
    every += [row[k] for c in cases for row in c.get("twins", {}).values()
              for k in ("runtime", "goleak") if k in row]
    wl = max([len(_cell(cc.get("leak"))) for cc in every] + [40]) + 2
    wf = max([len(_cell(cc.get("fixed"))) for cc in every] + [40]) + 2
    for c in cases:
        lines.append("")
        nat = c["native"]
        lines.append(f"{c['name']}: {c['scenario']}, {c['load']} {c['unit']} after 1 warm-up "
                     f"(native session: leak {nat['leak']:.1f} s, fixed {nat['fixed']:.1f} s)")
        lines.append(f"  {'detector':<16}{'leak':<{wl}}{'fixed':<{wf}}cost (leak)")
        for k, title in cols:
            cells = c["cells"].get(k, {})
            lk, fx = cells.get("leak"), cells.get("fixed")
            if lk and lk["look"] is None and fx and fx["look"] is None and lk["value"] == fx["value"]:
                lines.append(f"  {title:<16}not run: {lk['value']}")
                continue
            lines.append(f"  {title:<16}{_cell(lk):<{wl}}{_cell(fx):<{wf}}"
                         f"{cost(lk, nat['leak']) if lk else ''}".rstrip())
        for lang, row in c.get("twins", {}).items():
            for k in ("runtime", "goleak"):
                if k not in row:
                    continue
                title = f"{lang} {row['name'] if k == 'runtime' else 'goleak'}"
                lk, fx = row[k]["leak"], row[k]["fixed"]
                lines.append(f"  {title:<16}{_cell(lk):<{wl}}{_cell(fx):<{wf}}"
                             f"{lk['seconds']:.1f} s" if lk.get("seconds") else
                             f"  {title:<16}{_cell(lk):<{wl}}{_cell(fx)}".rstrip())
    lines.append("")
    lines.append(f"{result['sessions']} sessions in {result['seconds']:.0f} s, {result['jobs']} at "
                 "a time")
    return "\n".join(lines) + "\n"


def _short(title):
    return {"memcheck exit": "mc-exit", "memcheck growth": "mc-growth", "LeakSanitizer": "LSan",
            "bcc memleak": "bcc", "Prometheus": "Prometheus", "kit growth": "kit"}.get(title, title)


def _cell(c):
    if c is None:
        return "-"
    if c["look"] is None:
        return f"n/a: {c['value']}"[:60]
    return f"{'LOOK' if c['look'] else 'quiet'} {c['value']}"


# ------------------------------------------------------------------ main

def plan(ctx, name):
    try:
        p = drive.read_case(name, ctx.check)
    except drive.DriveError as e:
        raise NoVerdict(str(e))
    return p


def run_cells(ctx, cases, keys, jobs, twins):
    """Every (case, detector, variant) session, jobs at a time, the native
    ones first (every cost is against them). Returns {name: {key: {variant:
    cell}}}."""
    funcs = {k: f for k, _, f in DETECTORS if f}
    cells = {c["name"]: {} for c in cases}
    n = 0
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        futs = {ex.submit(det_native, ctx, c, v): (c, "native", v)
                for c in cases for v in ("leak", "fixed")}
        concurrent.futures.wait(futs)
        for f in futs:
            f.result()
        n += len(futs)
        futs = {}
        for c in cases:
            for k in keys:
                if k in ("prometheus", "bcc", "memcheck-growth") or k not in funcs:
                    continue
                for v in ("leak", "fixed"):
                    futs[ex.submit(funcs[k], ctx, c, v)] = (c, k, v)
        if twins:
            for c in cases:
                futs[ex.submit(run_twins, ctx, c)] = (c, "twins", None)
        for f in concurrent.futures.as_completed(futs):
            c, k, v = futs[f]
            res = f.result()
            if k == "twins":
                cells[c["name"]]["twins"] = res
                continue
            n += 1
            if k == "memcheck-exit":
                for kk, cc in res.items():
                    if kk in keys:
                        cells[c["name"]].setdefault(kk, {})[v] = cc
            else:
                cells[c["name"]].setdefault(k, {})[v] = res
            log(f"{c['name']} {k} {v}: {_cell(cells[c['name']].get(k, {}).get(v)) if k != 'memcheck-exit' else 'done'}")
    if "prometheus" in keys:
        try:
            run_prometheus(ctx, cases)
        except (SystemExit, OSError, drive.DriveError, NoVerdict) as e:
            why = f"prometheus failed: {e}"
            for c in cases:
                for v in ("leak", "fixed"):
                    ctx.prom.setdefault((c["name"], v), not_run(why))
        n += 1
    if "bcc" in keys:
        ctx.bcc_why()
    for c in cases:
        for k in ("prometheus", "bcc"):
            if k in keys:
                for v in ("leak", "fixed"):
                    cells[c["name"]].setdefault(k, {})[v] = (
                        det_prometheus(ctx, c, v) if k == "prometheus" else det_bcc(ctx, c, v))
    return cells, n


def markdown(text, result):
    """The text cut where docs/detectors.md quotes it: the grid, then a
    heading per case (the walkthroughs link to it) above its block."""
    chunks = text.rstrip("\n").split("\n\n")
    mark = (f"<!-- output: none (generated by ./leaklab detectors --markdown; its costs follow "
            f"the machine's load; ctest -L detectors re-runs the decisive cells) -->")
    out = [mark, "```text", chunks[0], chunks[-1], "```", ""]
    for c, chunk in zip(result["cases"], chunks[1:-1]):
        out += [f"### {c['name']}", "", mark, "```text", chunk, "```", ""]
    return "\n".join(out)


def parse_doc_grid(path):
    """The summary grid quoted in the doc: {case: {column title: symbol}}."""
    with open(path) as f:
        text = f.read()
    grid, head = {}, None
    for line in text.splitlines():
        if line.startswith("case ") and "mc-exit" in line:
            head = line.split()[1:]
            continue
        if head and re.match(r"^[0-9][0-9]-[a-z-]+\s", line):
            parts = line.split()
            if len(parts) == len(head) + 1:
                grid[parts[0]] = dict(zip(head, parts[1:]))
        elif head and not line.strip():
            if grid:
                break
    return grid


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("cases", nargs="*", metavar="NN")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--text")
    ap.add_argument("--markdown", help="the matrix as docs/detectors.md quotes it: the grid, "
                    "then one heading and block per case")
    ap.add_argument("--no-twins", dest="twins", action="store_false",
                    help="the C programs only: not the twins' own counts and goleak")
    # Still taken, as the default it now is.
    ap.add_argument("--twins", dest="twins", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--detectors", help="only these columns (comma-separated keys)")
    ap.add_argument("--write-doc", metavar="MD", help="put this run's grid rows and blocks into "
                    "the doc (docs/detectors.md), then check its prose against them")
    ap.add_argument("--verify-doc", metavar="MD")
    ap.add_argument("--runs", metavar="DIR", help="where the sessions' files go (emptied first); "
                    "checks that run side by side each need their own")
    ap.add_argument("--cells", help="with --verify-doc: NN:KEY,... to re-run")
    args = ap.parse_args()
    if args.write_doc and not args.twins:
        ap.error("--write-doc: the doc quotes the twins' rows too; leave out --no-twins")
    t0 = time.monotonic()
    try:
        ctx = Context(args)
        names = drive.case_names(args.check)
        if args.verify_doc:
            return verify_doc(ctx, args, names)
        if args.cases:
            want = [n if "-" in n else next((x for x in names if x.startswith(n + "-")), n)
                    for n in args.cases]
            names = [n for n in names if n in want]
            if not names:
                raise NoVerdict(f"no such case: {' '.join(args.cases)}")
        keys = [k for k, _, _ in DETECTORS]
        if args.detectors:
            keys = [k for k in keys if k in args.detectors.split(",")]
        cases = [plan(ctx, n) for n in names]
        cells, n = run_cells(ctx, cases, keys, args.jobs, args.twins)
    except NoVerdict as e:
        print(f"detectors: no verdict: {e}", file=sys.stderr)
        return 2
    result = {"tool": "leaklab detectors", "jobs": args.jobs, "sessions": n,
              "seconds": time.monotonic() - t0, "columns": [{"key": k, "title": t} for k, t in COLS if k in keys],
              "cases": []}
    for c in cases:
        result["cases"].append({
            "name": c["name"], "scenario": c["scenario"], "load": c["load"], "unit": c["unit"],
            "native": {v: ctx.native[c["name"], v] for v in ("leak", "fixed")},
            "cells": {k: v for k, v in cells[c["name"]].items() if k != "twins"},
            "twins": cells[c["name"]].get("twins", {}),
        })
    text = render(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.text:
        with open(args.text, "w") as f:
            f.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(text, result))
    sys.stdout.write(text)
    if args.write_doc:
        return write_doc(args.write_doc, text, result, len(names) == len(drive.case_names(args.check)))
    return 0


def write_doc(path, text, result, whole):
    """Puts this run's blocks into the doc in place of the ones it quotes:
    each case run gets its block and its row of the grid; a run of every
    case gets the grid's last line too (sessions and seconds). The prose
    is left alone, and lint_doc then says whether it still holds."""
    with open(path) as f:
        doc = f.read()
    chunks = text.rstrip("\n").split("\n\n")
    fence = re.compile(r"(```text\n)(.*?)(```)", re.S)
    blocks = fence.findall(doc)
    if not blocks:
        raise SystemExit(f"{path}: no text blocks to write")
    grid = blocks[0][1].splitlines()
    rows = {ln.split()[0]: ln for ln in chunks[0].splitlines() if re.match(r"^\d\d-", ln)}
    grid = [rows.get(ln.split()[0], ln) if re.match(r"^\d\d-", ln) else ln for ln in grid]
    if whole:
        grid = chunks[0].splitlines() + [chunks[-1]]
    new_blocks = {c["name"]: chunk for c, chunk in zip(result["cases"], chunks[1:-1])}
    out, i = [], 0
    for n, m in enumerate(fence.finditer(doc)):
        body = m.group(2)
        if n == 0:
            body = "\n".join(grid) + "\n"
        else:
            name = body.split(":", 1)[0]
            if name in new_blocks:
                body = new_blocks[name] + "\n"
        out.append(doc[i:m.start()] + m.group(1) + body + m.group(3))
        i = m.end()
    out.append(doc[i:])
    with open(path, "w") as f:
        f.write("".join(out))
    import lint_doc
    errors, _ = lint_doc.lint(path)
    for e in errors:
        print(f"detectors: {path}: {e}", file=sys.stderr)
    print(f"detectors: wrote {len(new_blocks)} case(s) into {path}"
          f"{'' if not errors else f'; {len(errors)} claim(s) of its prose no longer hold'}",
          file=sys.stderr)
    return 1 if errors else 0


def verify_doc(ctx, args, names):
    """Re-runs each NN:KEY cell (both variants) and compares its symbol with
    the doc's grid."""
    grid = parse_doc_grid(args.verify_doc)
    if not grid:
        raise NoVerdict(f"{args.verify_doc}: no summary grid found")
    titles = {k: _short(t) for k, t in COLS}
    funcs = {k: f for k, _, f in DETECTORS}
    funcs["memcheck-growth"] = det_memcheck
    bad = 0
    memo = {}
    for spec in (args.cells or "").split(","):
        num, key = spec.split(":")
        name = next((x for x in names if x.startswith(num + "-")), None)
        if not name or key not in titles:
            raise NoVerdict(f"bad cell {spec}")
        want = grid.get(name, {}).get(titles[key])
        if want is None:
            raise NoVerdict(f"{args.verify_doc}: no cell {name} {titles[key]}")
        case = plan(ctx, name)
        got = {}
        for v in ("leak", "fixed"):
            if (name, funcs[key], v) not in memo:
                memo[name, funcs[key], v] = funcs[key](ctx, case, v)
            r = memo[name, funcs[key], v]
            got[v] = r[key] if isinstance(r, dict) and key in r else r
        sym = symbol(got["leak"], got["fixed"])
        ok = sym == want
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'}: {name} {titles[key]}: {sym} (the doc says {want}); "
              f"leak: {_cell(got['leak'])}; fixed: {_cell(got['fixed'])}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
