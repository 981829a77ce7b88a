#!/usr/bin/python3
"""Writes a deliberately broken copy of rendered manifests, to show a check bites.

  break_manifests.py IN.yaml OUT.yaml MUTATION

MUTATION is one of the names in MUTATIONS. Fails (exit 2) when the mutation finds nothing
to change, so a test never "passes" on an unchanged copy.
"""
import sys

import yaml


def _deployment_container(docs):
    return next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]


def _rename(mapping, old, new):
    mapping[new] = mapping.pop(old)


def misspelt_field(docs):  # Deployment spec.replicas -> spec.replica
    _rename(next(d for d in docs if d["kind"] == "Deployment")["spec"], "replicas", "replica")


def string_for_number(docs):  # containerPort 50051 -> "50051"
    port = _deployment_container(docs)["ports"][0]
    port["containerPort"] = str(port["containerPort"])


def misspelt_probe_field(docs):  # readinessProbe.periodSeconds -> periodSecond
    _rename(_deployment_container(docs)["readinessProbe"], "periodSeconds", "periodSecond")


def hpa_string_for_number(docs):  # averageUtilization 70 -> "70"
    metric = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler")["spec"]["metrics"][0]
    metric["resource"]["target"]["averageUtilization"] = str(metric["resource"]["target"]["averageUtilization"])


def servicemonitor_misspelt_field(docs):  # endpoints[0].interval -> intervall
    _rename(next(d for d in docs if d["kind"] == "ServiceMonitor")["spec"]["endpoints"][0], "interval", "intervall")


def prometheusrule_number_for_string(docs):  # rules[0].for "2m" -> 2
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")["spec"]["groups"][0]["rules"][0]
    rule["for"] = 2


def short_grace_period(docs):  # terminationGracePeriodSeconds below preStop + drain
    next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 25


def http_readiness_probe(docs):  # a TCP probe instead of gRPC health
    _deployment_container(docs)["readinessProbe"].pop("grpc")
    _deployment_container(docs)["readinessProbe"]["tcpSocket"] = {"port": 50051}


MUTATIONS = {f.__name__: f for f in [
    misspelt_field, string_for_number, misspelt_probe_field, hpa_string_for_number,
    servicemonitor_misspelt_field, prometheusrule_number_for_string, short_grace_period,
    http_readiness_probe]}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in MUTATIONS:
        print(__doc__ + "mutations: " + ", ".join(MUTATIONS), file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    before = yaml.safe_dump_all(docs)
    MUTATIONS[sys.argv[3]](docs)
    after = yaml.safe_dump_all(docs)
    if before == after:
        print(f"break_manifests: {sys.argv[3]} changed nothing", file=sys.stderr)
        return 2
    with open(sys.argv[2], "w") as f:
        f.write(after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
