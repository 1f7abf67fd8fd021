"""The case model as the checker states it: leaklab-check --plan NN-slug
(JSON, harness/check/plan.h) and --list. The pictures, the live page and
the Prometheus tests ask for the plan here rather than read a case's
manifest, which only the checker reads. Standard library only.

- find_check(): the leaklab-check to ask (LEAKLAB_CHECK, else
  BUILD/bin/leaklab-check with BUILD from LEAKLAB_BUILD or build/);
- read_plan(check, name): the plan as a dict, with shortcuts for what
  every reader uses ("leak", "fixed" for the programs, "path", "bad_path",
  "request" for the clients);
- case_names(check): the built cases, in order.
"""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class PlanError(Exception):
    """leaklab-check could not give the plan (not built, no such case)."""


def find_check():
    if os.environ.get("LEAKLAB_CHECK"):
        return os.environ["LEAKLAB_CHECK"]
    build = os.environ.get("LEAKLAB_BUILD") or os.path.join(ROOT, "build")
    return os.path.join(build, "bin", "leaklab-check")


def _ask(check, *args):
    try:
        out = subprocess.run([check, *args], capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise PlanError(f"cannot run {check}: {e.strerror or e} (./leaklab build)")
    if out.returncode != 0:
        raise PlanError(out.stderr.strip() or f"{check} {' '.join(args)}: exit {out.returncode}")
    return out.stdout


def read_plan(check, name):
    """The plan of case name (NN-slug) as leaklab-check states it."""
    try:
        plan = json.loads(_ask(check, "--plan", name))
    except json.JSONDecodeError as e:
        raise PlanError(f"{check} --plan {name}: not JSON: {e}")
    plan["leak"] = plan["programs"]["leak"]
    plan["fixed"] = plan["programs"]["fixed"]
    plan.update({k: plan["client"][k] for k in ("path", "bad_path", "request")})
    return plan


def case_names(check):
    """The built cases (NN-slug), in order."""
    return [line.split("\t", 1)[0] for line in _ask(check, "--list").splitlines() if line]
