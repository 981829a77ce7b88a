#!/usr/bin/env bash
# Converts all models (or the named ones) to models/repository/<name>/1/model.pt.
#   models/convert/convert_all.sh [--force] [model ...]
# Needs models/fetch to have run. Uses Debian's python3 (python3-torch), never a venv/pyenv
# interpreter: the server's LibTorch must load what this torch writes.
set -euo pipefail
MODELS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${AFFECT_PYTHON:-/usr/bin/python3}"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "convert_all: $PYTHON cannot import torch (apt-get install python3-torch)" >&2
  exit 1
fi
cd "$MODELS_DIR"
exec "$PYTHON" -m convert.convert_all "$@"
