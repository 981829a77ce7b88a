#!/usr/bin/env bash
# The container image, built and run here with podman (../shared DEPLOY-TESTING notes: no
# registry is reachable, so the Debian base image is made locally with mmdebstrap).
#
#   tests/deploy/image_test.sh SOURCE_DIR BUILD_DIR [--from-source]
#
# Default (ctest deploy_image): builds the `prebuilt` target from the binaries and models
# this checkout already built (nothing is compiled twice). --from-source (ctest
# deploy_image_from_source, label heavy): the default `runtime` target, compiled inside the
# build stage (~25 min on 2 cores).
#
# Then, on the image: the user is non-root and numeric, there is no compiler, LibTorch finds
# OpenBLAS; a container with a read-only root filesystem starts on loopback ports, reports
# SERVING, passes its own HEALTHCHECK, answers one Analyze on a real demo photo through
# affect-client (faces found, counted in /metrics), and exits 0 on SIGTERM within its drain
# timeout (plus a small margin for process exit). Shown to bite: a container of the same
# image without models must never pass the health check, and a write to the root
# filesystem must fail. Prints the image's size and build time.
#
# Containers, images and the storage live under BUILD_DIR/deploy-image/ (kept between runs
# so that the base layers are reused; delete the folder for a fresh start).
set -euo pipefail
name=deploy_image
source_dir="$(cd "$1" && pwd)"
build_dir="$(cd "$2" && pwd)"
mode="${3:-prebuilt}"
# shellcheck source=tests/deploy/lib.sh
source "$source_dir/tests/deploy/lib.sh"

need podman
need runc
need mmdebstrap
need curl
client="$build_dir/client/cli/affect-client"
[ -x "$client" ] || fail "$client is not built"
photo="$source_dir/models/.cache/images/sample1.jpg"
[ -f "$photo" ] || fail "$photo is missing (scripts/prepare-models.sh)"

work="$build_dir/deploy-image"
mkdir -p "$work"
cat >"$work/containers.conf" <<'CONF'
# DEPLOY-TESTING: crun fails here (cgroups v1 hybrid); ulimits within the sandbox's.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$work/containers.conf"
podman_command=(podman --root "$work/storage" --runroot "$work/run" --storage-driver overlay)
podman() { command "${podman_command[@]}" "$@"; }

base=localhost/affectserve-debian:bookworm
if ! podman image exists "$base"; then
  log "making the Debian 12 base image with mmdebstrap"
  started=$SECONDS
  mmdebstrap --quiet --variant=minbase bookworm "$work/rootfs.tar" \
    /etc/apt/sources.list.d/debian.sources
  podman import --quiet "$work/rootfs.tar" "$base" >/dev/null
  rm -f "$work/rootfs.tar"
  log "base image made in $((SECONDS - started)) s"
fi

if [ "$mode" = "--from-source" ]; then
  image=localhost/affectserve:from-source
  target=runtime
  context="$source_dir"
else
  image=localhost/affectserve:prebuilt
  target=prebuilt
  for file in server/affect-server client/cli/affect-client; do
    [ -x "$build_dir/$file" ] || fail "$build_dir/$file is not built"
  done
  ls "$source_dir"/models/repository/*/[0-9]*/model.pt >/dev/null 2>&1 ||
    fail "no converted models in $source_dir/models/repository (scripts/prepare-models.sh)"
  if [ "$build_dir" = "$source_dir/build" ]; then
    # The checkout itself is the context: this also proves .dockerignore lets exactly the
    # binaries and models through.
    context="$source_dir"
  else
    context="$work/context"
    rm -rf "$context"
    mkdir -p "$context/build/server" "$context/build/client/cli" "$context/models"
    cp "$source_dir/Dockerfile" "$source_dir/.dockerignore" "$context/"
    cp "$build_dir/server/affect-server" "$context/build/server/"
    cp "$build_dir/client/cli/affect-client" "$context/build/client/cli/"
    cp -a "$source_dir/models/repository" "$context/models/"
  fi
fi

# The from-source build fetches the models from the npm registry over HTTPS: where this
# host's npm trusts an extra CA bundle (a TLS-inspecting proxy), the build needs it too.
ca_args=()
host_cafile="$(npm config get cafile 2>/dev/null || true)"
if [ "$target" = runtime ] && [ -f "$host_cafile" ]; then
  ca_args=(--volume "$host_cafile:/run/host-ca.crt:ro" --build-arg EXTRA_CA_FILE=/run/host-ca.crt)
fi

log "building $image (target $target) from $context"
started=$SECONDS
podman build --quiet --pull=never --network host --format docker --target "$target" \
  --build-arg DEBIAN_IMAGE="$base" --build-arg AFFECT_JOBS="${AFFECT_JOBS:-2}" "${ca_args[@]}" -t "$image" "$context" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "podman build failed"; }
build_seconds=$((SECONDS - started))
size_bytes="$(podman image inspect --format '{{.Size}}' "$image")"
log "image $image: $((size_bytes / 1000000)) MB, built in ${build_seconds} s"

user="$(podman image inspect --format '{{.Config.User}}' "$image")"
[ "$user" = "10001:10001" ] || fail "the image's user is '$user', expected the numeric non-root 10001:10001"
healthcheck="$(podman image inspect --format '{{.Config.Healthcheck}}' "$image")"
case "$healthcheck" in *affect-client*health*) ;; *) fail "no HEALTHCHECK through affect-client health: '$healthcheck'" ;; esac
if podman run --rm --no-healthcheck --network none --entrypoint sh "$image" -c 'command -v cc c++ g++ gcc cmake' \
  >/dev/null 2>&1; then
  fail "the runtime image has a compiler or cmake"
