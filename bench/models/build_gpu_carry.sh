#!/usr/bin/env bash
# Builds what bench/models/gpu_check.sh runs on the device tool's machine,
# into gpu-model-carry/ (git-ignored; name it in the device tool's `carry`):
#   tiny-{mamba,mamba2}-{f32,bf16}.ssmpkg, {mamba,mamba2}-130m-{f32,bf16}
#       .ssmpkg, mamba-2.8b-bf16.ssmpkg, mamba2-2.7b-bf16.ssmpkg: models
#       compiled with --target cuda (the GPU's entries; the host code for a
#       generic x86-64-v3 CPU), the checkpoints' shapes as gpu_check.sh and
#       gpu_bench.sh draw them there (ssmc-make-checkpoint, same seeds);
#   ssmc-model-check, ssmc-make-checkpoint: runtime only (no MLIR).
# Usage: bench/models/build_gpu_carry.sh [sm_90]   (BUILD_DIR, default build;
#   CKPT_CACHE, a directory that keeps the checkpoints between builds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
chip="${1:-sm_90}"
carry="$root/gpu-model-carry"
ninja -C "$build" ssmc ssmc-make-checkpoint ssmc-model-check >/dev/null
rm -rf "$carry" && mkdir -p "$carry"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The shapes (gpu_check.sh repeats them): tiny ones with the GPU SSD's state
# size (n a multiple of 32), then the 130M shapes.
source "$root/bench/models/gpu_shapes.sh"
for name in "${!shapes[@]}"; do
  dtypes="f32 bf16"
  # The large shapes are timed (gpu_bench.sh) in bf16 only.
  [[ $name == *-2.?b ]] && dtypes=bf16
  for dtype in $dtypes; do
    # CKPT_CACHE=DIR keeps the checkpoints (only their shapes matter here;
    # the 2.7B/2.8B ones take minutes to write) for the next build.
    ckpt="${CKPT_CACHE:-$work}/$name-$dtype"
    if [ ! -f "$ckpt/config.json" ]; then
      # shellcheck disable=SC2086
      "$build/bin/ssmc-make-checkpoint" ${shapes[$name]} --dtype "$dtype" \
        --out "$ckpt" >/dev/null
    fi
    "$build/bin/ssmc" compile "$ckpt" --target "cuda:$chip" \
      --cpu=x86-64-v3 -o "$carry/$name-$dtype.ssmpkg" 2>/dev/null
  done
done
cp "$build/bin/ssmc-model-check" "$build/bin/ssmc-make-checkpoint" \
  "$root/bench/models/gpu_shapes.sh" "$root/bench/models/gpu_check.sh" \
  "$root/bench/models/gpu_profile.sh" \
  "$root/bench/models/gpu_bench.sh" "$carry/"
ls -la "$carry"
