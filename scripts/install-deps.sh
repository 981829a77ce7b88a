#!/usr/bin/env bash
# Installs every system package that building, preparing models and testing
# AffectServe needs, from Debian 12's own archive. Idempotent: installs only
# what is missing. Run as root (or with sudo available).
#   AFFECT_DEPS=build   only what building and preparing the models need (the Dockerfile's
#                       build stage); by default also the deployment tests' tools.
set -euo pipefail
cd "$(dirname "$0")/.."

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
if [ "${AFFECT_DEPS:-all}" != "build" ]; then
  packages+=(
    # Deployment tests (tests/deploy): the container image built and run with podman
    # (runc: crun fails on these machines' cgroups), the Debian base image made with
    # mmdebstrap, loopback ports through slirp4netns; rule files read with PyYAML.
    podman runc fuse-overlayfs uidmap slirp4netns mmdebstrap python3-yaml
  )
fi
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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  echo "install-deps: done"
fi

if [ "${AFFECT_DEPS:-all}" != "build" ]; then
  # The manifest and dashboard checkers' npm packages (schemas, TypeScript), pinned by
  # deploy/tools/package-lock.json, into deploy/tools/node_modules (git-ignored).
  stamp=deploy/tools/node_modules/.installed-package-lock.json
  if ! cmp -s deploy/tools/package-lock.json "$stamp"; then
    echo "install-deps: npm ci in deploy/tools"
    npm ci --prefix deploy/tools --ignore-scripts --no-audit --no-fund --loglevel=error
    cp deploy/tools/package-lock.json "$stamp"
  fi
  # kubectl (>= 1.27, for kustomize v5) is not in Debian 12 (its kubernetes-client 1.20 is
  # too old for current kustomize): the deployment manifest test needs it on PATH.
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "install-deps: WARNING: kubectl is not installed; ctest deploy_k8s_manifests will" \
      "fail until it is (README: Deployment)" >&2
  fi
fi
