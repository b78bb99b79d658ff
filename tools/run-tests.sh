#!/usr/bin/env bash
# README's test command: installs what is missing, builds, and runs every test suite (lit + GoogleTest)
# through ctest; then the same suites again from an AddressSanitizer + UndefinedBehaviorSanitizer build
# in build-asan/ (leak checks on; SSMC_SANITIZERS=0 skips this second run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
start=$(date +%s)
"$root/tools/install-deps.sh"
"$root/tools/build.sh"
echo "run-tests: built in $(( $(date +%s) - start )) s"
ctest --test-dir "$build" --output-on-failure "$@"

if [ "${SSMC_SANITIZERS:-1}" != 0 ]; then
  asan=${SSMC_ASAN_BUILD_DIR:-$root/build-asan}
  san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  start=$(date +%s)
  if [ ! -f "$asan/build.ninja" ]; then
    cmake -S "$root" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DSSMC_WERROR=ON \
      -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
      -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
  fi
  cmake --build "$asan"
  echo "run-tests: sanitizer build in $(( $(date +%s) - start )) s"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$asan" --output-on-failure "$@"
fi
