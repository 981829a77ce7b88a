"""Loading of a TF.js graph model (model.json + weight shards) into plain Python objects.

The topology is a TensorFlow GraphDef in protobuf-JSON form: `node[]` with `name`, `op`,
`input` ("name", "name:1" for a second output, "^name" for a control dependency) and
`attr` (AttrValue JSON: {"i": "2"}, {"f": 0.1}, {"s": base64}, {"list": {...}}, ...).
Const nodes have no value in the topology: the converter stored them in the weights under
the node's name.
"""

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from .tfjs_weights import decode_weights


def split_input_ref(ref: str) -> Tuple[str, int]:
    """'node:1' -> ('node', 1); 'node' -> ('node', 0)."""
    name, sep, port = ref.rpartition(":")
    if sep and port.isdigit():
        return name, int(port)
    return ref, 0


@dataclass
class GraphNode:
    name: str
    op: str
    inputs: List[str]  # data inputs only, control dependencies dropped
    attr: Dict[str, dict] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.attr

    def int(self, key: str, default: Optional[int] = None) -> int:
        if key not in self.attr:
            if default is None:
                raise KeyError(f"{self.op} {self.name}: missing attr {key}")
            return default
        return int(self.attr[key]["i"])

    def float(self, key: str, default: Optional[float] = None) -> float:
        if key not in self.attr:
            if default is None:
                raise KeyError(f"{self.op} {self.name}: missing attr {key}")
            return default
        return float(self.attr[key].get("f", 0.0))  # protobuf JSON omits zero values

    def bool(self, key: str, default: bool = False) -> bool:
        return bool(self.attr[key].get("b", False)) if key in self.attr else default

    def str(self, key: str, default: Optional[str] = None) -> str:
        if key not in self.attr:
            if default is None:
                raise KeyError(f"{self.op} {self.name}: missing attr {key}")
            return default
        return base64.b64decode(self.attr[key].get("s", "")).decode()

    def ints(self, key: str, default: Optional[List[int]] = None) -> List[int]:
        if key not in self.attr:
            if default is None:
                raise KeyError(f"{self.op} {self.name}: missing attr {key}")
            return default
        return [int(v) for v in self.attr[key].get("list", {}).get("i", [])]

    def strs(self, key: str) -> List[str]:
        values = self.attr.get(key, {}).get("list", {}).get("s", [])
        return [base64.b64decode(v).decode() for v in values]

    def shape(self, key: str = "shape") -> List[int]:
        dims = self.attr[key]["shape"].get("dim", [])
        return [int(d.get("size", -1)) for d in dims]


@dataclass
class TfjsGraphModel:
    nodes: Dict[str, GraphNode]  # in topology order
    weights: Dict[str, np.ndarray]  # Const node name -> value
    metadata: dict

    @property
    def placeholders(self) -> List[GraphNode]:
        return [n for n in self.nodes.values() if n.op == "Placeholder"]

    def const(self, name: str) -> Optional[np.ndarray]:
        node = self.nodes.get(name)
        if node is None or node.op != "Const":
            return None
        if name not in self.weights:
            raise KeyError(f"Const {name} has no entry in the weights manifest")
        return self.weights[name]


def load_graph_model(json_path: str) -> TfjsGraphModel:
    with open(json_path, "r", encoding="utf-8") as f:
        model = json.load(f)
    if model.get("format") not in (None, "graph-model"):
        raise ValueError(f"{json_path}: not a graph model (format {model.get('format')})")
    topology = model["modelTopology"]
    if topology.get("library", {}).get("function"):
        # Functions carry control flow (While/If bodies); nothing we convert uses them.
        raise ValueError(f"{json_path}: graph functions (control flow) are not supported")
    nodes: Dict[str, GraphNode] = {}
    for raw in topology["node"]:
        inputs = [i for i in raw.get("input", []) if not i.startswith("^")]
        nodes[raw["name"]] = GraphNode(raw["name"], raw["op"], inputs, raw.get("attr", {}))
    weights = decode_weights(model["weightsManifest"], os.path.dirname(json_path))
    metadata = {k: v for k, v in model.items() if k not in ("modelTopology", "weightsManifest")}
    return TfjsGraphModel(nodes, weights, metadata)
