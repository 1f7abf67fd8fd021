#!/usr/bin/python3
"""plot.py - growth plots from leaklab-check's CSV time series.

One case, leak beside fix, one panel per signal the case judges (a row per
mode: native, under memcheck), x = clients served since the baseline:

  /usr/bin/python3 harness/pictures/plot.py --csv RUN.csv --case NN-slug --out NN-slug.png

Every case of a tour in one figure, a row per case (CSVs named NN-slug.csv):

  /usr/bin/python3 harness/pictures/plot.py --summary --csv-dir DIR --out tour.png

What a case judges comes from its plan (leaklab-check --plan NN-slug, the
checker of --check, else LEAKLAB_CHECK or BUILD/bin/leaklab-check).

--verify also checks what the picture should show: for every panel, the
leak's line rises (by at least the judge's threshold per client from the
baseline to 2N) and the fix's stays flat (at its baseline, or within the
judge's heap wobble). Exit status: 0 done, 1 --verify found a line that
does not look like its lesson, 2 bad input, 77 matplotlib is missing (the
status CTest's SKIP_RETURN_CODE takes for a skipped test).

Only the rows where every signal was measured are drawn (the baseline,
each step, N and 2N); the rows taken while clients ran or while counts
settled carry threads and fds only.

A fix is driven through every exit path its case names, N clients each
per half, so it serves more clients than the leak between the same
points. x is therefore clients per exit path (clients served divided by
the number of paths, read off the N point), which lines the fix's N and
2N up with the leak's; the legend says how many paths a line went
through.
"""
import argparse
import csv
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leaklab_plan  # noqa: E402

SAMPLED = ("base", "step", "N", "2N")
SIGNALS = ("threads", "fds", "heap", "lost")
LABELS = {"threads": "threads", "fds": "open fds", "heap": "heap in use (KiB)",
          "lost": "lost, running (KiB)"}
BYTES = ("heap", "lost")
# The judge's thresholds (harness/check/judge/judge.c): a leak grows by at least this
# much per client; a fix's heap may wobble by less than 64 bytes per client.
LEAK_MIN = {"threads": 0.5, "fds": 0.5, "heap": 256.0, "lost": 256.0}
FIX_MAX = {"threads": 0.0, "fds": 0.0, "heap": 64.0, "lost": 64.0}
COLOURS = {"leak": "#c0392b", "fixed": "#1e8449"}
MODES = ("native", "memcheck")


class BadInput(Exception):
    pass


def read_case(check, name):
    """What plot.py needs of case name's plan: its name, summary, the
    signals each mode judges in the leak, and what a unit of load is."""
    try:
        plan = leaklab_plan.read_plan(check, name)
    except leaklab_plan.PlanError as e:
        raise BadInput(str(e))
    return {"name": plan["name"], "summary": plan["summary"] or "",
            "expect": " ".join(plan["expect"]),
            "memcheck_expect": " ".join(plan["memcheck_expect"]),
            "scenario": plan["scenario"], "unit": plan["unit"]}


# Signals the harness judges that have no time series to draw: DRD's race
# reports come at exit, and broken frames are counted per client.
NOT_SAMPLED = ("race",)


def signal_list(text):
    out = [s for s in text.replace(",", " ").split() if s and s not in NOT_SAMPLED]
    for s in out:
        if s not in SIGNALS:
            raise BadInput(f"unknown signal '{s}' (threads, fds, heap, lost)")
    return out


