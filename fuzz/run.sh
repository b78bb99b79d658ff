#!/usr/bin/env bash
# Builds the fuzz targets in build-fuzz/ and runs each for a fixed time.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS defaults to 60; TARGETs (safetensors index config tokenizer encode
# package json dsl ir) default to all, run one after another. Each target
# starts from the checked-in seeds (fuzz/corpus/<target>, never written)
# plus what earlier runs found (build-fuzz/corpus/<target>, where new inputs
# go).
# Crashes, leaks, hangs and UB reports land in build-fuzz/artifacts/<target>/;
# logs in build-fuzz/logs/<target>.log. Prints per target the executions,
# coverage (cov, ft) and crashes; exits 1 when any target found one.
#
# dsl and ir need Debian's LLVM/MLIR 22; ir also needs the ssm dialect's
# TableGen headers from the main build ($SSMC_BUILD_DIR, default build/), so
# build ssmc first.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
  targets=(safetensors index config tokenizer encode package json dsl ir)
cxx=${CXX_FUZZ:-clang++-22}
main_build=${SSMC_BUILD_DIR:-$root/build}

# Largest input per target: room above the biggest seed.
max_len() {
  case $1 in
  safetensors) echo 8192 ;;
  tokenizer) echo 16384 ;;
  ir) echo 8192 ;;
  *) echo 4096 ;;
  esac
}

# A target's own dictionary, fuzz/<target>.dict, where it has one (dsl, ir);
# else ssmc.dict, which the runtime readers share.
dict() {
  if [ -f "$root/fuzz/$1.dict" ]; then
    echo "$root/fuzz/$1.dict"
  else
    echo "$root/fuzz/ssmc.dict"
  fi
}

for t in "${targets[@]}"; do
  inc=$main_build/include/ssmc/Dialect/SSM/IR/SSMOps.h.inc
  if [ "$t" = ir ] && [ ! -f "$inc" ]; then
    echo "fuzz-ir needs the ssm dialect's TableGen headers: $inc is missing." >&2
    echo "Build ssmc first (cmake -G Ninja -B build && ninja -C build), or" >&2
    echo "point SSMC_BUILD_DIR at a build of it." >&2
    exit 2
  fi
done

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" \
    -DSSMC_BUILD_DIR="$main_build" >/dev/null
fi
ninja -C "$build" $(printf 'fuzz-%s ' "${targets[@]}") >/dev/null

# The targets' scratch files, in memory when /dev/shm is there; removed at
# the end even when a crash kept a target from cleaning up.
scratch=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/ssmc-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export SSMC_FUZZ_TMPDIR=$scratch

summary=()
failed=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  log=$build/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  echo "== fuzz-$t: ${seconds}s"
  status=0
  "$build/fuzz-$t" "$corpus" "$root/fuzz/corpus/$t" \
    -dict="$(dict "$t")" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  # "#123456 DONE cov: 1 ft: 2 corp: ..." is the last status line; a crash
  # ends the run before it, so take the last line with cov: at all.
  last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1 || true)
  execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" |
    grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  crash=none
  if [ "$status" -ne 0 ]; then
    failed=1
    # The most specific report first: a failed check or UB, then the
    # sanitizer's or libFuzzer's own verdict (leak, timeout, out-of-memory).
    what=$(grep -Eo 'ssmc fuzz check failed: .*|runtime error: .*' "$log" |
      head -n 1 || true)
    [ -n "$what" ] || what=$(grep -Eo 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+' "$log" |
      head -n 1 || true)
    crash="exit $status: ${what:-see $log} ($(ls "$artifacts" | head -n 1))"
  fi
  summary+=("$(printf '%-12s execs %-10s cov %-6s ft %-6s crash: %s' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crash")")
done

printf '%s\n' "${summary[@]}"
exit $failed
