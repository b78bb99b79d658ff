#!/usr/bin/env bash
# README's main job: decompose the example Mamba and Mamba-2 blocks and evaluate them.
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
