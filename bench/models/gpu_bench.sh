#!/usr/bin/env bash
# Whole models on the GPU (device tool), timed the way ANCHORS.md times
# mamba_ssm's MambaLMHeadModel: random weights of the released shapes, bf16,
# batch 1: prefill of 2048 tokens, decode ms/token (greedy); and decode
# tokens/s at batch 64. Each package of gpu-model-carry/ (build_gpu_carry.sh)
# runs with `ssmc-model-check --bench` (the runtime alone: prefill, then
# greedy steps, one untimed warm-up of each) over a checkpoint drawn there
# with the same generator and seed. Prints a table beside ANCHORS.md's mamba_ssm
# figures and the floor (the weights read once per token at the GPU's
# memory bandwidth); writes $OUT/models/gpu-bench.json.
# Usage (there): bash gpu-model-carry/gpu_bench.sh gpu-model-carry [--large]
#   (GPU_BENCH_MODELS="mamba2-2.7b" for some models only)
set -uo pipefail
carry=$(cd "${1:-gpu-model-carry}" && pwd)
large=${2:-}
out=${OUT:-/tmp/ssmc-device-out}/models
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$carry/gpu_shapes.sh"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
# HBM bandwidth of the card for the floor: H100 SXM 3.35 TB/s, H200 4.8.
bw=3.35e12; [[ $gpu == *H200* ]] && bw=4.8e12
# mamba_ssm on an H100 (ANCHORS.md): prefill 2048 ms, decode ms/token.
declare -A peer=([mamba-130m]="26.0 0.707" [mamba2-130m]="51.3 0.674"
                 [mamba-2.8b]="48.2 3.79" [mamba2-2.7b]="101 3.49")
names=(mamba-130m mamba2-130m)
[ "$large" = --large ] && names+=(mamba-2.8b mamba2-2.7b)
# GPU_BENCH_MODELS="mamba2-2.7b ..." times those alone.
[ -n "${GPU_BENCH_MODELS:-}" ] && read -r -a names <<< "$GPU_BENCH_MODELS"
b64=$(python3 -c "print(','.join(['16'] * 64))")
json="["; sep=""
printf '%-12s %12s %9s %12s %9s %10s %14s\n' model "prefill ms" "vs peer" "decode ms" "vs peer" "floor ms" "b64 tokens/s"
for name in "${names[@]}"; do
  dir=$work/$name
  # shellcheck disable=SC2086
  "$carry/ssmc-make-checkpoint" ${shapes[$name]} --dtype bf16 --out "$dir" >/dev/null
  bytes=$(du -b "$dir"/*.safetensors | awk '{s += $1} END {print s}')
  pkg=$carry/$name-bf16.ssmpkg
  one=$("$carry/ssmc-model-check" "$pkg" "$dir" --device cuda --lengths 2048 --bench 65 2>&1)
  echo "$one" > "$out/$name-b1.txt"
  many=$("$carry/ssmc-model-check" "$pkg" "$dir" --device cuda --lengths "$b64" --bench 33 2>&1)
  echo "$many" > "$out/$name-b64.txt"
  line=$(echo "$one" | grep '^load')
  pre=$(echo "$line" | sed -E 's/.*prefill [0-9]+ tokens in ([0-9.]+) s.*/\1/')
  dec=$(echo "$line" | sed -E 's/.*\(([0-9.]+) ms\/step\).*/\1/')
  dec64=$(echo "$many" | grep '^load' | sed -E 's/.*\(([0-9.]+) ms\/step\).*/\1/')
  read -r ppre pdec <<< "${peer[$name]}"
  python3 - "$name" "$pre" "$dec" "$dec64" "$ppre" "$pdec" "$bytes" "$bw" <<'PY' | tee -a "$out/gpu-bench.txt"
import sys
name, pre, dec, dec64, ppre, pdec, nbytes, bw = sys.argv[1:]
pre_ms = float(pre) * 1e3
floor = float(nbytes) / float(bw) * 1e3
print(f"{name:<12} {pre_ms:12.2f} {float(ppre) / pre_ms:8.2f}x {float(dec):12.3f} "
      f"{float(pdec) / float(dec):8.2f}x {floor:10.3f} {64e3 / float(dec64):14.0f}")
PY
  json+="$sep{\"model\": \"$name\", \"gpu\": \"$gpu\", \"prefill_2048_s\": $pre, \"decode_ms\": $dec, \"decode_b64_ms_per_step\": $dec64, \"weight_bytes\": $bytes, \"peer_prefill_ms\": $ppre, \"peer_decode_ms\": $pdec}"
  sep=", "
  rm -rf "$dir"
done
echo "$json]" > "$out/gpu-bench.json"
