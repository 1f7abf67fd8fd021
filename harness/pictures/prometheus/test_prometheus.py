"""A real Prometheus scraping a case: Debian's prometheus on 127.0.0.1.

    test_prometheus.py LEAKLAB_CHECK [NN-slug...] [--load-seconds S] [--rate R]

Starts the leak and fixed programs of each case given (default: every
built case), as the checker's plans name them, writes a Prometheus
config that scrapes them all every second (labels case="NN-slug" and
variant="leak" or "fixed") and
loads the kit's alert rules (leaklab.rules.yml beside this file), starts
prometheus on a free 127.0.0.1 port with a fresh data directory, waits
until every target is up, drives R clients a second into each for S
seconds, lets the programs settle, and then asks Prometheus's HTTP API:

- for every signal the case's leak shows, PromQL
  `deriv(METRIC{variant="leak"}[W]) > LIMIT` must return the leak's series
  and the same query for variant="fixed" nothing, over a window W from
  before the load to after it settled (so the fix's brief rises while a
  client is in flight cancel out, and the leak's climb does not);
- the shipped rules are loaded and healthy, and the alert for each of
  those signals is pending (or firing) for the leak;
- with --dashboard PATH (the Grafana dashboard, harness/pictures/grafana/
  leaklab.json), every PromQL expression in it parses, names only metrics
  the programs export, and returns a series (dashboard.py).

Exit 0 pass, 1 fail, 77 skipped with the reason (prometheus not installed,
no free port). Every wait is bounded.
"""
import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ in the source tree for the modules imported.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, HERE)
import leaklab_drive as drive  # noqa: E402
import dashboard  # noqa: E402

RULES = os.path.join(HERE, "leaklab.rules.yml")
ALERTS = {"threads": "LeaklabThreadGrowth", "fds": "LeaklabFdGrowth", "heap": "LeaklabHeapGrowth"}
# The slope (per second) that separates leak from fix, per client a second
# of load: the kit's cases leak one fd or thread (or two) or 1.1 KiB of
# heap per client, their fixes nothing once a client is gone, so a quarter
# of a thread or fd, or 256 bytes, per client is far from both.
LIMIT_PER_CLIENT = {"threads": 0.25, "fds": 0.25, "heap": 256.0}
SCRAPE_SECONDS = 1
# The scenarios whose clients come and go, one leak unit each.
GROWTH_SCENARIOS = ("connect-close", "connect-drop", "request")
BASELINE_SCRAPES = 3
SETTLE_SCRAPES = 4
START_SECONDS = 30






