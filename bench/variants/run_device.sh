#!/usr/bin/env bash
# Runs on the GPU machine (the device tool), from the repository root, over
# what bench/variants/build.sh put in variants-carry/:
#   check: every example variant on the GPU against the float64 loops of
#          ssmc-variant-ref at odd sizes: the full, _init and _step entries in
#          f32 (rel. L2 <= 1e-5) and with bf16 activations (<= 5e-3);
#   bench: the derived kernels at the shapes of ANCHORS.md's variants table,
#          (b, t, heads, key, value) = (8, 2048, 16, 128, 128) and
#          (1, 65536, 16, 128, 128), bf16, median of 20 CUDA-event timings
#          (ssmc-exec --time), beside flash-linear-attention's figures; and
#          Mamba-1 / Mamba-2 from the DSL at the scan and SSD shapes.
# Results and logs under $OUT (check.log, bench.log, variants.json).
# Usage: bash bench/variants/run_device.sh [check|bench|all] (default all;
#   VARIANTS="retnet simple_gla" times only those)
set -uo pipefail
what="${1:-all}"
carry="variants-carry"
out="${OUT:-/tmp/ssmc-variants-out}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
exe="$carry/ssmc-exec"
ref="$carry/ssmc-variant-ref"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
status=0

# run PKG ENTRY DIR: the entry on DIR/arg*.npy into DIR/out*.npy.
run() {
  local pkg=$1 entry=$2 dir=$3 args=() n
  n=$(ls "$dir"/arg*.npy | wc -l)
  for ((i = 0; i < n; ++i)); do args+=(--input "$dir/arg$i.npy"); done
  timeout 60 "$exe" "$pkg" --entry "$entry" "${args[@]}" --output "$dir/out" --device cuda >/dev/null
}

# check VARIANT DIMS: f32 and bf16, full, _init and _step.
check() {
  local v=$1 dims=$2 stepDims
  stepDims=$(echo "$dims" | sed -E 's/(^|,)t=[0-9]+/\1t=1/')
  for dtype in f32 bf16; do
    local tol=1e-5 flag=""
    [ $dtype = bf16 ] && { tol=5e-3; flag=--bf16; }
    for form in full init step; do
      local d="$work/$v-$dtype-$form" entry=$v extra=() dm=$dims
      case $form in
        init) entry=${v}_init; extra=(--init) ;;
        step) entry=${v}_step; extra=(--step); dm=$stepDims ;;
      esac
      "$ref" "$v" --dims "$dm" --seed 7 $flag "${extra[@]}" --dir "$d" >/dev/null
      if run "$carry/$v-$dtype.ssmpkg" "$entry" "$d" &&
         res=$("$ref" compare --expected "$d" --actual "$d/out" --tolerance $tol); then
        echo "ok     $v $entry $dtype: $(echo "$res" | grep -o 'rel L2 = [^ ]*' | tr '\n' ' ')"
      else
        echo "FAILED $v $entry $dtype: $res"
        status=1
      fi
    done
  done
}

if [ "$what" = all ] || [ "$what" = check ]; then
  echo "== check"
  {
    check mamba1 b=2,t=37,d=7
    check mamba2 b=2,t=37,h=2
    check retnet b=1,t=37,h=2
    check simple_gla b=2,t=37,h=2
    check gla b=2,t=37,h=2
    check hgrn b=1,t=37,d=7
    check hgrn2 b=1,t=37,h=2
    check rotary b=2,t=37,h=2
    check deltanet b=1,t=37,h=3
  } 2>&1 | tee "$out/check.log"
  grep -q FAILED "$out/check.log" && status=1
fi

# bench NAME PKG ENTRY VARIANT DIMS PEER_MS: one timing line.
json="["
sep=""
bench() {
  local name=$1 pkg=$2 entry=$3 v=$4 dims=$5 peer=$6 runs=${7:-20} d="$work/bench"
  # VARIANTS="a b": time only those (a short device call).
  [ -n "${VARIANTS:-}" ] && [[ " $VARIANTS " != *" $name "* ]] && return
  rm -rf "$d"
  "$ref" "$v" --dims "$dims" --seed 3 --bf16 --no-expected --dir "$d" >/dev/null
  local args=() n
  n=$(ls "$d"/arg*.npy | wc -l)
  for ((i = 0; i < n; ++i)); do args+=(--input "$d/arg$i.npy"); done
  local line ms
  line=$(timeout 120 "$exe" "$carry/$pkg" --entry "$entry" "${args[@]}" --output "$d/out" \
         --device cuda --time "$runs" 2>&1 | grep '^time:')
  ms=$(echo "$line" | sed -E 's/time: ([0-9.]+) ms.*/\1/')
  [ -z "$ms" ] && { echo "$name $dims: no time ($line)"; status=1; return; }
  local ratio="-"
  [ "$peer" != "-" ] && ratio=$(awk -v p="$peer" -v m="$ms" 'BEGIN {printf "%.2fx", p / m}')
  printf '%-28s %-26s %10.3f ms %10s ms %8s\n' "$name" "$dims" "$ms" "$peer" "$ratio" | tee -a "$out/bench.log"
  json+="$sep{\"name\": \"$name\", \"dims\": \"$dims\", \"ms\": $ms, \"peer_ms\": \"$peer\"}"
  sep=", "
}

if [ "$what" = all ] || [ "$what" = bench ]; then
  echo "== bench (bf16)" | tee "$out/bench.log"
  printf '%-28s %-26s %13s %13s %8s\n' variant shape ssmc "fla (H100)" "vs fla" | tee -a "$out/bench.log"
  peer() { [ "$t" = b=8,t=2048 ] && echo "$1" || echo "$2"; }
  for t in "b=8,t=2048" "b=1,t=65536"; do
    bench retnet retnet-bf16.ssmpkg retnet retnet "$t,h=16" "$(peer 0.761 2.05)"
    bench simple_gla simple_gla-bf16.ssmpkg simple_gla simple_gla "$t,h=16" "$(peer 0.467 1.83)"
    bench hgrn hgrn-bf16.ssmpkg hgrn hgrn "$t,d=2048" "$(peer 0.363 2.24)"
  done
  # The DSL's Mamba-1 and Mamba-2 (built-in ops) and their generic forms,
  # against the built-in kernels' figures of bench/gpu (README).
  bench mamba1-dsl mamba1-bf16.ssmpkg mamba1 mamba1 b=8,d=5120,t=2048 -
  bench mamba2-dsl mamba2-bf16.ssmpkg mamba2 mamba2 b=8,t=2048,h=80 -
  bench mamba1-generic mamba1-generic-bf16.ssmpkg mamba1 mamba1 b=8,d=5120,t=2048 - 5
  bench mamba2-generic mamba2-generic-bf16.ssmpkg mamba2 mamba2 b=8,t=2048,h=80 - 5
  # Per-key decays (GLA, HGRN2) have no kernel of their own yet: the generic
  # path, a few runs each, last.
  for t in "b=8,t=2048" "b=1,t=65536"; do
    bench gla gla-bf16.ssmpkg gla gla "$t,h=16" "$(peer 0.836 5.00)" 3
    bench hgrn2 hgrn2-bf16.ssmpkg hgrn2 hgrn2 "$t,h=16" - 3
  done
  echo "$json]" > "$out/variants.json"
fi
exit $status
