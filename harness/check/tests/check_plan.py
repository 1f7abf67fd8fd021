"""check_plan.py LEAKLAB_CHECK [SOURCE_DIR]: every built case's plan
(leaklab-check --plan NN-slug) is valid JSON with the fields its readers
use (the course, plot.py, the live page, the Prometheus tests), its
sentences are filled in, and --plan-text prints the plan's "student"
lines. With SOURCE_DIR: no file of the harness or the launcher but the
model's reader (harness/check/manifest.c) names a manifest file.
Standard library only."""
import json
import os
import subprocess
import sys

RUN_KEYS = {"variant", "mode", "program", "scenarios", "load", "warmup", "unit", "measured",
            "judged", "limits"}
TOP_KEYS = {"name", "summary", "checker", "programs", "program_args", "tls", "client", "scenario",
            "scenarios", "verify", "load", "unit", "expect", "memcheck_expect", "signals",
            "behaviours", "runs", "twins", "student"}
# What a manifest file is called, spelt so that this file does not match itself.
NEEDLE = "." + "manifest"
SIGNALS = {"threads", "fds", "heap", "lost", "runtime", "race"}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def check_plan(check, name):
    out = subprocess.run([check, "--plan", name], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        fail(f"--plan {name}: exit {out.returncode}: {out.stderr.strip()}")
    try:
        plan = json.loads(out.stdout)
    except json.JSONDecodeError as e:
        fail(f"--plan {name}: not JSON: {e}")
    missing = TOP_KEYS - plan.keys()
    if missing:
        fail(f"{name}: no {sorted(missing)}")
    if plan["name"] != name or plan["checker"] not in ("memcheck", "drd"):
        fail(f"{name}: name {plan['name']!r}, checker {plan['checker']!r}")
    if set(plan["signals"]) != SIGNALS or not all(plan["signals"].values()):
        fail(f"{name}: signals {plan['signals']}")
    if not plan["expect"] or not set(plan["expect"]) <= SIGNALS:
        fail(f"{name}: expect {plan['expect']}")
    if plan["load"] < 1 or plan["scenario"] != plan["scenarios"][0] or not plan["verify"]:
        fail(f"{name}: load {plan['load']}, scenarios {plan['scenarios']}")
    for b in plan["behaviours"]:
        if not b["says"].startswith(b["kind"] + ": "):
            fail(f"{name}: behaviour {b}")
    modes = [(r["variant"], r["mode"]) for r in plan["runs"]]
    if modes != [("leak", "native"), ("leak", plan["checker"]), ("fixed", "native"),
                 ("fixed", plan["checker"])]:
        fail(f"{name}: runs {modes}")
    for r in plan["runs"]:
        if RUN_KEYS - r.keys() or not r["limits"] or not all(lim["says"] for lim in r["limits"]):
            fail(f"{name}: run {r}")
        if r["variant"] == "fixed" and r["scenarios"] != plan["verify"]:
            fail(f"{name}: the fix is driven through {r['scenarios']}, not {plan['verify']}")
        if r["variant"] == "leak" and not r["judged"]:
            fail(f"{name}: the leak in {r['mode']} is judged on nothing")
    fix = next(r for r in plan["runs"] if r["variant"] == "fixed")
    if fix["limits"][0]["heap_bytes_per_client"] != 16 or \
            "16 bytes a client" not in fix["limits"][0]["says"]:
        fail(f"{name}: the fix's heap limit reads {fix['limits'][0]['says']!r}")
    for t in plan["twins"]:
        if "error" in t or not t["lang"] or not t["leak"] or not t["judged"]:
            fail(f"{name}: twin {t}")
    text = subprocess.run([check, "--plan-text", name], capture_output=True, text=True,
                          timeout=30)
    if text.returncode != 0 or text.stdout.splitlines() != plan["student"]:
        fail(f"{name}: --plan-text differs from the plan's student lines")
    return plan


def check_one_reader(source):
    """Only the model's reader opens a manifest (CMake writes it)."""
    own = {os.path.join("harness", "check", "manifest.c"),
           os.path.join("harness", "check", "model.h"),
           }
    found = []
    for top in ("harness", "leaklab"):
        path = os.path.join(source, top)
        files = [path] if os.path.isfile(path) else [
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
        for f in files:
            rel = os.path.relpath(f, source)
            if rel in own or os.path.basename(f) == "CMakeLists.txt":
                continue
            try:
                with open(f, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        if NEEDLE in line:
                            found.append(f"{rel}:{n}: {line.strip()}")
            except UnicodeDecodeError:
                pass
    if found:
        fail("the manifest has readers beside harness/check/manifest.c:\n  " + "\n  ".join(found))


def main():
    check = sys.argv[1]
    out = subprocess.run([check, "--list"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        fail(f"--list: exit {out.returncode}: {out.stderr.strip()}")
    names = [line.split("\t", 1)[0] for line in out.stdout.splitlines()]
    if len(names) < 14:
        fail(f"--list names {len(names)} cases, expected 14 or more: {names}")
    for name in names:
        check_plan(check, name)
    print(f"ok: {len(names)} plans, each valid JSON with its runs, limits and sentences")
    if len(sys.argv) > 2:
        check_one_reader(sys.argv[2])
        print("ok: no reader of the manifest beside harness/check/manifest.c")


if __name__ == "__main__":
    main()
