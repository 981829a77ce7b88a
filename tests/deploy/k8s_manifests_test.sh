#!/usr/bin/env bash
# The Kubernetes manifests: both overlays render with `kubectl kustomize`, every object
# passes deploy/tools/check-manifests.mjs (Kubernetes and prometheus-operator schemas,
# unknown fields, AffectServe's own rules), the GPU overlay asks for a GPU, and the model
# configs in the ConfigMap are the repository's. Shown to bite: each deliberately broken copy
# (break_manifests.py: a misspelt field, a string where a number belongs, ...) must fail.
#   tests/deploy/k8s_manifests_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
name=deploy_k8s_manifests
source_dir="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
need kubectl "kubectl >= 1.27 (kustomize v5); Debian 12's kubernetes-client is too old"
need node
tools="$source_dir/deploy/tools"
[ -d "$tools/node_modules/kubernetes-models" ] ||
  fail "$tools/node_modules is missing (scripts/install-deps.sh runs npm ci there)"
check() { node "$tools/check-manifests.mjs" "$@"; }

for overlay in cpu gpu; do
  kubectl kustomize "$source_dir/deploy/k8s/overlays/$overlay" >"$work/$overlay.yaml" ||
    fail "kubectl kustomize deploy/k8s/overlays/$overlay failed"
  check "$work/$overlay.yaml" >"$work/$overlay.check" 2>&1 ||
    { cat "$work/$overlay.check" >&2; fail "the $overlay overlay does not validate"; }
  log "$overlay overlay: $(tail -n 1 "$work/$overlay.check" | sed 's/^check-manifests: //')"
done

# What makes the GPU overlay a GPU overlay.
/usr/bin/python3 - "$work/gpu.yaml" "$work/cpu.yaml" <<'PY' || fail "the gpu overlay lacks GPU settings (above)"
import sys, yaml
def pod(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    return next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
gpu, cpu = pod(sys.argv[1]), pod(sys.argv[2])
c = gpu["containers"][0]
problems = []
if c["resources"]["limits"].get("nvidia.com/gpu") != "1": problems.append("no nvidia.com/gpu limit")
if "nvidia.com/gpu.present" not in gpu.get("nodeSelector", {}): problems.append("no GPU nodeSelector")
if not any(t.get("key") == "nvidia.com/gpu" for t in gpu.get("tolerations", [])): problems.append("no GPU toleration")
if "--device=cuda" not in c["args"]: problems.append("no --device=cuda")
if not c["image"].endswith(":gpu"): problems.append(f"image {c['image']} is not the CUDA variant")
if "nvidia.com/gpu" in cpu["containers"][0]["resources"]["limits"]: problems.append("the cpu overlay asks for a GPU")
for p in problems: print("gpu overlay:", p)
sys.exit(1 if problems else 0)
PY

# The readiness probe asks for the service name the server reports health for.
probe_service="$(/usr/bin/python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
pod = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
print(pod["containers"][0]["readinessProbe"]["grpc"].get("service", ""))' "$work/cpu.yaml")"
grep -q "kAffectServiceName\[\] = \"$probe_service\"" "$source_dir/server/api/affect_server.h" ||
  fail "the readiness probe asks for service '$probe_service', not the server's kAffectServiceName"

# The ConfigMap's model configs are the repository's, for every model, each mounted.
for config in "$source_dir"/models/repository/*/config.pbtxt; do
  model="$(basename "$(dirname "$config")")"
  copy="$source_dir/deploy/k8s/base/model-configs/$model.config.pbtxt"
  cmp -s "$config" "$copy" ||
    fail "$copy differs from models/repository/$model/config.pbtxt (run deploy/k8s/sync-model-configs.sh)"
  grep -q "mountPath: /srv/affectserve/models/repository/$model/config.pbtxt" "$work/cpu.yaml" ||
    fail "no volumeMount for $model's config in deploy/k8s/base/deployment.yaml"
done
log "model configs match models/repository and are mounted"

# Shown to bite.
for mutation in misspelt_field string_for_number misspelt_probe_field hpa_string_for_number \
  servicemonitor_misspelt_field prometheusrule_number_for_string short_grace_period \
  http_readiness_probe; do
  /usr/bin/python3 "$source_dir/tests/deploy/break_manifests.py" "$work/cpu.yaml" \
    "$work/broken-$mutation.yaml" "$mutation"
  if check "$work/broken-$mutation.yaml" >"$work/broken-$mutation.check" 2>&1; then
    fail "a broken copy ($mutation) passed the check"
  fi
  log "broken copy ($mutation) rejected: $(head -n 1 "$work/broken-$mutation.check" | cut -c 18-160)"
done
log "PASS"
