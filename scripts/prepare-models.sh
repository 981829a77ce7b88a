#!/usr/bin/env bash
# Fetches the pinned model packages from npm (integrity-checked) and converts
# the models to TorchScript in models/repository. Idempotent: up-to-date
# models are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
models/fetch
models/convert/convert_all.sh
