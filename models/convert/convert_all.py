"""Converts every model in model_specs.MODELS to models/repository/<name>/1/model.pt.

    /usr/bin/python3 -m convert.convert_all [--force] [model ...]    (from models/)

Idempotent: a model is rebuilt only when its source files, the converter's code or the
torch version changed, or when model.pt is missing or was modified. One line per model.
"""

import argparse
import glob
import hashlib
import json
import os
import sys
import time

import torch

from . import export
from .face_expression_net import build_face_expression_net
from .graph_module import build_graph_module
from .model_specs import MODELS, ModelSpec, model_spec
from .tfjs_graph import load_graph_model

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(MODELS_DIR, ".cache")
REPOSITORY_DIR = os.path.join(MODELS_DIR, "repository")
CONVERTER_DIR = os.path.dirname(os.path.abspath(__file__))
VERSION = "1"


def model_path(name: str) -> str:
    return os.path.join(REPOSITORY_DIR, name, VERSION, "model.pt")


def _sha256_files(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.relpath(path, MODELS_DIR).encode())
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def _source_files(spec: ModelSpec):
    source_dir = os.path.join(CACHE_DIR, "tfjs", spec.source_dir)
    if not os.path.isfile(os.path.join(source_dir, spec.source_file)):
        raise FileNotFoundError(
            f"{spec.name}: {source_dir}/{spec.source_file} is missing; run models/fetch first")
    return sorted(glob.glob(os.path.join(source_dir, "*")))


def _input_hash(spec: ModelSpec) -> str:
    converter = sorted(glob.glob(os.path.join(CONVERTER_DIR, "*.py")))
    parts = [_sha256_files(_source_files(spec)), _sha256_files(converter), torch.__version__]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stamp_path(spec: ModelSpec) -> str:
    return os.path.join(CACHE_DIR, "convert", spec.name + ".json")


def _up_to_date(spec: ModelSpec, input_hash: str) -> bool:
    try:
        with open(_stamp_path(spec)) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return False
    path = model_path(spec.name)
    return (stamp.get("input_hash") == input_hash and os.path.isfile(path)
            and _sha256_files([path]) == stamp.get("model_hash"))


def _build(spec: ModelSpec) -> torch.nn.Module:
    source = os.path.join(CACHE_DIR, "tfjs", spec.source_dir, spec.source_file)
    if spec.kind == "tfjs_graph":
        graph = load_graph_model(source)
        return build_graph_module(graph, [o.source for o in spec.outputs], spec.name,
                                  input_hwc=spec.input_hwc)
    if spec.kind == "face_expression":
        return build_face_expression_net(source)
    raise ValueError(f"{spec.name}: unknown kind {spec.kind}")


def _example_batch(spec: ModelSpec) -> torch.Tensor:
    # Values in [-1, 1] cover every model's normalised input range well enough for the
    # structural checks in export; numerical verification is models/verify's job.
    generator = torch.Generator().manual_seed(1)
    return torch.rand((3,) + spec.input_hwc, generator=generator) * 2 - 1


def convert(spec: ModelSpec, force: bool) -> str:
    input_hash = _input_hash(spec)
    if not force and _up_to_date(spec, input_hash):
        return f"{spec.name}: up to date ({os.path.relpath(model_path(spec.name), MODELS_DIR)})"
    start = time.time()
    module = _build(spec)
    example = _example_batch(spec)
    scripted = export.script_and_check(module, example)
    shapes = export.output_shapes(scripted, example)
    metadata = {
        "name": spec.name,
        "input": {"name": spec.input_name, "shape": [-1, *spec.input_hwc], "layout": "NHWC"},
        "outputs": [{"name": o.name, "source": o.source, "shape": [-1, *s]}
                    for o, s in zip(spec.outputs, shapes)],
        "source": f"{spec.source_dir}/{spec.source_file}",
        "torch": torch.__version__,
    }
    path = model_path(spec.name)
    export.save(scripted, path, metadata, example[:1])
    os.makedirs(os.path.dirname(_stamp_path(spec)), exist_ok=True)
    with open(_stamp_path(spec), "w") as f:
        json.dump({"input_hash": input_hash, "model_hash": _sha256_files([path])}, f)
    outputs = ", ".join(f"{o.name}{s}" for o, s in zip(spec.outputs, shapes))
    return (f"{spec.name}: converted in {time.time() - start:.1f}s -> "
            f"{os.path.relpath(path, MODELS_DIR)} (outputs: {outputs})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model names (default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the build machine is shared; conversion is cheap anyway
    specs = [model_spec(n) for n in args.models] if args.models else list(MODELS)
    failed = False
    for spec in specs:
        try:
            print(convert(spec, args.force), flush=True)
        except Exception as e:  # report every model, fail at the end
            print(f"{spec.name}: FAILED: {e}", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
