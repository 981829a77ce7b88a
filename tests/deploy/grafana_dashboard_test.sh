#!/usr/bin/env bash
# The Grafana dashboard type-checks against Grafana's published schema (@grafana/schema via
# deploy/tools/check-dashboard.mjs). Shown to bite: broken copies (no schemaVersion, a
# misspelt panel field, a string where a number belongs, a query without PromQL) must fail.
# (Its queries run against a live Prometheus in deploy_live_metrics.)
#   tests/deploy/grafana_dashboard_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
name=deploy_grafana_dashboard
source_dir="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
need node
tools="$source_dir/deploy/tools"
[ -d "$tools/node_modules/@grafana/schema" ] ||
  fail "$tools/node_modules is missing (scripts/install-deps.sh runs npm ci there)"
dashboard="$source_dir/deploy/grafana/affectserve.json"

node "$tools/check-dashboard.mjs" "$dashboard" || fail "the dashboard does not type-check"

while IFS='|' read -r label mutation; do
  /usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
panel = next(p for p in d['panels'] if p['type'] != 'row')
$mutation
json.dump(d, open(sys.argv[2], 'w'), indent=2)" "$dashboard" "$work/broken.json"
  cmp -s <(/usr/bin/python3 -m json.tool "$dashboard") <(/usr/bin/python3 -m json.tool "$work/broken.json") &&
    fail "mutation '$label' changed nothing"
  if node "$tools/check-dashboard.mjs" "$work/broken.json" >"$work/broken.txt" 2>&1; then
    fail "a broken dashboard ($label) passed"
  fi
  log "broken copy ($label) rejected: $(head -n 1 "$work/broken.txt" | cut -c 18-170)"
done <<'MUTATIONS'
no schemaVersion|d.pop('schemaVersion')
misspelt panel field|panel['titel'] = panel.pop('title')
string for a number|panel['gridPos']['w'] = '8'
misspelt field-config key|panel['fieldConfig']['defaults']['unitt'] = panel['fieldConfig']['defaults'].pop('unit')
query without PromQL|panel['targets'][0]['exp'] = panel['targets'][0].pop('expr')
MUTATIONS
log "PASS"
