#!/usr/bin/env bash
# Builds what bench/models/hf_check.py runs on the device tool's machine,
# into hf-carry/ (git-ignored; name it in the device tool's `carry`):
#   {mamba,mamba2}-{f32,bf16}.ssmpkg and ...-cuda.ssmpkg  the Mamba 130M and
#       Mamba-2 130M shapes in the layout HF transformers saves (config keys,
#       tensor names, tied embeddings), compiled for a generic x86-64-v3 CPU
#       and for the GPU (--target cuda:sm_90);
#   ssmc-model-check  runtime only (no MLIR): prefill logits as .npy, the
#       float64 reference check, greedy decoding.
# The packages depend on the shapes only; the weights are transformers' own,
# drawn on the device and checked against the package when loaded.
# Usage: bench/models/build_hf_carry.sh   (BUILD_DIR, default build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
carry="$root/hf-carry"
ninja -C "$build" ssmc ssmc-make-checkpoint ssmc-model-check >/dev/null
rm -rf "$carry" && mkdir -p "$carry"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dtype in f32 bf16; do
  "$build/bin/ssmc-make-checkpoint" --type mamba --out "$work/mamba-$dtype" --d-model 768 \
    --n-layer 24 --vocab 50280 --d-state 16 --dtype "$dtype" --seed 1 >/dev/null
  "$build/bin/ssmc-make-checkpoint" --type mamba2 --out "$work/mamba2-$dtype" --d-model 768 \
    --n-layer 24 --vocab 50280 --d-state 128 --head-dim 64 --chunk-size 256 --dtype "$dtype" \
    --seed 1 >/dev/null
  for model in mamba mamba2; do
    "$build/bin/ssmc" compile "$work/$model-$dtype" --cpu=x86-64-v3 \
      -o "$carry/$model-$dtype.ssmpkg" 2>/dev/null
    "$build/bin/ssmc" compile "$work/$model-$dtype" --target cuda:sm_90 \
      --cpu=x86-64-v3 -o "$carry/$model-$dtype-cuda.ssmpkg" 2>/dev/null
  done
done
cp "$build/bin/ssmc-model-check" "$root/bench/models/hf_check.py" "$carry/"
ls -la "$carry"
