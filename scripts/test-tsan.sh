#!/usr/bin/env bash
# The engine's tests under ThreadSanitizer (issue: the batcher must be
# race-free). Builds only the engine test binaries in ./build-tsan.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${AFFECT_TSAN_BUILD_DIR:-build-tsan}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAFFECT_SANITIZER=thread -DAFFECT_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C "$build_dir" -j "${AFFECT_JOBS:-2}" engine_test engine_torch_test
cd "$build_dir"
echo "== ThreadSanitizer: engine tests"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
  ctest --output-on-failure --timeout 600 \
  -R '^(AdmissionQueue|FakeClock|RealClock|DynamicBatcher|ThreadPool|TorchBatchExecutor)'
