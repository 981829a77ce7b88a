"""The models AffectServe converts: where each comes from and what its module returns.

Single source of truth for convert_all.py and models/verify (which passes it on to the
node reference runner), so output order and names cannot drift between them.
"""

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class OutputSpec:
    name: str  # name in config.pbtxt and the README
    source: str  # graph node the value is read from (tfjs), or a descriptive name


@dataclass(frozen=True)
class ModelSpec:
    name: str  # folder under models/repository/
    kind: str  # "tfjs_graph" | "face_expression"
    source_dir: str  # folder under models/.cache/tfjs/
    source_file: str  # model.json or the weights manifest
    input_name: str
    input_hwc: Tuple[int, int, int]  # per-item input shape, NHWC without the batch
    outputs: Tuple[OutputSpec, ...]  # the module's output tuple, in this order
    # How the reference (tfjs) side turns 0-255 RGB pixels into the model input; the names
    # are implemented in models/verify/reference.mjs after the original projects' code.
    reference_preprocessing: str
    # Verification feeds face crops (expression models) or whole photos (the others).
    face_crops: bool
    # Further graph nodes the reference also computes, to check the documented decoding
    # (models/verify/decoding.py) against the graph's own post-processing.
    reference_extras: Tuple[str, ...] = ()


MODELS: Tuple[ModelSpec, ...] = (
    ModelSpec(
        name="blazeface", kind="tfjs_graph", source_dir="blazeface", source_file="model.json",
        input_name="input", input_hwc=(256, 256, 3),
        # Anchor order is the 16x16 grid (2 anchors per cell, 512) then the 8x8 grid (6 per
        # cell, 384); logits and regressors of each grid are kept apart as in the graph.
        outputs=(
            OutputSpec("classificators_16x16", "Identity"),
            OutputSpec("regressors_16x16", "Identity_2"),
            OutputSpec("classificators_8x8", "Identity_1"),
            OutputSpec("regressors_8x8", "Identity_3"),
        ),
        reference_preprocessing="human_blazeface", face_crops=False),
    ModelSpec(
        name="emotion", kind="tfjs_graph", source_dir="emotion", source_file="model.json",
        input_name="input_1", input_hwc=(64, 64, 1),
        outputs=(OutputSpec("probabilities", "Identity"),),
        reference_preprocessing="human_emotion", face_crops=True),
    ModelSpec(
        name="centernet", kind="tfjs_graph", source_dir="centernet", source_file="model.json",
        input_name="tower_0/images", input_hwc=(512, 512, 3),
        # Cut before TopKV2: heatmap, box sizes and the 3x3 max-pooled heatmap whose
        # equality with the heatmap marks the peaks (see README, CenterNet decoding).
        outputs=(
            OutputSpec("heatmap", "tower_0/keypoints"),
            OutputSpec("wh", "tower_0/wh"),
            OutputSpec("heatmap_max3x3", "tower_0/max_pooling2d/MaxPool"),
        ),
        reference_preprocessing="human_centernet", face_crops=False,
        reference_extras=("tower_0/detections",)),
    ModelSpec(
        name="selfie", kind="tfjs_graph", source_dir="selfie", source_file="model.json",
        input_name="input_1", input_hwc=(256, 256, 3),
        outputs=(OutputSpec("person_probability", "activation_10"),),
        reference_preprocessing="human_selfie", face_crops=False),
    ModelSpec(
        name="movenet_multipose", kind="tfjs_graph", source_dir="movenet_multipose",
        source_file="model.json", input_name="input", input_hwc=(256, 256, 3),
        # Cut after the six CenterNet heads (64x64 grid, stride 4): the graph's own
        # post-processing (peak finding, TopKV2, GatherNd, keypoint refinement) is done in
        # C++ (server/analysis/body/movenet_decoder) and checked against `Identity` here.
        outputs=(
            OutputSpec("center_heatmap", "StatefulPartitionedCall/Sigmoid"),
            OutputSpec("box_scale", "StatefulPartitionedCall/box_scale_0/conv2d_5/BiasAdd"),
            OutputSpec("box_offset", "StatefulPartitionedCall/box_offset_0/conv2d_6/BiasAdd"),
            OutputSpec("keypoint_heatmap", "StatefulPartitionedCall/Sigmoid_1"),
            OutputSpec("keypoint_regression",
                       "StatefulPartitionedCall/kpt_regress_0/conv2d_8/BiasAdd"),
            OutputSpec("keypoint_offset", "StatefulPartitionedCall/kpt_offset_0/conv2d_9/BiasAdd"),
        ),
        reference_preprocessing="human_movenet", face_crops=False,
        reference_extras=("Identity",)),
    ModelSpec(
        name="facemesh", kind="tfjs_graph", source_dir="facemesh", source_file="model.json",
        input_name="input_1", input_hwc=(192, 192, 3),
        # The contour head (Identity, 266 values) repeats mesh points and is left out.
        outputs=(
            OutputSpec("face_confidence", "Identity_1"),
            OutputSpec("landmarks", "Identity_2"),
        ),
        reference_preprocessing="human_facemesh", face_crops=True),
    ModelSpec(
        name="face_expression", kind="face_expression", source_dir="face_expression",
        source_file="face_expression_model-weights_manifest.json",
        input_name="input", input_hwc=(112, 112, 3),
        outputs=(OutputSpec("probabilities", "softmax"),),
        reference_preprocessing="faceapi_expression", face_crops=True),
)


def model_spec(name: str) -> ModelSpec:
    for spec in MODELS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown model {name}; known: {', '.join(m.name for m in MODELS)}")
