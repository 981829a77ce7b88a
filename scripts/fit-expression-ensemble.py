#!/usr/bin/env python3
"""Chooses the expression ensemble's settings on the TUNING part of a labelled set.

Reads the JSON of `affect-client eval --split=tune --json` (every reading's seven scores per
model and crop; several files of the same split are merged, one per set of crop policies)
and chooses, by mean recall over the classes (ties: accuracy), step by step:
  1. each member's crop policy, by the member alone (with and without eye alignment shown);
  2. the member weights (emotion : face_expression, 0.2 to 5) with those crops; every pair of
     crops at every weight is also ranked, as a check on how flat the top is;
  3. test-time horizontal flip for the chosen setting, when --mirrored gives the same runs on
     the mirrored images (same file names, so the same split): scores averaged per image;
  4. per-class weights on the ensemble's average (a prior correction, fitted by coordinate
     ascent), fitted on one half of the tuning part and checked on the other.

  5. with --test: each lever on the test part, against the chosen setting, to keep only
     those that help there (run once, after the choice).

Steps 1-4 read only the tuning part: the chosen settings go into models/repository and are
then reported on the test part with `affect-client eval --split=test` (docs/accuracy.md).
Nothing here is a model output: it recombines the scores the served models gave (the
ensemble is their weighted average, server/pipeline/expression_stage.cc).

Usage: scripts/fit-expression-ensemble.py TUNE.json [MORE.json ...]
           [--mirrored=TUNE_MIRRORED.json,MORE_MIRRORED.json] [--test=TEST.json,...]
"""
import argparse
import itertools
import json

import numpy as np

MEMBERS = ("emotion", "face_expression")


def load(paths):
    """load_one over several runs of the same split, merged by file name (the faces found
    in all of them: detection does not depend on the crop, so that is all of them)."""
    runs = [load_one(path) for path in paths]
    common = set(runs[0][4])
    for run in runs[1:]:
        common &= set(run[4])
    names = [name for name in runs[0][4] if name in common]
    classes, settings, truths, scores = runs[0][0], [], None, {}
    for run_classes, run_settings, run_truths, run_scores, run_names in runs:
        index = {name: i for i, name in enumerate(run_names)}
        rows = [index[name] for name in names]
        truths = run_truths[rows]
        for setting in run_settings:
            if setting in scores:
                continue
            settings.append(setting)
            scores[setting] = {model: v[rows] for model, v in run_scores[setting].items()}
    return classes, settings, truths, scores, names


def load_one(path):
    """(classes, settings, truths [n], scores {setting: {model: [n, 7]}}, names [n])."""
    with open(path) as f:
        report = json.load(f)
    classes = report["classes"]
    settings = [s["name"] for s in report["crop_settings"]]
    readings = report["readings"]
    names = [r["path"].split("/")[-1] for r in readings]
    truths = np.array([classes.index(r["truth"]) for r in readings])
    scores = {}
    for setting in settings:
        scores[setting] = {}
        for model in [m["name"] for m in report["models"]]:
            rows = [r["scores"][setting][model] for r in readings]
            # No answer (degenerate crop): uniform, so it counts as a guess, never as right.
            scores[setting][model] = np.array([row if row else [1 / 7] * 7 for row in rows])
    return classes, settings, truths, scores, names


def figures(truths, probabilities):
    """(mean recall over the classes present, accuracy)."""
    predicted = probabilities.argmax(axis=1)
    recalls = [np.mean(predicted[truths == c] == c) for c in np.unique(truths)]
    return float(np.mean(recalls)), float(np.mean(predicted == truths))


def ensemble(emotion, face_expression, weight_emotion=1.0, weight_face_expression=1.0):
    total = weight_emotion + weight_face_expression
    return (weight_emotion * emotion + weight_face_expression * face_expression) / total


PRESETS = {"tight": "detector", "square": "detector+square",
           "margin10": "detector+square+margin=0.1", "margin20": "detector+square+margin=0.2",
           "aligned": "detector+square+align", "keypoints": "keypoints",
           "keypoints_aligned": "keypoints+align"}


def toggle_align(setting):
    """The crop spec of `setting` with eye alignment switched."""
    spec = PRESETS.get(setting, setting)
    if "+align" in spec:
        return spec.replace("+align", "")
    if "+margin" in spec:
        return spec.replace("+margin", "+align+margin")
    return spec + "+align"


