#!/usr/bin/env bash
# Writes the README's figures, one annotated demo photo per image analysis:
#
#   docs/figures/emotion.png   sample3: faces, landmarks, expression bars
#   docs/figures/attire.png    sample6: garment regions with colour swatches
#   docs/figures/scene.png     sample1: objects and the scene tag
#   docs/figures/body.png      sample1: skeletons, posture cues, face mesh attention
#
# by starting the built affect-server on the real models (on a free local
# port, stopped again at the end) and running the built
# `affect-client analyze PHOTO --analyses=... --annotate=OUT.png`. Voice has
# no picture and is left out. Builds nothing: run scripts/build.sh (or
# `ninja -C build affect-server affect-client`) and scripts/prepare-models.sh
# first.
#
# Usage: scripts/make-figures.sh [OUT_DIR]   (default docs/figures)
#   AFFECT_BUILD_DIR=build   the build folder holding affect-server and affect-client
#
# The figures derive from face-api's third-party demo photos: docs/figures/ is
# git-ignored and they must never be committed; every checkout makes its own.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${1:-docs/figures}"
build_dir="${AFFECT_BUILD_DIR:-build}"
server="$build_dir/server/affect-server"
client="$build_dir/client/cli/affect-client"
photos=models/.cache/images

for binary in "$server" "$client"; do
  if [ ! -x "$binary" ]; then
    echo "make-figures: $binary is not built (scripts/build.sh affect-server affect-client," \
         "or set AFFECT_BUILD_DIR)" >&2
    exit 2
  fi
done
for photo in sample1 sample3 sample6; do
  if [ ! -f "$photos/$photo.jpg" ]; then
    echo "make-figures: $photos/$photo.jpg is missing (run scripts/prepare-models.sh)" >&2
    exit 2
  fi
done
mkdir -p "$out_dir"

# --port=0: the server picks a free port and logs it, so the script never
# collides with a server already running on the default port.
server_log="$(mktemp)"
"$server" --model_repository=models/repository --host=127.0.0.1 --port=0 --metrics_port=-1 \
  >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -f "$server_log"
}
trap stop_server EXIT

port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.* listening port=\([0-9]*\).*/\1/p' "$server_log" | head -n 1)"
  [ -n "$port" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "make-figures: affect-server exited:" >&2
    cat "$server_log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "make-figures: affect-server did not report its port within 30 s:" >&2
  cat "$server_log" >&2
  exit 1
fi
address="127.0.0.1:$port"
# SERVING once every model is loaded (about 15 s on 2 cores).
"$client" health --server="$address" --wait=300s >/dev/null

# figure NAME ANALYSES PHOTO: the photo with that analysis drawn on it; the
# answer's table goes to the terminal so the figure can be checked against it.
figure() {
  "$client" analyze "$photos/$3.jpg" --server="$address" --analyses="$2" --output=table \
    --annotate="$out_dir/$1.png"
}
figure emotion emotion sample3
figure attire attire sample6
figure scene scene sample1
figure body body,attention sample1
echo "make-figures: wrote $out_dir/emotion.png, $out_dir/attire.png, $out_dir/scene.png," \
  "$out_dir/body.png"
