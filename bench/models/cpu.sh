#!/usr/bin/env bash
# Whole-model CPU benchmark: the Mamba 130M and Mamba-2 130M shapes (random
# weights, HF layout) in f32 and in f16 weights, compiled by ssmc and run by
# `ssmc run`: prefill of 512 tokens (tokens/s) and decode (ms/token, greedy,
# batch 1), median of --runs. Writes results/cpu.json and results/cpu.svg and
# prints a table beside llama.cpp's figures from ANCHORS.md (same machine
# kind) and the floor of reading the weights once per token, at ANCHORS.md's
# 48 GB/s and at the read bandwidth measured (bandwidth.c) just before and
# after each model's runs: this VM's bandwidth moves from hour to hour.
# Usage: bench/models/cpu.sh [--runs 3] [--out DIR]   (BUILD_DIR, default build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=3
out=$root/bench/models/results
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--out DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
ninja -C "$build" ssmc ssmc-make-checkpoint >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O3 -march=native -ffast-math -pthread "$root/bench/models/bandwidth.c" -o "$work/bandwidth"
# Debian 12's OpenBLAS takes Zen 4/5 for Haswell; its AVX-512 kernels are
# selected by name (see runtime/cpu/Gemm.cpp).
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SKYLAKEX}; fi
prompt=$(python3 -c "print(','.join(str(i * 7919 % 50000) for i in range(512)))")
json="["
sep=""
for model in mamba mamba2; do
  for dtype in f32 f16; do
    dir=$work/$model-$dtype
    if [ $model = mamba ]; then
      "$build/bin/ssmc-make-checkpoint" --type mamba --out "$dir" --d-model 768 --n-layer 24 \
        --vocab 50280 --d-state 16 --dtype $dtype --seed 1 >/dev/null
    else
      "$build/bin/ssmc-make-checkpoint" --type mamba2 --out "$dir" --d-model 768 --n-layer 24 \
        --vocab 50280 --d-state 128 --head-dim 64 --chunk-size 256 --dtype $dtype --seed 1 >/dev/null
    fi
    "$build/bin/ssmc" compile "$dir" -o "$dir.ssmpkg" 2>/dev/null
    bytes=$(du -b "$dir"/*.safetensors | awk '{s += $1} END {print s}')
    pre=(); dec=()
    bw0=$("$work/bandwidth")
    for r in $(seq "$runs"); do
      line=$("$build/bin/ssmc" run "$dir.ssmpkg" --weights "$dir" --prompt-ids "$prompt" \
               --max-new-tokens 65 2>&1 >/dev/null | grep '^load')
      pre+=("$(echo "$line" | sed -E 's/.*\(([0-9.]+) tokens\/s\).*/\1/')")
      dec+=("$(echo "$line" | sed -E 's/.*\(([0-9.]+) ms\/step\).*/\1/')")
    done
    med() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
    p=$(med "${pre[@]}"); d=$(med "${dec[@]}")
    bw1=$("$work/bandwidth")
    bw=$(echo "$bw0 $bw1" | awk '{printf "%.1f", ($1 + $2) / 2}')
    echo "$model $dtype: prefill $p tokens/s, decode $d ms/token (weights $bytes bytes; read bandwidth $bw0 / $bw1 GB/s before / after)"
    json+="$sep{\"model\": \"$model-130m\", \"weights\": \"$dtype\", \"prefill_tokens_per_s\": $p, \"decode_ms_per_token\": $d, \"weight_bytes\": $bytes, \"bandwidth_gbs\": $bw, \"runs\": $runs}"
    sep=", "
  done
done
json+="]"
echo "$json" > "$out/cpu.json"
python3 "$root/bench/models/table.py" "$out/cpu.json" "$out/cpu.svg"
