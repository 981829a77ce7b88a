# Helpers shared by the deployment tests (sourced, not run). Each test script sets
# `name` (its log prefix) before sourcing.

log() { echo "${name:-deploy}: $*"; }
fail() {
  echo "${name:-deploy}: FAIL: $*" >&2
  exit 1
}

# A TCP port free on 127.0.0.1 now (the kernel's choice; the caller binds it soon).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# need TOOL [HINT]: fails, naming the install step, when TOOL is not on PATH. A deployment
# test never passes by skipping its checks.
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (${2:-scripts/install-deps.sh installs it})"
}

# wait_serving CLIENT ADDRESS PID LOG: waits until affect-server at ADDRESS reports SERVING
# (models loaded), or fails at once when the process PID has exited.
wait_serving() {
  local client="$1" address="$2" pid="$3" server_log="$4"
  for _ in $(seq 1 240); do
    if "$client" health --server="$address" --deadline=2s >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$server_log" >&2 || true
      fail "affect-server ($address) exited before it was SERVING"
    fi
    sleep 0.5
  done
  cat "$server_log" >&2 || true
  fail "affect-server ($address) was not SERVING after 120 s"
}

# metric_sum URL NAME [LABEL_FILTER]: the sum of the samples of NAME whose label set
# contains LABEL_FILTER (e.g. 'method="Analyze"'), read from a /metrics page.
metric_sum() {
  curl -fsS "$1" | awk -v name="$2" -v filter="${3:-}" '
    $1 ~ "^" name "({|$)" && index($1, filter) { sum += $2 }
    END { printf "%d\n", sum }'
}

# need_built_tools: this build's affect-server, affect-client and affect-bench and the demo
# photos (sets server, client, bench, images from source_dir and build_dir); fails when
# one is missing.
need_built_tools() {
  server="$build_dir/server/affect-server"
  client="$build_dir/client/cli/affect-client"
  bench="$build_dir/client/bench/affect-bench"
  for binary in "$server" "$client" "$bench"; do [ -x "$binary" ] || fail "$binary is not built"; done
  images="$source_dir/models/.cache/images"
  [ -d "$images" ] || fail "$images is missing (scripts/prepare-models.sh)"
}

# scratch PREFIX: a temporary folder ($work) and a list of processes started for the test
# ($pids), both cleaned up when the script exits.
scratch() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  pids=()
  trap cleanup_scratch EXIT
}
cleanup_scratch() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