def free_port():
    """A port nobody listens on right now. Prometheus cannot report the
    port it got for :0, so we choose; if another process takes it in
    between, start_prometheus() sees "address already in use" and tries
    another."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, programs):
    """programs: {(case, variant): Program}. JSON is YAML, so the config
    needs no YAML writer."""
    targets = [{"targets": [f"127.0.0.1:{p.port}"], "labels": {"case": c, "variant": v}}
               for (c, v), p in programs.items()]
    config = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": f"{SCRAPE_SECONDS}s",
                   "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": [RULES],
        "scrape_configs": [{"job_name": "leaklab", "metrics_path": "/metrics",
                            "static_configs": targets}],
    }
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


def api(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise drive.DriveError(f"{path}: {body}")
    return body["data"]


def query(port, promql, at):
    """The instant vector promql at Unix time at, as [(labels, value)]."""
    data = api(port, "/api/v1/query", query=promql, time=f"{at:.3f}")
    return [(r["metric"], float(r["value"][1])) for r in data["result"]]


def start_prometheus(prometheus, config, tmp):
    """prometheus on a free port, in its own process group; returns (proc,
    port) once /-/ready answers. Skips if three ports in a row were taken;
    fails with its log if it will not start for another reason."""
    log_path = os.path.join(tmp, "prometheus.log")
    for attempt in range(3):
        port = free_port()
        data = os.path.join(tmp, f"data{attempt}")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([prometheus, f"--config.file={config}",
                                     f"--storage.tsdb.path={data}",
                                     f"--web.listen-address=127.0.0.1:{port}",
                                     "--storage.tsdb.retention.time=1h"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    preexec_fn=drive.die_with_parent)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return proc, port
            except OSError:
                pass
            time.sleep(0.2)
        drive.stop_group(proc)
        with open(log_path, "rb") as f:
            log_text = f.read().decode(errors="replace")
        if "address already in use" in log_text:
            continue
        drive.fail(f"prometheus did not become ready within {START_SECONDS} s "
             f"(status {proc.returncode}): {log_text[-2000:]}")
    drive.skip("no free port for prometheus on 127.0.0.1: three in a row were taken")




def wait_scraped(port, targets, at_least, seconds):
    """Waits until Prometheus holds a sample at or after Unix time
    at_least from every one of its targets (scrapes run every second:
    bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = query(port, 'timestamp(up{job="leaklab"} == 1)', time.time())
        if len(rows) == targets and all(v >= at_least for _, v in rows):
            return
        time.sleep(0.5)
    drive.fail(f"prometheus did not scrape all {targets} programs within {seconds} s: {rows}")


def check_rules(port, cases_driven):
    groups = api(port, "/api/v1/rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    for name in ALERTS.values():
        if name not in rules:
            drive.fail(f"rule {name} is not loaded (loaded: {sorted(rules)})")
        if rules[name]["health"] != "ok":
            drive.fail(f"rule {name}: health {rules[name]['health']}: {rules[name].get('lastError')}")
    for m in cases_driven:
        for signal_name in m["expect"]:
            name = ALERTS[signal_name]
            states = {a["labels"].get("variant"): a["state"] for a in rules[name]["alerts"]
                      if a["labels"].get("case") == m["name"]}
            if states.get("leak") not in ("pending", "firing"):
                drive.fail(f"{name} is not pending for {m['name']}'s leak ({states or 'no alerts'})")
            fix = "" if "fixed" not in states else f", {states['fixed']} for the fix"
            print(f"ok: {m['name']}: rule {name} is {states['leak']} for the leak{fix}", flush=True)
    print(f"ok: the {len(ALERTS)} rules of leaklab.rules.yml are loaded and healthy", flush=True)


def check_growth(port, m, rate, window, at):
    """The PromQL verdict on one case: every signal its leak shows must
    have a slope above the limit for the leak and not for the fix."""
    for signal_name in m["expect"]:
        metric = drive.METRICS[signal_name]
        limit = LIMIT_PER_CLIENT[signal_name] * rate
        sel = {v: f'{metric}{{case="{m["name"]}",variant="{v}"}}' for v in ("leak", "fixed")}
        slopes = {}
        for v in ("leak", "fixed"):
            rows = query(port, f"deriv({sel[v]}[{window}s])", at)
            slopes[v] = rows[0][1] if rows else None
        leak_q = f"deriv({sel['leak']}[{window}s]) > {limit:g}"
        fixed_q = f"deriv({sel['fixed']}[{window}s]) > {limit:g}"
        leak_rows, fixed_rows = query(port, leak_q, at), query(port, fixed_q, at)
        if len(leak_rows) != 1:
            drive.fail(f"{leak_q} returned {leak_rows}, expected the leak's series (slopes: {slopes})")
        if fixed_rows:
            drive.fail(f"{fixed_q} returned {fixed_rows}, expected nothing (slopes: {slopes})")
        print(f"ok: {leak_q} -> {slopes['leak']:.4g}/s; for the fix nothing "
              f"(its slope {slopes['fixed']:.4g}/s)", flush=True)


def check_dashboard(port, dash, path, at):
    """Every expression of the Grafana dashboard, run at Unix time at."""
    exported = set(api(port, "/api/v1/label/__name__/values"))
    try:
        lines = dashboard.check(dash, lambda promql: query(port, promql, at), exported)
    except dashboard.DashboardError as e:
        drive.fail(f"dashboard {os.path.basename(path)}: {e}")
    for line in lines:
        print(line, flush=True)
    print(f"ok: the {len(lines)} queries of {os.path.basename(path)} ran on the scraped "
          f"programs' metrics", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("check", metavar="LEAKLAB_CHECK", help="the checker whose plans to follow")
    ap.add_argument("cases", nargs="*", metavar="NN-slug", help="default: every built case")
    ap.add_argument("--load-seconds", type=float, default=15)
    ap.add_argument("--rate", type=float, default=5)
    ap.add_argument("--dashboard", metavar="JSON",
                    help="also run every PromQL expression of this Grafana dashboard")
    args = ap.parse_args()
    dash = None
    if args.dashboard:
        try:
            dash = dashboard.load(args.dashboard)
        except (OSError, ValueError, dashboard.DashboardError) as e:
            drive.fail(f"dashboard: {e}")
    prometheus = os.environ.get("LEAKLAB_PROMETHEUS") or shutil.which("prometheus")
    if not prometheus:
        drive.skip("prometheus not found (Debian package: prometheus; ./leaklab deps installs it)")
    cases_driven = []
    try:
        cases = [drive.read_case(n, args.check) for n in args.cases or drive.case_names(args.check)]
    except drive.DriveError as e:
        drive.fail(f"cannot read the cases: {e}")
    for m in cases:
        # The growth this test asserts is a client a second's: a case
        # whose leak grows with messages (a burst) or with peers held
        # open is judged by leaklab-check alone.
        if m["scenario"] not in GROWTH_SCENARIOS:
            print(f"note: {m['name']}: scenario {m['scenario']} is not driven here", flush=True)
            continue
        m["expect"] = [s for s in m["expect"] if s in drive.METRICS]
        cases_driven.append(m)
    if not cases_driven:
        drive.fail("no case to drive")
    started = time.monotonic()
    programs = {}
    prom = None
    with tempfile.TemporaryDirectory(prefix="leaklab-prometheus-") as tmp:
        try:
            for m in cases_driven:
                for v in ("leak", "fixed"):
                    programs[m["name"], v] = drive.Program(m[v], m["program_args"]).start()
            # The first client pays one-off costs (lazy initialisation,
            # allocator arenas): before the baseline, not in it.
            for (name, v), p in programs.items():
                drive.run_client(next(m for m in cases_driven if m["name"] == name), p.port,
                                 check=args.check, leak=v == "leak")
            config = os.path.join(tmp, "prometheus.yml")
            write_config(config, programs)
            prom, port = start_prometheus(prometheus, config, tmp)
            version = api(port, "/api/v1/status/buildinfo").get("version", "?")
            print(f"prometheus {version} on 127.0.0.1:{port}, scraping every "
                  f"{SCRAPE_SECONDS} s: " + ", ".join(f"{c} {v} :{p.port}"
                                                      for (c, v), p in programs.items()), flush=True)
            wait_scraped(port, len(programs), time.time(), 20)
            time.sleep(BASELINE_SCRAPES * SCRAPE_SECONDS)
            window_start = time.time()
            loads = [drive.Load(m, {v: programs[m["name"], v].port for v in ("leak", "fixed")},
                                rate=args.rate, seconds=args.load_seconds,
                                check=args.check).start() for m in cases_driven]
            while any(load.running() for load in loads):
                time.sleep(0.2)
            for m, load in zip(cases_driven, loads):
                load.stop()
                for v, c in load.counts().items():
                    if c["failed"]:
                        drive.fail(f"{m['name']}: {c['failed']} of the {v} program's clients failed: "
                             f"{c['last_error']}")
            time.sleep(SETTLE_SCRAPES * SCRAPE_SECONDS)
            at = time.time()
            wait_scraped(port, len(programs), at - SCRAPE_SECONDS, 10)
            window = math.ceil(at - window_start) + BASELINE_SCRAPES
            print(f"load: {loads[0].counts()['leak']['served']} clients into each program over "
                  f"{args.load_seconds:g} s; window {window} s", flush=True)
            for m in cases_driven:
                check_growth(port, m, args.rate, window, at)
            check_rules(port, cases_driven)
            if dash is not None:
                check_dashboard(port, dash, args.dashboard, at)
            status = drive.stop_group(prom)
            prom = None
            if status != 0:
                drive.fail(f"prometheus exited with status {status} on SIGTERM")
        except (OSError, drive.DriveError) as e:
            drive.fail(str(e))
        finally:
            # Before the data directory goes: prometheus writes to it.
            if prom is not None:
                drive.stop_group(prom)
            for p in programs.values():
                rc = p.stop()
                if rc != 0:
                    drive.fail(f"{p.label} exited with status {rc} after SIGTERM, expected 0")
    print(f"ok: prometheus saw every leak grow and every fix stay flat "
          f"({time.monotonic() - started:.1f} s in all)", flush=True)


if __name__ == "__main__":
    main()
