"""Inference backends: the same module run eagerly, channels-last, frozen TorchScript,
torch.compile'd, exported to ONNX Runtime, lowered to ExecuTorch (XNNPACK delegate), or
converted to ncnn (by pnnx); in fp32, and int8 or fp16 where the runtime has those kernels.

Each backend is prepared once per network, then its output is checked against eager PyTorch
(``torch.allclose``) before any timing: a backend that computes something else is not timed.
An int8 or fp16 model is compared with fp32 eager by relative error instead
(``runtimes.relative_error``), and that error is stated beside its latency.
A backend that cannot run a network raises ``BackendError`` with the reason, which the tables
show in that network's cell while the other backends go on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

BACKENDS = (
    "eager",
    "channels_last",
    "torchscript",
    "compile",
    "onnxruntime",
    "executorch",
    "ncnn",
)
DTYPES = ("fp32", "int8", "fp16")
RTOL = 1e-3
ATOL = 1e-4

_NO_INT8_TORCH = (
    "no int8: PyTorch CPU runs a pt2e int8 model as fp32 quantize-dequantize "
    "(int8 is timed on executorch and onnxruntime)"
)
_NO_FP16_TORCH = (
    "no fp16: not timed on PyTorch backends (fp16 on CPU is not how they deploy; "
    "executorch times XNNPACK's fp16 kernels)"
)
UNSUPPORTED = {
    ("eager", "int8"): _NO_INT8_TORCH,
    ("channels_last", "int8"): _NO_INT8_TORCH,
    ("torchscript", "int8"): _NO_INT8_TORCH,
    ("compile", "int8"): _NO_INT8_TORCH,
    ("ncnn", "int8"): "no int8: ncnn quantizes with ncnn2table/ncnn2int8, not in its wheel",
    ("eager", "fp16"): _NO_FP16_TORCH,
    ("channels_last", "fp16"): _NO_FP16_TORCH,
    ("torchscript", "fp16"): _NO_FP16_TORCH,
    ("compile", "fp16"): _NO_FP16_TORCH,
    ("onnxruntime", "fp16"): "no fp16: ONNX Runtime's CPU fp16 convolutions are ARM-only",
    ("ncnn", "fp16"): "no fp16: ncnn's fp16 arithmetic is ARM-only (x86 computes in fp32)",
}


class BackendError(Exception):
    """A backend could not prepare or run a network, or disagreed with eager PyTorch."""


@dataclass
class Prepared:
    """A backend ready to time: ``run()`` is one forward pass; ``check`` says how its output
    compared with eager PyTorch (fp32: max abs difference; int8/fp16: relative error)."""

    run: Callable[[], object]
    check: str
    error: float


def check_dtype(dtype: str) -> str:
    """The dtype if it is one of ``DTYPES``, else ``UserError``."""
    from ..errors import UserError

    if dtype not in DTYPES:
        raise UserError(f"dtype: {dtype!r} is not one of {', '.join(DTYPES)}")
    return dtype


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


def _runtime(name):
    def prepare_runtime(model, x, threads, dtype="fp32"):
        from . import runtimes

        try:
            return getattr(runtimes, f"prepare_{name}")(model, x, threads, dtype)
        except runtimes.RuntimeMissing as e:
            raise BackendError(str(e)) from None

    return prepare_runtime


_PREPARE = {
    "eager": _eager,
    "channels_last": _channels_last,
    "torchscript": _torchscript,
    "compile": _compile,
    "onnxruntime": _runtime("onnxruntime"),
    "executorch": _runtime("executorch"),
    "ncnn": _runtime("ncnn"),
}
_RUNTIMES = ("onnxruntime", "executorch", "ncnn")  # take a dtype


def prepare(model, x, backend: str, threads: int = 1, dtype: str = "fp32") -> Callable[[], object]:
    """A zero-argument callable running one forward pass of ``model`` on ``x`` in ``backend``.

    The model must be in eval mode. Its output is checked against eager PyTorch first;
    ``BackendError`` says why a backend cannot be used for this network.
    """
    return prepare_checked(model, x, backend, threads, dtype).run


def prepare_checked(model, x, backend: str, threads: int = 1, dtype: str = "fp32") -> Prepared:
    """``backend`` ready to time ``model`` on ``x`` in ``dtype``, with its output checked.

    fp32 output must equal eager PyTorch's (``torch.allclose``, rtol ``RTOL``, atol ``ATOL``);
    int8 and fp16 output is compared with fp32 eager by relative error, which must stay below
    ``runtimes.INT8_MAX_RELATIVE_ERROR`` / ``FP16_MAX_RELATIVE_ERROR``. ``BackendError`` says
    why the backend cannot run this network in this dtype (``UNSUPPORTED`` for pairs that
    have no kernels at all).
    """
    import torch

    from .runtimes import FP16_MAX_RELATIVE_ERROR
    from .runtimes import INT8_MAX_RELATIVE_ERROR
    from .runtimes import relative_error

    check_backend_name(backend)
    check_dtype(dtype)
    if (backend, dtype) in UNSUPPORTED:
        raise BackendError(UNSUPPORTED[backend, dtype])
    with torch.inference_mode():
        reference = model(x)
    try:
        if backend in _RUNTIMES:
            fn = _PREPARE[backend](model, x, threads, dtype)
        else:
            fn = _PREPARE[backend](model, x, threads)
        with torch.inference_mode():
            out = fn()
    except BackendError:
        raise
    except Exception as e:  # noqa: BLE001 - report, don't crash the whole measurement
        lines = str(e).strip().splitlines() or [""]
        if backend == "executorch" and "Failed to execute method" in lines[0]:
            # the runtime logged why (e.g. XNNPACK cannot build an int8 zero pad); say what helps
            hint = "; int8: --formulation deploy-conv delegates every op" if dtype == "int8" else ""
            raise BackendError(f"XNNPACK could not build the lowered program{hint}") from None
        raise BackendError(f"{backend} failed: {type(e).__name__}: {lines[0]}") from None
    out = out.to(reference.dtype).contiguous()
    if out.shape != reference.shape:
        raise BackendError(
            f"{backend} output shape {tuple(out.shape)} differs from eager {tuple(reference.shape)}"
        )
    if dtype != "fp32":
        err = relative_error(out, reference)
        limit = INT8_MAX_RELATIVE_ERROR if dtype == "int8" else FP16_MAX_RELATIVE_ERROR
        if not err <= limit:
            raise BackendError(
                f"{backend} {dtype} output is too far from fp32 eager (relative error "
                f"{err:.1%} > {limit:.0%})"
            )
        return Prepared(fn, f"{dtype} vs fp32 eager: relative error {err:.1%}", err)
    diff = (out - reference).abs().max().item()
    if not torch.allclose(out, reference, rtol=RTOL, atol=ATOL):
        raise BackendError(f"{backend} output differs from eager (max abs diff {diff:.2g})")
    return Prepared(fn, f"matches eager (max abs diff {diff:.1g})", diff)
