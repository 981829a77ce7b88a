#!/usr/bin/env bash
# Installs every system package that building, preparing models and testing
# AffectServe needs, from Debian 12's own archive. Idempotent: installs only
# what is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # Build
  build-essential cmake ninja-build ccache pkg-config git
  # Libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libtorch-dev libopencv-dev libabsl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Token comparison by digest (server/common/token_compare.h)
  libssl-dev
  # LibTorch calls libblas.so.3; without OpenBLAS it falls back to the
  # reference BLAS, about 12x slower.
  libopenblas0-pthread
  # Model preparation (offline only, never on the serving path)
  python3 python3-torch python3-numpy python3-opencv openssl ca-certificates curl
  # bench/baseline: the plain Python server the performance report compares against
  python3-grpcio python3-protobuf
  # Tests: TLS certificates, Prometheus exposition lint
  prometheus
  # bench/perf_report.py's plots
  python3-matplotlib
)
# Node.js fetches the model packages (npm pack) and runs the TF.js reference
# for conversion checks. Keep a newer Node.js if one is already installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
