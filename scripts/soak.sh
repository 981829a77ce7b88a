#!/usr/bin/env bash
# Memory soak with LibTorch in the loop (issue 16; README "Testing"): the
# affect-server binary on the real models, unary calls and streams at fixed
# rates for a bounded time, RSS and glibc malloc statistics sampled, growth
# per 1,000 requests after warm-up printed; fails on sustained growth.
#
#   scripts/soak.sh            # 3 minutes (AFFECT_SOAK_SECONDS), threshold
#                              # AFFECT_SOAK_MAX_GROWTH_MIB_PER_1K
#   scripts/soak.sh --leak     # shows the check bites: builds the server with
#                              # -DAFFECT_SOAK_LEAK_SWITCH=ON and runs it leaking
#                              # AFFECT_SOAK_LEAK_BYTES (256 KiB) per call; passes
#                              # only if the soak catches the leak
#
# Extra arguments go to tests/soak/soak.py (--rate, --streams, --fps, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${AFFECT_BUILD_DIR:-build}"
leak=0
if [[ "${1:-}" == "--leak" ]]; then
  leak=1
  shift
fi
if ((leak)); then
  switch=ON
else
  switch=OFF
fi
# Switching the option rebuilds one object (server/api/call_tracker.cc).
AFFECT_CMAKE_ARGS="${AFFECT_CMAKE_ARGS:-} -DAFFECT_SOAK_LEAK_SWITCH=${switch}" \
  scripts/build.sh affect-server affect-bench
args=(--server "${build_dir}/server/affect-server" --bench "${build_dir}/client/bench/affect-bench"
      --model_repository models/repository --images models/.cache/images)
if ((leak)); then
  args+=(--leak_bytes_per_call "${AFFECT_SOAK_LEAK_BYTES:-262144}" --expect_growth)
fi
exec python3 tests/soak/soak.py "${args[@]}" "$@"
