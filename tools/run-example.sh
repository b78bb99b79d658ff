#!/usr/bin/env bash
# README's main job: compile the example Mamba and Mamba-2 blocks to native code and run them on this CPU,
# checked against the float64 reference; also show the decomposition and its reference evaluation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
example=$root/examples/02-mamba-block/mamba_block.mlir
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$root/tools/install-deps.sh"
"$root/tools/build.sh" --target ssmc ssmc-opt

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
