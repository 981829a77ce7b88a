#!/usr/bin/env python3
"""Writes models/cards/<model>.md for every served model, or checks they are up to date.

A card is generated, so it cannot drift from what is served: the facts come from the model's
config (models/repository/<model>/config.pbtxt: task, labels, inputs, ensemble members,
min_confidence and `provenance`: source, licence, training data, notes), the figures this
project measured from models/cards/measurements.tsv, and the known limits and intended and
out-of-scope uses from the text per task below (docs/RESPONSIBLE_USE.md explains them).

  scripts/make-model-cards.py            # (re)write the cards
  scripts/make-model-cards.py --check    # exit 1 naming every missing or stale card (ctest)

Standard library only (Debian's python3 has no google.protobuf): the config is read with
models/verify/pbtxt.py.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models", "verify"))
import pbtxt  # noqa: E402

REPOSITORY = os.path.join(ROOT, "models", "repository")
CARDS = os.path.join(ROOT, "models", "cards")
MEASUREMENTS = os.path.join(CARDS, "measurements.tsv")

# Per task: what the model is for, what it must not be used for, and what is known to limit it.
TASK_TEXT = {
    "MODEL_TASK_FACIAL_EXPRESSION": {
        "what": "Facial expression: probabilities over seven basic categories for one face crop.",
        "limits": [
            "Reads the **appearance of a face, not a felt emotion**: a smile is not happiness, a "
            "neutral face is not calm, and people mask, exaggerate or suppress expressions.",
            "**Seven basic categories** only (angry, disgust, fear, happy, sad, surprise, "
            "neutral): no contempt, confusion, boredom, interest, pain or mixed states; a 7-way "
            "softmax always names one of them, which is why the service reports "
            "EXPRESSION_UNCERTAIN below `min_confidence`.",
            "Trained on **posed or web images** of faces, mostly frontal and well lit; accuracy "
            "falls with turned, small, occluded or blurred faces, low light, glasses and heavy "
            "make-up.",
            "**Skewed training data**: class balance (e.g. few disgust samples in FER2013) and "
            "the age, sex and ethnicity mix are unbalanced or unknown; no per-group accuracy is "
            "published. Children and older adults are likely under-represented.",
            "**Cultural differences in display**: how strongly and in which situations "
            "expressions are shown differs between cultures and individuals; labels made by "
            "annotators of one culture carry their reading.",
            "This project's own measurements: about 300 in-the-wild test faces of one public "
            "source (adults, mostly grey news photos, 13 fear faces), where disgust and fear "
            "are rarely recognised, and a 16-face smoke test (14 smiling).",
        ],
        "intended": [
            "Aggregate, consented analysis of how interactions go (e.g. the share of smiling "
            "customer faces over many customer-service calls, not the agents': see the "
            "workplace rule below), reviewed by people.",
            "Research and user testing with participants who were informed and agreed.",
            "One cue among others, always shown with its scores, uncertainty and the model "
            "that produced it.",
        ],
        "out_of_scope": [
            "Any decision about an individual: hiring, grading, performance review, discipline, "
            "credit, insurance, policing, migration or access to services.",
            "Emotion recognition in the **workplace or in education** (prohibited by the EU AI "
            "Act except for medical or safety reasons; see docs/RESPONSIBLE_USE.md).",
            "Inferring truthfulness, intent, personality, mental health or any trait.",
            "Identifying or re-identifying people; use on children; covert monitoring of people "
            "who have not been told.",
        ],
    },
    "MODEL_TASK_FACE_DETECTION": {
        "what": "Face detection: boxes and six landmarks, so that faces can be cropped for the "
                "expression and attire analyses.",
        "limits": [
            "Trained for faces at a moderate distance (the back-camera variant); very small, "
            "strongly turned or occluded faces are missed, and missed faces are neither analysed "
            "nor blurred by `--blur_faces`.",
            "Detection rates per skin tone, age or sex have not been measured by this project.",
        ],
        "intended": ["Locating faces for the service's own analyses, in images people were told "
                     "would be analysed."],
        "out_of_scope": [
            "Identification, recognition or matching of faces (the service keeps no embeddings).",
            "Counting or following people for surveillance.",
        ],
    },
    "MODEL_TASK_OBJECT_DETECTION": {
        "what": "Object detection over the 80 COCO classes; the service derives scene "
                "categories, indoor/outdoor and accessories from its objects by fixed rules.",
        "limits": [
            "COCO's 80 classes and their photos (mostly Western, everyday scenes) bound what it "
            "sees; scene categories are rules over objects, not a trained scene model.",
            "Small objects and cluttered scenes are missed or confused (e.g. white sleeves read "
            "as a bottle and a cup on a demo photo).",
        ],
        "intended": ["Describing the setting of an image (objects, room type, lighting) for "
                     "context."],
        "out_of_scope": ["Inferring wealth, social status, religion or other personal traits "
                         "from a person's surroundings or belongings."],
    },
    "MODEL_TASK_PERSON_SEGMENTATION": {
        "what": "Person segmentation: a per-pixel person probability, used to find the garment "
                "regions under each face.",
        "limits": [
            "Trained for one person close to a phone camera (selfies); several people, distant "
            "people and unusual poses give rougher masks, and hair or props can be counted as "
            "clothing.",
        ],
        "intended": ["Separating a person from the background to name garment colours."],
        "out_of_scope": ["Inferring body shape, weight, sex or any other trait from the mask."],
    },
    "MODEL_TASK_BODY_POSE": {
        "what": "Body pose: up to six people per image, each with 17 COCO keypoints (face, "
                "shoulders, elbows, wrists, hips, knees, ankles), a box and a score, for the "
                "`body` analysis (posture cues) and to link each body to its face.",
        "limits": [
            "Lightning variant at 256x256 over the whole (letterboxed) frame: small or distant "
            "people, crowds beyond six, strong occlusion and unusual viewpoints give missing or "
            "swapped keypoints.",
            "Keypoint accuracy per body type, clothing, skin tone, age or disability (e.g. "
            "wheelchair users) has not been measured by this project.",
        ],
        "intended": ["Describing posture and movement (arms raised, leaning, movement energy) "
                     "of people who were told they are being analysed."],
        "out_of_scope": [
            "Identifying people by gait or body shape; inferring health, disability, weight, sex "
            "or age from a pose.",
            "Judging work performance, attentiveness at work or in education, or guilt from "
            "body language.",
        ],
    },
    "MODEL_TASK_FACE_MESH": {
        "what": "Face mesh: 468 3-D landmarks and a face confidence per detected face, for the "
                "`attention` analysis (eye openness, mouth openness, head pose).",
        "limits": [
            "Trained on mobile-camera faces close to the camera; small, strongly turned or "
            "occluded faces (glasses, masks, hands) give unreliable eye and mouth landmarks.",
            "Landmark accuracy per skin tone, age or sex has not been measured by this project.",
        ],
        "intended": ["Drowsiness and attention cues (blinks, eyes closing, yawns, head nods) "
                     "for people who were told, e.g. a driver-monitoring set-up."],
        "out_of_scope": [
            "Face recognition or identification (landmarks are not kept between requests).",
            "Inferring emotion, truthfulness or any trait from the landmarks alone; attention "
            "scoring of employees or students.",
        ],
    },
    "MODEL_TASK_SPEECH_EMOTION": {
        "what": "Speech emotion: probabilities over the labels of its config for a voice clip.",
        "limits": ["Speech emotion models are sensitive to language, accent, microphone and "
                   "recording conditions; measure on your own data before use."],
        "intended": ["Aggregate, consented analysis of conversations, reviewed by people."],
        "out_of_scope": ["Decisions about individuals; workplace or education use (EU AI Act); "
                         "identifying speakers."],
    },
}
DEFAULT_TASK_TEXT = {
    "what": "A model served by the repository.",
    "limits": ["Not measured by this project."],
    "intended": ["As documented by its provider."],
    "out_of_scope": ["Identification of people; decisions about individuals."],
}


def first(message, key, default=""):
    values = message.get(key, [])
    return values[0] if values else default


def number(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def served_models():
    names = []
    for name in sorted(os.listdir(REPOSITORY)):
        if os.path.isfile(os.path.join(REPOSITORY, name, "config.pbtxt")):
            names.append(name)
    return names


def read_measurements():
    rows = []
    with open(MEASUREMENTS, encoding="utf-8") as f:
        for line_number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise SystemExit(f"{MEASUREMENTS}:{line_number}: expected 5 tab-separated "
                                 f"fields (model, what, result, conditions, source), got "
                                 f"{len(fields)}")
            rows.append(fields)
    return rows


def card(name, measurements):
    path = os.path.join(REPOSITORY, name, "config.pbtxt")
    with open(path, encoding="utf-8") as f:
        config = pbtxt.parse(f.read())
    task = first(config, "task", "MODEL_TASK_UNSPECIFIED")
    text = TASK_TEXT.get(task, DEFAULT_TASK_TEXT)
    provenance = first(config, "provenance", {})
    platform = first(config, "platform", "torchscript")
    is_image_model = task != "MODEL_TASK_SPEECH_EMOTION"
    lines = [
        f"# Model card: `{name}`",
        "",
        "<!-- Generated by scripts/make-model-cards.py from "
        f"models/repository/{name}/config.pbtxt and models/cards/measurements.tsv. "
        "Do not edit: change those and run the script (ctest checks this file is current). -->",
        "",
        text["what"],
        "",
        "## Facts from the config",
        "",
        f"- Task: `{task}`; platform: `{platform}`.",
    ]
    for spec in config.get("input", []):
        dims = "x".join(number(d) for d in spec.get("dims", []))
        color = first(first(spec, "normalization", {}), "color_format", "")
        lines.append(f"- Input `{first(spec, 'name')}`: {dims}"
                     + (f", {color}" if color else "") + ".")
    labels = config.get("labels", [])
    if labels:
        lines.append("- Labels: " + ", ".join(f"`{label}`" for label in labels) + ".")
    members = [first(m, "model") for m in first(config, "ensemble", {}).get("member", [])]
    if members:
        lines.append("- Ensemble of: " + ", ".join(f"[`{m}`]({m}.md)" for m in members)
                     + " (weighted average of their probabilities).")
    min_confidence = first(config, "min_confidence", None)
    if min_confidence is not None:
        lines.append(f"- `min_confidence`: {number(min_confidence)}: a face whose top score is "
                     "below it is reported as `EXPRESSION_UNCERTAIN`, scores kept.")
    crop = first(config, "face_crop", None)
    if crop is not None:
        parts = [f"{key} {number(first(crop, key))}" for key in
                 ("box_source", "margin", "square", "align_eyes") if key in crop]
        lines.append("- Face crop: " + ", ".join(parts) + ".")
    lines += [
        "",
        "## Source, licence, training data",
        "",
        f"- Source: {first(provenance, 'source', 'not stated')}",
        f"- Licence: {first(provenance, 'license', 'not stated')}",
        f"- Training data: {first(provenance, 'training_data', 'not stated')}",
    ]
    if first(provenance, "notes"):
        lines.append(f"- Notes: {first(provenance, 'notes')}")
    rows = [r for r in measurements if r[0] == name or (r[0] == "*" and is_image_model
                                                         and platform != "ensemble")]
    lines += ["", "## Evaluated on: this project's measurements", ""]
    if rows:
        lines += ["| What | Result | Conditions | Source |", "|---|---|---|---|"]
        for _, what, result, conditions, source in rows:
            lines.append(f"| {what} | {result} | {conditions} | {source} |")
    else:
        lines.append("Nothing measured by this project yet.")
    lines += ["", "Measure on your own data before relying on it: `affect-client eval` for "
              "expression models (per class, calibration, per group: docs/RESPONSIBLE_USE.md)."]
    for title, key in (("Known limits", "limits"), ("Intended uses", "intended"),
                       ("Out-of-scope uses", "out_of_scope")):
        lines += ["", f"## {title}", ""]
        lines += [f"- {item}" for item in text[key]]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="check the cards instead of writing them (exit 1 if any is stale)")
    args = parser.parse_args()
    measurements = read_measurements()
    models = served_models()
    unknown = sorted({r[0] for r in measurements} - set(models) - {"*"})
    if unknown:
        raise SystemExit(f"{MEASUREMENTS}: rows for models that are not served: {unknown}")
    problems = []
    for name in models:
        expected = card(name, measurements)
        path = os.path.join(CARDS, f"{name}.md")
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                problems.append(f"{path}: missing (served model '{name}' has no card)")
                continue
            if current != expected:
                problems.append(f"{path}: out of date with its config or measurements.tsv")
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(expected)
    for path in sorted(os.listdir(CARDS)):
        if path.endswith(".md") and path[:-3] not in models:
            problems.append(f"{os.path.join(CARDS, path)}: a card for a model that is not served")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        if args.check:
            print("Run scripts/make-model-cards.py to regenerate the cards.", file=sys.stderr)
        return 1
    print(f"{'checked' if args.check else 'wrote'} {len(models)} model cards in {CARDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
