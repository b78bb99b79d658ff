#!/usr/bin/env bash
# README's test command: installs what is missing, builds, and runs every test suite (lit + GoogleTest) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
start=$(date +%s)
"$root/tools/install-deps.sh"
"$root/tools/build.sh"
echo "run-tests: built in $(( $(date +%s) - start )) s"
ctest --test-dir "$build" --output-on-failure "$@"
