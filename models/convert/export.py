"""TorchScript export with the checks the server relies on.

The server loads model.pt with torch::jit::load, may move it to CUDA and/or call .half(),
and feeds batches of any size up to max_batch_size. So before writing the file:
  - the module is scripted (not traced): shapes such as the runtime batch stay symbolic;
  - every floating tensor the module holds must be a parameter or buffer (so .to()/.half()
    reach it), and forward must create tensors on its input's device: checked by running
    the saved module on the 'meta' device (no GPU here to run it on CUDA);
  - scripted == eager, batch 3 == three batches of 1, and the saved file reloads and
    reproduces the scripted outputs.
"""

import io
import json
import os
import warnings
from typing import Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

# Dynamic batch changes the convolution algorithms torch picks, so batch 3 and 3x batch 1
# agree only to float32 rounding, far below the 1e-4 the verification allows.
BATCH_CONSISTENCY_ATOL = 1e-5


def _outputs(module: nn.Module, x: Tensor) -> Tuple[Tensor, ...]:
    with torch.no_grad():
        out = module(x)
    if not isinstance(out, tuple) or not all(isinstance(t, Tensor) for t in out):
        raise TypeError(f"module must return a tuple of tensors, got {type(out)}")
    if not all(t.is_contiguous() for t in out):
        raise TypeError("module outputs must be contiguous (the server reads raw memory)")
    return out


def _max_diff(a: Sequence[Tensor], b: Sequence[Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b))


def _check_no_stray_tensors(module: nn.Module) -> None:
    """Plain tensor attributes would neither move with .to() nor turn half with .half()."""
    for name, sub in module.named_modules():
        for attr, value in vars(sub).items():
            if isinstance(value, Tensor) and not attr.startswith("_"):
                raise TypeError(f"{name or 'module'}.{attr} is a tensor attribute, "
                                "not a parameter or buffer")


def script_and_check(module: nn.Module, example: Tensor) -> torch.jit.ScriptModule:
    """Scripts `module` and checks it against eager mode and across batch sizes.

    `example` is a batch of 3 inputs in the model's input range.
    """
    module.eval()
    _check_no_stray_tensors(module)
    with warnings.catch_warnings():
        # torch.fx's GraphModule.__init__ trips a TorchScript style warning; not ours.
        warnings.filterwarnings("ignore", message="The TorchScript type system doesn't support")
        scripted = torch.jit.script(module)
    eager_out = _outputs(module, example)
    scripted_out = _outputs(scripted, example)
    if _max_diff(eager_out, scripted_out) > 0:
        raise AssertionError("scripted module differs from eager module")
    singles = [_outputs(scripted, example[i:i + 1]) for i in range(example.shape[0])]
    stacked = [torch.cat([s[k] for s in singles]) for k in range(len(scripted_out))]
    diff = _max_diff(scripted_out, stacked)
    if diff > BATCH_CONSISTENCY_ATOL:
        raise AssertionError(f"batch {example.shape[0]} differs from per-item runs by {diff}")
    return scripted


def _check_follows_device(module: torch.jit.ScriptModule, example: Tensor) -> None:
    """Runs the module on the 'meta' device: any tensor forward creates on a fixed device
    (instead of the input's) makes this fail, as it would on CUDA, which we cannot test
    here."""
    module.to("meta")
    outputs = _outputs(module, example.to("meta"))
    if any(t.device.type != "meta" for t in outputs):
        raise AssertionError("module outputs do not follow the input's device")


def save(scripted: torch.jit.ScriptModule, path: str, metadata: Dict, check_input: Tensor) -> None:
    """Writes the TorchScript file atomically, after checking it reloads and runs."""
    extra = {"affectserve.json": json.dumps(metadata, indent=2, sort_keys=True)}
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer, _extra_files=extra)
    reloaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    if _max_diff(_outputs(scripted, check_input), _outputs(reloaded, check_input)) != 0:
        raise AssertionError("reloaded TorchScript differs from the scripted module")
    _check_follows_device(torch.jit.load(io.BytesIO(buffer.getvalue())), check_input)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, path)


def output_shapes(scripted: torch.jit.ScriptModule, example: Tensor) -> List[List[int]]:
    """Per-item output shapes (batch dimension dropped)."""
    return [list(t.shape[1:]) for t in _outputs(scripted, example)]
