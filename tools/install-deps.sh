#!/usr/bin/env bash
# Installs, from Debian's packages, what building and testing ssmc needs; does nothing when all is there.
set -euo pipefail

pkgs=(cmake ninja-build g++ python3 ccache libgtest-dev libopenblas-dev
      mlir-22-tools libmlir-22-dev llvm-22-dev llvm-22-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
