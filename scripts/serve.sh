#!/usr/bin/env bash
# Quick start, command 1: install dependencies, build, prepare the models and
# run the service on :50051 (gRPC) and :9464 (/metrics). Extra arguments go
# to affect-server, e.g. scripts/serve.sh --device=cpu --log_format=json
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh affect-server affect-client
scripts/prepare-models.sh
exec build/server/affect-server --model_repository=models/repository "$@"
