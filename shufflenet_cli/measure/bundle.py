"""Bundles: networks exported to be measured on the device they are meant for.

A bundle is a folder that needs neither PyTorch nor shufflenet-cli on the device::

    manifest.json              every network: name, architecture key, spec, input shape, dtype,
                               the cost model's numbers, model file and its SHA-256; the protocol
    model-000.onnx ...         the models (named by position: a network's name is not a path)
    model-000.reference.npy    PyTorch's output on the runner's fixed input, so the device
                               checks its runtime computes the same before timing anything
    measure.py                 the runner (``runner.py`` of this package, copied as it is)
    README.txt                 how to run it

``python measure.py --out results.json --device LABEL`` writes the results JSON that
``measure.imported`` reads back (``--latency-from``), matched by architecture key.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..files import check_output_folder
from ..files import folder_beside
from ..files import swap_in
from ..model.spec import NetworkSpec
from ..model.spec import arch_id
from . import runner
from .protocol import LOAD_THRESHOLD
from .protocol import MAX_REDO
from .protocol import NOISY_FRACTION
from .protocol import Protocol

BUNDLE_FORMAT = runner.BUNDLE_FORMAT
EXPORT_BACKENDS = ("onnxruntime",)
# dtype -> (numpy input dtype, rtol, atol of the device's output against PyTorch's fp32 output)
EXPORT_DTYPES = {"fp32": ("float32", 1e-3, 1e-4), "fp16": ("float16", 5e-2, 5e-2)}


@dataclass
class Bundle:
    """A written bundle: its folder, manifest, and size on disk in bytes."""

    folder: Path
    manifest: dict
    size_bytes: int

    def rows(self) -> list[dict]:
        """One row per network (for the export command's table)."""
        return [
            {
                "name": n["name"],
                "key": n["key"],
                "file": n["file"],
                "model_bytes": n["bytes"],
                "params": n["cost"]["params"],
                "macs": n["cost"]["macs"],
                "input_shape": "x".join(map(str, n["input_shape"])),
                "dtype": n["dtype"],
                "checked_here": n["checked_here"],
            }
            for n in self.manifest["networks"]
        ]


def protocol_settings(protocol: Protocol, rtol: float = 1e-3, atol: float = 1e-4) -> dict:
    """The protocol a bundle's runner follows, with the same constants as this package's."""
    p = protocol
    return {
        "threads": p.threads,
        "windows": p.windows,
        "window_time": p.window_time,
        "warmup_time": p.warmup_time,
        "noisy_fraction": NOISY_FRACTION,
        "load_threshold": LOAD_THRESHOLD,
        "max_redo": MAX_REDO,
        "rtol": rtol,
        "atol": atol,
    }


def export_bundle(
    specs: Sequence[NetworkSpec],
    out: str | Path,
    *,
    backend: str = "onnxruntime",
    protocol: Protocol | None = None,
    progress: Callable[[str], None] | None = None,
) -> Bundle:
    """Write a bundle of ``specs`` for ``backend`` to the folder ``out`` (built beside it and
    renamed into place; an earlier bundle there is replaced). ``protocol`` gives the threads,
    batch size, dtype and the runner's windows (default ``Protocol()``). Networks with the same
    architecture are exported once. Where the runtime is installed here, each model is run
    once on this machine and checked against PyTorch (``checked_here``).

    Example::

        >>> from shufflenet_cli import load_spec
        >>> b = export_bundle([load_spec("shufflenet-1x-g3")], "bundle")   # doctest: +SKIP
        >>> b.manifest["networks"][0]["file"]                              # doctest: +SKIP
        'model-000.onnx'
    """
    protocol = protocol or Protocol()
    dtype, threads, batch_size = protocol.dtype, protocol.threads, protocol.batch_size
    if backend not in EXPORT_BACKENDS:
        raise UserError(f"backend: export supports {', '.join(EXPORT_BACKENDS)}, not {backend!r}")
    if dtype not in EXPORT_DTYPES:
        raise UserError(
            f"dtype: export supports {', '.join(EXPORT_DTYPES)}, not {dtype!r} (int8 needs "
            "quantization with calibration data, which the bundle does not do)"
        )
    if not specs:
        raise UserError("networks: nothing to export (give --groups, --preset or --spec)")
    out = check_output_folder(out, "manifest.json", "bundle")
    if (out / "manifest.json").exists():
        try:
            old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict) or old.get("format") != BUNDLE_FORMAT:
            raise UserError(f"out: {out} holds a manifest.json that is not a bundle's")
    unique: dict[str, NetworkSpec] = {}
    for s in specs:
        unique.setdefault(arch_id(s), s)
    input_dtype, rtol, atol = EXPORT_DTYPES[dtype]
    tmp = folder_beside(out)
    try:
        networks = []
        for i, spec in enumerate(unique.values()):
            networks.append(
                _export_one(spec, i, tmp, batch_size, dtype, input_dtype, threads, rtol, atol)
            )
            if progress:
                progress(f"exported {spec.name}")
        manifest = {
            "format": BUNDLE_FORMAT,
            "runtime": backend,
            "exported_with": _versions(),
            "protocol": protocol_settings(protocol, rtol, atol),
            "networks": networks,
        }
        manifest["bundle_id"] = hashlib.sha256(
            json.dumps(manifest, sort_keys=True).encode()
        ).hexdigest()[:16]
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
        shutil.copyfile(runner.__file__, tmp / "measure.py")
        (tmp / "README.txt").write_text(_readme(manifest), encoding="utf-8")
        size = sum(p.stat().st_size for p in tmp.iterdir())
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Bundle(out, manifest, size)


