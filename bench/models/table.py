"""Prints the CPU model benchmark (cpu.json) as a markdown table beside
llama.cpp's figures of ANCHORS.md and the weights-once-per-token floor, and
draws it as an SVG bar chart (no plotting library needed).
Usage: python3 table.py cpu.json out.svg"""
import json
import sys

# llama.cpp on this machine kind (ANCHORS.md): prefill tokens/s (512),
# decode ms/token; f16 is its half-precision weights (ours: f16 too).
LLAMA = {("mamba-130m", "f32"): (289, 12.7), ("mamba-130m", "f16"): (289, 11.4),
         ("mamba2-130m", "f32"): (427, 15.9), ("mamba2-130m", "f16"): (430, 8.2)}
BANDWIDTH = 48e9  # bytes/s read, 2 threads (ANCHORS.md: 45-51 GB/s)

rows = json.load(open(sys.argv[1]))
print("| model, weights | ssmc prefill 512 | llama.cpp | ratio | ssmc decode | llama.cpp | ratio | floor at 48 GB/s | % of it | read bandwidth measured | floor at it | % of it |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    lp, ld = LLAMA[(r["model"], r["weights"])]
    dec = r["decode_ms_per_token"]
    floor = r["weight_bytes"] / BANDWIDTH * 1e3
    measured = r.get("bandwidth_gbs")
    there = (f"{measured:.1f} GB/s | {r['weight_bytes'] / (measured * 1e9) * 1e3:.1f} ms | "
             f"{100 * r['weight_bytes'] / (measured * 1e9) * 1e3 / dec:.0f}%") if measured else "- | - | -"
    print(f"| {r['model']}, {r['weights']} | {r['prefill_tokens_per_s']:.0f} tok/s | {lp} tok/s | "
          f"**{r['prefill_tokens_per_s'] / lp:.2f}×** | {dec:.1f} ms | {ld} ms | "
          f"**{ld / dec:.2f}×** | {floor:.1f} ms | {100 * floor / dec:.0f}% | {there} |")

# SVG: two panels (prefill tokens/s, decode ms/token), ssmc beside llama.cpp.
W, H, pad = 760, 300, 40
bars = []
def panel(x0, title, key, peer_index, unit):
    vals = [(r[key], LLAMA[(r["model"], r["weights"])][peer_index]) for r in rows]
    top = max(max(a, b) for a, b in vals) * 1.15
    out = [f'<text x="{x0 + 170}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    for i, (r, (ours, peer)) in enumerate(zip(rows, vals)):
        bx = x0 + 20 + i * 85
        for j, (v, color) in enumerate(((ours, "#3465a4"), (peer, "#aaaaaa"))):
            h = (H - 2 * pad) * v / top
            out.append(f'<rect x="{bx + j * 32}" y="{H - pad - h:.1f}" width="30" height="{h:.1f}" fill="{color}"/>')
            out.append(f'<text x="{bx + j * 32 + 15}" y="{H - pad - h - 3:.1f}" font-size="9" text-anchor="middle">{v:.1f}</text>')
        out.append(f'<text x="{bx + 31}" y="{H - pad + 14}" font-size="9" text-anchor="middle">{r["model"].replace("-130m", "")} {r["weights"]}</text>')
    out.append(f'<text x="{x0 + 5}" y="{H - 8}" font-size="10">{unit}; blue ssmc, grey llama.cpp</text>')
    return out
body = panel(0, "prefill 512 tokens", "prefill_tokens_per_s", 0, "tokens/s (higher is better)")
body += panel(380, "decode, batch 1", "decode_ms_per_token", 1, "ms/token (lower is better)")
open(sys.argv[2], "w").write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">' + "".join(body) + "</svg>\n")
