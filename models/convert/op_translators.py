"""Translation rules: one TF graph node -> torch modules from graph_ops.

Each translator receives the node and its input values and returns the output value. The
rules decide layouts (NCHW for spatial ops, TF layout for shape ops) and map TF axes,
paddings and weight layouts to torch's. Attribute semantics follow the tfjs-converter op
mappings (e.g. `fused_ops`, `leakyrelu_alpha`), since the reference runtime is tfjs.
"""

from typing import Callable, Dict, List

import numpy as np

from . import graph_ops
from .graph_builder import NCHW, TF, TO_NCHW, GraphBuilder, Value, const_in_layout, to_tensor
from .tfjs_graph import GraphNode

Translator = Callable[[GraphBuilder, GraphNode, List[Value]], Value]
TRANSLATORS: Dict[str, Translator] = {}

# TF axis of an NHWC tensor -> axis of its NCHW storage.
NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


def translates(*ops: str):
    def register(fn: Translator) -> Translator:
        for op in ops:
            TRANSLATORS[op] = fn
        return fn
    return register


def translate(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    if node.op not in TRANSLATORS:
        raise NotImplementedError(
            f"op {node.op} (node {node.name}) is not supported; supported ops: "
            f"{', '.join(sorted(TRANSLATORS))}")
    return TRANSLATORS[node.op](builder, node, inputs)


def _const(node: GraphNode, value: Value, what: str) -> np.ndarray:
    if not value.is_const:
        raise NotImplementedError(f"{node.op} {node.name}: {what} must be a constant")
    return value.const


def _check_nhwc(node: GraphNode) -> None:
    if node.has("data_format") and node.str("data_format") != "NHWC":
        raise NotImplementedError(f"{node.op} {node.name}: data_format {node.str('data_format')}")


def _spatial(node: GraphNode, key: str, default: List[int]) -> List[int]:
    """[h, w] of an NHWC 4-vector attribute (strides, ksize, dilations)."""
    values = node.ints(key, default)
    return [values[1], values[2]]


def _explicit_pads(node: GraphNode) -> List[int]:
    """[top, bottom, left, right] from TF's 8-value NHWC explicit_paddings."""
    pads = node.ints("explicit_paddings", [])
    return [pads[2], pads[3], pads[4], pads[5]] if len(pads) == 8 else [0, 0, 0, 0]


def _fused_activation(node: GraphNode, extra: List[Value]):
    """(bias, activation, alpha, prelu) from a fused node, following the tfjs executor.

    `fused_ops` is [extra op, activation]; the extra op is BiasAdd (first extra input is the
    bias) or absent; a Prelu activation takes the next extra input as its alpha.
    """
    fused = [s.lower() for s in node.strs("fused_ops")]
    extra_op = fused[0] if fused else ""
    activation = fused[1] if len(fused) > 1 else "none"
    if extra_op == "fusedbatchnorm":
        raise NotImplementedError(f"{node.name}: fused batch norm (tfjs does not run it either)")
    if extra_op not in ("biasadd", ""):
        # A single fused op that is itself an activation is not produced by the converter.
        raise NotImplementedError(f"{node.name}: fused ops {fused}")
    args = [_const(node, v, "fused argument") for v in extra]
    bias = args.pop(0) if extra_op == "biasadd" else None
    prelu = args.pop(0) if activation == "prelu" else None
    if activation not in ("none", "relu", "relu6", "leakyrelu", "prelu", "sigmoid", "elu", "tanh"):
        raise NotImplementedError(f"{node.name}: fused activation {activation}")
    alpha = node.float("leakyrelu_alpha", 0.2) if activation == "leakyrelu" else 0.0
    return bias, activation, alpha, prelu


@translates("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")
def conv2d(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    _check_nhwc(node)
    x = builder.as_layout(inputs[0], NCHW)
    filt = _const(node, inputs[1], "filter")
    depthwise = "Depthwise" in node.op
    if depthwise:
        # TF [kh, kw, in, multiplier]; output channel c * multiplier + m, as torch groups do.
        kh, kw, cin, mult = filt.shape
        weight = filt.reshape(kh, kw, cin * mult).transpose(2, 0, 1)[:, None]
        groups = cin
    else:
        # TF [kh, kw, in, out] -> torch [out, in, kh, kw]; grouped if the input is wider.
        weight = filt.transpose(3, 2, 0, 1)
        groups = x.example.shape[1] // filt.shape[2]
    bias, activation, alpha, prelu = _fused_activation(node, inputs[2:])
    if bias is None:
        bias = np.zeros(weight.shape[0], dtype=np.float32)
    prelu_t = to_tensor(const_in_layout(prelu, NCHW)) if prelu is not None else None
    module = graph_ops.Conv2d(
        to_tensor(weight), to_tensor(bias.reshape(-1)), _spatial(node, "strides", [1, 1, 1, 1]),
        _spatial(node, "dilations", [1, 1, 1, 1]), node.str("padding"), _explicit_pads(node),
        groups, activation, alpha, prelu_t)
    return builder.emit(node.name, module, [x], NCHW)


@translates("Conv2DBackpropInput")
def conv2d_backprop_input(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    _check_nhwc(node)
    out_sizes = [int(v) for v in _const(node, inputs[0], "input_sizes")]  # [N, H, W, C]
    filt = _const(node, inputs[1], "filter")  # [kh, kw, out channels, in channels]
    x = builder.as_layout(inputs[2], NCHW)
    if _spatial(node, "dilations", [1, 1, 1, 1]) != [1, 1]:
        raise NotImplementedError(f"{node.name}: dilated transposed convolution")
    stride = _spatial(node, "strides", [1, 1, 1, 1])
    kernel = [filt.shape[0], filt.shape[1]]
    padding = node.str("padding")
    if padding == "SAME":
        # The padding TF's forward convolution would use on an input of size out_sizes.
        pad_before = [graph_ops.same_padding(out_sizes[1 + i], kernel[i], stride[i], 1)[0]
                      for i in range(2)]
    elif padding == "EXPLICIT":
        pads = _explicit_pads(node)
        pad_before = [pads[0], pads[2]]
    else:
        pad_before = [0, 0]
    weight = filt.transpose(3, 2, 0, 1)  # torch conv_transpose: [in, out, kh, kw]
    module = graph_ops.ConvTranspose2d(to_tensor(weight), stride, out_sizes[1:3], pad_before)
    return builder.emit(node.name, module, [x], NCHW)


@translates("MatMul", "_FusedMatMul")
def matmul(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.as_layout(inputs[0], TF)
    if x.rank != 2:
        raise NotImplementedError(f"{node.name}: MatMul of rank {x.rank}")
    rhs = _const(node, inputs[1], "right-hand side")
    weight = rhs if node.bool("transpose_b") else rhs.T  # F.linear wants [out, in]
    bias, activation, alpha, prelu = _fused_activation(node, inputs[2:])
    if bias is None:
        bias = np.zeros(weight.shape[0], dtype=np.float32)
    module = graph_ops.Linear(to_tensor(weight), to_tensor(bias.reshape(-1)),
                              node.bool("transpose_a"), activation, alpha,
                              to_tensor(prelu) if prelu is not None else None)
    return builder.emit(node.name, module, [x], TF)


@translates("MaxPool", "AvgPool")
def pool(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    _check_nhwc(node)
    x = builder.as_layout(inputs[0], NCHW)
    kernel = _spatial(node, "ksize", [1, 1, 1, 1])
    stride = _spatial(node, "strides", [1, 1, 1, 1])
    padding = node.str("padding")
    if padding not in ("SAME", "VALID"):
        raise NotImplementedError(f"{node.name}: pooling padding {padding}")
    cls = graph_ops.MaxPool2d if node.op == "MaxPool" else graph_ops.AvgPool2d
    return builder.emit(node.name, cls(kernel, stride, padding), [x], NCHW)


@translates("ResizeBilinear")
def resize_bilinear(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.as_layout(inputs[0], NCHW)
    size = [int(v) for v in _const(node, inputs[1], "size")]
    module = graph_ops.ResizeBilinear(size, node.bool("align_corners"),
                                      node.bool("half_pixel_centers"))
    return builder.emit(node.name, module, [x], NCHW)


_BINARY = {
    "Add": "add", "AddV2": "add", "BiasAdd": "add", "Sub": "sub", "Mul": "mul",
    "RealDiv": "div", "Div": "div", "Maximum": "maximum", "Minimum": "minimum",
    "SquaredDifference": "squared_difference",
}
_NUMPY_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum,
    "squared_difference": lambda a, b: (a - b) * (a - b),
}


@translates(*_BINARY)
def binary(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    kind = _BINARY[node.op]
    a, b = inputs
    if a.is_const and b.is_const:  # fold
        return Value(const=_NUMPY_BINARY[kind](a.const, b.const))
    if a.is_const or b.is_const:
        x, c = (b, a) if a.is_const else (a, b)
        if x.rank < c.rank:
            raise NotImplementedError(f"{node.name}: constant of higher rank than the tensor")
        const = const_in_layout(c.const, x.layout if x.rank == 4 else TF)
        const = const.astype(np.float32) if x.example.is_floating_point() else const
        module = graph_ops.BinaryConst(kind, to_tensor(const), const_first=a.is_const)
        return builder.emit(node.name, module, [x], x.layout)
    # Two graph tensors: NCHW when both are images, TF layout otherwise.
    layout = NCHW if a.rank == 4 and b.rank == 4 and NCHW in (a.layout, b.layout) else TF
    a, b = builder.as_layout(a, layout), builder.as_layout(b, layout)
    return builder.emit(node.name, graph_ops.Binary(kind), [a, b], layout)


@translates("AddN")
def add_n(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    values = [builder.tensor(v) for v in inputs]
    same_rank4 = all(v.rank == 4 for v in values)
    layout = NCHW if same_rank4 and any(v.layout == NCHW for v in values) else TF
    values = [builder.as_layout(v, layout) for v in values]
    return builder.emit(node.name, graph_ops.AddN(), [values], layout)


_UNARY = {
    "Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh", "Elu": "elu",
    "LeakyRelu": "leakyrelu", "Neg": "neg", "Exp": "exp", "Sqrt": "sqrt", "Rsqrt": "rsqrt",
    "Square": "square", "Abs": "abs",
}


@translates(*_UNARY)
def unary(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.tensor(inputs[0])
    alpha = node.float("alpha", 0.2) if node.op == "LeakyRelu" else 0.0
    return builder.emit(node.name, graph_ops.Unary(_UNARY[node.op], alpha), [x], x.layout)


@translates("Prelu")
def prelu(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.tensor(inputs[0])
    alpha = _const(node, inputs[1], "alpha")
    layout = x.layout if x.rank == 4 else TF
    module = graph_ops.PRelu(to_tensor(const_in_layout(alpha, layout).astype(np.float32)))
    return builder.emit(node.name, module, [x], x.layout)


@translates("Squeeze")
def squeeze(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.as_layout(inputs[0], TF)
    shape = x.tf_shape
    dims = [d % len(shape) for d in node.ints("squeeze_dims", [])]
    if not dims:
        # "All size-1 dims", decided on the probe (batch > 1), so the batch is never dropped.
        dims = [d for d, size in enumerate(shape) if size == 1]
    if 0 in dims:
        raise NotImplementedError(f"{node.name}: squeezing the batch dimension")
    return builder.emit(node.name, graph_ops.Squeeze(dims), [x], TF)


@translates("Identity", "StopGradient", "Snapshot")
def identity(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    return inputs[0]


@translates("Cast")
def cast(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    source = node.attr.get("SrcT", {}).get("type", "DT_FLOAT")
    if node.attr.get("DstT", {}).get("type") == "DT_FLOAT" and not inputs[0].is_const \
            and inputs[0].example.is_floating_point():
        if source == "DT_FLOAT":
            return inputs[0]
        # An int32 graph input arrives as float32 whole numbers (graph_module): int32 ->
        # float is exact for them. Any other int32 tensor would be a computed index.
        if source == "DT_INT32" and inputs[0].node is not None and inputs[0].node.op == "placeholder":
            return inputs[0]
    raise NotImplementedError(f"{node.name}: Cast {source} -> "
                              f"{node.attr.get('DstT', {}).get('type')} on a computed tensor")


@translates("Shape")
def shape(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    # Folded to a constant: the graphs use it for fixed spatial sizes (movenet's
    # UpSampling2D reads H, W to double them). The batch entry is -1 so that any use of it
    # as a size fails on the batch-2 probe or the batch-3 export check instead of baking
    # the probe's batch into the module.
    dims = inputs[0].tf_shape
    return Value(const=np.array([-1] + list(dims[1:]), dtype=np.int32))


@translates("StridedSlice")
def strided_slice(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    # Only on constants (folded shapes): slicing tensors is post-processing, which is cut.
    x = _const(node, inputs[0], "input")
    begin, end, strides = (_const(node, v, what).astype(np.int64).tolist()
                           for v, what in zip(inputs[1:], ("begin", "end", "strides")))
    masks = {key: node.int(key, 0) for key in
             ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    if masks["ellipsis_mask"] or masks["new_axis_mask"]:
        raise NotImplementedError(f"{node.name}: ellipsis/new-axis masks")
    index = []
    for axis, (b, e, s) in enumerate(zip(begin, end, strides)):
        if masks["shrink_axis_mask"] >> axis & 1:
            index.append(b)
            continue
        index.append(slice(None if masks["begin_mask"] >> axis & 1 else b,
                           None if masks["end_mask"] >> axis & 1 else e, s))
    result = np.asarray(x[tuple(index)])
    if result.size and (result < 0).any() and x is not None and (x < 0).any():
        raise NotImplementedError(f"{node.name}: slice includes the batch dimension")
    return Value(const=result)


@translates("Mean", "Sum", "Max", "Min")
def reduce(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.tensor(inputs[0])
    axes = [int(a) % x.rank for a in np.atleast_1d(_const(node, inputs[1], "axes"))]
    keepdim = node.bool("keep_dims")
    if x.layout == NCHW and not keepdim:
        kept = [NHWC_TO_NCHW_AXIS[a] for a in range(4) if a not in axes]
        if kept != sorted(kept):
            # The surviving axes would come out in NCHW order: reduce in TF layout instead.
            x = builder.as_layout(x, TF)
    if x.layout == NCHW:
        dims = sorted(NHWC_TO_NCHW_AXIS[a] for a in axes)
        out_layout = NCHW if keepdim else TF  # e.g. [N, C, H, W] -> [N, C] is already TF order
    else:
        dims, out_layout = sorted(axes), TF
    module = graph_ops.Reduce(node.op.lower(), dims, keepdim)
    return builder.emit(node.name, module, [x], out_layout)


@translates("Softmax")
def softmax(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.tensor(inputs[0])
    dim = 1 if x.layout == NCHW else -1  # TF softmax runs over the last (channel) axis
    return builder.emit(node.name, graph_ops.Softmax(dim), [x], x.layout)


@translates("ConcatV2")
def concat(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    values = [builder.tensor(v, node.name + "_const") for v in inputs[:-1]]
    rank = values[0].rank
    axis = int(_const(node, inputs[-1], "axis")) % rank
    images = rank == 4 and any(v.layout == NCHW for v in values)
    layout = NCHW if images else TF
    values = [builder.as_layout(v, layout) for v in values]
    dim = NHWC_TO_NCHW_AXIS[axis] if images else axis
    return builder.emit(node.name, graph_ops.Concat(dim), [values], layout)


@translates("Reshape")
def reshape(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.as_layout(inputs[0], TF)
    target = [int(v) for v in _const(node, inputs[1], "shape")]
    in_shape = x.tf_shape
    # The graph is probed with batch > 1 (see graph_module.PROBE_BATCH), so a target whose
    # first entry is the baked batch 1 (or -1) and whose other entries hold exactly the
    # per-item elements is a batch-preserving reshape: keep the runtime batch there.
    per_item = int(np.prod(in_shape[1:]))
    rest = target[1:]
    keep_batch = (len(target) > 0 and target[0] in (1, -1) and rest.count(-1) <= 1
                  and (-1 in rest or int(np.prod(rest)) == per_item))
    module = graph_ops.Reshape(target, keep_batch)
    return builder.emit(node.name, module, [x], TF)


@translates("Transpose")
def transpose(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.as_layout(inputs[0], TF)
    perm = [int(v) for v in _const(node, inputs[1], "perm")]
    return builder.emit(node.name, graph_ops.Permute(perm), [x], TF)


@translates("Pad", "PadV2", "MirrorPad")
def pad(builder: GraphBuilder, node: GraphNode, inputs: List[Value]) -> Value:
    x = builder.tensor(inputs[0])
    paddings = _const(node, inputs[1], "paddings").astype(int)  # [rank, 2] in TF axes
    if x.layout == NCHW:
        paddings = paddings[TO_NCHW]
    flat: List[int] = []
    for before, after in paddings[::-1]:  # F.pad lists the last dimension first
        flat += [int(before), int(after)]
    while len(flat) > 2 and flat[-2:] == [0, 0]:  # drop unpadded leading dimensions
        flat = flat[:-2]
    if node.op == "MirrorPad":
        mode = node.str("mode").lower()
        if mode != "reflect":
            raise NotImplementedError(f"{node.name}: MirrorPad mode {mode}")
        value = 0.0
    else:
        mode = "constant"
        value = float(_const(node, inputs[2], "constant_values")) if len(inputs) > 2 else 0.0
    return builder.emit(node.name, graph_ops.Pad(flat, mode, value), [x], x.layout)


def supported_ops() -> List[str]:
    return sorted(TRANSLATORS) + ["Const", "Placeholder"]

