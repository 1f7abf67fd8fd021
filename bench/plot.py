#!/usr/bin/python3
"""plot.py - draws the CSV written by leaklab-bench as one PNG.

usage: /usr/bin/python3 bench/plot.py [RESULTS.csv] [OUT.png]
defaults: bench-results.csv, docs/images/performance.png

Needs matplotlib (Debian: python3-matplotlib); the bench itself does not.
"""
import csv
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"ours": "echo-server", "lws": "libwebsockets", "node": "node ws",
          "python": "python websockets"}
PEERS = ["ours", "lws", "node", "python"]


def size_name(n):
    n = int(n)
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def load(path):
    rows = defaultdict(dict)  # (section, metric) -> {(peer, payload, conns): value}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["peer"], int(r["payload_bytes"]), int(r["conns"]))
            rows[(r["section"], r["metric"])][key] = float(r["value"])
    return rows


def grouped_bars(ax, data, cells, ylabel, log):
    peers = [p for p in PEERS if any((p, *c) in data for c in cells)]
    width = 0.8 / max(len(peers), 1)
    for i, p in enumerate(peers):
        xs = [k + (i - (len(peers) - 1) / 2) * width for k in range(len(cells))]
        ys = [data.get((p, *c), 0) for c in cells]
        ax.bar(xs, ys, width, label=LABELS.get(p, p))
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([f"{size_name(s)}\n{m} conn" for s, m in cells])
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize="small")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "bench-results.csv"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "docs", "images", "performance.png")
    rows = load(src)
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))

    ax = axes[0][0]
    codec = rows.get(("codec", "bytes_per_s"), {})
    for op in ("memcpy", "decode", "encode"):
        pts = sorted((s, v) for (p, s, _), v in codec.items() if p == op)
        if pts:
            ax.plot([size_name(s) for s, _ in pts], [v / 1e9 for _, v in pts], marker="o",
                    label=op)
    ax.set_title("codec: payload throughput (median)")
    ax.set_ylabel("GB/s")
    if codec:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "not measured in this run", ha="center", transform=ax.transAxes)

    echo = rows.get(("echo", "msgs_per_s"), {})
    cells = sorted({(s, m) for (_, s, m) in echo})
    grouped_bars(axes[0][1], echo, cells, "messages / s", log=True)
    axes[0][1].set_title("echo: closed-loop throughput")

    p99 = rows.get(("echo", "p99_rtt"), {})
    grouped_bars(axes[1][0], p99, cells, "p99 round trip (us)", log=True)
    axes[1][0].set_title("echo: p99 round trip")

    ax = axes[1][1]
    # Two kinds of idle connection: fresh (handshake only) and used (one echo).
    mem = rows.get(("memory", "rss_per_conn"), {})
    fresh = rows.get(("memory", "rss_per_conn_fresh"), {})
    peers = [p for p in PEERS if any(k[0] == p for k in mem)]
    used_v = [next(v for k, v in mem.items() if k[0] == p) / 1024 for p in peers]
    fresh_v = [next((v for k, v in fresh.items() if k[0] == p), 0) / 1024 for p in peers]
    xs = range(len(peers))
    ax.bar([x - 0.2 for x in xs], fresh_v, width=0.4, color="tab:blue", label="fresh")
    ax.bar([x + 0.2 for x in xs], used_v, width=0.4, color="tab:gray", label="used once")
    for x, f, u in zip(xs, fresh_v, used_v):
        ax.text(x - 0.2, f, f"{f:.1f}", ha="center", va="bottom", fontsize="small")
        ax.text(x + 0.2, u, f"{u:.1f}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([LABELS[p] for p in peers])
    conns = next(iter(mem))[2] if mem else 0
    ax.set_title(f"memory: RSS per idle connection at {conns}")
    ax.set_ylabel("KiB")
    # The target is Node.js ws's figures from the same run, when they were measured.
    if "node" in peers:
        i = peers.index("node")
        ax.axhline(fresh_v[i], color="tab:blue", linestyle="--", linewidth=1,
                   label=f"node ws fresh, {fresh_v[i]:.1f} KiB")
        ax.axhline(used_v[i], color="tab:red", linestyle="--", linewidth=1,
                   label=f"node ws used, {used_v[i]:.1f} KiB")
    ax.legend(fontsize="small")

    load_ = rows.get(("machine", "loadavg_1m_start"), {})
    cores = rows.get(("machine", "cores"), {})
    note = ""
    if load_ and cores:
        note = (f" ({int(next(iter(cores.values())))} cores, load average "
                f"{next(iter(load_.values())):.2f} at start)")
    fig.suptitle("leaklab-bench" + note)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
