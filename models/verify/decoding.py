"""Reference (numpy) implementations of the post-processing documented in models/README.md.

They exist to check the documented recipes, and as executable documentation for the C++
decoders: `decode_centernet` is compared with the graph's own `tower_0/detections` (the
TopKV2 part the converted module leaves out) in compare.py.
"""

from typing import Tuple

import numpy as np

# ---- BlazeFace (human src/face/blazeface.ts + facemeshutil.ts generateAnchors) ----------

BLAZEFACE_INPUT = 256
BLAZEFACE_GRIDS = ((16, 2), (32, 6))  # (stride in pixels, anchors per cell)


def blazeface_anchors() -> np.ndarray:
    """[896, 2] anchor centres (x, y) in input pixels, in the model's output order."""
    anchors = []
    for stride, per_cell in BLAZEFACE_GRIDS:
        cells = (BLAZEFACE_INPUT + stride - 1) // stride
        for y in range(cells):
            for x in range(cells):
                anchors += [(stride * (x + 0.5), stride * (y + 0.5))] * per_cell
    return np.array(anchors, dtype=np.float32)


def decode_blazeface(classificators_16x16, regressors_16x16, classificators_8x8,
                     regressors_8x8) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's outputs -> (scores [896], boxes [896, 4] x1 y1 x2 y2, keypoints [896, 6, 2]),
    coordinates in input pixels (0..256). NMS is left to the caller."""
    logits = np.concatenate([classificators_16x16, classificators_8x8])[:, 0]
    regs = np.concatenate([regressors_16x16, regressors_8x8])
    anchors = blazeface_anchors()
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
    centre = regs[:, 0:2] + anchors
    half = regs[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = regs[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
    return scores, boxes, keypoints


# ---- CenterNet (graph nodes after tower_0/keypoints and tower_0/wh) ---------------------

CENTERNET_STRIDE = 4  # tower_0/mul_3..6/y


def decode_centernet(heatmap: np.ndarray, wh: np.ndarray, heatmap_max: np.ndarray,
                     top_k: int = 100) -> np.ndarray:
    """One image: heatmap [H, W, C], wh [H, W, 4], heatmap_max [H, W, C] ->
    [top_k, 6] rows (x1, y1, x2, y2, score, class) in input pixels, best first.

    Mirrors the graph: peaks = heatmap * (heatmap == heatmap_max); TopKV2 over the peaks
    flattened in (y, x, class) order; cell = index // C, class = index % C,
    y = cell // W, x = cell % W; box = (4x - wh0, 4y - wh1, 4x + wh2, 4y + wh3).
    """
    height, width, classes = heatmap.shape
    peaks = (heatmap * (heatmap == heatmap_max)).reshape(-1)
    order = np.argsort(-peaks, kind="stable")[:top_k]
    scores = peaks[order]
    cls = order % classes
    cell = order // classes
    y, x = cell // width, cell % width
    sizes = wh.reshape(-1, 4)[cell]
    cx, cy = x * CENTERNET_STRIDE, y * CENTERNET_STRIDE
    return np.stack([cx - sizes[:, 0], cy - sizes[:, 1], cx + sizes[:, 2], cy + sizes[:, 3],
                     scores, cls], axis=1).astype(np.float32)


def match_detections(got: np.ndarray, want: np.ndarray, min_score: float) -> float:
    """Max error between two detection lists, matching rows of equal class by box.

    Rows below min_score are ignored: their order among near-equal scores is arbitrary.
    Returns inf when the two lists do not have the same detections.
    """
    got = got[got[:, 4] >= min_score]
    want = want[want[:, 4] >= min_score]
    if len(got) != len(want):
        return float("inf")
    worst = 0.0
    unused = list(range(len(got)))
    for row in want:
        candidates = [i for i in unused if got[i, 5] == row[5]]
        if not candidates:
            return float("inf")
        errors = [np.max(np.abs(got[i, :5] - row[:5]) / np.maximum(np.abs(row[:5]), 1.0))
                  for i in candidates]
        best = int(np.argmin(errors))
        worst = max(worst, float(errors[best]))
        unused.remove(candidates[best])
    return worst
