#!/usr/bin/python3
"""plot-probe.py - the growth plot of one leaklab-probe run, in the style of
harness/pictures/plot.py: one panel per signal, x = clients of each
scenario, the baseline dashed; the judged line (each point taken once
that step's clients were gone, x = clients served since the baseline) in
the verdict's colour, and beside it, thin, the counts while the step's
clients were still connected (x = clients connected), so that growth that
drains back and growth that stays look different.

  /usr/bin/python3 harness/probe/plot-probe.py --csv RUN.csv --out RUN.png

The CSV is leaklab-probe --csv: a header "point,load,SIGNAL...", the rows
base, N, 2N, 4N, held-N, held-2N, held-4N, and a "# verdicts,SIGNAL=VERDICT"
line.
Exit status: 0 drawn, 2 bad input, 77 matplotlib is missing.
"""
import argparse
import csv
import sys

COLOURS = {"grows": "#c0392b", "flat": "#1e8449", "drains-back": "#1e8449"}


def read(path):
    rows, verdicts = [], {}
    with open(path) as f:
        lines = [l for l in f if l.strip()]
    for line in lines:
        if line.startswith("# verdicts"):
            for item in line.strip().split(",")[1:]:
                name, _, v = item.partition("=")
                verdicts[name] = v
    reader = csv.DictReader(l for l in lines if not l.startswith("#"))
    for r in reader:
        rows.append(r)
    if not rows:
        raise ValueError("no points in " + path)
    return reader.fieldnames[2:], rows, verdicts


def main():
    ap = argparse.ArgumentParser(description="growth plot of a leaklab-probe run")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("--dpi", type=int, default=100)
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot-probe: matplotlib is missing (apt-get install python3-matplotlib)",
              file=sys.stderr)
        return 77
    try:
        signals, rows, verdicts = read(args.csv)
    except (OSError, ValueError, KeyError) as e:
        print("plot-probe: %s" % e, file=sys.stderr)
        return 2
    gone = [r for r in rows if not r["point"].startswith("held-")]
    held = [gone[0]] + [r for r in rows if r["point"].startswith("held-")]
    fig, axes = plt.subplots(1, len(signals), figsize=(3.2 * len(signals), 3.0), squeeze=False)
    for ax, s in zip(axes[0], signals):
        verdict = verdicts.get(s, "")
        colour = COLOURS.get(verdict, "#7f8c8d")
        xs = [float(r["load"]) for r in gone]
        ys = [float(r[s]) for r in gone]
        ax.plot([float(r["load"]) for r in held], [float(r[s]) for r in held], marker=".",
                color="#7f8c8d", linewidth=0.8, label="clients connected")
        ax.plot(xs, ys, marker="o", color=colour, label="clients gone")
        ax.axhline(ys[0], color="#7f8c8d", linestyle="--", linewidth=0.8)
        ax.set_title("%s: %s" % (s, verdict.replace("-", " ")), fontsize=9)
        ax.set_xlabel("clients of each scenario", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    if args.title:
        fig.suptitle(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=args.dpi)
    return 0


if __name__ == "__main__":
    sys.exit(main())
