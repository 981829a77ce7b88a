#!/usr/bin/env bash
# Live metrics: a real Prometheus (Debian's, loopback, temporary storage, 1 s scrapes, the
# alert rules loaded) scrapes a running affect-server on the real models while affect-bench
# drives unary calls and streams at it; then every PromQL expression of the Grafana
# dashboard, of the alerts and of the prometheus-adapter rules must return data through
# Prometheus's HTTP API (tests/deploy/promql_check.py), and the alert rules must load
# healthy. Shown to bite: a misspelt metric, an expression that is not PromQL, and a
# histogram quantile of a metric that was never observed must each be reported.
#   tests/deploy/live_metrics_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
name=deploy_live_metrics
source_dir="$(cd "$1" && pwd)"
build_dir="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
need prometheus
need curl
need node
python=/usr/bin/python3
need_built_tools

scratch affect-live-metrics

grpc_port="$(free_port)"
metrics_port="$(free_port)"
prometheus_port="$(free_port)"
"$server" --model_repository="$source_dir/models/repository" --host=127.0.0.1 \
  --port="$grpc_port" --metrics_port="$metrics_port" >"$work/server.log" 2>&1 &
pids+=($!)
server_pid=$!

"$python" "$source_dir/deploy/prometheus/make-rules.py" "$work/alerts.yml"
# The namespace and pod labels stand in for what the ServiceMonitor's scrape adds on
# Kubernetes, so that the prometheus-adapter rules run unchanged.
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$work/alerts.yml"]
scrape_configs:
  - job_name: affectserve
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
        labels: {namespace: test, pod: affectserve-0}
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
url="http://127.0.0.1:$prometheus_port"

wait_serving "$client" "127.0.0.1:$grpc_port" "$server_pid" "$work/server.log"
log "affect-server SERVING on 127.0.0.1:$grpc_port; Prometheus on $url"

# A short mixed load: unary calls and 2 fps streams at once.
"$bench" --server="127.0.0.1:$grpc_port" --images="$images" --concurrency=3 --duration=25s \
  --json >"$work/unary.json" 2>"$work/unary.err" &
unary_pid=$!
"$bench" --server="127.0.0.1:$grpc_port" --images="$images" --mode=stream --concurrency=2 \
  --fps=2 --duration=25s --json >"$work/stream.json" 2>"$work/stream.err" ||
  { cat "$work/stream.err" >&2; fail "the stream load failed"; }
wait "$unary_pid" || { cat "$work/unary.err" >&2; fail "the unary load failed"; }
log "load: unary $(cut -c 1-400 "$work/unary.json" | grep -o '"ok":[0-9]*'), stream $(grep -o '"ok":[0-9]*' "$work/stream.json")"

# Scrapes are 1 s apart; wait for the one after the load so the counters are final.
sleep 3
curl -fsS "$url/api/v1/targets" | "$python" -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
bad = [t for t in targets if t["health"] != "up"]
sys.exit(1 if bad or not targets else 0)' || fail "Prometheus does not scrape affect-server (targets not up)"
curl -fsS "$url/api/v1/rules" | "$python" -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") != "ok"]
print(len(rules), "rules loaded,", len(bad), "unhealthy", bad)
sys.exit(1 if bad or not rules else 0)' || fail "alert rules unhealthy in Prometheus"

node "$source_dir/deploy/tools/check-dashboard.mjs" "$source_dir/deploy/grafana/affectserve.json" \
  --list-queries >"$work/dashboard-queries.jsonl"
"$python" "$source_dir/tests/deploy/promql_check.py" "$url" \
  --dashboard-queries "$work/dashboard-queries.jsonl" --rules "$work/alerts.yml" \
  --adapter "$source_dir/deploy/k8s/prometheus-adapter/rules.yaml" \
  --adapter-labels 'namespace="test",pod=~"affectserve-0"' ||
  fail "expressions without data (above)"

# Shown to bite: each of these must be reported.
for expr in 'sum(rate(affect_rpc_request_total[1m]))' 'sum(rate(affect_rpc_requests_total[1m])' \
  'histogram_quantile(0.9, sum by (le) (rate(affect_rpc_duration_seconds_bucket{method="ListModels"}[1m])))'; do
  if "$python" "$source_dir/tests/deploy/promql_check.py" "$url" --expr "$expr" >"$work/bite.txt" 2>&1; then
    cat "$work/bite.txt" >&2
    fail "the check accepted a broken expression: $expr"
  fi
  log "rejected, as it should: $(head -n 1 "$work/bite.txt" | cut -c 1-120)"
done
log "PASS"
