#!/usr/bin/env python3
"""Plots bench/gpu results: time against sequence length, ssmc beside the peer.

usage: plot.py RESULTS.json OUT.png   (matplotlib; run where it is installed)
"""
import json
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = json.load(open(sys.argv[1]))
    rows = [r for r in data["results"] if r.get("kind") == "bench"]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot.py: matplotlib is not installed here; no plot written")
    ops = sorted({r["op"] for r in rows})
    fig, axes = plt.subplots(1, len(ops), figsize=(5 * len(ops), 4), squeeze=False)
    for ax, op in zip(axes[0], ops):
        mine = [r for r in rows if r["op"] == op]
        labels = [r["shape"] for r in mine]
        length = []
        for r in mine:
            m = re.search(r"l=(\d+)", r["shape"]) or re.search(r"b=(\d+)", r["shape"])
            length.append(int(m.group(1)) if m else 0)
        x = range(len(mine))
        ax.bar([i - 0.2 for i in x], [r["ms"] for r in mine], 0.4, label="ssmc")
        ax.bar([i + 0.2 for i in x], [r["peer_ms"] for r in mine], 0.4, label="mamba_ssm (ANCHORS.md)")
        ax.plot(list(x), [r["floor_ms"] for r in mine], "k_", markersize=30, label="floor")
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, rotation=20, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("ms (log)")
        ax.set_title(f"{op} on {data.get('device', '?')}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"plot.py: wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