fi
blas="$(podman run --rm --no-healthcheck --network none --entrypoint readlink "$image" -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
case "$blas" in *openblas*) ;; *) fail "libblas.so.3 resolves to $blas, not OpenBLAS" ;; esac
if [ "$target" = prebuilt ]; then
  inside="$(podman run --rm --no-healthcheck --network none --entrypoint sha256sum "$image" \
    /usr/local/bin/affect-server | cut -d' ' -f1)"
  [ "$inside" = "$(sha256sum "$build_dir/server/affect-server" | cut -d' ' -f1)" ] ||
    fail "the image's affect-server is not $build_dir/server/affect-server"
fi

grpc_port="$(free_port)"
metrics_port="$(free_port)"
container="affectserve-test-$$"
bad_container="affectserve-nomodels-$$"
cleanup() {
  podman rm --force --time 0 "$container" "$bad_container" >/dev/null 2>&1 || true
}
trap cleanup EXIT
drain_seconds=5

# (podman's complaints about systemd timers for HEALTHCHECKs, there being no systemd here,
# go to podman.log.)
# slirp4netns publishes the container's 50051 and 9464 on loopback only; inside, the
# server listens on its default ports, so the image's own HEALTHCHECK applies unchanged.
podman run -d --name "$container" --read-only --network slirp4netns \
  -p "127.0.0.1:$grpc_port:50051" -p "127.0.0.1:$metrics_port:9464" \
  "$image" --drain_timeout="${drain_seconds}s" --intra_op_threads=1 >/dev/null 2>>"$work/podman.log"
address="127.0.0.1:$grpc_port"
log "container $container on $address (metrics :$metrics_port), read-only root filesystem"

if "$client" health --server="$address" --wait=120s --deadline=2s >"$work/health.log" 2>&1; then
  log "SERVING"
else
  podman logs "$container" >&2 || true
  cat "$work/health.log" >&2
  fail "the container did not report SERVING"
fi
podman healthcheck run "$container" >/dev/null 2>&1 || fail "the image's HEALTHCHECK fails on a SERVING container"
# What the Kubernetes readiness probe asks (deploy/k8s/base/deployment.yaml).
"$client" health --server="$address" --service=affect.v1.AffectService --deadline=2s >/dev/null ||
  fail "health for service affect.v1.AffectService is not SERVING"
# Shown to bite: the same probe at a port where nothing serves must fail.
if podman exec "$container" /usr/local/bin/affect-client health --server=127.0.0.1:1 \
  --deadline=2s >/dev/null 2>&1; then
  fail "affect-client health passed with no server (the HEALTHCHECK would not bite)"
fi
if podman exec "$container" sh -c 'echo x > /srv/affectserve/write-test' 2>/dev/null; then
  fail "the root filesystem is writable (--read-only not in force)"
fi

"$client" analyze "$photo" --server="$address" --deadline=60s --output=json >"$work/analyze.json" ||
  { podman logs "$container" >&2; fail "Analyze through the container failed"; }
faces="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["image"]["faces"]))' \
  "$work/analyze.json")"
[ "$faces" -gt 0 ] || fail "Analyze found no face in sample1.jpg: $(head -c 400 "$work/analyze.json")"
analyzed="$(metric_sum "http://127.0.0.1:$metrics_port/metrics" affect_rpc_requests_total 'code="OK",method="Analyze"')"
[ "$analyzed" = 1 ] || fail "/metrics counts $analyzed successful Analyze calls, expected 1"
log "Analyze on sample1.jpg: $faces faces; /metrics counted it"

# Shown to bite: the same image without models must never pass the checks above.
podman run -d --name "$bad_container" --read-only --network slirp4netns \
  "$image" --model_repository=/nonexistent >/dev/null 2>>"$work/podman.log"
for _ in $(seq 1 20); do
  [ "$(podman inspect --format '{{.State.Running}}' "$bad_container")" = true ] || break
  sleep 0.5
done
if podman healthcheck run "$bad_container" >/dev/null 2>&1; then
  fail "the HEALTHCHECK passed on a container without models (the check does not bite)"
fi
log "a container without models fails its HEALTHCHECK, as it should"

log "SIGTERM; drain timeout ${drain_seconds} s"
podman kill --signal TERM "$container" >/dev/null 2>>"$work/podman.log"
# The bound is the drain timeout plus 10 s for the process to exit: Kubernetes' grace
# period plays the same role (deploy/k8s/base/deployment.yaml).
exit_code="$(timeout $((drain_seconds + 10)) "${podman_command[@]}" wait "$container")" ||
  fail "the container did not exit within $((drain_seconds + 10)) s of SIGTERM"
podman logs "$container" >"$work/server.log" 2>&1
[ "$exit_code" = 0 ] || { cat "$work/server.log" >&2; fail "exit code $exit_code after SIGTERM, expected 0"; }
grep -q 'shutdown requested' "$work/server.log" || fail "the server did not log its shutdown"
log "clean exit (0) after SIGTERM"
log "PASS: $image, $((size_bytes / 1000000)) MB, built in ${build_seconds} s"
