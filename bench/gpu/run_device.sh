#!/usr/bin/env bash
# Runs on the GPU machine (the device tool), from the repository root, over
# what bench/gpu/build.sh put in gpu-carry/: the GPU check (f32 and bf16 at odd
# shapes, each run twice for determinism), the 2^20-token runs (finite, last
# 1,000 tokens vs float64, deterministic), the benchmark at the shapes of
# ANCHORS.md, then compute-sanitizer
# memcheck and racecheck on the small checks; results and logs under $OUT.
# Usage: bash bench/gpu/run_device.sh [check|long|sanitize|bench|all] (default all)
set -uo pipefail
what="${1:-all}"
carry="gpu-carry"
out="${OUT:-/tmp/ssmc-gpu-out}"
mkdir -p "$out"
bin="$carry/ssmc-gpu-bench"
pkg="$carry/ops.ssmpkg"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader || true
status=0
if [ "$what" = all ] || [ "$what" = check ]; then
  echo "== check"
  "$bin" "$pkg" --check --json "$out/check.json" 2>&1 | tee "$out/check.log" || status=1
fi
if [ "$what" = all ] || [ "$what" = long ]; then
  echo "== long (2^20 tokens)"
  "$bin" "$pkg" --long --json "$out/long.json" 2>&1 | tee "$out/long.log" || status=1
fi
if [ "$what" = all ] || [ "$what" = bench ]; then
  echo "== bench"
  "$bin" "$pkg" --bench --json "$out/bench.json" 2>&1 | tee "$out/bench.log" || status=1
  python3 bench/gpu/plot.py "$out/bench.json" "$out/bench.png" || true
fi
if [ "$what" = all ] || [ "$what" = sanitize ]; then
  for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool $tool (small checks)"
    compute-sanitizer --tool "$tool" --error-exitcode 3 "$bin" "$pkg" --check --small \
      > "$out/sanitize-$tool.log" 2>&1
    rc=$?
    tail -n 3 "$out/sanitize-$tool.log"
    [ $rc -eq 0 ] || { echo "sanitizer $tool: exit $rc"; status=1; }
  done
fi
exit $status
