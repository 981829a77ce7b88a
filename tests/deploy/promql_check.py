#!/usr/bin/python3
"""Runs every PromQL expression of the deployment assets against a live Prometheus and
fails unless each returns data.

  promql_check.py PROMETHEUS_URL --dashboard-queries FILE --rules ALERTS.yml \
      --adapter RULES.yaml --adapter-labels 'namespace="t",pod="p"'
  promql_check.py PROMETHEUS_URL --expr EXPR [--expr EXPR ...]

- dashboard queries (JSON lines {panel, refId, expr} from check-dashboard.mjs
  --list-queries): Grafana's $instance becomes .* and $__rate_interval 1m;
- alerts: each `SIGNAL > THRESHOLD` (or ==, <, ...) runs as SIGNAL alone, since a healthy
  server must not meet the threshold but must produce the signal;
- prometheus-adapter rules: seriesQuery, and metricsQuery with <<.Series>>,
  <<.LabelMatchers>> and <<.GroupBy>> filled in as the adapter does for one pod.

"Data" means at least one series with a number (NaN, from a histogram with no observations,
does not count). Expressions on affect_gpu_* need a CUDA server: they must parse and run,
and are reported as not checkable here.
"""
import argparse
import json
import math
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import yaml

COMPARISON = re.compile(r"^(?P<signal>.*?)\s*(>=|<=|==|!=|>|<)\s*[0-9.eE+-]+\s*$", re.S)


def query(url, expr):
    """Returns (error or None, values: list of floats)."""
    data = urllib.parse.urlencode({"query": expr}).encode()
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query", data=data, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    except (urllib.error.URLError, OSError) as error:
        return f"Prometheus unreachable: {error}", []
    if body.get("status") != "success":
        return f"{body.get('errorType')}: {body.get('error')}", []
    result = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        result = [{"value": result}]
    return None, [float(series["value"][1]) for series in result]


def signal_of(expr):
    match = COMPARISON.match(expr.strip())
    return match.group("signal") if match else expr


def collect(args):
    checks = []  # (label, expr)
    if args.dashboard_queries:
        with open(args.dashboard_queries) as f:
            for line in f:
                q = json.loads(line)
                expr = q["expr"].replace("$__rate_interval", "1m").replace('=~"$instance"', '=~".*"')
                checks.append((f"dashboard '{q['panel']}' {q['refId']}", expr))
    if args.rules:
        for group in yaml.safe_load(open(args.rules))["groups"]:
            for rule in group["rules"]:
                checks.append((f"alert {rule.get('alert', rule.get('record'))}", signal_of(rule["expr"])))
    if args.adapter:
        for i, rule in enumerate(yaml.safe_load(open(args.adapter))["rules"]):
            series = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)", rule["seriesQuery"]).group(1)
            checks.append((f"adapter rule {i} seriesQuery", rule["seriesQuery"]))
            expr = (rule["metricsQuery"].replace("<<.Series>>", series)
                    .replace("<<.LabelMatchers>>", args.adapter_labels)
                    .replace("<<.GroupBy>>", "pod"))
            checks.append((f"adapter rule {i} ({rule['name']['as']}) metricsQuery", expr))
    for i, expr in enumerate(args.expr or []):
        checks.append((f"expr {i}", expr))
    return checks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--dashboard-queries")
    parser.add_argument("--rules")
    parser.add_argument("--adapter")
    parser.add_argument("--adapter-labels", default="")
    parser.add_argument("--expr", action="append")
    args = parser.parse_args()
    failures = 0
    cuda_only = 0
    checks = collect(args)
    for label, expr in checks:
        error, values = query(args.url, expr)
        numbers = [v for v in values if not math.isnan(v)]
        if error:
            failures += 1
            print(f"FAIL {label}: {error}\n     {expr}")
        elif "affect_gpu_" in expr:
            cuda_only += 1
            print(f"n/a  {label}: needs a CUDA server (ran without error, {len(values)} series)")
        elif not numbers:
            failures += 1
            what = "no series" if not values else f"{len(values)} series, all NaN"
            print(f"FAIL {label}: {what}\n     {expr}")
        else:
            print(f"ok   {label}: {len(numbers)} series, e.g. {numbers[0]:.4g}")
    print(f"promql_check: {len(checks)} expressions, {failures} without data, "
          f"{cuda_only} CUDA-only")
    return 1 if failures or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
