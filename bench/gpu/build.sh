#!/usr/bin/env bash
# Builds what bench/gpu/run_device.sh runs on the GPU machine, into
# gpu-carry/ (git-ignored; name it in the device tool's `carry`):
#   ops.ssmpkg       bench/gpu/ops.mlir compiled with ssmc compile --target cuda
#   ops-poly4.ssmpkg the same with --gpu-scan-poly-exps=4
#   ssmc-gpu-bench   the check/benchmark program (runtime only, no MLIR)
# Usage: bench/gpu/build.sh [sm_90]   (BUILD_DIR, default build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
chip="${1:-sm_90}"
ninja -C "$build" ssmc ssmc-gpu-bench >/dev/null
mkdir -p "$root/gpu-carry"
"$build/bin/ssmc" compile "$root/bench/gpu/ops.mlir" --target "cuda:$chip" \
  -o "$root/gpu-carry/ops.ssmpkg"
# A variant with 4 of the 16 decays of each scan step on the FMA pipes.
"$build/bin/ssmc" compile "$root/bench/gpu/ops.mlir" --target "cuda:$chip" \
  --gpu-scan-poly-exps=4 -o "$root/gpu-carry/ops-poly4.ssmpkg"
cp "$build/bin/ssmc-gpu-bench" "$root/gpu-carry/"
ls -la "$root/gpu-carry"
