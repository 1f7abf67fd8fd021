#!/usr/bin/python3
"""plot.py - growth plots from leaklab-check's CSV time series.

One case, leak beside fix (and the student's exercise, variant "exercise",
where the CSV has one), one panel per signal the case judges (a row per
mode: native, under memcheck or DRD), x = clients served since the baseline:

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

Two kinds of lesson are drawn from what their runs record at the end (the
CSV's "exit" rows): a shutdown (case 12), as clients without their close
1001 and memcheck's lost bytes at exit against the clients held at each of
its three starts; a race (case 14), as the clients that saw broken frames
along the burst and DRD's race reports at exit.

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
SIGNALS = ("threads", "fds", "heap", "lost", "broken")
# Signals of the "exit" rows, known once the program has ended: a shutdown
# start's clients without their close 1001 and memcheck's lost bytes at that
# exit (x: the clients held), and DRD's race reports at exit.
EXIT_SIGNALS = ("no_1001", "lost_exit", "races")
LABELS = {"threads": "threads", "fds": "open fds", "heap": "heap in use (KiB)",
          "lost": "lost, running (KiB)", "broken": "clients that saw broken frames",
          "no_1001": "clients without their 1001", "lost_exit": "lost at exit (KiB)",
          "races": "DRD race reports at exit"}
BYTES = ("heap", "lost", "lost_exit")
# The judge's thresholds (harness/check/judge/judge.c): a leak grows by at least this
# much per client; a fix's heap may wobble by less than 64 bytes per client. Broken
# frames and races are judged by being there at all: the leak needs one, the fix none.
LEAK_MIN = {"threads": 0.5, "fds": 0.5, "heap": 256.0, "lost": 256.0, "no_1001": 0.5,
            "lost_exit": 256.0}
FIX_MAX = {"threads": 0.0, "fds": 0.0, "heap": 64.0, "lost": 64.0, "no_1001": 0.0,
           "lost_exit": 0.0}
COLOURS = {"leak": "#c0392b", "fixed": "#1e8449", "exercise": "#7d3c98"}
VARIANTS = ("leak", "fixed", "exercise")
MODES = ("native", "memcheck", "drd")
MODE_WORDS = {"native": "native", "memcheck": "under memcheck", "drd": "under DRD"}


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


def signal_list(text):
    out = [s for s in text.replace(",", " ").split() if s]
    for s in out:
        if s not in SIGNALS + ("race",):
            raise BadInput(f"unknown signal '{s}' (threads, fds, heap, lost, race)")
    return out


def read_csv(path):
    """{(variant, mode): [(clients per exit path, {signal: value})]} from the sampled rows
    and from the exit rows (EXIT_SIGNALS, x as the row gives it), and {(variant, mode):
    exit paths}."""
    series = {}
    exits = {}
    at_n = {}
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            need = {"variant", "mode", "phase", "clients", "threads", "fds", "heap"}
            if not reader.fieldnames or not need <= set(reader.fieldnames):
                raise BadInput(f"{path}: not a leaklab-check CSV with a clients column "
                               f"(columns: {', '.join(reader.fieldnames or [])})")
            for r in reader:
                if r["phase"] == "exit":
                    vals = {}
                    for s, col in (("no_1001", "no_1001"), ("lost_exit", "lost"),
                                   ("races", "races")):
                        if r.get(col) not in ("", None):
                            vals[s] = float(r[col])
                    exits.setdefault((r["variant"], r["mode"]), []).append(
                        (int(r["clients"]), vals))
                    continue
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
    # A shutdown run's samples count no clients served (its clients are held):
    # its exit rows carry the clients held, and its pictures read those.
    for key, rows in exits.items():
        series.setdefault(key, [])
        series[key] = series[key] + [(c, v) for c, v in rows if "races" not in v]
        races = [(c, v) for c, v in rows if "races" in v]
        if races:
            # The race reports are one count at exit, at the load served by then.
            last = max((c for c, _ in series[key]), default=races[0][0])
            series[key].append((last, races[-1][1]))
    # The load per exit path: the leak's clients at N (the leak has one path).
    load = min(at_n.values()) if at_n else 0
    paths = {}
    for key, rows in series.items():
        paths[key] = max(at_n.get(key, 0) // load if load else 1, 1)
        if paths[key] > 1:
            series[key] = [(c / paths[key], v) for c, v in rows]
    return series, paths


def judged(manifest, mode):
    """The panels of one mode: the signals it judges, as the CSV can draw them.
    A shutdown's threads are its clients without 1001 and its lost bytes
    those at each exit, against the clients held; a race is the clients that
    saw broken frames along the burst, and under DRD the race reports too."""
    key = "expect" if mode == "native" else "memcheck_expect"
    sigs = signal_list(manifest.get(key) or manifest.get("expect", ""))
    if manifest.get("scenario") == "shutdown":
        return [{"threads": "no_1001", "lost": "lost_exit"}[s] for s in sigs
                if s in ("threads", "lost")]
    out = []
    for s in sigs:
        if s == "race":
            out += ["broken", "races"] if mode == "drd" else ["broken"]
        else:
            out.append(s)
    return out


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
            if s in ("broken", "races"):
                # There at all in the leak, never in the fix (the judge's rule).
                if not leak or leak[-1][1] <= 0:
                    problems.append(f"{mode} {s}: the leak shows none")
                if not fix or any(v != 0 for _, v in fix):
                    problems.append(f"{mode} {s}: the fix shows some (or was not measured)")
                continue
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


def draw_races(ax, series, mode, small, unit):
    """DRD's race reports: one count per program at exit, as bars."""
    names, counts = [], []
    for variant in VARIANTS:
        pts = points(series, variant, mode, "races")
        if pts:
            names.append(variant)
            counts.append(pts[-1][1])
    bars = ax.bar(names, counts, color=[COLOURS[v] for v in names], width=0.5)
    for b, n in zip(bars, counts):
        ax.annotate(f"{n:.0f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize="small")
    ax.set_title(f"{LABELS['races']}, {MODE_WORDS[mode]}",
                 fontsize="small" if small else "medium")
    ax.set_xlabel(f"after the whole burst ({unit})", fontsize="small")
    ax.set_ylim(0, max(counts + [1]) * 1.25)
    ax.grid(True, axis="y", alpha=0.3)


def draw_panel(ax, series, paths, mode, s, small=False, unit="clients served"):
    if s == "races":
        return draw_races(ax, series, mode, small, unit)
    each = "message" if unit.startswith("messages") else "client"
    if s in ("no_1001", "lost_exit"):
        unit, each = "clients held at SIGTERM (one start each)", "client held"
    for variant in VARIANTS:
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
        elif s == "broken":
            label += f" ({pts[-1][1]:.0f} in all)"
        elif s in BYTES:
            label += f" ({slope:+.0f} B/{each})"
        else:
            label += f" ({slope:+.2f}/{each})"
        # The exercise dashed: where it matches the fix, both stay seen.
        ax.plot(xs, ys, marker="o", markersize=3 if small else 4, linewidth=1.8,
                color=COLOURS[variant], label=label,
                linestyle="--" if variant == "exercise" else "-")
    ax.set_title(f"{LABELS[s]}, {MODE_WORDS[mode]}", fontsize="small" if small else "medium")
    per_path = any(paths.get((v, mode), 1) > 1 for v in VARIANTS)
    ax.set_xlabel(f"{unit} (per exit path)" if per_path else unit, fontsize="small")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small" if small else "small", loc="upper left")
    lo, hi = ax.get_ylim()
    if hi - lo < 2:  # a flat line alone would get a needlessly fine axis
        mid = (hi + lo) / 2
        lo, hi = mid - 1.5, mid + 1.5
        ax.set_ylim(lo, hi)
    if s in ("broken", "no_1001") and lo < 0:
        ax.set_ylim(-0.2, max(hi, 2))  # counts of clients: nothing below none


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
            if any(m == mode and v != "exercise" for v, m in series)]
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
        modes = [md for md in MODES if any(x == md for _, x in series)]
        mode = modes[0]
        # One mode's panels a case, the native ones where there are; a race
        # adds DRD's race reports, which only its checker counts.
        panels = [(mode, s) for s in judged(m, mode)]
        if "race" in m["expect"].split() and "drd" in modes:
            panels.append(("drd", "races"))
        if panels:
            cases.append((m, series, paths, panels))
    if args.verify:
        bad = 0
        for m, series, _, _ in cases:
            for p in verify(series, m):
                sys.stderr.write(f"plot.py: {m['name']}: {p}\n")
                bad += 1
        if bad:
            return 1
        print(f"{len(cases)} cases: every leak line rises, every fix line stays flat")
    if not args.out:
        return 0
    plt = import_pyplot()
    ncols = max(len(panels) for *_, panels in cases)
    fig, axes = plt.subplots(len(cases), ncols, figsize=(4.0 * ncols + 0.6, 2.7 * len(cases)),
                             squeeze=False)
    for r, (m, series, paths, panels) in enumerate(cases):
        for c in range(ncols):
            ax = axes[r][c]
            if c < len(panels):
                draw_panel(ax, series, paths, panels[c][0], panels[c][1], small=True,
                           unit=unit_of(m))
                if c == 0:
                    ax.set_ylabel(m["name"], fontsize="small")
            else:
                ax.axis("off")
    # The title in a strip of its own, an inch tall whatever the rows: a
    # suptitle placed before tight_layout lands on the first row's titles
    # (tight_layout's rect leaves room in figure fractions, which shrink as
    # rows are added), so the layout is made first and the title put above.
    top = 1 - 0.75 / fig.get_figheight()
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.text(0.5, 1 - 0.3 / fig.get_figheight(),
             "leaklab tour: each leak beside its fix, as the load is served",
             ha="center", va="center", fontsize="large")
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
