#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan in ./build-fuzz and
# runs each for AFFECT_FUZZ_SECONDS (default 60) from its seeds; fails on any
# crash, leak, hang or sanitizer report, and prints each target's execution
# count. About 7 minutes of fuzzing plus the first build.
#   AFFECT_FUZZ_SECONDS=10 scripts/fuzz.sh    # a quick pass
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${AFFECT_FUZZ_BUILD_DIR:-build-fuzz}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DAFFECT_FUZZ=ON \
  -DAFFECT_BUILD_TESTS=OFF -DAFFECT_BUILD_BENCHMARKS=OFF -DAFFECT_WERROR=OFF >/dev/null
ninja -C "$build_dir" -j "${AFFECT_JOBS:-2}" affect_fuzzers
cd "$build_dir"
status=0
ctest -L fuzz --timeout 900 --output-on-failure -V >fuzz-results.log 2>&1 || status=$?
grep -E "fuzz [a-z_]+: |tests passed|tests failed" fuzz-results.log || tail -40 fuzz-results.log
exit $status
