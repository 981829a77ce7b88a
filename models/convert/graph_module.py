"""Builds the torch module that executes a TF.js graph model.

Only the nodes the requested outputs depend on are translated: naming the tensors before
TopKV2/NMS as outputs cuts the post-processing off the graph.

The module takes the graph's placeholders in NHWC (exactly the TF.js input: same layout,
same value range) and returns the requested outputs as a tuple of contiguous tensors in TF
layout (NHWC for images), batch first.
"""

from typing import Dict, List, Optional, Sequence

import torch

from . import graph_ops
from .graph_builder import TF, GraphBuilder, Value
from .op_translators import translate
from .tfjs_graph import GraphNode, TfjsGraphModel, split_input_ref

# Batch used to probe shapes while building. Larger than 1 on purpose: TF.js graphs bake
# batch 1 into Reshape targets, and probing with 2 makes every batch-dependent translation
# run (and fail loudly if wrong) before export.
PROBE_BATCH = 2


def _required_nodes(model: TfjsGraphModel, outputs: Sequence[str]) -> List[GraphNode]:
    """Nodes the outputs depend on, in an order where inputs come first."""
    order: List[GraphNode] = []
    state: Dict[str, int] = {}  # 1 = visiting, 2 = done
    for output in outputs:
        stack = [(split_input_ref(output)[0], False)]
        while stack:
            name, expanded = stack.pop()
            if name not in model.nodes:
                raise KeyError(f"graph has no node {name}")
            if expanded:
                state[name] = 2
                order.append(model.nodes[name])
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ValueError(f"cycle through {name}: control flow is not supported")
            state[name] = 1
            stack.append((name, True))
            for ref in reversed(model.nodes[name].inputs):
                dep = split_input_ref(ref)[0]
                if state.get(dep) != 2:
                    stack.append((dep, False))
    return order


def placeholder_shape(node: GraphNode, batch: int,
                      input_hwc: Optional[Sequence[int]] = None) -> List[int]:
    """[batch, H, W, C] of a placeholder; `input_hwc` fixes sizes the graph leaves open
    (movenet accepts any H, W; the module is built for the size we serve)."""
    shape = node.shape()
    if input_hwc is not None:
        declared = shape[1:]
        if len(declared) != len(input_hwc) or any(
                d >= 0 and d != want for d, want in zip(declared, input_hwc)):
            raise ValueError(f"input {node.name} has shape {shape}, not [N, {list(input_hwc)}]")
        shape = [shape[0]] + list(input_hwc)
    if any(d < 0 for d in shape[1:]):
        raise ValueError(f"input {node.name} has a dynamic non-batch dimension: {shape}")
    return [batch] + shape[1:]


def build_graph_module(model: TfjsGraphModel, outputs: Sequence[str], class_name: str,
                       seed: int = 0, input_hwc: Optional[Sequence[int]] = None
                       ) -> torch.fx.GraphModule:
    """Translates the part of `model` that computes `outputs` into a torch.fx module.

    Forward arguments: the graph's placeholders in topology order, NHWC float tensors.
    """
    builder = GraphBuilder()
    generator = torch.Generator().manual_seed(seed)
    values: Dict[str, Value] = {}
    # Placeholders first, in topology order, so forward's signature does not depend on
    # which output happens to reach which input first.
    for node in model.placeholders:
        dtype = node.attr.get("dtype", {}).get("type", "DT_FLOAT")
        shape = placeholder_shape(node, PROBE_BATCH, input_hwc)
        if dtype == "DT_FLOAT":
            probe = torch.rand(shape, generator=generator)
        elif dtype == "DT_INT32":
            # Integer pixel inputs (movenet): the module takes them as float32 holding whole
            # numbers, so every model has one input dtype; the graph's Cast to float then
            # translates to nothing (see the Cast rule).
            probe = torch.randint(0, 256, shape, generator=generator).float()
        else:
            raise NotImplementedError(f"input {node.name} has dtype {dtype}")
        values[node.name] = builder.placeholder(node.name, probe)
    for node in _required_nodes(model, outputs):
        if node.name in values:
            continue
        if node.op == "Const":
            values[node.name] = Value(const=model.const(node.name))
            continue
        inputs = []
        for ref in node.inputs:
            name, port = split_input_ref(ref)
            if port != 0:
                raise NotImplementedError(f"{node.name} reads output {port} of {name}")
            inputs.append(values[name])
        try:
            values[node.name] = translate(builder, node, inputs)
        except Exception as e:
            shapes = [v.tf_shape for v in inputs]
            raise RuntimeError(f"translating {node.op} {node.name} (input shapes {shapes}): {e}"
                               ) from e
    results = []
    for output in outputs:
        value = builder.as_layout(values[split_input_ref(output)[0]], TF)
        results.append(builder.emit(output + "_out", graph_ops.Contiguous(), [value], TF))
    return builder.finish(results, class_name)
