"""face-api's FaceExpressionNet as a torch module (the architecture lives in face-api's code,
the package only ships named weights).

Re-implemented from @vladmandic/face-api 1.7.15:
  src/faceFeatureExtractor/FaceFeatureExtractor.ts  four dense blocks, then avgPool 7x7/2
  src/faceFeatureExtractor/denseBlock.ts            denseBlock4
  src/common/depthwiseSeparableConv.ts              separableConv2d 'same' + bias
  src/faceProcessor/FaceProcessor.ts, FaceExpressionNet.ts   fc 256 -> 7, softmax

Input: the normalised network tensor, NHWC [N, 112, 112, 3] with
value = (pixel - mean_rgb) / 255, mean_rgb = (122.782, 117.001, 104.298): face-api's
`normalize(x, meanRgb).div(255)`. Normalisation is left to the server (config.pbtxt), as
for every other model, so all modules take their network's input tensor.
"""

from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from .graph_ops import Conv2d, Linear
from .tfjs_weights import load_weights_manifest

INPUT_SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
LABELS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")


class _Weights:
    """Hands out weights by name and remembers which were used."""

    def __init__(self, weights: Dict[str, np.ndarray]):
        self._weights = weights
        self._used: set = set()

    def take(self, name: str, rank: int) -> np.ndarray:
        if name not in self._weights:
            raise KeyError(f"face_expression weights have no {name}")
        value = self._weights[name]
        if value.ndim != rank:
            raise ValueError(f"{name}: expected rank {rank}, got shape {value.shape}")
        self._used.add(name)
        return value

    def unused(self) -> List[str]:
        return sorted(set(self._weights) - self._used)


def _t(array: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _plain_conv(weights: _Weights, prefix: str, stride: int) -> Conv2d:
    filters = weights.take(f"{prefix}/filters", 4)  # [kh, kw, in, out]
    bias = weights.take(f"{prefix}/bias", 1)
    return Conv2d(_t(filters.transpose(3, 2, 0, 1)), _t(bias), [stride, stride], [1, 1],
                  "SAME", [0, 0, 0, 0], 1)


class SeparableConv(nn.Module):
    """tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias."""

    def __init__(self, weights: _Weights, prefix: str, stride: int):
        super().__init__()
        depthwise = weights.take(f"{prefix}/depthwise_filter", 4)  # [3, 3, C, 1]
        pointwise = weights.take(f"{prefix}/pointwise_filter", 4)  # [1, 1, C, out]
        bias = weights.take(f"{prefix}/bias", 1)
        channels = depthwise.shape[2]
        self.depthwise = Conv2d(_t(depthwise.transpose(2, 3, 0, 1)),
                                torch.zeros(channels), [stride, stride], [1, 1], "SAME",
                                [0, 0, 0, 0], channels)
        self.pointwise = Conv2d(_t(pointwise.transpose(3, 2, 0, 1)), _t(bias), [1, 1],
                                [1, 1], "VALID", [0, 0, 0, 0], 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


class DenseBlock4(nn.Module):
    """denseBlock4: each conv sees relu of the sum of all previous outputs."""

    def __init__(self, weights: _Weights, prefix: str, first: bool):
        super().__init__()
        # The first block opens with a plain 3x3 convolution (3 input channels).
        self.conv0 = (_plain_conv(weights, f"{prefix}/conv0", 2) if first
                      else SeparableConv(weights, f"{prefix}/conv0", 2))
        self.conv1 = SeparableConv(weights, f"{prefix}/conv1", 1)
        self.conv2 = SeparableConv(weights, f"{prefix}/conv2", 1)
        self.conv3 = SeparableConv(weights, f"{prefix}/conv3", 1)

    def forward(self, x: Tensor) -> Tensor:
        # Summation order as in face-api (add(out1, add(out2, ...))), for bitwise-close sums.
        out1 = torch.relu(self.conv0(x))
        out2 = self.conv1(out1)
        out3 = self.conv2(torch.relu(out1 + out2))
        out4 = self.conv3(torch.relu(out1 + (out2 + out3)))
        return torch.relu(out1 + (out2 + (out3 + out4)))


class FaceExpressionNet(nn.Module):
    def __init__(self, weights: Dict[str, np.ndarray]):
        super().__init__()
        w = _Weights(weights)
        self.dense0 = DenseBlock4(w, "dense0", first=True)
        self.dense1 = DenseBlock4(w, "dense1", first=False)
        self.dense2 = DenseBlock4(w, "dense2", first=False)
        self.dense3 = DenseBlock4(w, "dense3", first=False)
        # fc: matMul(x, weights [256, 7]) + bias; weights as buffers like every other op.
        self.fc = Linear(_t(w.take("fc/weights", 2).T), _t(w.take("fc/bias", 1)), False)
        if w.unused():
            raise ValueError(f"face_expression weights not used by the architecture: {w.unused()}")

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        x = x.permute(0, 3, 1, 2)  # NHWC input, NCHW inside
        x = self.dense0(x)
        x = self.dense1(x)
        x = self.dense2(x)
        x = self.dense3(x)
        # tf.avgPool(out, [7, 7], [2, 2], 'valid') on the 7x7 map: a global average.
        x = torch.nn.functional.avg_pool2d(x, 7, 2)
        x = self.fc(x.flatten(1))
        return (torch.softmax(x, 1).contiguous(),)


def build_face_expression_net(manifest_path: str) -> FaceExpressionNet:
    return FaceExpressionNet(load_weights_manifest(manifest_path)).eval()
