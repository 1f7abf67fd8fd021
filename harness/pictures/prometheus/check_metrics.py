"""`promtool check metrics` on what every leaklab program serves.

    check_metrics.py LEAKLAB_CHECK PROGRAM...

Starts each PROGRAM given, and both programs of every case the checker
built (its plans: leaklab-check --list, --plan), on 127.0.0.1 port 0, fetches its
GET /metrics once idle and once after a client (so the text a scrape sees
under load is checked too), and pipes each to `promtool check metrics`,
which checks the exposition format and Prometheus's naming rules (HELP and
TYPE lines, base units in names, no _total on a gauge). Every program must
then stop on SIGTERM with status 0.

Exit 0 pass, 1 fail, 77 skipped (promtool not installed).
"""
import os
import shutil
import subprocess
import sys

# No __pycache__ in the source tree for the one module imported.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "live"))
import leaklab_drive as drive  # noqa: E402


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def metrics_text(port, tls=False):
    """The body of GET /metrics, exactly as served (over TLS for a --tls program)."""
    head, body = drive.get_metrics(port, timeout=5, tls=tls)
    if b"content-type: text/plain; version=0.0.4" not in head.lower():
        fail(f"GET /metrics on port {port}: not the text exposition format: {head!r}")
    return body


def check(promtool, label, body):
    r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        fail(f"{label}: promtool check metrics (status {r.returncode}): "
             f"{(r.stdout + r.stderr).decode(errors='replace').strip()}\n{body.decode()}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    promtool = os.environ.get("LEAKLAB_PROMTOOL") or shutil.which("promtool")
    if not promtool:
        print("SKIP: promtool not found (Debian package: prometheus; ./leaklab deps installs it)",
              flush=True)
        sys.exit(77)
    programs = [(p, None) for p in sys.argv[2:]]
    # Every built case's two programs, as the checker's plans name them.
    try:
        for name in drive.case_names(sys.argv[1]):
            m = drive.read_case(name, sys.argv[1])
            programs += [(m["leak"], m), (m["fixed"], m)]
    except drive.DriveError as e:
        fail(f"cannot read the cases: {e}")
    if not programs:
        fail("no programs to check")
    for path, manifest in programs:
        leak = bool(manifest) and path == manifest["leak"]
        prog = drive.Program(path, manifest["program_args"] if manifest else ())
        try:
            prog.start()
            tls = drive.uses_tls(manifest)
            check(promtool, f"{prog.label} (idle)", metrics_text(prog.port, tls))
            # One client of the case's scenario, by the judge's own clients
            # (a shutdown case's restarts the program: a clean close instead);
            # a program of no case gets a clean close.
            if manifest and manifest["scenario"] != "shutdown":
                drive.run_client(manifest, prog.port, check=sys.argv[1], leak=leak)
            else:
                drive.ws_close(drive.ws_connect("127.0.0.1", prog.port, tls=tls))
            body = metrics_text(prog.port, tls)
            check(promtool, f"{prog.label} (after a client)", body)
        except (OSError, drive.DriveError) as e:
            fail(f"{prog.label}: {e}")
        finally:
            rc = prog.stop()
        if rc != 0:
            fail(f"{prog.label} exited with status {rc} after SIGTERM, expected 0")
        names = [line.split()[2] for line in body.decode().splitlines() if line.startswith("# TYPE")]
        print(f"ok: {prog.label}: promtool check metrics accepts {', '.join(names)}", flush=True)
    print(f"ok: {len(programs)} programs", flush=True)


if __name__ == "__main__":
    main()
