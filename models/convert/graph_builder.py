"""Assembles translated ops into a torch.fx graph, tracking each tensor's layout.

TF.js graphs are NHWC. Convolutions want NCHW, so rank-4 tensors are stored NCHW inside
the module ("nchw" layout) and converted back only where an op needs TF's own layout
("tf": Reshape, Transpose, graph outputs...). Conversions are cached per value, so a tensor
read in both layouts is permuted once.

Every emitted op also runs eagerly on a probe input while the graph is built. That gives
each value a concrete shape (needed to translate Reshape, Pad... correctly) and surfaces
shape errors at the op that causes them instead of at export time.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.fx
from torch import Tensor, nn

from . import graph_ops

NCHW = "nchw"
TF = "tf"
TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]


@dataclass
class Value:
    """A tensor of the TF graph: either a constant or the output of an emitted op."""

    const: Optional[np.ndarray] = None
    node: Optional[torch.fx.Node] = None
    example: Optional[Tensor] = None  # probe result, stored in `layout`
    layout: str = TF
    _converted: Dict[str, "Value"] = field(default_factory=dict, repr=False)

    @property
    def is_const(self) -> bool:
        return self.const is not None

    @property
    def rank(self) -> int:
        return self.const.ndim if self.is_const else self.example.dim()

    @property
    def tf_shape(self) -> List[int]:
        """Shape in TF's layout (what the TF graph sees)."""
        if self.is_const:
            return list(self.const.shape)
        shape = list(self.example.shape)
        if self.layout == NCHW:
            shape = [shape[i] for i in TO_NHWC]
        return shape


def to_tensor(array: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def const_in_layout(array: np.ndarray, layout: str) -> np.ndarray:
    """Reshapes a constant so it broadcasts against a tensor stored in `layout`.

    A TF constant of shape [C] broadcasts along the last (channel) axis of an NHWC tensor;
    against NCHW storage it must become [1, C, 1, 1].
    """
    if layout != NCHW or array.ndim == 0:
        return array
    if array.ndim > 4:
        raise ValueError(f"constant of rank {array.ndim} against a rank-4 tensor")
    expanded = array.reshape((1,) * (4 - array.ndim) + array.shape)
    return expanded.transpose(TO_NCHW)


class GraphBuilder:
    def __init__(self) -> None:
        self.root = nn.Module()
        self.graph = torch.fx.Graph()
        self._count = 0

    def placeholder(self, name: str, example: Tensor) -> Value:
        node = self.graph.placeholder(_identifier(name))
        return Value(node=node, example=example, layout=TF)

    def emit(self, hint: str, module: nn.Module, args: Sequence[Union[Value, List[Value]]],
             layout: str) -> Value:
        """Adds `module` as a graph node applied to `args` and returns its output value."""
        name = f"op{self._count:03d}_{_identifier(hint)}"[:72]
        self._count += 1
        self.root.add_module(name, module)
        fx_args = tuple([v.node for v in a] if isinstance(a, list) else a.node for a in args)
        examples = tuple([v.example for v in a] if isinstance(a, list) else a.example
                         for a in args)
        with torch.no_grad():
            example = module(*examples)
        node = self.graph.call_module(name, fx_args)
        return Value(node=node, example=example, layout=layout)

    def tensor(self, value: Value, hint: str = "const") -> Value:
        """A graph tensor for `value`, materialising a constant as a buffer if needed."""
        if not value.is_const:
            return value
        return self.emit(hint, graph_ops.Constant(to_tensor(value.const)), [], TF)

    def as_layout(self, value: Value, layout: str) -> Value:
        """`value` stored in `layout` (only rank-4 tensors have an NCHW form)."""
        value = self.tensor(value)
        if value.layout == layout or value.rank != 4:
            return value
        if layout not in value._converted:
            perm = TO_NCHW if layout == NCHW else TO_NHWC
            value._converted[layout] = self.emit(f"to_{layout}", graph_ops.Permute(perm),
                                                 [value], layout)
        return value._converted[layout]

    def finish(self, outputs: List[Value], class_name: str) -> torch.fx.GraphModule:
        self.graph.output(tuple(v.node for v in outputs))
        module = torch.fx.GraphModule(self.root, self.graph, class_name=class_name)
        module.eval()
        return module


def _identifier(text: str) -> str:
    """A Python identifier from a TF node name, keeping its last two path components."""
    tail = "_".join(text.split("/")[-2:])
    ident = re.sub(r"[^0-9a-zA-Z_]", "_", tail)
    return ident if ident and not ident[0].isdigit() else "x" + ident
