#!/usr/bin/env bash
# Configures and builds AffectServe into ./build (or $AFFECT_BUILD_DIR).
# Extra arguments are passed to ninja (targets, -j).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${AFFECT_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${AFFECT_BUILD_TYPE:-RelWithDebInfo}" \
  ${AFFECT_CMAKE_ARGS:-} >/dev/null
# 2 jobs by default: LibTorch and gRPC translation units need ~1.5 GB each.
ninja -C "$build_dir" -j "${AFFECT_JOBS:-2}" "$@"