def read_csv(path):
    """{(variant, mode): [(clients per exit path, {signal: value})]} from the sampled rows,
    and {(variant, mode): exit paths}."""
    series = {}
    at_n = {}
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            need = {"variant", "mode", "phase", "clients", "threads", "fds", "heap"}
            if not reader.fieldnames or not need <= set(reader.fieldnames):
                raise BadInput(f"{path}: not a leaklab-check CSV with a clients column "
                               f"(columns: {', '.join(reader.fieldnames or [])})")
            for r in reader:
                if r["phase"] not in SAMPLED:
                    continue
                vals = {}
                for s in SIGNALS:
                    v = r.get(s, "")
                    if v not in ("", None):
                        vals[s] = float(v)
                key = (r["variant"], r["mode"])
                series.setdefault(key, []).append((int(r["clients"]), vals))
                if r["phase"] == "N":
                    at_n[key] = int(r["clients"])
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}")
    except ValueError as e:
        raise BadInput(f"{path}: {e}")
    if not series:
        raise BadInput(f"{path}: no sampled rows (phases base, step, N, 2N)")
    # The load per exit path: the leak's clients at N (the leak has one path).
    load = min(at_n.values()) if at_n else 0
    paths = {}
    for key, rows in series.items():
        paths[key] = max(at_n.get(key, 0) // load if load else 1, 1)
        if paths[key] > 1:
            series[key] = [(c / paths[key], v) for c, v in rows]
    return series, paths


def judged(manifest, mode):
    key = "memcheck_expect" if mode == "memcheck" else "expect"
    return signal_list(manifest.get(key) or manifest.get("expect", ""))


def points(series, variant, mode, signal):
    pts = [(c, v[signal]) for c, v in series.get((variant, mode), []) if signal in v]
    return sorted(pts)


def per_client(pts):
    if len(pts) < 2 or pts[-1][0] == pts[0][0]:
        return None
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


def verify(series, manifest):
    """Lines that do not show their lesson, as sentences; empty if all do."""
    problems = []
    for mode in MODES:
        if not any(m == mode for _, m in series):
            continue
        for s in judged(manifest, mode):
            leak = points(series, "leak", mode, s)
            fix = points(series, "fixed", mode, s)
            slope = per_client(leak)
            if slope is None:
                problems.append(f"{mode} {s}: no leak line")
            elif slope < LEAK_MIN[s]:
                problems.append(f"{mode} {s}: the leak grows {slope:+.2f} per client, "
                                f"needs >= {LEAK_MIN[s]}")
            elif any(b[1] < a[1] for a, b in zip(leak, leak[1:])):
                problems.append(f"{mode} {s}: the leak line falls somewhere")
            if not fix:
                problems.append(f"{mode} {s}: no fix line")
                continue
            base = fix[0][1]
            worst = max(abs(v - base) / c for c, v in fix[1:] if c) if len(fix) > 1 else 0
            if worst > FIX_MAX[s] or (FIX_MAX[s] == 0 and worst != 0):
                problems.append(f"{mode} {s}: the fix moves {worst:.2f} per client "
                                f"from its baseline")
    return problems


def unit_of(manifest):
    """What the x axis counts, as the plan names a unit of the case's load
    (a burst's and a slow consumer's are messages)."""
    unit = manifest.get("unit", "clients")
    return {"clients": "clients served", "messages": "messages sent"}.get(unit, unit)


def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.stderr.write(
            "plot.py: matplotlib is not installed for /usr/bin/python3 "
            "(Debian: python3-matplotlib; `./leaklab deps` installs it)\n")
        sys.exit(77)
    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt
    return plt


def draw_panel(ax, series, paths, mode, s, small=False, unit="clients served"):
    each = "message" if unit.startswith("messages") else "client"
    for variant in ("leak", "fixed"):
        pts = points(series, variant, mode, s)
        if not pts:
            continue
        xs = [c for c, _ in pts]
        ys = [v / 1024 if s in BYTES else v for _, v in pts]
        slope = per_client(pts)
        label = variant
        if paths.get((variant, mode), 1) > 1:
            label += f", {paths[(variant, mode)]} exit paths"
        if slope is None:
            pass
        elif s in BYTES:
            label += f" ({slope:+.0f} B/{each})"
        else:
            label += f" ({slope:+.2f}/{each})"
        ax.plot(xs, ys, marker="o", markersize=3 if small else 4, linewidth=1.8,
                color=COLOURS[variant], label=label)
    ax.set_title(f"{LABELS[s]}, {'under memcheck' if mode == 'memcheck' else 'native'}",
                 fontsize="small" if small else "medium")
    ax.set_xlabel(f"{unit} (per exit path)", fontsize="small")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small" if small else "small", loc="upper left")
    lo, hi = ax.get_ylim()
    if hi - lo < 2:  # a flat line alone would get a needlessly fine axis
        mid = (hi + lo) / 2
        ax.set_ylim(mid - 1.5, mid + 1.5)


def plot_case(args):
    manifest = read_case(args.check, args.case) if args.case and not args.expect else {
        "name": args.case or "program", "summary": args.title or "",
        "expect": args.expect or "", "memcheck_expect": args.memcheck_expect or ""}
    if args.expect:
        manifest["expect"] = args.expect
    if args.memcheck_expect:
        manifest["memcheck_expect"] = args.memcheck_expect
    if not manifest.get("expect") and not manifest.get("memcheck_expect"):
        raise BadInput("which signals? give --case NN-slug or --expect")
    series, paths = read_csv(args.csv)
    if args.verify:
        problems = verify(series, manifest)
        for p in problems:
            sys.stderr.write(f"plot.py: {args.csv}: {p}\n")
        if problems:
            return 1
        print(f"{args.csv}: every leak line rises, every fix line stays flat")
    if not args.out:
        return 0
    plt = import_pyplot()
    rows = [(mode, judged(manifest, mode)) for mode in MODES
            if any(m == mode for _, m in series)]
    rows = [(m, sigs) for m, sigs in rows if sigs]
    ncols = max(len(sigs) for _, sigs in rows)
    # Wide enough for the title even with one panel per row.
    fig, axes = plt.subplots(len(rows), ncols,
                             figsize=(max(4.2 * ncols + 0.6, 8.0), 3.3 * len(rows)),
                             squeeze=False)
    for r, (mode, sigs) in enumerate(rows):
        for c in range(ncols):
            if c < len(sigs):
                draw_panel(axes[r][c], series, paths, mode, sigs[c], unit=unit_of(manifest))
            else:
                axes[r][c].axis("off")
    title = manifest["name"]
    if manifest.get("summary"):
        title += ": " + manifest["summary"]
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    fig.savefig(args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
    return 0


def plot_summary(args):
    names = sorted(f[:-4] for f in os.listdir(args.csv_dir) if f.endswith(".csv"))
    if not names:
        raise BadInput(f"no NN-slug.csv in {args.csv_dir}")
    cases = []
    for n in names:
        m = read_case(args.check, n)
        series, paths = read_csv(os.path.join(args.csv_dir, n + ".csv"))
        mode = "native" if any(md == "native" for _, md in series) else "memcheck"
        # A race lesson has no growth to draw, and a shutdown is judged
        # across three program starts, not along the clients of one.
        if judged(m, mode) and m.get("scenario") != "shutdown":
            cases.append((m, series, paths, mode, judged(m, mode)))
    if args.verify:
        bad = 0
        for m, series, _, _, _ in cases:
            for p in verify(series, m):
                sys.stderr.write(f"plot.py: {m['name']}: {p}\n")
                bad += 1
        if bad:
            return 1
        print(f"{len(cases)} cases: every leak line rises, every fix line stays flat")
    if not args.out:
        return 0
    plt = import_pyplot()
    ncols = max(len(sigs) for *_, sigs in cases)
    fig, axes = plt.subplots(len(cases), ncols, figsize=(4.0 * ncols + 0.6, 2.7 * len(cases)),
                             squeeze=False)
    for r, (m, series, paths, mode, sigs) in enumerate(cases):
        for c in range(ncols):
            ax = axes[r][c]
            if c < len(sigs):
                draw_panel(ax, series, paths, mode, sigs[c], small=True, unit=unit_of(m))
                if c == 0:
                    ax.set_ylabel(m["name"], fontsize="small")
            else:
                ax.axis("off")
    fig.suptitle("leaklab tour: each leak beside its fix, as clients are served",
                 fontsize="medium")
    # Leave the title its own strip: with many rows the default overlaps it.
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    fig.savefig(args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
    return 0


def main():
    ap = argparse.ArgumentParser(description="growth plots from leaklab-check --csv")
    ap.add_argument("--csv", help="one case's CSV (leaklab-check --csv)")
    ap.add_argument("--case", help="the case (NN-slug) whose plan says what to draw; with "
                    "--expect, only the title")
    ap.add_argument("--check", default=leaklab_plan.find_check(),
                    help="the leaklab-check to ask for plans (default: the build's)")
    ap.add_argument("--title", help="the subtitle, with --expect")
    ap.add_argument("--expect", help="signals judged natively (default: the plan's)")
    ap.add_argument("--memcheck-expect", help="signals judged under memcheck")
    ap.add_argument("--summary", action="store_true", help="every case of --csv-dir")
    ap.add_argument("--csv-dir", help="with --summary: NN-slug.csv files")
    ap.add_argument("--out", help="the PNG to write")
    ap.add_argument("--dpi", type=int, default=100)
    ap.add_argument("--verify", action="store_true",
                    help="exit 1 unless every leak line rises and every fix line is flat")
    args = ap.parse_args()
    try:
        if args.summary:
            if not args.csv_dir:
                raise BadInput("--summary needs --csv-dir")
            return plot_summary(args)
        if not args.csv:
            raise BadInput("give --csv FILE (or --summary)")
        return plot_case(args)
    except BadInput as e:
        sys.stderr.write(f"plot.py: {e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
