#!/usr/bin/env bash
# Writes the repository's labelled demo faces (tests/eval/demo_expression_labels.cc)
# as an `affect-client eval` dataset: one folder per class, one image per labelled
# face (the whole photo with the other faces blacked out). Then, for example:
#
#   build/client/cli/affect-client eval --dataset models/.cache/expression-dataset
#
# Usage: scripts/make-expression-dataset.sh [OUT_DIR]   (default models/.cache/expression-dataset)
#   AFFECT_BUILD_DIR=build   the CMake build folder (tests enabled) to build the writer in
#
# The images derive from face-api's third-party demo photos: the output stays under the
# git-ignored models/.cache/ and must never be committed. Needs the models and photos
# (scripts/prepare-models.sh) and a configured build folder (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${1:-models/.cache/expression-dataset}"
build_dir="${AFFECT_BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
  echo "make-expression-dataset: no configured build in '$build_dir' (run scripts/build.sh" \
       "or set AFFECT_BUILD_DIR)" >&2
  exit 2
fi
cmake --build "$build_dir" --target write_demo_expression_dataset
"$build_dir/tests/eval/write_demo_expression_dataset" "$out_dir"
