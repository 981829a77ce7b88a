"""Torch modules implementing TensorFlow op semantics on NCHW tensors.

Everything here is TorchScript-compatible and knows nothing about TF.js files: the
translation from graph nodes to these modules (including NHWC->NCHW axis mapping) lives in
op_translators.py. Weights are registered buffers, so `module.to(device)` and `.half()`
carry them along; tensors created in forward use the input's device and dtype.
"""

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

try:  # TorchScript reads Final from typing on Python >= 3.8.
    from typing import Final
except ImportError:  # pragma: no cover
    from typing_extensions import Final


def same_padding(in_size: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """TF 'SAME' padding for one spatial dimension: (before, after).

    When the total is odd TF puts the extra row/column after (bottom/right), which torch's
    symmetric `padding=` cannot express.
    """
    out_size = (in_size + stride - 1) // stride
    effective_kernel = (kernel - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective_kernel - in_size, 0)
    return total // 2, total - total // 2


def _spatial_pads(x: Tensor, mode: str, explicit: List[int], kernel: List[int],
                  stride: List[int], dilation: List[int]) -> List[int]:
    """[top, bottom, left, right] for 'SAME', 'VALID' or 'EXPLICIT' padding."""
    if mode == "SAME":
        top, bottom = same_padding(x.size(2), kernel[0], stride[0], dilation[0])
        left, right = same_padding(x.size(3), kernel[1], stride[1], dilation[1])
        return [top, bottom, left, right]
    if mode == "EXPLICIT":
        return explicit
    return [0, 0, 0, 0]


def _any_nonzero(values: List[int]) -> bool:
    for v in values:
        if v != 0:
            return True
    return False


def _activation(x: Tensor, kind: str, alpha: float, prelu: Optional[Tensor]) -> Tensor:
    # Mirrors tfjs `applyActivation` (fused ops and standalone activations alike).
    if kind == "relu":
        return torch.relu(x)
    if kind == "relu6":
        return torch.clamp(x, 0.0, 6.0)
    if kind == "leakyrelu":
        return F.leaky_relu(x, alpha)
    if kind == "prelu":
        assert prelu is not None, "prelu activation without alpha"
        return torch.where(x < 0, x * prelu, x)
    if kind == "sigmoid":
        return torch.sigmoid(x)
    if kind == "elu":
        return F.elu(x)
    if kind == "tanh":
        return torch.tanh(x)
    return x


class Conv2d(nn.Module):
    """Conv2D / DepthwiseConv2dNative / their _Fused variants (bias + activation)."""

    padding_mode: Final[str]
    activation: Final[str]
    groups: Final[int]

    def __init__(self, weight: Tensor, bias: Tensor, stride: List[int], dilation: List[int],
                 padding_mode: str, explicit_pads: List[int], groups: int,
                 activation: str = "none", alpha: float = 0.0, prelu: Optional[Tensor] = None):
        super().__init__()
        self.register_buffer("weight", weight)  # [out, in / groups, kh, kw]
        self.register_buffer("bias", bias)  # [out]; zeros when the op has no bias
        self.register_buffer("prelu", prelu)  # [1, out, 1, 1] for 'prelu', else None
        self.stride = stride
        self.dilation = dilation
        self.padding_mode = padding_mode
        self.explicit_pads = explicit_pads
        self.kernel = [int(weight.shape[2]), int(weight.shape[3])]
        self.groups = groups
        self.activation = activation
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        pads = _spatial_pads(x, self.padding_mode, self.explicit_pads, self.kernel,
                             self.stride, self.dilation)
        if pads[0] == pads[1] and pads[2] == pads[3]:
            padding = [pads[0], pads[2]]  # symmetric: let the convolution pad (no copy)
        else:
            x = F.pad(x, [pads[2], pads[3], pads[0], pads[1]])
            padding = [0, 0]
        y = F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        return _activation(y, self.activation, self.alpha, self.prelu)


class ConvTranspose2d(nn.Module):
    """Conv2DBackpropInput: the gradient of a TF convolution, i.e. a transposed convolution.

    TF defines the output by `input_sizes` and the forward convolution's padding: output
    pixel i is pixel i + pad_before of the unpadded transposed convolution, and pixels the
    transposed convolution does not reach are zero.
    """

    def __init__(self, weight: Tensor, stride: List[int], out_hw: List[int], pad_before: List[int]):
        super().__init__()
        self.register_buffer("weight", weight)  # [in, out, kh, kw]
        self.stride = stride
        self.out_hw = out_hw
        self.pad_before = pad_before

    def forward(self, x: Tensor) -> Tensor:
        y = F.conv_transpose2d(x, self.weight, None, self.stride)
        top, left = self.pad_before[0], self.pad_before[1]
        height, width = self.out_hw[0], self.out_hw[1]
        missing_h = max(top + height - y.size(2), 0)
        missing_w = max(left + width - y.size(3), 0)
        if missing_h > 0 or missing_w > 0:
            y = F.pad(y, [0, missing_w, 0, missing_h])
        return y[:, :, top:top + height, left:left + width]


class Linear(nn.Module):
    """MatMul / _FusedMatMul with a constant right-hand side, on [N, K] inputs."""

    activation: Final[str]
    transpose_a: Final[bool]

    def __init__(self, weight: Tensor, bias: Tensor, transpose_a: bool,
                 activation: str = "none", alpha: float = 0.0, prelu: Optional[Tensor] = None):
        super().__init__()
        self.register_buffer("weight", weight)  # [out, in], torch's Linear layout
        self.register_buffer("bias", bias)
        self.register_buffer("prelu", prelu)
        self.transpose_a = transpose_a
        self.activation = activation
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        if self.transpose_a:
            x = x.t()
        return _activation(F.linear(x, self.weight, self.bias), self.activation, self.alpha,
                           self.prelu)


class MaxPool2d(nn.Module):
    padding_mode: Final[str]

    def __init__(self, kernel: List[int], stride: List[int], padding_mode: str):
        super().__init__()
        self.kernel = kernel
        self.stride = stride
        self.padding_mode = padding_mode

    def forward(self, x: Tensor) -> Tensor:
        pads = _spatial_pads(x, self.padding_mode, [0, 0, 0, 0], self.kernel, self.stride, [1, 1])
        if _any_nonzero(pads):
            # TF ignores padded positions in a max: -inf padding is equivalent, zero is not.
            x = F.pad(x, [pads[2], pads[3], pads[0], pads[1]], value=float("-inf"))
        return F.max_pool2d(x, self.kernel, self.stride)


class AvgPool2d(nn.Module):
    padding_mode: Final[str]

    def __init__(self, kernel: List[int], stride: List[int], padding_mode: str):
        super().__init__()
        self.kernel = kernel
        self.stride = stride
        self.padding_mode = padding_mode

    def forward(self, x: Tensor) -> Tensor:
        pads = _spatial_pads(x, self.padding_mode, [0, 0, 0, 0], self.kernel, self.stride, [1, 1])
        if not _any_nonzero(pads):
            return F.avg_pool2d(x, self.kernel, self.stride)
        # TF divides by the number of real (unpadded) pixels under the window; with
        # asymmetric padding torch's count_include_pad=False cannot be used, so count them.
        torch_pads = [pads[2], pads[3], pads[0], pads[1]]
        window = self.kernel[0] * self.kernel[1]
        sums = F.avg_pool2d(F.pad(x, torch_pads), self.kernel, self.stride) * window
        ones = torch.ones_like(x[:1, :1])
        counts = F.avg_pool2d(F.pad(ones, torch_pads), self.kernel, self.stride) * window
        return sums / counts


class ResizeBilinear(nn.Module):
    """tf.image.resize_bilinear with TF's align_corners / half_pixel_centers semantics.

    Follows the tfjs cpu kernel: source coordinate per output pixel, lower index clamped to
    >= 0, upper index clamped to < size, interpolate along x first, then along y.
    """

    align_corners: Final[bool]
    half_pixel_centers: Final[bool]

    def __init__(self, size: List[int], align_corners: bool, half_pixel_centers: bool):
        super().__init__()
        self.size = size
        self.align_corners = align_corners
        self.half_pixel_centers = half_pixel_centers

    def _source(self, in_size: int, out_size: int, device: torch.device
                ) -> Tuple[Tensor, Tensor, Tensor]:
        if self.align_corners and out_size > 1:
            ratio = float(in_size - 1) / float(out_size - 1)
        else:
            ratio = float(in_size) / float(out_size)
        index = torch.arange(out_size, dtype=torch.float32, device=device)
        if self.half_pixel_centers:
            source = (index + 0.5) * ratio - 0.5
        else:
            source = index * ratio
        lower = torch.clamp(torch.floor(source), min=0.0)
        upper = torch.clamp(torch.ceil(source), max=float(in_size - 1))
        fraction = source - lower
        return lower.long(), upper.long(), fraction

    def forward(self, x: Tensor) -> Tensor:
        y0, y1, fy = self._source(x.size(2), self.size[0], x.device)
        x0, x1, fx = self._source(x.size(3), self.size[1], x.device)
        fx = fx.to(x.dtype).view(1, 1, 1, -1)
        fy = fy.to(x.dtype).view(1, 1, -1, 1)
        top = x.index_select(2, y0)
        bottom = x.index_select(2, y1)
        top_left, top_right = top.index_select(3, x0), top.index_select(3, x1)
        bottom_left, bottom_right = bottom.index_select(3, x0), bottom.index_select(3, x1)
        upper = top_left + (top_right - top_left) * fx
        lower = bottom_left + (bottom_right - bottom_left) * fx
        return upper + (lower - upper) * fy


class Unary(nn.Module):
    kind: Final[str]

    def __init__(self, kind: str, alpha: float = 0.0):
        super().__init__()
        self.kind = kind
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "neg":
            return -x
        if self.kind == "exp":
            return torch.exp(x)
        if self.kind == "sqrt":
            return torch.sqrt(x)
        if self.kind == "rsqrt":
            return torch.rsqrt(x)
        if self.kind == "square":
            return x * x
        if self.kind == "abs":
            return torch.abs(x)
        return _activation(x, self.kind, self.alpha, None)


def _binary(kind: str, a: Tensor, b: Tensor) -> Tensor:
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "div":
        return a / b
    if kind == "maximum":
        return torch.maximum(a, b)
    if kind == "minimum":
        return torch.minimum(a, b)
    if kind == "squared_difference":
        return (a - b) * (a - b)
    raise RuntimeError("unknown binary op " + kind)


class Binary(nn.Module):
    """Elementwise op of two graph tensors (same layout, broadcasting like TF)."""

    kind: Final[str]

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return _binary(self.kind, a, b)


class BinaryConst(nn.Module):
    """Elementwise op of a graph tensor and a constant (already in the tensor's layout)."""

    kind: Final[str]
    const_first: Final[bool]

    def __init__(self, kind: str, const: Tensor, const_first: bool):
        super().__init__()
        self.kind = kind
        self.const_first = const_first
        self.register_buffer("const", const)

    def forward(self, x: Tensor) -> Tensor:
        if self.const_first:
            return _binary(self.kind, self.const, x)
        return _binary(self.kind, x, self.const)


class PRelu(nn.Module):
    """Standalone Prelu: x for x >= 0, alpha * x below (alpha in the tensor's layout)."""

    def __init__(self, alpha: Tensor):
        super().__init__()
        self.register_buffer("alpha", alpha)

    def forward(self, x: Tensor) -> Tensor:
        return torch.where(x < 0, x * self.alpha, x)


class AddN(nn.Module):
    def forward(self, xs: List[Tensor]) -> Tensor:
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Reduce(nn.Module):
    kind: Final[str]
    keepdim: Final[bool]

    def __init__(self, kind: str, dims: List[int], keepdim: bool):
        super().__init__()
        self.kind = kind
        self.dims = dims
        self.keepdim = keepdim

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "mean":
            return torch.mean(x, self.dims, self.keepdim)
        if self.kind == "sum":
            return torch.sum(x, self.dims, self.keepdim)
        if self.kind == "max":
            return torch.amax(x, self.dims, self.keepdim)
        return torch.amin(x, self.dims, self.keepdim)


class Softmax(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return torch.softmax(x, self.dim)


class Concat(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, xs: List[Tensor]) -> Tensor:
        return torch.cat(xs, self.dim)


class Permute(nn.Module):
    """Layout changes (NHWC <-> NCHW) and TF Transpose."""

    def __init__(self, perm: List[int]):
        super().__init__()
        self.perm = perm

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(self.perm)


class Contiguous(nn.Module):
    """Graph outputs are handed to C++ as raw memory: make layout permutes real copies."""

    def forward(self, x: Tensor) -> Tensor:
        return x.contiguous()


class Reshape(nn.Module):
    """TF Reshape on a TF-layout tensor.

    TF.js graphs often bake batch 1 into the target shape; when the reshape keeps the
    leading (batch) dimension, the runtime batch replaces it so the module serves any batch.
    """

    keep_batch: Final[bool]

    def __init__(self, shape: List[int], keep_batch: bool):
        super().__init__()
        self.shape = shape
        self.keep_batch = keep_batch

    def forward(self, x: Tensor) -> Tensor:
        shape = list(self.shape)
        if self.keep_batch:
            shape[0] = x.size(0)
        return x.reshape(shape)


class Squeeze(nn.Module):
    def __init__(self, dims: List[int]):
        super().__init__()
        self.dims = sorted(dims, reverse=True)  # highest first keeps the others valid

    def forward(self, x: Tensor) -> Tensor:
        for d in self.dims:
            x = x.squeeze(d)
        return x


class Pad(nn.Module):
    mode: Final[str]

    def __init__(self, pads: List[int], mode: str, value: float):
        super().__init__()
        self.pads = pads  # F.pad order: last dimension first
        self.mode = mode
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "constant":
            return F.pad(x, self.pads, value=self.value)
        return F.pad(x, self.pads, mode=self.mode)


class Constant(nn.Module):
    """A constant that flows into an op as a graph tensor (e.g. one input of ConcatV2)."""

    def __init__(self, value: Tensor):
        super().__init__()
        self.register_buffer("value", value)

    def forward(self) -> Tensor:
        return self.value
