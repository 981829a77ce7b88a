#!/usr/bin/env bash
# Numerical check of every converted model against the original running on tfjs.
#
#   models/verify/check_conversion.sh [model ...]      (default: all models)
#
# Needs: models/fetch (sources, images, verify/node_modules) and
# models/convert/convert_all.sh (repository/<model>/1/model.pt) to have run, node >= 18,
# Debian's python3 with python3-torch and python3-opencv, protoc (optional: schema check).
# Prints max abs / relative error per model, case and output; exits 1 on any failure.
set -euo pipefail
MODELS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${AFFECT_PYTHON:-/usr/bin/python3}"
ALL_MODELS=(blazeface emotion centernet selfie face_expression movenet_multipose facemesh)
MODELS=("$@")
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=("${ALL_MODELS[@]}")

die() { echo "check_conversion: $*" >&2; exit 1; }

command -v node >/dev/null || die "node not found on PATH"
"$PYTHON" -c 'import torch, cv2, numpy' 2>/dev/null \
  || die "$PYTHON cannot import torch/cv2/numpy (apt-get install python3-torch python3-opencv)"
[[ -d "${MODELS_DIR}/verify/node_modules/@tensorflow/tfjs" ]] \
  || die "verify/node_modules is missing: run models/fetch"
for m in "${MODELS[@]}"; do
  [[ -d "${MODELS_DIR}/repository/${m}" ]] \
    || die "unknown model '${m}' (known: ${ALL_MODELS[*]})"
  [[ -d "${MODELS_DIR}/.cache/tfjs/${m}" ]] \
    || die "${m}: models/.cache/tfjs/${m} is missing: run models/fetch"
  [[ -f "${MODELS_DIR}/repository/${m}/1/model.pt" ]] \
    || die "${m}: repository/${m}/1/model.pt is missing: run models/convert/convert_all.sh"
  [[ -f "${MODELS_DIR}/repository/${m}/config.pbtxt" ]] \
    || die "${m}: repository/${m}/config.pbtxt is missing"
done

start=$SECONDS
cd "$MODELS_DIR"
echo "check_conversion: preparing inputs for ${MODELS[*]}"
"$PYTHON" verify/make_cases.py "${MODELS[@]}"
manifest="${MODELS_DIR}/.cache/verify/manifest.json"
echo "check_conversion: running the original models on @tensorflow/tfjs (cpu backend)"
# tfjs greets node users who lack tfjs-node with a banner; keep the log readable.
(cd verify && node reference.js "$manifest" 2>&1) \
  | grep -v -e '^=\+$' -e 'Hi, looks like you are running TensorFlow.js in Node.js' -e '^ *$' \
  || die "tfjs reference run failed"
echo "check_conversion: running model.pt with torch (inputs normalised as config.pbtxt says)"
status=0
"$PYTHON" verify/compare.py "$manifest" || status=$?
echo "check_conversion: $((SECONDS - start))s"
exit $status
