#!/usr/bin/env bash
# README's main job: a (random-weight) Mamba-2 checkpoint in the HF layout compiled to native code and
# run on this CPU (prefill, decode, text through its tokenizer), checked against the float64 reference
# model; then the example Mamba and Mamba-2 blocks compiled and checked the same way, with the
# decomposition and its reference evaluation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
example=$root/examples/02-mamba-block/mamba_block.mlir
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$root/tools/install-deps.sh"
"$root/tools/build.sh" --target ssmc ssmc-opt ssmc-make-checkpoint ssmc-model-check

echo "== a Mamba-2 checkpoint (random weights, HF layout, byte-level BPE tokenizer) =="
"$build/bin/ssmc-make-checkpoint" --type mamba2 --out "$out/model" --d-model 256 --n-layer 8 \
  --vocab 2048 --d-state 64 --head-dim 64 --chunk-size 64 --tokenizer --seed 7
echo "== ssmc compile MODEL_DIR: its stages (embed, layer, head) to native code for this CPU =="
"$build/bin/ssmc" compile "$out/model" -o "$out/model.ssmpkg"
echo "== ssmc run: prefill a text prompt, decode 24 tokens (greedy) =="
"$build/bin/ssmc" run "$out/model.ssmpkg" --weights "$out/model" \
  --prompt "State space models read a prompt in linear time" --max-new-tokens 24 --profile
echo "== the compiled model against the float64 reference model (prefill of 4 prompts, decode) =="
"$build/bin/ssmc-model-check" "$out/model.ssmpkg" "$out/model" --lengths 1,7,33,100

echo "== ssmc-opt --ssm-decompose-mixers (the Mamba-1 block) =="
"$build/bin/ssmc-opt" --ssm-decompose-mixers --canonicalize --cse "$example" \
  | sed -n '/func.func @mamba_block/,/^  }/p'

for entry in mamba_block mamba2_block; do
  echo "== ssmc eval @$entry: batch 2, length 9, random inputs =="
  "$build/bin/ssmc" eval "$example" --entry "$entry" --random-inputs 7 \
    --input-shape 0=2x9x16 --decompose --compare-undecomposed --exact \
    --output "$out/$entry-"
done

echo "== ssmc compile: both blocks to one package of native code for this CPU =="
"$build/bin/ssmc" compile "$example" -o "$out/mamba_block.ssmpkg"
ls -l "$out/mamba_block.ssmpkg"

for entry in mamba_block mamba2_block; do
  echo "== run @$entry from the package on the CPU: batch 3, length 37, vs the float64 reference =="
  "$build/bin/ssmc" eval "$example" --package "$out/mamba_block.ssmpkg" --entry "$entry" \
    --random-inputs 11 --input-shape 0=3x37x16 --target cpu --compare-reference \
    --output "$out/$entry-cpu-"
done