def fit_class_bias(truths, probabilities, steps=3000, rate=0.5):
    """A small calibration: per-class log-biases on the average, fitted by class-balanced
    maximum likelihood (gradient descent); returned as multipliers."""
    logits = np.log(np.clip(probabilities, 1e-6, 1.0))
    counts = np.bincount(truths, minlength=probabilities.shape[1]).astype(float)
    sample_weight = 1.0 / counts[truths]
    sample_weight /= sample_weight.sum()
    onehot = np.eye(probabilities.shape[1])[truths]
    bias = np.zeros(probabilities.shape[1])
    for _ in range(steps):
        z = logits + bias
        z -= z.max(axis=1, keepdims=True)
        q = np.exp(z)
        q /= q.sum(axis=1, keepdims=True)
        bias -= rate * ((q - onehot) * sample_weight[:, None]).sum(axis=0)
    return np.exp(bias - bias.mean())


def fit_class_weights(truths, probabilities, rounds=3):
    """Per-class multipliers on the average, by coordinate ascent on mean recall."""
    weights = np.ones(probabilities.shape[1])
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 25))
    for _ in range(rounds):
        for c in range(len(weights)):
            best = (figures(truths, probabilities * weights), weights[c])
            for value in grid:
                trial = weights.copy()
                trial[c] = value
                score = figures(truths, probabilities * trial)
                if score > best[0]:
                    best = (score, value)
            weights[c] = best[1]
    return weights / weights.mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tune_json", nargs="+")
    parser.add_argument("--mirrored", default="")
    parser.add_argument("--test", default="",
                        help="eval --split=test JSON(s) of the OLD repository (`configured` = "
                             "the old defaults) with the chosen and toggled crops as settings")
    args = parser.parse_args()
    classes, settings, truths, scores, names = load(args.tune_json)
    counts = {classes[c]: int(np.sum(truths == c)) for c in np.unique(truths)}
    print(f"tuning part: {len(truths)} faces, {counts}")

    print("\n1. each member alone (mean recall, accuracy)")
    for model in MEMBERS + ("expression",):
        ranked = sorted(((figures(truths, scores[s][model]), s) for s in settings), reverse=True)
        for (recall, accuracy), setting in ranked:
            print(f"  {model:16} {setting:32} {recall:.3f} {accuracy:.3f}")

    chosen = {}
    for model in MEMBERS:
        # `configured` repeats a named policy (the repository's): choose among the names.
        chosen[model] = max((figures(truths, scores[s][model]), s) for s in settings
                            if s != "configured")[1]
    print("  chosen: " + ", ".join(f"{m} {c}" for m, c in chosen.items()))

    weights = [0.2, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0]
    print("\n2. member weights (emotion : face_expression) with the chosen crops")
    by_weight = []
    for w in weights:
        p = ensemble(scores[chosen["emotion"]]["emotion"],
                     scores[chosen["face_expression"]]["face_expression"], w, 1.0)
        by_weight.append((figures(truths, p), -abs(np.log(w)), w))
        print("  w %-5s %.3f %.3f" % ((w,) + figures(truths, p)))
    best_w = max(by_weight)[2]
    best_e, best_f = chosen["emotion"], chosen["face_expression"]
    print(f"  chosen: weight {best_w} : 1 (ties: the weight nearer 1)")
    print(f"  test run (old repository): --crop_policies=configured,{best_e},{best_f},"
          f"{toggle_align(best_e)},{toggle_align(best_f)}")
    best = ensemble(scores[best_e]["emotion"], scores[best_f]["face_expression"], best_w, 1.0)

    print("\n2b. check: every pair of crops x weights, best 10")
    ranked = []
    for crop_e, crop_f in itertools.product(settings, settings):
        if "configured" in (crop_e, crop_f) and crop_e != crop_f:
            continue  # `configured` means each member's own crop: not mixed with others
        for w in weights:
            p = ensemble(scores[crop_e]["emotion"], scores[crop_f]["face_expression"], w, 1.0)
            ranked.append((figures(truths, p), crop_e, crop_f, w))
    ranked.sort(reverse=True)
    for (recall, accuracy), crop_e, crop_f, w in ranked[:10]:
        print(f"  emotion {crop_e:32} face_expression {crop_f:32} w {w:<5} {recall:.3f} {accuracy:.3f}")
    equal = [r for r in ranked if r[3] == 1.0]
    (recall, accuracy), crop_e, crop_f, _ = equal[0]
    print(f"  best at equal weights: emotion {crop_e}, face_expression {crop_f}: "
          f"{recall:.3f} {accuracy:.3f}")

    if args.mirrored:
        print("\n3. test-time horizontal flip (mean of the photo and its mirror image)")
        m_classes, m_settings, m_truths, m_scores, m_names = load(args.mirrored.split(","))
        index = {name: i for i, name in enumerate(m_names)}
        common = [i for i, name in enumerate(names) if name in index]
        mirror = [index[names[i]] for i in common]
        t = truths[common]
        for label, (crop_e, crop_f, w) in [("chosen", (best_e, best_f, best_w))]:
            plain_e = scores[crop_e]["emotion"][common]
            plain_f = scores[crop_f]["face_expression"][common]
            flip_e = (plain_e + m_scores[crop_e]["emotion"][mirror]) / 2
            flip_f = (plain_f + m_scores[crop_f]["face_expression"][mirror]) / 2
            print(f"  {label} ({crop_e}, {crop_f}, w {w}) on the {len(common)} faces found in both:")
            print("    without flip %.3f %.3f" % figures(t, ensemble(plain_e, plain_f, w)))
            print("    with flip    %.3f %.3f" % figures(t, ensemble(flip_e, flip_f, w)))
            print("    flip emotion only %.3f %.3f" % figures(t, ensemble(flip_e, plain_f, w)))
            print("    flip face_expression only %.3f %.3f" % figures(t, ensemble(plain_e, flip_f, w)))

    print("\n4. per-class weights on the chosen ensemble's average (fitted here: optimistic)")
    fitted = {}
    for method, fit_function in (("per-class weights (mean recall)", fit_class_weights),
                                 ("class bias (balanced likelihood)", fit_class_bias)):
        multipliers = fit_function(truths, best)
        fitted[method] = multipliers
        print(f"  {method}: before %.3f %.3f, " % figures(truths, best) +
              "after %.3f %.3f" % figures(truths, best * multipliers))
        print("    " + ", ".join(f"{c} {w:.2f}" for c, w in zip(classes, multipliers)))
        # Two halves of the tuning part: fit on one, check on the other, to see whether they
        # carry over before they are ever tried on the test part.
        halves = np.arange(len(truths)) % 2
        for h in (0, 1):
            half_fit = fit_function(truths[halves == h], best[halves == h])
            other = halves != h
            print(f"    fitted on half {h}, checked on the other: "
                  "%.3f %.3f -> " % figures(truths[other], best[other]) +
                  "%.3f %.3f" % figures(truths[other], best[other] * half_fit))

    if not args.test:
        return
    print("\n5. the levers on the TEST part (each against the chosen setting)")
    _, test_settings, t, ts, _ = load(args.test.split(","))

    def show(label, crop_e, crop_f, w, multipliers=None):
        if crop_e not in test_settings or crop_f not in test_settings:
            print(f"  {label}: not in the test run ({crop_e}, {crop_f})")
            return
        p = ensemble(ts[crop_e]["emotion"], ts[crop_f]["face_expression"], w, 1.0)
        if multipliers is not None:
            p = p * multipliers
        print(f"  {label:44} %.3f %.3f" % figures(t, p))

    print(f"  test part: {len(t)} faces")
    show("chosen", best_e, best_f, best_w)
    show("emotion at its old crop", "configured", best_f, best_w)
    show("face_expression at its old crop", best_e, "configured", best_w)
    show("old crops, chosen weight", "configured", "configured", best_w)
    show("old defaults (old crops, equal weights)", "configured", "configured", 1.0)
    show("equal weights", best_e, best_f, 1.0)
    for model, crop in (("emotion", best_e), ("face_expression", best_f)):
        e, f = (toggle_align(crop), best_f) if model == "emotion" else (best_e, toggle_align(crop))
        show(f"{model} with eye alignment toggled ({toggle_align(crop)})", e, f, best_w)
    for method, multipliers in fitted.items():
        show(method + " from the tuning part", best_e, best_f, best_w, multipliers)
    # How much one test part can move the figure: a bootstrap over its faces (resampled
    # within each class, so the class mix stays), for the old defaults and the chosen
    # setting, and for their paired difference.
    rng = np.random.default_rng(1)
    old = ensemble(ts["configured"]["emotion"], ts["configured"]["face_expression"], 1.0, 1.0)
    new = ensemble(ts[best_e]["emotion"], ts[best_f]["face_expression"], best_w, 1.0)
    draws = {"old defaults": [], "chosen": [], "chosen - old": []}
    by_class = [np.flatnonzero(t == c) for c in np.unique(t)]
    for _ in range(2000):
        sample = np.concatenate([rng.choice(members, len(members)) for members in by_class])
        a, b = figures(t[sample], old[sample])[0], figures(t[sample], new[sample])[0]
        draws["old defaults"].append(a)
        draws["chosen"].append(b)
        draws["chosen - old"].append(b - a)
    for label, values in draws.items():
        low, high = np.percentile(values, [2.5, 97.5])
        print(f"  mean recall, 95% bootstrap interval, {label}: {low:.3f} to {high:.3f}")
    for model, crop in (("emotion", best_e), ("face_expression", best_f)):
        print(f"  {model} alone: chosen %.3f %.3f, " % figures(t, ts[crop][model]) +
              "old crop %.3f %.3f" % figures(t, ts["configured"][model]))


if __name__ == "__main__":
    main()
