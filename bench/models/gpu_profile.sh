#!/usr/bin/env bash
# Where a model's GPU time goes, kernel by kernel (device tool): the
# runtime's SSMC_CUDA_PROFILE=1 times every launch with events and prints
# the totals per kernel at exit. Two runs per model of gpu-model-carry/:
# a prefill of 2048 tokens (one untimed warm-up, so each kernel counts
# twice), and 32 decode steps entry by entry (SSMC_CUDA_GRAPHS=0: launches
# inside a graph are not timed one by one). Output: $OUT/profile-NAME.txt.
# Usage (there): bash gpu-model-carry/gpu_profile.sh gpu-model-carry NAME...
set -uo pipefail
carry=$(cd "${1:-gpu-model-carry}" && pwd)
shift
out=${OUT:-/tmp/ssmc-device-out}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$carry/gpu_shapes.sh"
for name in "$@"; do
  dir=$work/$name
  # shellcheck disable=SC2086
  "$carry/ssmc-make-checkpoint" ${shapes[$name]} --dtype bf16 --out "$dir" >/dev/null
  pkg=$carry/$name-bf16.ssmpkg
  {
    echo "== $name: prefill 2048 tokens (x2)"
    SSMC_CUDA_PROFILE=1 "$carry/ssmc-model-check" "$pkg" "$dir" --device cuda \
      --lengths 2048 --bench 1 2>&1
    echo "== $name: decode, 32 steps entry by entry (+1 warm-up step)"
    SSMC_CUDA_PROFILE=1 SSMC_CUDA_GRAPHS=0 "$carry/ssmc-model-check" "$pkg" \
      "$dir" --device cuda --lengths 1 --bench 33 2>&1
  } > "$out/profile-$name.txt"
  head -n 40 "$out/profile-$name.txt"
done