def _export_one(spec, index, folder, batch_size, dtype, input_dtype, threads, rtol, atol):
    """Write one network's model and reference output; its manifest entry."""
    import numpy as np
    import torch

    from ..model.cost import analyze
    from ..model.nn import build_model
    from ..model.spec import spec_to_dict
    from .runtimes import onnx_model

    shape = [batch_size, spec.in_channels, spec.resolution, spec.resolution]
    x = runner.fixed_input(shape, "float32")
    model = build_model(spec, batch_size).eval()
    with torch.inference_mode():
        reference = model(torch.from_numpy(x)).numpy()
    if dtype == "fp16":
        model = model.half()
    data = onnx_model(model, torch.from_numpy(x.astype(input_dtype)))
    stem = f"model-{index:03d}"
    (folder / f"{stem}.onnx").write_bytes(data)
    np.save(folder / f"{stem}.reference.npy", reference, allow_pickle=False)
    a = analyze(spec, batch_size, dtype)
    entry = {
        "name": spec.name,
        "family": spec.family,
        "key": arch_id(spec),
        "spec": spec_to_dict(spec),
        "file": f"{stem}.onnx",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "reference_output": f"{stem}.reference.npy",
        "input_shape": shape,
        "input_dtype": input_dtype,
        "dtype": dtype,
        "cost": {
            "params": a.params,
            "macs": a.macs,
            "macs_conv": a.macs_conv,
            "memory_bytes_eager": a.memory_bytes_eager,
            "memory_bytes_fused": a.memory_bytes_fused,
        },
    }
    entry["checked_here"] = _check_here(folder, entry, threads, rtol, atol)
    return entry


def _check_here(folder: Path, entry: dict, threads: int, rtol: float, atol: float) -> str:
    """Run the exported model once with the runner's own code: 'ok', 'not checked (...)' where
    the runtime is missing here, or the reason it failed (the device may still run it)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "not checked (onnxruntime not installed here)"
    try:
        runner.prepare(str(folder), entry, "onnxruntime", threads, rtol, atol)
    except RuntimeError as e:
        return str(e)
    return "ok"


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version

    out = {}
    for package in ("shufflenet-cli", "torch", "onnxruntime"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def _readme(manifest: dict) -> str:
    names = "\n".join(f"  {n['file']:<16} {n['name']}" for n in manifest["networks"])
    return f"""shufflenet-cli bundle {manifest["bundle_id"]}: {len(manifest["networks"])} network(s)
for {manifest["runtime"]}.

{names}

On the device (Python 3.8 or newer; no PyTorch, no shufflenet-cli):

  pip install numpy {manifest["runtime"]}
  python measure.py --out results.json --device LABEL   [--threads N]

Then, where shufflenet-cli is installed:

  shufflenet-cli profile --spec ... --latency-from results.json

The runner checks each model's output against PyTorch's before timing it, then follows
shufflenet-cli's latency protocol (warm-up, interleaved windows, median of window medians,
IQR spread, noisy flag, load detection where /proc/stat exists, fixed threads).
"""
