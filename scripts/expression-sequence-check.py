#!/usr/bin/env python3
"""Does per-track smoothing beat the per-frame expression label? A measurement on short
synthetic sequences built from labelled photos.

Each sequence is one photo of the TEST part of the wild set (the split of
`affect-client eval --split=test --split_seed=SEED`, recomputed here from the file names) seen
through FRAMES frames of camera-like jitter: a shift of up to 3% of the photo, a scale of
0.95-1.05, a turn of up to 3 degrees, brightness 0.9-1.1, pixel noise (sigma 3) and JPEG at
quality 80, drawn per frame from a seeded generator. The face is the same in every frame, so
this measures how smoothing handles frame-to-frame noise of the detector and the crop, not
expressions that change (the debounced change events are tested in tests/stream).

  make:  writes DIR/<class>/<photo>~fNN.jpg (default models/.cache/wild-expression-sequences)
  score: reads `affect-client eval --dataset DIR --crop_policies=configured --json` and
         compares, over every frame of every sequence, the per-frame label with the label of
         the mean of the last W frames (server/stream/expression_smoother.h: a plain mean over
         the window, and the debounced dominant it reports: a new class must lead the mean by
         0.05 in 3 consecutive frames).

Usage:
  scripts/expression-sequence-check.py make [--dataset=DIR] [--out=DIR] [--per_class=N]
  scripts/expression-sequence-check.py score EVAL.json
"""
import argparse
import collections
import glob
import json
import os

import numpy as np

FRAMES = 20
WINDOWS = (1, 3, 5, 8, 15)
CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def split_position(name, seed):
    """client/eval/dataset_selection.cc SplitPosition: FNV-1a 64 of '<seed>:<file name>'."""
    value = 14695981039346656037
    for byte in f"{seed}:{name}".encode():
        value ^= byte
        value = (value * 1099511628211) % (1 << 64)
    return (value >> 11) * 2.0**-53


def make(args):
    import cv2  # only here: `score` needs numpy alone

    rng = np.random.default_rng(args.seed)
    for label in CLASSES:
        photos = sorted(glob.glob(os.path.join(args.dataset, label, "*.jpg")))
        test = [p for p in photos
                if split_position(os.path.basename(p), args.split_seed) >= args.split_fraction]
        os.makedirs(os.path.join(args.out, label), exist_ok=True)
        for path in test[:args.per_class]:
            image = cv2.imread(path)
            h, w = image.shape[:2]
            stem = os.path.splitext(os.path.basename(path))[0]
            for f in range(FRAMES):
                angle = rng.uniform(-3, 3)
                scale = rng.uniform(0.95, 1.05)
                matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
                matrix[:, 2] += rng.uniform(-0.03, 0.03, 2) * (w, h)
                frame = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
                frame = frame.astype(np.float32) * rng.uniform(0.9, 1.1)
                frame += rng.normal(0, 3, frame.shape)
                frame = np.clip(frame, 0, 255).astype(np.uint8)
                cv2.imwrite(os.path.join(args.out, label, f"{stem}~f{f:02d}.jpg"), frame,
                            [cv2.IMWRITE_JPEG_QUALITY, 80])
        print(f"{label:9} {min(len(test), args.per_class)} sequences of {FRAMES} frames")


def debounced(means, min_lead_frames=3, min_lead_margin=0.05):
    """The smoother's reported dominant per frame, from its window means."""
    reported, leader, streak, out = None, None, 0, []
    for mean in means:
        top = int(np.argmax(mean))
        if reported is None:
            reported = top
        elif top != reported and mean[top] - mean[reported] >= min_lead_margin:
            streak = streak + 1 if top == leader else 1
            leader = top
            if streak >= min_lead_frames:
                reported, leader, streak = top, None, 0
        else:
            leader, streak = None, 0
        out.append(reported)
    return out


def score(args):
    with open(args.eval_json) as f:
        report = json.load(f)
    setting = report["crop_settings"][0]["name"]
    model = report["models"][-1]["name"]  # the served model: the ensemble
    sequences = collections.defaultdict(dict)
    for reading in report["readings"]:
        name = os.path.basename(reading["path"])
        stem, frame = name.rsplit("~f", 1)
        scores = reading["scores"][setting][model]
        if scores:
            sequences[(reading["truth"], stem)][int(frame[:2])] = np.array(scores)
    print(f"{len(sequences)} sequences, {sum(len(s) for s in sequences.values())} frames with "
          f"a face ({model}, crop {setting})")
    print("window  frames right (mean label)  frames right (debounced label)  "
          "sequences whose label changes")
    for window in WINDOWS:
        right_mean = right_debounced = frames = flickering = 0
        recall = collections.defaultdict(list)
        for (truth, _), by_frame in sequences.items():
            ordered = [by_frame[f] for f in sorted(by_frame)]
            means = [np.mean(ordered[max(0, i - window + 1):i + 1], axis=0)
                     for i in range(len(ordered))]
            labels = [int(np.argmax(m)) for m in means]
            shown = debounced(means) if window > 1 else labels
            t = CLASSES.index(truth)
            right_mean += sum(label == t for label in labels)
            right_debounced += sum(label == t for label in shown)
            recall[t].append(np.mean([label == t for label in shown]))
            frames += len(ordered)
            flickering += len(set(shown)) > 1
        mean_recall = np.mean([np.mean(v) for v in recall.values()])
        print(f"{window:6}  {right_mean / frames:.3f} ({right_mean}/{frames})"
              f"{'':11}{right_debounced / frames:.3f} (mean recall {mean_recall:.3f})"
              f"{'':9}{flickering}/{len(sequences)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make")
    make_parser.add_argument("--dataset", default="models/.cache/wild-expression-dataset")
    make_parser.add_argument("--out", default="models/.cache/wild-expression-sequences")
    make_parser.add_argument("--per_class", type=int, default=10)
    make_parser.add_argument("--split_seed", type=int, default=1)
    make_parser.add_argument("--split_fraction", type=float, default=0.5)
    make_parser.add_argument("--seed", type=int, default=20)
    score_parser = commands.add_parser("score")
    score_parser.add_argument("eval_json")
    args = parser.parse_args()
    make(args) if args.command == "make" else score(args)


if __name__ == "__main__":
    main()
