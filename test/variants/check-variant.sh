#!/usr/bin/env bash
# Checks one example variant (examples/variants/VARIANT.ssm) compiled for the
# CPU against the independent float64 loops of ssmc-variant-ref:
#   the full entry (zero initial states), the _init entry (given states), the
#   _step entry (one token), each at rel. L2 <= TOL, in the form the compiler
#   derives and, with FORM=sequential, in the sequential form.
# Usage: check-variant.sh VARIANT DIMS WORKDIR [TOL (1e-5)]
#   DIMS: the sizes ssmc-variant-ref takes, e.g. b=2,t=37,h=2
#   FORM (environment): auto (default), generic or sequential
#   SEGMENT (environment): --recurrence-segment (default -1, the target's)
set -euo pipefail
variant=$1 dims=$2 work=$3 tol=${4:-1e-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
form=${FORM:-auto}
segment=${SEGMENT:--1}
mkdir -p "$work"
pkg="$work/$variant-$form$segment.ssmpkg"
ssmc compile "$root/examples/variants/$variant.ssm" --dtype f32 \
  --recurrence-form "$form" --recurrence-segment "$segment" -o "$pkg"

# Runs ENTRY on DIR/arg*.npy and compares with DIR/expected*.npy.
run() {
  local entry=$1 dir=$2 args=()
  local n
  n=$(ls "$dir"/arg*.npy | wc -l)
  for ((i = 0; i < n; ++i)); do args+=(--input "$dir/arg$i.npy"); done
  ssmc eval --package "$pkg" --target cpu --entry "$entry" "${args[@]}" \
    --output "$dir/out" > /dev/null
  echo "$variant $entry ($form):"
  ssmc-variant-ref compare --expected "$dir" --actual "$dir/out" --tolerance "$tol"
}

ssmc-variant-ref "$variant" --dims "$dims" --seed 11 --dir "$work/$variant-full" > /dev/null
run "$variant" "$work/$variant-full"
ssmc-variant-ref "$variant" --dims "$dims" --seed 12 --init --dir "$work/$variant-init" > /dev/null
run "${variant}_init" "$work/$variant-init"
stepDims=$(echo "$dims" | sed -E 's/(^|,)t=[0-9]+/\1t=1/')
ssmc-variant-ref "$variant" --dims "$stepDims" --seed 13 --step --dir "$work/$variant-step" > /dev/null
run "${variant}_step" "$work/$variant-step"
