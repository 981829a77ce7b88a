#!/usr/bin/env bash
# Copies every models/repository/*/config.pbtxt to deploy/k8s/base/model-configs/ as
# NAME.config.pbtxt, the files the base's ConfigMap is generated from (kustomize reads only
# files under its own folder). The manifest test (ctest deploy_k8s_manifests) fails while
# the copies differ. A new model also needs its file in base/kustomization.yaml and a
# volumeMount in base/deployment.yaml (the test names what is missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p deploy/k8s/base/model-configs
for config in models/repository/*/config.pbtxt; do
  model="$(basename "$(dirname "$config")")"
  cp "$config" "deploy/k8s/base/model-configs/$model.config.pbtxt"
done
