#!/usr/bin/env bash
# One device-tool call for both GPU suites (the machine stays warm only
# briefly between calls): bench/gpu's check and benchmark, then
# bench/variants' check and benchmark, then bench/gpu's 2^20-token runs and
# sanitizers; each part under a time limit, results under $OUT/gpu and
# $OUT/variants. Build first with bench/gpu/build.sh and bench/variants/build.sh.
# Usage: bash bench/device_all.sh [PARTS...]  (default: all parts, in order;
# parts: gpu-check gpu-bench variants-check variants-bench gpu-long gpu-sanitize)
set -uo pipefail
base="${OUT:-/tmp/ssmc-device-out}"
mkdir -p "$base/gpu" "$base/variants"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(gpu-check gpu-bench variants-check variants-bench gpu-long gpu-sanitize)
status=0
for part in "${parts[@]}"; do
  start=$(date +%s)
  case $part in
    gpu-check) OUT=$base/gpu timeout 90 bash bench/gpu/run_device.sh check ;;
    gpu-bench) OUT=$base/gpu timeout 150 bash bench/gpu/run_device.sh bench ;;
    variants-check) OUT=$base/variants timeout 120 bash bench/variants/run_device.sh check ;;
    variants-bench) OUT=$base/variants timeout 400 bash bench/variants/run_device.sh bench ;;
    gpu-long) OUT=$base/gpu timeout 90 bash bench/gpu/run_device.sh long ;;
    gpu-sanitize) OUT=$base/gpu timeout 150 bash bench/gpu/run_device.sh sanitize ;;
    *) echo "unknown part $part"; status=2; continue ;;
  esac
  rc=$?
  echo "== $part: exit $rc, $(( $(date +%s) - start )) s"
  [ $rc -eq 0 ] || status=1
done
exit $status
