#!/usr/bin/env python3
"""Builds an `affect-client eval` dataset of labelled in-the-wild face photos.

Source: github.com/muxspace/facial_expressions (Apache-2.0 repository; the photos are web
and LFW photos collected by a graduate class, labelled in data/legend.csv), pinned to
SOURCE_COMMIT so that every run selects the same images. The selection is seeded: within
each class the images are ordered by SHA-256 of "<seed>:<file name>" and the first
--per_class are taken, so a larger --per_class only adds images. The tuning/test split is
not made here but by `affect-client eval --split=tune|test --split_seed=N`, so the same
folder serves both parts.

The photos are face cut-outs (mostly 350x350, the face filling most of the frame). Each is
written centred on a black canvas twice its width and height, so that the detector sees the
face at the scale of a face in a whole photo, with about a face's width of room on each side:
on the bare cut-outs BlazeFace finds 7% fewer faces and boxes them differently, and that alone
reordered the crop policies (docs/accuracy.md, "Context matters"). The crop policies cut from
the photo as the service would; what lies outside the photo is black either way (face_crop.h).

Usage:
  scripts/make-wild-expression-dataset.py [--source=GIT_DIR] [--out=DIR] [--per_class=N]

  --source  a clone of muxspace/facial_expressions (default: models/.cache/facial_expressions,
            cloned there when missing); only SOURCE_COMMIT is read from it.
  --out     the dataset folder (default: models/.cache/wild-expression-dataset), rewritten.

The photos are third-party: they stay under the git-ignored models/.cache/ and must never
be committed. The folder also gets SOURCE.txt (repository, commit, seed, counts).
"""
import argparse
import collections
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys

import cv2  # /usr/bin/python3 on the project's machines has OpenCV and numpy
import numpy as np

SOURCE_URL = "https://github.com/muxspace/facial_expressions"
SOURCE_COMMIT = "5fb9c13afac07c55eae8d25eb6b50af344ad60c9"
# legend.csv's labels (any case) -> the service's classes; `contempt` has no class.
LABELS = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprise",
    "neutral": "neutral",
}
SEED = "affect-wild-v1"


def git(source, *args, binary=False):
    result = subprocess.run(["git", "--git-dir", source, *args], check=True,
                            stdout=subprocess.PIPE)
    return result.stdout if binary else result.stdout.decode()


def git_dir_of(path):
    """The git directory of a clone (work tree or bare)."""
    dot_git = os.path.join(path, ".git")
    return dot_git if os.path.isdir(dot_git) else path


def read_legend(source):
    """{file name: class}; files labelled twice with different classes are dropped."""
    text = git(source, "show", f"{SOURCE_COMMIT}:data/legend.csv")
    labels = collections.defaultdict(set)
    for row in csv.DictReader(io.StringIO(text)):
        label = LABELS.get(row["emotion"].strip().lower())
        if label:
            labels[row["image"].strip()].add(label)
    return {name: next(iter(classes)) for name, classes in labels.items() if len(classes) == 1}


def order_key(name):
    return hashlib.sha256(f"{SEED}:{name}".encode()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="models/.cache/facial_expressions")
    parser.add_argument("--out", default="models/.cache/wild-expression-dataset")
    parser.add_argument("--per_class", type=int, default=100)
    args = parser.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

    if not os.path.exists(args.source):
        print(f"cloning {SOURCE_URL} into {args.source} (about 500 MB)", file=sys.stderr)
        subprocess.run(["git", "clone", "--bare", SOURCE_URL, args.source], check=True)
    source = git_dir_of(args.source)
    try:
        git(source, "cat-file", "-e", f"{SOURCE_COMMIT}^{{commit}}")
    except subprocess.CalledProcessError:
        sys.exit(f"{args.source} lacks commit {SOURCE_COMMIT}: fetch it or remove the folder")

    present = set(git(source, "ls-tree", "--name-only", f"{SOURCE_COMMIT}:images").split("\n"))
    by_class = collections.defaultdict(list)
    for name, label in read_legend(source).items():
        if name in present:
            by_class[label].append(name)

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    counts = {}
    for label in LABELS.values():
        chosen = sorted(by_class[label], key=order_key)[:args.per_class]
        os.makedirs(os.path.join(args.out, label))
        for name in chosen:
            data = git(source, "show", f"{SOURCE_COMMIT}:images/{name}", binary=True)
            photo = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if photo is None:
                sys.exit(f"{name}: not a decodable image at {SOURCE_COMMIT}")
            h, w = photo.shape[:2]
            canvas = np.zeros((2 * h, 2 * w, 3), np.uint8)
            canvas[h // 2:h // 2 + h, w // 2:w // 2 + w] = photo
            # Same file name (the split hashes it); JPEG at 95 over the source's own JPEG.
            cv2.imwrite(os.path.join(args.out, label, name), canvas, [cv2.IMWRITE_JPEG_QUALITY, 95])
        counts[label] = (len(chosen), len(by_class[label]))

    with open(os.path.join(args.out, "SOURCE.txt"), "w") as info:
        info.write(f"source {SOURCE_URL} commit {SOURCE_COMMIT} (Apache-2.0)\n")
        info.write(f"selection: per class, first {args.per_class} by sha256('{SEED}:<name>')\n")
        info.write("each photo centred on a black canvas of twice its width and height\n")
        for label, (chosen, available) in counts.items():
            info.write(f"{label} {chosen} of {available}\n")
    for label, (chosen, available) in counts.items():
        print(f"{label:9} {chosen:4} of {available}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
