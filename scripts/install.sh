#!/usr/bin/env bash
# Installs everything a bare Debian machine lacks for building and testing Pareto Studio:
# Debian's Chromium (the e2e browser), Python/PyTorch (model recipes and fixtures) and librsvg's rsvg-convert
# (the image recipe renders the emoji SVGs with it), then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import torch, onnx, numpy, PIL' 2>/dev/null || missing+=(python3-torch python3-onnx python3-numpy python3-pil)
# Without OpenBLAS, Debian's torch falls back to reference BLAS (about 35x slower matmuls).
ldconfig -p | grep -q libopenblas || missing+=(libopenblas0-pthread)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: apt packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
fi

# onnxruntime-node would fetch CUDA libraries and electron its binary at install time; neither is reachable offline.
export ONNXRUNTIME_NODE_INSTALL=skip ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
