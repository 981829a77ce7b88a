#!/usr/bin/env bash
# The alerts: deploy/prometheus/make-rules.py writes the rule file from the PrometheusRule
# (deploy/k8s/base/prometheusrule.yaml); `promtool check rules` accepts it and
# `promtool test rules` (deploy/prometheus/alerts_test.yml) shows every alert firing on its
# constructed failing series and silent on the healthy one. Shown to bite: rules that never
# fire (every `for:` a year) and rules that always fire (every threshold >= 0) must both
# fail the unit tests, and every alert must have a unit test.
#   tests/deploy/prometheus_rules_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
name=deploy_prometheus_rules
source_dir="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
need promtool
python=/usr/bin/python3

"$python" "$source_dir/deploy/prometheus/make-rules.py" "$work/alerts.yml"
cp "$source_dir/deploy/prometheus/alerts_test.yml" "$work/alerts_test.yml"
promtool check rules "$work/alerts.yml" || fail "promtool check rules"
(cd "$work" && promtool test rules alerts_test.yml) || fail "promtool test rules"

# Every alert has a unit test.
"$python" - "$work/alerts.yml" "$work/alerts_test.yml" <<'PY' || fail "alerts without a unit test (above)"
import sys, yaml
alerts = {r["alert"] for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r}
tested = {t["alertname"] for test in yaml.safe_load(open(sys.argv[2]))["tests"] for t in test.get("alert_rule_test", [])}
missing = sorted(alerts - tested)
for a in missing: print("no promtool unit test for", a)
sys.exit(1 if missing else 0)
PY

# Shown to bite: broken rule files must fail the same unit tests.
mutate() {  # mutate NAME PYTHON_EXPR_ON_RULE
  mkdir -p "$work/$1"
  cp "$work/alerts_test.yml" "$work/$1/"
  "$python" - "$work/alerts.yml" "$work/$1/alerts.yml" "$2" <<'PY'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for group in doc["groups"]:
    for rule in group["rules"]:
        exec(sys.argv[3])
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)
PY
  if (cd "$work/$1" && promtool test rules alerts_test.yml >"$work/$1/out.txt" 2>&1); then
    fail "the alert unit tests passed on broken rules ($1)"
  fi
  log "broken rules ($1) fail the unit tests, as they should"
}
mutate never-fire 'rule["for"] = "8760h"'
mutate always-fire 'rule["expr"] = re.sub(r"(>|==)\s*[0-9.e-]+\s*$", ">= 0", rule["expr"].strip())'
log "PASS"
