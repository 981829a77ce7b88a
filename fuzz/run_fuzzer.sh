#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time (AFFECT_FUZZ_SECONDS, default
# 60) from its seed corpus, and fails on any crash, leak, timeout (one input
# over 10 s, reproduced) or sanitizer report. Prints the execution count.
#   run_fuzzer.sh FUZZER_BINARY NAME SEED_DIR WORK_DIR
# Crashing inputs are left as WORK_DIR/NAME-crash-*: copy the input into
# fuzz/regressions/NAME/ (and fix the defect) so every later run replays it.
set -uo pipefail
binary="$1"; name="$2"; seeds="$3"; work="$4"
seconds="${AFFECT_FUZZ_SECONDS:-60}"
regressions="$(cd "$(dirname "$0")" && pwd)/regressions/$name"
mkdir -p "$work/$name-corpus"
inputs=("$work/$name-corpus" "$seeds")
[ -d "$regressions" ] && inputs+=("$regressions")
log="$work/$name.log"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
  -artifact_prefix="$work/$name-" "${inputs[@]}" >"$log" 2>&1
status=$?
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
# A timeout is judged by wall time, and on a shared machine a process can be
# paused (SIGSTOP) for minutes. Targets are deterministic, so a real hang
# reproduces: run the input again, and fail only if it times out again.
if [ "$status" -eq 70 ]; then
  for unit in "$work/$name"-timeout-*; do
    [ -e "$unit" ] || continue
    if "$binary" -timeout=10 "$unit" >>"$log" 2>&1; then
      echo "fuzz $name: a timeout that does not reproduce (the process was paused?): $unit"
      mv "$unit" "$work/$name-unreproduced-$(basename "$unit")"
      status=0
    fi
  done
fi
if [ "$status" -ne 0 ]; then
  tail -60 "$log"
  echo "fuzz $name: FAILED (exit $status) after ${executions:-?} executions; log: $log"
  exit 1
fi
corpus=$(find "$work/$name-corpus" -type f | wc -l)
echo "fuzz $name: ${executions:-?} executions in ${seconds} s, corpus of $corpus inputs, no crash, leak or sanitizer report"
