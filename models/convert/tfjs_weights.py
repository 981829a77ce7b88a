"""Decoding of TF.js weight manifests (shared by graph models and face-api layer weights).

A manifest is a list of groups, each `{"paths": [shard files], "weights": [specs]}`. The
shards of all groups, concatenated in manifest order, hold the weights back to back in
spec order; this mirrors `tf.io.decodeWeights` in tfjs-core 4.x.
"""

import json
import os
from typing import Dict, List, Tuple

import numpy as np

# Bytes per element of the stored (possibly quantised) data.
_STORED_DTYPES = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}


def _decode_one(spec: dict, raw: bytes) -> np.ndarray:
    """Decodes one tensor from its stored bytes, dequantising like tfjs does."""
    dtype = spec["dtype"]
    shape = [int(d) for d in spec["shape"]]
    quant = spec.get("quantization")
    if quant is None:
        if dtype not in ("float32", "int32", "bool"):
            raise ValueError(f"weight {spec['name']}: unsupported dtype {dtype}")
        values = np.frombuffer(raw, dtype=_STORED_DTYPES[dtype])
        if dtype == "bool":
            values = values.astype(bool)
        return values.reshape(shape).copy()

    qtype = quant["dtype"]
    stored = np.frombuffer(raw, dtype=_STORED_DTYPES[qtype])
    if qtype == "float16":
        if dtype != "float32":
            raise ValueError(f"weight {spec['name']}: float16 quantisation of {dtype}")
        # tfjs widens the half floats exactly, so does numpy.
        return stored.astype(np.float32).reshape(shape)
    if qtype in ("uint8", "uint16"):
        # tfjs computes v * scale + min in double precision, then stores float32
        # (int32 weights are rounded); doing the same keeps the weights bit-identical.
        values = stored.astype(np.float64) * float(quant["scale"]) + float(quant["min"])
        if dtype == "int32":
            return np.round(values).astype(np.int32).reshape(shape)
        return values.astype(np.float32).reshape(shape)
    raise ValueError(f"weight {spec['name']}: unsupported quantisation dtype {qtype}")


def _stored_nbytes(spec: dict) -> int:
    count = int(np.prod([int(d) for d in spec["shape"]], dtype=np.int64))
    stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
    if stored not in _STORED_DTYPES:
        raise ValueError(f"weight {spec['name']}: unsupported stored dtype {stored}")
    return count * _STORED_DTYPES[stored].itemsize


def read_shards(manifest: List[dict], base_dir: str) -> Tuple[List[dict], bytes]:
    """Returns (all weight specs, all shard bytes), both concatenated in manifest order."""
    specs: List[dict] = []
    chunks: List[bytes] = []
    for group in manifest:
        specs.extend(group["weights"])
        for path in group["paths"]:
            with open(os.path.join(base_dir, path), "rb") as f:
                chunks.append(f.read())
    return specs, b"".join(chunks)


def decode_weights(manifest: List[dict], base_dir: str) -> Dict[str, np.ndarray]:
    """Decodes every weight listed in `manifest` (shards resolved relative to base_dir)."""
    specs, data = read_shards(manifest, base_dir)
    weights: Dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        size = _stored_nbytes(spec)
        if offset + size > len(data):
            raise ValueError(f"weight {spec['name']} runs past the end of the shards")
        weights[spec["name"]] = _decode_one(spec, data[offset:offset + size])
        offset += size
    if offset != len(data):
        # Leftover bytes mean the specs and shards disagree: every later offset is suspect.
        raise ValueError(f"shards hold {len(data)} bytes but the manifest describes {offset}")
    return weights


def load_weights_manifest(path: str) -> Dict[str, np.ndarray]:
    """Loads a face-api style `*-weights_manifest.json` (layers weights, no graph)."""
    with open(path, "r", encoding="utf-8") as f:
        manifest = json.load(f)
    return decode_weights(manifest, os.path.dirname(path))
