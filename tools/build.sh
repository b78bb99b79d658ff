#!/usr/bin/env bash
# Configures (once) and builds ssmc in build/ with Ninja; extra arguments go to the build (e.g. a target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DSSMC_WERROR=ON
fi
cmake --build "$build" "$@"
