"""Inference backends: the same module run eagerly, channels-last, frozen TorchScript,
torch.compile'd, or exported to ONNX Runtime.

Each backend is prepared once per network, then its output is checked against eager PyTorch
(``torch.allclose``) before any timing: a backend that computes something else is not timed.
A backend that cannot run a network raises ``BackendError`` with the reason, which the tables
show in that network's cell while the other backends go on.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

BACKENDS = ("eager", "channels_last", "torchscript", "compile", "onnxruntime")
RTOL = 1e-3
ATOL = 1e-4


class BackendError(Exception):
    """A backend could not prepare or run a network, or disagreed with eager PyTorch."""


def check_backend_name(name: str) -> str:
    """The name if it is a known backend, else ``UserError``."""
    from ..errors import UserError

    if name not in BACKENDS:
        raise UserError(f"backend: {name!r} is not one of {', '.join(BACKENDS)}")
    return name


def _eager(model, x, threads):
    return lambda: model(x)


def _channels_last(model, x, threads):
    import torch

    m = copy.deepcopy(model).to(memory_format=torch.channels_last)
    xc = x.contiguous(memory_format=torch.channels_last)
    return lambda: m(xc)


def _torchscript(model, x, threads):
    import torch

    with torch.no_grad():
        traced = torch.jit.trace(copy.deepcopy(model), x)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    return lambda: frozen(x)


def _compile(model, x, threads):
    import torch

    try:
        compiled = torch.compile(copy.deepcopy(model))
    except Exception as e:  # noqa: BLE001 - any compiler failure is a reason, not a crash
        raise BackendError(f"torch.compile failed: {type(e).__name__}: {e}") from None
    return lambda: compiled(x)


def onnx_model_bytes(model, x) -> bytes:
    """The ONNX file (opset 17, input ``input``, output ``logits``) of an eval-mode module traced
    on ``x``: what the ``onnxruntime`` backend runs and what ``export`` puts in a bundle."""
    import warnings

    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model,
                (x,),
                buf,
                dynamo=False,
                opset_version=17,
                input_names=["input"],
                output_names=["logits"],
            )
        except Exception as e:  # noqa: BLE001
            raise BackendError(f"ONNX export failed: {type(e).__name__}: {e}") from None
    return buf.getvalue()


def _onnxruntime(model, x, threads):
    import torch

    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendError(
            "onnxruntime is not installed (pip install 'shufflenet-cli[onnx]')"
        ) from None
    onnx_file = onnx_model_bytes(model, x)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # the same thread count as torch
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_file, options, providers=["CPUExecutionProvider"])
    feed = {"input": x.numpy()}

    def run():
        return torch.from_numpy(session.run(None, feed)[0])

    return run


_PREPARE = {
    "eager": _eager,
    "channels_last": _channels_last,
    "torchscript": _torchscript,
    "compile": _compile,
    "onnxruntime": _onnxruntime,
}


def prepare(model, x, backend: str, threads: int = 1) -> Callable[[], object]:
    """A zero-argument callable running one forward pass of ``model`` on ``x`` in ``backend``.

    The model must be in eval mode. Its output is checked against eager PyTorch first;
    ``BackendError`` says why a backend cannot be used for this network.
    """
    import torch

    check_backend_name(backend)
    with torch.inference_mode():
        reference = model(x)
    try:
        fn = _PREPARE[backend](model, x, threads)
        with torch.inference_mode():
            out = fn()
    except BackendError:
        raise
    except Exception as e:  # noqa: BLE001 - report, don't crash the whole measurement
        raise BackendError(
            f"{backend} failed: {type(e).__name__}: {str(e).splitlines()[0]}"
        ) from None
    out = out.to(reference.dtype).contiguous()
    if out.shape != reference.shape or not torch.allclose(out, reference, rtol=RTOL, atol=ATOL):
        diff = (out - reference).abs().max().item() if out.shape == reference.shape else "shape"
        raise BackendError(f"{backend} output differs from eager (max abs diff {diff})")
    return fn
