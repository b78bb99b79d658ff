#!/usr/bin/env bash
# Builds and runs the CPU baselines (scalar loops, Halide) and prints one table; extra args go to both.
# Usage: bench/cpu/run.sh [--runs N] [--quick]   (BUILD_DIR, default build-bench; NO_INSTALL=1 skips apt)
# Then ssmc's compiled scan (bench/ssmc_bench.cpp) when the main build (SSMC_BUILD_DIR, default build)
# has it: `ninja -C build ssmc-bench`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"

# Halide 14 from Debian, only when missing (as tools/install-deps.sh does).
if [ "${NO_INSTALL:-0}" != 1 ]; then
  pkgs=(cmake ninja-build g++ python3 libhalide14-0-dev)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -ne 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "run.sh: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

cmake -S "$root/bench/cpu" -B "$build" -G Ninja >/dev/null
ninja -C "$build" >/dev/null

out="$build/results"
mkdir -p "$out"
rm -f "$out"/*.json
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/scalar-baseline" --json "$out/scalar.json" "$@"
if [ -x "$build/halide-baseline" ]; then
  "$build/halide-baseline" --json "$out/halide.json" "$@"
  HL_NUM_THREADS=1 "$build/halide-baseline" --json "$out/halide-1t.json" "$@"
fi
ssmc_bench="${SSMC_BUILD_DIR:-$root/build}/bin/ssmc-bench"
if [ -x "$ssmc_bench" ]; then
  "$ssmc_bench" --baselines "$out" --json "$out/ssmc.json" "$@"
else
  echo "run.sh: no $ssmc_bench (ninja -C build ssmc-bench); ssmc not measured"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out"/*.json <<'PY'
import json, sys
rows = [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]
scalar = {r["op"]: r["best_ms"] for r in rows if r["impl"] == "scalar"}
print()
print(f'{"op":<15} {"impl":<9} {"shape":<32} {"best ms":>9} {"median ms":>10} {"updates/s":>10} {"vs scalar":>9}')
order = {"scalar": 0, "halide-1t": 1, "halide": 2, "ssmc-1t": 3, "ssmc": 4}
for r in sorted(rows, key=lambda r: (r["op"], order.get(r["impl"], 3))):
    speedup = scalar.get(r["op"], float("nan")) / r["best_ms"]
    print(f'{r["op"]:<15} {r["impl"]:<9} {r["shape"]:<32} {r["best_ms"]:>9.2f} '
          f'{r["median_ms"]:>10.2f} {r["updates_per_s"]:>10.3e} {speedup:>8.1f}x')
PY
echo "JSON: $out/"
