#!/usr/bin/env bash
# Builds what bench/variants/run_device.sh runs on the GPU machine, into
# variants-carry/ (git-ignored; name it in the device tool's `carry`): every
# examples/variants/*.ssm compiled with `ssmc compile --target cuda` in f32
# (V-f32.ssmpkg) and with its declared bf16 activations (V-bf16.ssmpkg), Mamba-1
# and Mamba-2 also without the built-in ops (V-generic-bf16.ssmpkg), and the
# runtime-only programs ssmc-exec and ssmc-variant-ref.
# Usage: bench/variants/build.sh [sm_90]   (BUILD_DIR, default build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
chip="${1:-sm_90}"
carry="$root/variants-carry"
ninja -C "$build" ssmc ssmc-exec ssmc-variant-ref >/dev/null
mkdir -p "$carry"
for f in "$root"/examples/variants/*.ssm; do
  v=$(basename "$f" .ssm)
  "$build/bin/ssmc" compile "$f" --target "cuda:$chip" --dtype f32 -o "$carry/$v-f32.ssmpkg"
  "$build/bin/ssmc" compile "$f" --target "cuda:$chip" -o "$carry/$v-bf16.ssmpkg"
done
for v in mamba1 mamba2; do
  "$build/bin/ssmc" compile "$root/examples/variants/$v.ssm" --target "cuda:$chip" \
    --recurrence-form generic -o "$carry/$v-generic-bf16.ssmpkg"
done
cp "$build/bin/ssmc-exec" "$build/bin/ssmc-variant-ref" "$carry/"
du -sh "$carry"
