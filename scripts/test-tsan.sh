#!/usr/bin/env bash
# ThreadSanitizer over the engine, stream, pipeline and api tests (issue 16),
# in ./build-tsan: the batcher, thread pool and admission queue; the frame
# scheduler and stream state; and the whole server in process over gRPC on
# loopback (unary calls, streams, drain, faults, admission, tokens), whose
# image and voice pipelines run on the worker pool (there is no separate
# pipeline test binary). Builds only those test binaries (and affect-server
# for the tests that start it).
#
# absl::Mutex / CondVar (ours and gRPC's) and absl::Status's reference count
# are made visible to TSan by cmake/tsan/absl_tsan_annotations.cc (Debian's
# Abseil is not instrumented);
# scripts/tsan.supp lists what is suppressed inside uninstrumented
# libraries, each with its reason. Never our own code.
#   scripts/test-tsan.sh                      # engine, stream, every api test binary
#   AFFECT_TSAN_SCOPE=ci scripts/test-tsan.sh       # what CI runs (scripts/test.sh): engine,
#                                                   # stream and the api binaries last seen clean
#   AFFECT_TSAN_SCOPE=engine scripts/test-tsan.sh   # the engine only (quick)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build_dir="${AFFECT_TSAN_BUILD_DIR:-build-tsan}"
scope="${AFFECT_TSAN_SCOPE:-all}"

engine_targets=(engine_test engine_torch_test)
stream_targets=(stream_test stream_responsible_test)
# The api binaries: on the tests' tiny generated models, and on the real
# converted models (skipped when models/prepare has not run).
api_targets=(api_unit_test api_caller_policy_test api_server_test api_service_behaviour_test
             api_admission_test api_caller_policy_service_test api_privacy_test api_fault_test
             api_binary_test api_fault_binary_test api_real_models_test
             api_real_photo_acceptance_test api_uncertain_expression_test api_body_attention_test
             api_body_attention_stream_test)
# What CI runs (README "What CI runs"): the api binaries that are quick
# under TSan's slowdown, and the real-model image pipeline with BODY and
# ATTENTION (faces, pose, second look and mesh branches meeting on the
# worker pool). The fault and binary tests are timing-heavy under TSan.
api_ci_targets=(api_unit_test api_caller_policy_test api_server_test
                api_caller_policy_service_test api_privacy_test api_body_attention_test)
case "$scope" in
  engine) targets=("${engine_targets[@]}") ;;
  ci) targets=("${engine_targets[@]}" "${stream_targets[@]}" "${api_ci_targets[@]}") ;;
  all) targets=("${engine_targets[@]}" "${stream_targets[@]}" "${api_targets[@]}") ;;
  *) echo "AFFECT_TSAN_SCOPE must be engine, ci or all (got '$scope')" >&2; exit 2 ;;
esac

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAFFECT_SANITIZER=thread -DAFFECT_BUILD_BENCHMARKS=OFF >/dev/null
start=$(date +%s)
# ignore_noninstrumented_modules: what intercepted calls (memcpy, recvmsg,
# free ...) do when called from a library that was not built with TSan
# (gRPC, protobuf, LibTorch, OpenCV from Debian) is not checked: those
# libraries synchronise in ways TSan cannot see (lock-free queues, epoll), so
# their own buffers would look racy. Every access from our code still is.
# Test discovery runs each binary at build time: under TSan too.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$root/scripts/tsan.supp"
# The annotations library by name: the tests do not relink when it changes
# (CMAKE_LINK_DEPENDS_NO_SHARED), so it is not rebuilt through them.
ninja -C "$build_dir" -j "${AFFECT_JOBS:-2}" affect_tsan_absl_annotations "${targets[@]}"
echo "== ThreadSanitizer: built ${#targets[@]} test binaries in $(( $(date +%s) - start )) s"

cd "$build_dir"
start=$(date +%s)
status=0
if [ "$scope" = engine ]; then
  ctest --output-on-failure --timeout 600 \
    -R '^(AdmissionQueue|FakeClock|RealClock|DynamicBatcher|ThreadPool|TorchBatchExecutor)' \
    || status=$?
else
  # Each binary runs its tests in one process (under TSan every process
  # start loads LibTorch instrumented-slow: one per test, as ctest does,
  # would take several times longer). Output per binary in tsan-logs/.
  mkdir -p tsan-logs
  for target in "${targets[@]}"; do
    binary=$(find tests -type f -name "$target" -perm -u+x | head -1)
    log="tsan-logs/$target.log"
    if timeout 1200 "$binary" >"$log" 2>&1; then
      result="passed"
    else
      result="FAILED (exit $?)"
      status=1
    fi
    echo "$target: $result, $(grep -c '^\[       OK \]' "$log") tests passed," \
         "$(grep -c 'WARNING: ThreadSanitizer' "$log") ThreadSanitizer reports"
  done
fi
echo "== ThreadSanitizer: tests ran in $(( $(date +%s) - start )) s"
exit $status
