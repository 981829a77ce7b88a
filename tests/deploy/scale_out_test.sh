#!/usr/bin/env bash
# Scale-out: gRPC keeps one connection, so spreading calls over pods is the client's job
# (deploy/k8s/base/service.yaml: a headless Service plus round-robin). Two affect-servers on
# the real models; affect-bench with a two-address target:
#   1. --load_balancing=pick_first sends every call to one server (shows the check bites);
#   2. --load_balancing=round_robin under load: both servers receive calls; then one server
#      gets SIGTERM (as a pod being scaled down) and exits 0 after draining, the other keeps
#      receiving calls, and the load sees no failures beyond the calls in flight.
#   tests/deploy/scale_out_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
name=deploy_scale_out
source_dir="$(cd "$1" && pwd)"
build_dir="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
need curl
python=/usr/bin/python3
need_built_tools

scratch affect-scale-out

declare -A grpc metrics pid
for s in a b; do
  grpc[$s]="$(free_port)"
  metrics[$s]="$(free_port)"
  # One intra-op thread each: two servers share this machine's cores.
  "$server" --model_repository="$source_dir/models/repository" --host=127.0.0.1 \
    --port="${grpc[$s]}" --metrics_port="${metrics[$s]}" --intra_op_threads=1 \
    --drain_timeout=10s >"$work/server-$s.log" 2>&1 &
  pid[$s]=$!
  pids+=("${pid[$s]}")
done
for s in a b; do wait_serving "$client" "127.0.0.1:${grpc[$s]}" "${pid[$s]}" "$work/server-$s.log"; done
target="ipv4:127.0.0.1:${grpc[a]},127.0.0.1:${grpc[b]}"
log "two servers SERVING; target $target"

analyzed() { metric_sum "http://127.0.0.1:${metrics[$1]}/metrics" affect_rpc_requests_total 'code="OK",method="Analyze"'; }

# 1. pick_first: one server takes everything.
a0="$(analyzed a)"; b0="$(analyzed b)"
"$bench" --server="$target" --load_balancing=pick_first --images="$images" --concurrency=2 \
  --requests=6 --warmup=0 --json >"$work/pick_first.json" 2>"$work/pick_first.err" ||
  { cat "$work/pick_first.err" >&2; fail "pick_first load failed"; }
a1="$(analyzed a)"; b1="$(analyzed b)"
log "pick_first: server a got $((a1 - a0)) calls, b got $((b1 - b0))"
if [ $((a1 - a0)) -gt 0 ] && [ $((b1 - b0)) -gt 0 ]; then
  fail "pick_first spread calls over both servers: the both-servers check below would not bite"
fi

# 2. round_robin under load, then one server leaves.
concurrency=4
"$bench" --server="$target" --load_balancing=round_robin --images="$images" \
  --concurrency="$concurrency" --duration=25s --json >"$work/round_robin.json" \
  2>"$work/round_robin.err" &
bench_pid=$!
pids+=("$bench_pid")
spread=no
for _ in $(seq 1 120); do
  if [ $(($(analyzed a) - a1)) -ge 3 ] && [ $(($(analyzed b) - b1)) -ge 3 ]; then spread=yes; break; fi
  kill -0 "$bench_pid" 2>/dev/null || break
  sleep 0.5
done
a2="$(analyzed a)"; b2="$(analyzed b)"
log "round_robin: server a got $((a2 - a1)) calls, b got $((b2 - b1)) so far"
[ "$spread" = yes ] || fail "round_robin did not send calls to both servers"

log "SIGTERM to server b under load"
kill -TERM "${pid[b]}"
code=0
timeout 25 tail --pid="${pid[b]}" -f /dev/null || fail "server b did not exit within its drain timeout + 15 s"
wait "${pid[b]}" || code=$?
[ "$code" = 0 ] || { cat "$work/server-b.log" >&2; fail "server b exited with $code after SIGTERM"; }
a3="$(analyzed a)"
wait "$bench_pid" || { cat "$work/round_robin.err" >&2; fail "the round_robin load failed"; }
a4="$(analyzed a)"
log "server b drained and exited 0; server a answered $((a4 - a3)) more calls after that"
[ $((a4 - a3)) -gt 0 ] || fail "no call reached server a after server b left"

read -r ok failed errors < <("$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["ok"], r["failed"], json.dumps(r["errors"], separators=(",", ":")))' "$work/round_robin.json")
log "round_robin load: $ok ok, $failed failed $errors"
[ "$failed" -le "$concurrency" ] ||
  fail "$failed calls failed: more than the $concurrency that can be in flight when a server leaves"
log "PASS"
