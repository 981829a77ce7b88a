"""Writes the verification inputs: 8-bit RGB pixels at each model's input size.

Both runtimes start from the same pixels: the node reference applies the original
project's pre-processing, the torch side applies config.pbtxt's normalisation, so the
check covers the conversion *and* the normalisation the server will use.

Cases per model (batch 1 and batch 3):
  b1_photo   one real photo (detectors: a whole demo photo; expression models: a face)
  b1_random  seeded uniform random pixels
  b3_mixed   two more photos/faces and one random image in one batch
"""

import json
import os
import sys
import zlib
from typing import Dict, List

import cv2
import numpy as np

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, MODELS_DIR)
from convert.model_specs import MODELS, ModelSpec, model_spec  # noqa: E402

CACHE_DIR = os.path.join(MODELS_DIR, ".cache")
IMAGES_DIR = os.path.join(CACHE_DIR, "images")
OUT_DIR = os.path.join(CACHE_DIR, "verify")

# Square face boxes (x, y, size) in face-api's demo/sample1.jpg (1920x1280), picked by eye:
# the three faces of that photo, each with a little forehead and chin.
SAMPLE1_FACES = [(395, 345, 240), (805, 410, 250), (1445, 200, 260)]
DETECTOR_PHOTOS = ["sample1.jpg", "sample2.jpg", "sample3.jpg"]


def _read_rgb(name: str) -> np.ndarray:
    path = os.path.join(IMAGES_DIR, name)
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path} is missing; run models/fetch first")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _photos(spec: ModelSpec, count: int) -> List[np.ndarray]:
    height, width = spec.input_hwc[:2]
    if spec.face_crops:
        sample = _read_rgb("sample1.jpg")
        return [_resize(sample[y:y + s, x:x + s], height, width)
                for x, y, s in SAMPLE1_FACES[:count]]
    return [_resize(_read_rgb(name), height, width) for name in DETECTOR_PHOTOS[:count]]


def _random(spec: ModelSpec, seed: int) -> np.ndarray:
    height, width = spec.input_hwc[:2]
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def _cases(spec: ModelSpec, seed: int) -> Dict[str, np.ndarray]:
    photos = _photos(spec, 3)
    return {
        "b1_photo": np.stack(photos[:1]),
        "b1_random": np.stack([_random(spec, seed)]),
        "b3_mixed": np.stack([photos[1], photos[2], _random(spec, seed + 1)]),
    }


def main(names: List[str]) -> None:
    specs = [model_spec(n) for n in names] if names else list(MODELS)
    manifest = {"models": []}
    for spec in specs:
        model_dir = os.path.join(OUT_DIR, spec.name)
        os.makedirs(model_dir, exist_ok=True)
        cases = []
        # Seeded by model name: the same pixels whichever models are checked together.
        for case, pixels in _cases(spec, seed=zlib.crc32(spec.name.encode())).items():
            path = os.path.join(model_dir, f"{case}.pixels.f32")
            pixels.astype("<f4").tofile(path)
            cases.append({"name": case, "pixels": path, "shape": list(pixels.shape)})
        manifest["models"].append({
            "name": spec.name,
            "kind": spec.kind,
            "source": os.path.join(CACHE_DIR, "tfjs", spec.source_dir, spec.source_file),
            "preprocessing": spec.reference_preprocessing,
            "outputs": [o.source for o in spec.outputs] + list(spec.reference_extras),
            "dir": model_dir,
            "cases": cases,
        })
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
