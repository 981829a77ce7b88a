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


# ---- MoveNet MultiPose (graph nodes after the six heads, read from movenet-multipose.json) -

MOVENET_STRIDE = 4  # mul/y, mul_1/y, mul_5/y, truediv_8/x: cells -> input pixels
MOVENET_PEAK_WINDOW = 5  # MaxPool ksize 5x5, stride 1, SAME
MOVENET_PEAK_TOLERANCE = np.float32(1.0132789611816406e-06)  # Less/y
MOVENET_MAX_PEOPLE = 6  # TopKV2/k
MOVENET_SIGMA_FACTOR = np.float32(0.300048828125)  # mul_6/y (0.3 stored as float16)
MOVENET_KEYPOINT_THRESHOLD = np.float32(0.126953125)  # Greater_1/y
MOVENET_KEYPOINTS = 17


def _max_pool_same(x: np.ndarray, window: int) -> np.ndarray:
    """[H, W] max over a window x window neighbourhood, -inf padding (TF SAME, odd window)."""
    half = window // 2
    padded = np.pad(x, half, mode="constant", constant_values=-np.inf)
    height, width = x.shape
    return np.max([padded[dy:dy + height, dx:dx + width]
                   for dy in range(window) for dx in range(window)], axis=0)


def decode_movenet(center_heatmap, box_scale, box_offset, keypoint_heatmap,
                   keypoint_regression, keypoint_offset) -> np.ndarray:
    """One image's six heads (NHWC without the batch, H x W grid) -> [6, 56] rows as the
    graph's `Identity`: 17 x (y, x, score) keypoints normalised to the input, box (ymin,
    xmin, ymax, xmax) normalised and clipped to [0, 1], person score.

    1. Centres: peaks of the centre heatmap (equal to their 5x5 max within 1e-6), the 6
       largest (TopKV2, ties to the lower index), cell (y, x) = divmod(index, W).
    2. Box per centre: centre + box_offset -/+ max(box_scale, 0) / 2, clipped to the grid.
    3. Regressed keypoints: centre + keypoint_regression[centre] (17 x (dy, dx)).
    4. Keypoint k of person p: the cell maximising keypoint_heatmap[.., k] *
       exp(-d^2 / (0.3 * min(H, W))) * inside(box p), d = distance to the regressed
       keypoint (ArgMax: first maximum in row-major order), refined by keypoint_offset there.
       Its score is the maximum of that weighted, masked heatmap over all 6 people at the
       chosen cell (the graph reduces over people before gathering).
    5. Person score: centre score * mean of the keypoint scores above 0.127 (1 if none).
    Coordinates: cells * 4 / input size.
    """
    height, width = center_heatmap.shape[:2]
    f32 = np.float32
    center = center_heatmap[:, :, 0]
    peaks = center * (np.abs(center - _max_pool_same(center, MOVENET_PEAK_WINDOW))
                      < MOVENET_PEAK_TOLERANCE)
    flat = peaks.reshape(-1)
    order = np.argsort(-flat, kind="stable")[:MOVENET_MAX_PEOPLE]
    center_scores = flat[order]
    cy, cx = order // width, order % width

    offset = box_offset[cy, cx]  # [6, 2] (dy, dx)
    scale = np.maximum(box_scale[cy, cx], f32(0))  # [6, 2] (h, w)
    by, bx = cy.astype(f32) + offset[:, 0], cx.astype(f32) + offset[:, 1]
    ymin = np.clip(by - scale[:, 0] * f32(0.5), 0, height)
    xmin = np.clip(bx - scale[:, 1] * f32(0.5), 0, width)
    ymax = np.clip(by + scale[:, 0] * f32(0.5), 0, height)
    xmax = np.clip(bx + scale[:, 1] * f32(0.5), 0, width)

    regression = keypoint_regression[cy, cx].reshape(-1, MOVENET_KEYPOINTS, 2)
    ky = cy.astype(f32)[:, None] + regression[:, :, 0]  # [6, 17]
    kx = cx.astype(f32)[:, None] + regression[:, :, 1]
    grid_y = np.arange(height, dtype=f32)[:, None, None, None]
    grid_x = np.arange(width, dtype=f32)[None, :, None, None]
    distance2 = (grid_y - ky[None, None]) ** 2 + (grid_x - kx[None, None]) ** 2  # [H,W,6,17]
    sigma = f32(min(height, width)) * MOVENET_SIGMA_FACTOR
    weighted = keypoint_heatmap[:, :, None, :] * np.exp(-distance2 / sigma)
    inside = ((grid_y[..., 0] >= ymin) & (grid_y[..., 0] < ymax)
              & (grid_x[..., 0] >= xmin) & (grid_x[..., 0] < xmax))  # [H, W, 6]
    weighted = weighted * inside[..., None].astype(f32)
    best = np.argmax(weighted.reshape(height * width, -1), axis=0).reshape(-1, MOVENET_KEYPOINTS)
    py, px = best // width, best % width  # [6, 17]
    k = np.arange(MOVENET_KEYPOINTS)[None, :]
    refine = keypoint_offset.reshape(height, width, MOVENET_KEYPOINTS, 2)[py, px, k]
    out_y = (py.astype(f32) + refine[..., 0]) * f32(MOVENET_STRIDE) / f32(height * MOVENET_STRIDE)
    out_x = (px.astype(f32) + refine[..., 1]) * f32(MOVENET_STRIDE) / f32(width * MOVENET_STRIDE)
    scores = weighted.max(axis=2)[py, px, k]  # [6, 17]

    kept = scores > MOVENET_KEYPOINT_THRESHOLD
    count = np.maximum(kept.sum(axis=1).astype(f32), f32(1))
    person = (center_scores[:, None] * np.where(kept, scores, 0)).sum(axis=1) / count

    keypoints = np.stack([out_y, out_x, scores], axis=-1).reshape(MOVENET_MAX_PEOPLE, -1)
    box = np.clip(np.stack([ymin, xmin, ymax, xmax], axis=1) * f32(MOVENET_STRIDE)
                  / f32(height * MOVENET_STRIDE), 0, 1)
    return np.concatenate([keypoints, box, person[:, None]], axis=1).astype(f32)
