#!/usr/bin/env bash
# The Dockerfile lints clean (dockerfile-utils, from deploy/tools), and keeps what the image
# tests and the README rely on: stage order runtime-base, prebuilt, build, runtime (Docker's
# classic builder runs every stage before the target, so `--target prebuilt` must come
# before the from-source stage), a non-root numeric USER and a HEALTHCHECK in runtime-base.
# Shown to bite: broken copies (an unknown HEALTHCHECK option, a port that is not a number,
# a USER without a user, a stray word after a stage name) must fail the lint.
#   tests/deploy/dockerfile_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
name=deploy_dockerfile
source_dir="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"
lint="$source_dir/deploy/tools/node_modules/.bin/dockerfile-utils"
[ -x "$lint" ] || fail "$lint is missing (scripts/install-deps.sh runs npm ci in deploy/tools)"
dockerfile="$source_dir/Dockerfile"

"$lint" lint "$dockerfile" || fail "dockerfile-utils lint found problems (above)"
stages="$(sed -n 's/^FROM .* AS \([a-z-]*\)$/\1/p' "$dockerfile" | tr '\n' ' ')"
[ "$stages" = "runtime-base prebuilt build runtime " ] ||
  fail "stages are '$stages', expected 'runtime-base prebuilt build runtime'"
base_block="$(sed -n '/AS runtime-base$/,/^FROM /p' "$dockerfile")"
grep -q '^USER 10001:10001$' <<<"$base_block" || fail "runtime-base has no numeric non-root USER"
grep -q '^HEALTHCHECK ' <<<"$base_block" || fail "runtime-base has no HEALTHCHECK"
log "lint clean; stages: $stages"

while IFS='|' read -r label expression; do
  sed "$expression" "$dockerfile" >"$work/Dockerfile.broken"
  cmp -s "$dockerfile" "$work/Dockerfile.broken" && fail "mutation '$label' changed nothing"
  if "$lint" lint "$work/Dockerfile.broken" >"$work/lint.txt" 2>&1; then
    fail "a broken Dockerfile ($label) passed the lint"
  fi
  log "broken copy ($label) rejected at $(head -n 2 "$work/lint.txt" | tr '\n' ' ' | cut -c 1-80)"
done <<'MUTATIONS'
unknown HEALTHCHECK option|s/^HEALTHCHECK --interval=/HEALTHCHECK --intervall=/
port not a number|s/^EXPOSE 50051 9464$/EXPOSE 50051 metrics/
USER without a user|s/^USER 10001:10001$/USER/
stray word after a stage name|s/^FROM runtime-base AS prebuilt$/FROM runtime-base AS prebuilt extra/
MUTATIONS
log "PASS"
