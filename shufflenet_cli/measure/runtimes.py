"""Deployment runtimes: ExecuTorch (XNNPACK delegate), ncnn (converted by pnnx), and the int8
models of ExecuTorch and ONNX Runtime.

Each ``prepare_*`` function turns an eval-mode module and its example input into a zero-argument
callable that runs one forward pass in the runtime and returns a torch tensor; ``backends``
checks it against eager PyTorch and ``latency`` times it with the common protocol.

int8 is real int8: ExecuTorch's model is quantized with the XNNPACK quantizer (pt2e: symmetric
int8 weights per output channel, int8 activations) before lowering, so XNNPACK runs its QS8
kernels; ONNX Runtime's is a static QDQ model (``quantize_static``: int8 weights per channel,
uint8 activations), which the CPU provider fuses into QLinearConv / QGemm kernels. Both are
calibrated on ``CALIBRATION_INPUTS`` generated inputs (standard normal, fixed seeds): latency is
what is measured, and a network with random weights has no data set to calibrate on. Their
outputs are compared with fp32 eager PyTorch by relative error (``relative_error``), which the
tables state; a model whose error exceeds ``INT8_MAX_RELATIVE_ERROR`` is not timed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

CALIBRATION_INPUTS = 8
INT8_MAX_RELATIVE_ERROR = 0.5  # ||int8 - fp32|| / ||fp32||: above this the model is broken
FP16_MAX_RELATIVE_ERROR = 0.05

EXTRA = {"executorch": "executorch", "ncnn": "ncnn", "onnxruntime": "onnx"}


class RuntimeMissing(ImportError):
    """An optional runtime is not installed; the message names the extra that brings it."""


def _require(module: str, backend: str):
    """Import ``module`` or raise ``RuntimeMissing`` naming the pip extra.

    The import's own log noise is kept off the user's terminal: torchao's warnings about its
    CUDA libraries (absent on a CPU build) and torch's note on registering an Enum type."""
    import importlib
    import logging

    for noisy in ("torchao", "torch.utils._pytree"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return importlib.import_module(module)
    except ImportError:
        raise RuntimeMissing(
            f"{backend} is not installed (pip install 'shufflenet-cli[{EXTRA[backend]}]')"
        ) from None


def runtime_versions() -> dict[str, str]:
    """Versions of the installed deployment runtimes (recorded beside latency figures)."""
    from importlib import metadata

    out = {}
    for dist in ("executorch", "onnxruntime", "ncnn", "pnnx"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def calibration_inputs(x, n: int = CALIBRATION_INPUTS) -> list:
    """``n`` generated inputs of ``x``'s shape (standard normal, seeds 1..n; seed 0 is the
    example input itself, which is kept out of calibration)."""
    import torch

    return [
        torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
        for seed in range(1, n + 1)
    ]


def relative_error(out, reference) -> float:
    """``||out - reference|| / ||reference||`` over all elements (float64)."""
    out = out.detach().double().flatten()
    reference = reference.detach().double().flatten()
    return float((out - reference).norm() / reference.norm().clamp_min(1e-30))


@contextlib.contextmanager
def quiet_native_output():
    """Silence what native code prints to stdout and stderr (file descriptors 1 and 2), so a
    converter's log cannot mix into a table or JSON written to stdout."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = []
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(devnull, fd)
            except OSError:
                pass
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


# ExecuTorch ------------------------------------------------------------------------------------


def quantize_pt2e_xnnpack(model, x, calibration: list | None = None):
    """``model`` quantized for XNNPACK with pt2e: exported, annotated by the XNNPACK quantizer
    (symmetric int8, weights per output channel), calibrated on ``calibration`` (default:
    ``calibration_inputs(x)``) and converted. Returns the converted ``GraphModule``."""
    import torch

    xq = _require("executorch.backends.xnnpack.quantizer.xnnpack_quantizer", "executorch")
    pt2e = _require("torchao.quantization.pt2e.quantize_pt2e", "executorch")
    quantizer = xq.XNNPACKQuantizer().set_global(
        xq.get_symmetric_quantization_config(is_per_channel=True)
    )
    graph = torch.export.export(model, (x,)).module()
    prepared = pt2e.prepare_pt2e(graph, quantizer)
    with torch.no_grad():
        for c in calibration if calibration is not None else calibration_inputs(x):
            prepared(c)
    return pt2e.convert_pt2e(prepared)


def lower_executorch(model, x, dtype: str = "fp32", *, etrecord: bool = False):
    """Export ``model`` and lower it to ExecuTorch with the XNNPACK partitioner.

    ``dtype`` 'fp32' lowers the module as it is, 'int8' quantizes it first
    (``quantize_pt2e_xnnpack``), 'fp16' lowers a half-precision copy (XNNPACK's F16 kernels).
    Returns ``(edge, program)``: the lowered edge program manager (its graph shows which ops
    were delegated) and the ExecuTorch program manager (``.buffer`` is the .pte file's bytes;
    with ``etrecord``, ``.get_etrecord()`` links ETDump profiles back to the graph).
    """
    import copy
    import warnings

    import torch

    exir = _require("executorch.exir", "executorch")
    part = _require("executorch.backends.xnnpack.partition.xnnpack_partitioner", "executorch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype == "int8":
            module = quantize_pt2e_xnnpack(model, x)
        elif dtype == "fp16":
            module, x = copy.deepcopy(model).half(), x.half()
        else:
            module = model
        exported = torch.export.export(module, (x,))
        edge = exir.to_edge_transform_and_lower(
            exported, partitioner=[part.XnnpackPartitioner()], generate_etrecord=etrecord
        )
        program = copy.deepcopy(edge).to_executorch() if etrecord else edge.to_executorch()
    return edge, program


def export_executorch(
    spec,
    dtype: str = "fp32",
    path: str | Path | None = None,
    batch_size: int = 1,
    formulation: str = "paper",
) -> bytes:
    """The ExecuTorch program (.pte bytes, XNNPACK delegate) of ``spec``; written to ``path``
    (atomically) when given.

    The network is built with ``build_model(spec, batch_size, formulation=...)`` in eval mode;
    ``dtype`` is 'fp32', 'int8' (pt2e XNNPACK quantizer, calibrated on generated inputs) or
    'fp16'. Its weights are the fresh random ones of the built module (fixed seed not implied:
    the .pte is for latency, not accuracy).

    Example::

        >>> from shufflenet_cli import load_spec
        >>> from shufflenet_cli.measure.runtimes import export_executorch
        >>> pte = export_executorch(load_spec("mobilenet-v1-0.5"), "int8", "mobilenet.pte")
    """
    from ..errors import UserError
    from ..files import write_atomic
    from ..model.nn import build_model
    from ..model.nn import example_input

    if dtype not in ("fp32", "int8", "fp16"):
        raise UserError(f"dtype: {dtype!r} is not one of fp32, int8, fp16")
    model = build_model(spec, batch_size, formulation=formulation).eval()
    x = example_input(spec, batch_size)
    try:
        _edge, program = lower_executorch(model, x, dtype)
    except RuntimeMissing as e:
        raise UserError(str(e)) from None
    data = bytes(program.buffer)
    if path is not None:
        write_atomic(path, data)
    return data


def load_executorch(buffer: bytes, threads: int = 1, *, etdump: bool = False):
    """An ExecuTorch module loaded from .pte bytes, with XNNPACK's threadpool at ``threads``
    (process-wide: every ExecuTorch model in this process then uses that many threads).
    The module reads from ``buffer``: the caller keeps it alive as long as the module."""
    pl = _require("executorch.extension.pybindings.portable_lib", "executorch")
    with quiet_native_output():
        pl._unsafe_reset_threadpool(threads)
        return pl._load_for_executorch_from_buffer(buffer, enable_etdump=etdump)


def prepare_executorch(model, x, threads: int = 1, dtype: str = "fp32") -> Callable[[], object]:
    """One forward pass of ``model`` lowered to ExecuTorch (XNNPACK), as a zero-argument call."""
    _edge, program = lower_executorch(model, x, dtype)
    buffer = program.buffer  # the loaded module reads from these bytes: keep them alive
    module = load_executorch(buffer, threads)
    inputs = [x.half() if dtype == "fp16" else x]

    def run():
        return module.forward(inputs)[0]

    run.keep = (buffer, module)
    return run


# ONNX Runtime int8 -----------------------------------------------------------------------------


def onnx_model(model, x) -> bytes:
    """``model`` exported to ONNX (opset 17, TorchScript exporter; input 'input', output
    'logits')."""
    import io
    import warnings

    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            buf,
            dynamo=False,
            opset_version=17,
            input_names=["input"],
            output_names=["logits"],
        )
    return buf.getvalue()


def quantize_onnx_static(model_bytes: bytes, calibration: list) -> bytes:
    """A static QDQ int8 model of an fp32 ONNX model: shape inference and graph pre-processing
    (``quant_pre_process``), then ``quantize_static`` (QDQ format, int8 weights per channel,
    uint8 activations, min-max calibration on ``calibration``, a list of input tensors)."""
    oq = _require("onnxruntime.quantization", "onnxruntime")

    class Reader(oq.CalibrationDataReader):
        def __init__(self):
            self._feeds = iter([{"input": c.numpy()} for c in calibration])

        def get_next(self):
            return next(self._feeds, None)

    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-ort-") as folder:
        fp32, pre, q = (Path(folder) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        fp32.write_bytes(model_bytes)
        with quiet_native_output():
            oq.quant_pre_process(str(fp32), str(pre))
            oq.quantize_static(
                str(pre),
                str(q),
                Reader(),
                quant_format=oq.QuantFormat.QDQ,
                per_channel=True,
                activation_type=oq.QuantType.QUInt8,
                weight_type=oq.QuantType.QInt8,
            )
        return q.read_bytes()


def ort_session(
    model_bytes: bytes,
    threads: int = 1,
    *,
    optimized_path: str | None = None,
    profile_prefix: str | None = None,
):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (one inter-op), all graph
    optimizations on; ``optimized_path`` saves the fused graph, ``profile_prefix`` turns on
    ORT's per-node profiler."""
    ort = _require("onnxruntime", "onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if optimized_path:
        options.optimized_model_filepath = optimized_path
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def onnxruntime_model(model, x, dtype: str = "fp32") -> bytes:
    """The ONNX model ONNX Runtime runs for ``dtype``: fp32 as exported, int8 static QDQ."""
    data = onnx_model(model, x)
    if dtype == "int8":
        data = quantize_onnx_static(data, calibration_inputs(x))
    return data


def prepare_onnxruntime(model, x, threads: int = 1, dtype: str = "fp32") -> Callable[[], object]:
    """One forward pass of ``model`` in ONNX Runtime (fp32, or int8 static QDQ)."""
    import torch

    _require("onnxruntime", "onnxruntime")
    session = ort_session(onnxruntime_model(model, x, dtype), threads)
    feed = {"input": x.numpy()}

    def run():
        return torch.from_numpy(session.run(None, feed)[0])

    return run


# ncnn --------------------------------------------------------------------------------------


def convert_ncnn(model, x, folder: str | Path) -> tuple[Path, Path]:
    """``model`` converted to ncnn by pnnx (TorchScript trace -> pnnx -> ncnn, fp32 weights);
    returns the ``.param`` and ``.bin`` paths written in ``folder``."""
    pnnx = _require("pnnx", "ncnn")
    folder = Path(folder)
    files = {
        "pnnxparam": "model.pnnx.param",
        "pnnxbin": "model.pnnx.bin",
        "pnnxpy": "model_pnnx.py",  # pnnx imports it back: it needs the .py suffix
        "pnnxonnx": "model.pnnx.onnx",
        "ncnnparam": "model.ncnn.param",
        "ncnnbin": "model.ncnn.bin",
        "ncnnpy": "model_ncnn.py",
    }
    names = {k: str(folder / v) for k, v in files.items()}
    with quiet_native_output():
        pnnx.export(model, str(folder / "model.pt"), (x,), fp16=False, **names)
    param, weights = Path(names["ncnnparam"]), Path(names["ncnnbin"])
    if not param.exists():
        raise RuntimeError("pnnx wrote no ncnn model")
    return param, weights


def prepare_ncnn(model, x, threads: int = 1, dtype: str = "fp32") -> Callable[[], object]:
    """One forward pass of ``model`` in ncnn (converted by pnnx; fp32 storage and arithmetic,
    ``threads`` OpenMP threads), batch 1 (ncnn runs one image at a time)."""
    import numpy as np
    import torch

    ncnn = _require("ncnn", "ncnn")
    if x.shape[0] != 1:
        raise ValueError("ncnn runs batch 1 only")
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-ncnn-") as folder:
        param, weights = convert_ncnn(model, x, folder)
        net = ncnn.Net()
        net.opt.num_threads = threads
        net.opt.use_fp16_storage = net.opt.use_fp16_packed = False
        net.opt.use_fp16_arithmetic = net.opt.use_bf16_storage = False
        net.load_param(str(param))
        net.load_model(str(weights))
    in_name, out_name = net.input_names()[0], net.output_names()[0]
    image = ncnn.Mat(np.ascontiguousarray(x[0].numpy())).clone()
    shape = (1, -1)

    def run():
        ex = net.create_extractor()
        ex.input(in_name, image)
        _, out = ex.extract(out_name)
        return torch.from_numpy(np.array(out)).reshape(shape)

    run.net = net  # keep the net alive as long as the callable
    return run
