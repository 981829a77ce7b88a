#!/usr/bin/env bash
# The whole test suite (all but `heavy`, `deploy` and `conversion`) under
# AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer, part of
# ASan), built in ./build-asan. A full instrumented build of its own (well
# over an hour at -j1 on the shared 2-core development VM), so it is not in
# CI; README "What CI runs" records its last result. `deploy` builds containers from the release build and
# `conversion` runs node and python only, so neither exercises sanitized code.
#   AFFECT_JOBS=1 scripts/test-asan.sh          # build + run
#   AFFECT_ASAN_BUILD_ONLY=1 scripts/test-asan.sh
#   CTEST_ARGS="-R Stream" scripts/test-asan.sh # a subset
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build_dir="${AFFECT_ASAN_BUILD_DIR:-build-asan}"

# halt_on_error: a report fails the test that caused it. LSan suppressions
# (scripts/lsan.supp) cover only allocations that LibTorch and its
# dependencies make once per process and keep until exit; each is commented.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1${AFFECT_ASAN_EXTRA_OPTIONS:+:$AFFECT_ASAN_EXTRA_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/scripts/ubsan.supp"

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAFFECT_SANITIZER=address,undefined -DAFFECT_BUILD_BENCHMARKS=OFF >/dev/null
# Test discovery (gtest_discover_tests) runs each binary at build time, under
# the same options.
ninja -C "$build_dir" -j "${AFFECT_JOBS:-2}"
if [ "${AFFECT_ASAN_BUILD_ONLY:-0}" = "1" ]; then exit 0; fi

cd "$build_dir"
echo "== AddressSanitizer + UndefinedBehaviorSanitizer: the suite but heavy, deploy, conversion"
start=$(date +%s)
status=0
ctest --output-on-failure --timeout 900 -j "${AFFECT_JOBS:-2}" \
  ${CTEST_ARGS:--LE heavy|deploy|conversion} || status=$?
echo "== ASan+UBSan: $(( $(date +%s) - start )) s"
exit $status
