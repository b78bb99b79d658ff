#!/usr/bin/env bash
# Whole models on the GPU (device tool): each package of gpu-model-carry/
# (bench/models/build_gpu_carry.sh) over a checkpoint drawn here with the
# same generator and seed, prefill logits against the float64 reference
# model and decode steps against the prefill (ssmc-model-check --device
# cuda): f32 rel. L2 <= 1e-4, bf16 weights <= 2e-2 (the reference reads the
# same bf16 values; the GPU computes in f32 with the SSD in its recurrent
# f32 form). Results under $OUT/models.
# Usage (there): bash gpu-model-carry/gpu_check.sh gpu-model-carry
set -uo pipefail
carry=$(cd "${1:-gpu-model-carry}" && pwd)
out=${OUT:-/tmp/ssmc-device-out}/models
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$carry/gpu_shapes.sh"
status=0
for name in tiny-mamba tiny-mamba2 mamba-130m mamba2-130m; do
  for dtype in f32 bf16; do
    tol=1e-4; [ "$dtype" = bf16 ] && tol=2e-2
    lengths=1,7,33; [[ $name == tiny-* ]] && lengths=1,6,19,40
    # shellcheck disable=SC2086
    "$carry/ssmc-make-checkpoint" ${shapes[$name]} --dtype "$dtype" \
      --out "$work/$name-$dtype" >/dev/null
    # A batch of prompts of different lengths, then one prompt alone (the
    # decode step's single-row projections take kernels of their own).
    for run in "$lengths" 9; do
      suffix=""; [ "$run" = 9 ] && suffix=-b1
      start=$(date +%s%N)
      timeout 120 "$carry/ssmc-model-check" "$carry/$name-$dtype.ssmpkg" \
        "$work/$name-$dtype" --device cuda --lengths "$run" --tol "$tol" \
        > "$out/$name-$dtype$suffix.txt" 2>&1
      rc=$?
      end=$(date +%s%N)
      printf '== %s %s, lengths %s: exit %d, %d ms\n' "$name" "$dtype" "$run" \
        "$rc" $(( (end - start) / 1000000 ))
      cat "$out/$name-$dtype$suffix.txt"
      [ $rc -eq 0 ] || status=1
    done
    rm -rf "$work/$name-$dtype"
  done
done
exit $status
