"""Validation of ssmc's compiled models against HF transformers (issue: the
model path's device check), run on the device tool's machine where
transformers and torch are installed:

  bash bench/models/build_hf_carry.sh          # here: packages + runtime tool
  run: python3 hf-carry/hf_check.py hf-carry   # there, carry ["hf-carry"]

For the Mamba 130M and Mamba-2 130M shapes (n_groups 1) it builds
random-weight models with transformers (its own initialisation, then every
parameter perturbed so that no norm weight or D is exactly one), saves them
(safetensors, f32 and bf16), and computes transformers' logits for prompts of
several lengths (each prompt on its own, on the CPU in float64 for f32 and in
bf16 for bf16) and its greedy generations (f32). ssmc-model-check then loads
the package over the saved directory (every tensor's name, dtype and shape
checked against the package), prefills the same prompts (packed, one batch),
writes its logits and decodes greedily. Prints and writes ($OUT/hf_check.json)
the relative L2 of ssmc's logits to transformers' (f32: <= 1e-4 asked; bf16:
<= 2e-2) and whether the greedy ids agree."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from transformers import (Mamba2Config, Mamba2ForCausalLM, MambaConfig,
                          MambaForCausalLM)

carry = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "hf-carry")
out = os.environ.get("OUT", "/tmp/hf-check")
os.makedirs(out, exist_ok=True)
work = "/tmp/hf-check-models"
os.makedirs(work, exist_ok=True)
torch.set_num_threads(16)
LENGTHS = [1, 7, 33, 100]
NEW_TOKENS = 16


def build(kind):
    if kind == "mamba":
        cfg = MambaConfig(vocab_size=50280, hidden_size=768, state_size=16,
                          num_hidden_layers=24, expand=2, conv_kernel=4,
                          use_bias=False, use_conv_bias=True,
                          time_step_rank=48, tie_word_embeddings=True,
                          layer_norm_epsilon=1e-5)
        model = MambaForCausalLM(cfg)
    else:
        cfg = Mamba2Config(vocab_size=50280, hidden_size=768, state_size=128,
                           num_hidden_layers=24, expand=2, conv_kernel=4,
                           n_groups=1, head_dim=64, num_heads=24,
                           chunk_size=256, use_bias=False, use_conv_bias=True,
                           tie_word_embeddings=True, layer_norm_epsilon=1e-5)
        model = Mamba2ForCausalLM(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or name.endswith(".D"):
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def rel_l2(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


rng = np.random.default_rng(0)
prompts = [rng.integers(0, 50280, n).tolist() for n in LENGTHS]
rows = []
status = 0
for kind in ["mamba", "mamba2"]:
    torch.manual_seed(1 if kind == "mamba" else 2)
    model = build(kind)
    for dtype in ["f32", "bf16"]:
        d = os.path.join(work, f"{kind}-{dtype}")
        # (Module.to converts in place: f32 first, then bf16.)
        m = model.to(torch.float32 if dtype == "f32" else torch.bfloat16)
        m.save_pretrained(d, safe_serialization=True)
        t0 = time.time()
        # transformers' logits, each prompt alone: float64 for f32 (its
        # own weights, upcast), bf16 as saved; and f32 on the bf16 weights.
        want, want_f32w = [], []
        with torch.no_grad():
            # The saved weights in a second model: float64 for f32, float32
            # (upcast) for bf16.
            ref = build(kind)
            ref.load_state_dict({k: v.to(torch.float32)
                                 for k, v in m.state_dict().items()})
            if dtype == "f32":
                ref = ref.to(torch.float64)
                try:
                    ref(torch.tensor([prompts[1]]))
                except Exception as e:  # a float32-only op in the slow path
                    print(f"{kind}: float64 transformers failed ({e}); "
                          "float32 instead", flush=True)
                    ref = ref.to(torch.float32)
            for p in prompts:
                ids = torch.tensor([p])
                want.append(m(ids).logits[0].to(torch.float64).numpy()
                            if dtype == "bf16" else
                            ref(ids).logits[0].numpy())
                if dtype == "bf16":
                    want_f32w.append(ref(ids).logits[0].to(torch.float64)
                                     .numpy())
            gen = []
            if dtype == "f32":
                for p in prompts:
                    g = m.generate(torch.tensor([p]), max_new_tokens=NEW_TOKENS,
                                   do_sample=False)
                    gen.append(g[0, len(p):].tolist())
        hf_s = time.time() - t0
        cmd = [os.path.join(carry, "ssmc-model-check"),
               os.path.join(carry, f"{kind}-{dtype}.ssmpkg"), d,
               "--logits-out", os.path.join(d, "ssmc"),
               "--generate", str(NEW_TOKENS)]
        for p in prompts:
            cmd += ["--prompt-ids", ",".join(map(str, p))]
        t0 = time.time()
        res = subprocess.run(cmd, capture_output=True, text=True)
        ssmc_s = time.time() - t0
        print(res.stdout + res.stderr, flush=True)
        if res.returncode not in (0, 1) or not os.path.exists(
                os.path.join(d, "ssmc0.npy")):
            rows.append({"model": kind, "weights": dtype,
                         "error": (res.stderr or res.stdout)[-2000:]})
            status = 1
            continue
        got_gen = {}
        for line in res.stdout.splitlines():
            if line.startswith("generated prompt "):
                head, ids = line[len("generated prompt "):].split(":", 1)
                got_gen[int(head)] = [int(x) for x in ids.split()]
        tol = 1e-4 if dtype == "f32" else 2e-2
        for i, p in enumerate(prompts):
            got = np.load(os.path.join(d, f"ssmc{i}.npy"))
            r = rel_l2(got, want[i])
            row = {"model": kind, "weights": dtype, "length": len(p),
                   "rel_l2_to_transformers": r, "tolerance": tol,
                   "ok": r <= tol, "transformers_s": round(hf_s, 1),
                   "ssmc_check_s": round(ssmc_s, 1),
                   "ssmc_vs_float64_reference": res.returncode == 0}
            if dtype == "bf16":
                row["rel_l2_to_transformers_f32_on_bf16_weights"] = rel_l2(
                    got, want_f32w[i])
            if dtype == "f32":
                row["greedy_transformers"] = gen[i]
                row["greedy_ssmc"] = got_gen.get(i)
                row["greedy_equal"] = gen[i] == got_gen.get(i)
                row["ok"] = row["ok"] and row["greedy_equal"]
            status |= 0 if row["ok"] else 1
            rows.append(row)
            extra = (f", f32 on bf16 weights {row['rel_l2_to_transformers_f32_on_bf16_weights']:.2e}"
                     if dtype == "bf16" else
                     f", greedy {'equal' if row['greedy_equal'] else 'DIFFERENT'}")
            print(f"{kind} {dtype} length {len(p)}: rel. L2 to transformers "
                  f"{r:.2e} (<= {tol:g}){extra} {'ok' if row['ok'] else 'FAILED'}",
                  flush=True)
json.dump(rows, open(os.path.join(out, "hf_check.json"), "w"), indent=1)
print("hf check:", "all ok" if status == 0 else "FAILED")
sys.exit(status)
