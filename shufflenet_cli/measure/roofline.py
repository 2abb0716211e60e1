"""Roofline: a lower bound on latency from the cost model and this machine's measured limits.

Calibration (once per machine, thread count and torch version; cached as JSON under
``$XDG_CACHE_HOME/shufflenet-cli`` or ``~/.cache/shufflenet-cli``):

* peak compute: the best GFLOP/s of several large fp32 matrix multiplies (torch) and 1x1
  convolutions of pointwise-layer shapes (eager, and ONNX Runtime where installed) at the
  thread count, timed round-robin in a few rounds so that a burst of load slows one round only;
* bandwidth: GB/s at working-set sizes from cache to memory, the better of a tensor copy (read
  + write, one call per copy) and a read of the same bytes many times over inside one call (a
  sum over a stride-0 expanded view), which keeps per-call overhead out of the cache figures.

For every layer of the plan, the bound is ``max(FLOPs / peak, bytes / bandwidth)`` where FLOPs
= 2 x MACs and bytes = the layer's memory traffic from the cost model: eager traffic for the
backends that run op by op (eager, channels_last); for those that fuse (torchscript, compile,
onnxruntime) the fused traffic (BN folded, ReLU and shuffle fused) with, beyond it, each
residual add folded into its conv (only the identity is read) and each concat written in place
(the cost model's ``fused_runtime`` view), so a backend does not beat its bound by fusing
what the bound counts.
Bytes move at the highest bandwidth measured for any working set at least as large as the
largest calibrated size not above the layer's (caches only help, so that rate is never below
what the layer can get). A network's bound is the sum over its
layers; bound / measured is how close a backend comes to what the hardware allows. A bound above
a measurement would be a wrong bound, and the tests check that it never is, on every preset, for
eager and for the fastest fusing backends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from ..model.cost import layer_cost
from ..model.cost import layer_traffic_bytes
from ..model.plan import build_plan
from ..model.spec import NetworkSpec
from .protocol import Protocol

TRAFFIC_BY_BACKEND = {
    "eager": "eager",
    "channels_last": "eager",
    "torchscript": "fused",
    "compile": "fused",
    "onnxruntime": "fused",
}
CALIBRATION_VERSION = 5  # bump when the calibration's method changes: old caches are ignored
WORKING_SETS = (16 << 10, 128 << 10, 1 << 20, 8 << 20, 64 << 20)  # bytes moved per copy
QUICK_WORKING_SETS = (16 << 10, 1 << 20, 16 << 20)
MATMUL_SIZES = {False: (512, 1024, 2048), True: (512,)}  # n of the n x n matmuls, by quick
# (channels, height = width) of the 1x1 convolutions timed for the peak, by quick: the shapes
# of MobileNet's and ShuffleNet's pointwise layers, where a library's best blocking may differ
CONV_SHAPES = {False: ((512, 28), (512, 14), (1024, 7), (128, 56)), True: ((512, 28),)}
# the compute kernels are timed round-robin in this many rounds, each kernel's best round kept:
# a burst of another tenant's load (seconds long) then slows one round, not the peak
PEAK_ROUNDS = {False: 3, True: 1}


def cache_dir() -> Path:
    """Where calibrations are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shufflenet-cli"


def _timeit(stmt_fn, min_run_time: float, threads: int) -> float:
    """Seconds per call of the fastest timed block at ``threads``: a bound wants what the
    hardware does at its best, and noise only ever makes a block slower."""
    from torch.utils.benchmark import Timer

    m = Timer("f()", globals={"f": stmt_fn}, num_threads=threads).blocked_autorange(
        min_run_time=min_run_time
    )
    return min(m.times)


def calibration_steps(quick: bool = False) -> int:
    """How many timed kernels ``calibrate`` runs (each one a ``progress`` call): the compute
    kernels (matmuls and 1x1 convolutions on eager and ONNX Runtime, one step per backend
    where ORT is missing) in ``PEAK_ROUNDS`` rounds, then a copy and a read per working-set
    size."""
    sizes = QUICK_WORKING_SETS if quick else WORKING_SETS
    compute = len(MATMUL_SIZES[quick]) + 2 * len(CONV_SHAPES[quick])
    return PEAK_ROUNDS[quick] * compute + 2 * len(sizes)


def cached_calibration(threads: int = 1, quick: bool = False) -> dict | None:
    """The cached calibration for this machine, torch, ``threads`` and ``quick``, or None."""
    path = _cache_path(threads, quick)
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # a damaged cache is measured again
    return None


def _key(threads: int, quick: bool) -> dict:
    import torch

    from .environment import cpu_model

    return {
        "cpu": cpu_model(),
        "torch": torch.__version__,
        "threads": threads,
        "quick": quick,
        "method": CALIBRATION_VERSION,
    }


def _cache_path(threads: int, quick: bool) -> Path:
    key = _key(threads, quick)
    name = (
        "roofline-"
        + "-".join(str(v).replace(" ", "_").replace("/", "_") for v in key.values())
        + ".json"
    )
    return cache_dir() / name


def calibrate(
    threads: int = 1,
    quick: bool = False,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Peak GFLOP/s and bandwidth (GB/s) per working-set size at ``threads``; cached.

    ``quick`` uses a smaller matrix, fewer sizes and shorter timing (for tests); its result is
    cached under its own key. ``use_cache=False`` measures again and replaces the cached
    result (``roofline --recalibrate``). ``progress(step)`` is called after each of the
    ``calibration_steps(quick)`` timed kernels, with the kernel's name.

    >>> calib = calibrate(1, quick=True)  # doctest: +SKIP
    >>> calib["peak_gflops"], calib["bandwidth_gbs"]["16384"]  # doctest: +SKIP
    """
    import torch

    from ..files import write_atomic

    if use_cache:
        cached = cached_calibration(threads, quick)
        if cached is not None:
            return cached
    key, path = _key(threads, quick), _cache_path(threads, quick)
    step = progress or (lambda _name: None)
    from .latency import keep_freed_memory

    keep_freed_memory()  # the allocator latency is measured under
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    run_time = 0.05 if quick else 0.3
    try:
        peak_by_kernel = _peaks(threads, quick, run_time, step)
        peak = max(peak_by_kernel.values())  # the best any kernel here attains
        copy_gbs, read_gbs = {}, {}
        for size in QUICK_WORKING_SETS if quick else WORKING_SETS:
            elems = max(1, size // 8)  # half read, half written, fp32
            src, dst = torch.randn(elems), torch.empty(elems)
            t = _timeit(lambda dst=dst, src=src: dst.copy_(src), run_time, threads)
            copy_gbs[str(size)] = 2 * elems * 4 / t / 1e9
            step(f"copy {size >> 10} KiB")
            # the same `size` bytes read `repeats` times in one call: no per-call overhead
            data = torch.randn(max(1, size // 4))
            repeats = max(1, (64 << 20) // size)
            view = data.expand(repeats, data.numel())
            t = _timeit(lambda view=view: view.sum(), run_time, threads)
            read_gbs[str(size)] = repeats * data.numel() * 4 / t / 1e9
            step(f"read {size >> 10} KiB")
    finally:
        torch.set_num_threads(previous)
    bandwidth = {k: max(copy_gbs[k], read_gbs[k]) for k in copy_gbs}
    result = {
        **key,
        "peak_gflops": peak,
        "peak_by_kernel": peak_by_kernel,
        "bandwidth_gbs": bandwidth,
        "copy_gbs": copy_gbs,
        "read_gbs": read_gbs,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(result, indent=2))
    except OSError:
        pass  # no cache folder: still return the measurement
    return result


def _peak_kernels(threads: int, quick: bool) -> dict:
    """The compute kernels timed for the peak, by name: (callable, FLOPs per call).

    Large fp32 matrix multiplies (torch), and 1x1 convolutions of ``CONV_SHAPES`` on the
    backends whose kernels differ from torch's matmul and that prepare in a second (eager
    oneDNN, ONNX Runtime's MLAS where installed): a backend must not beat the peak its bound
    assumes. A backend that is not installed maps to None."""
    import torch

    from .backends import BackendError
    from .backends import prepare

    kernels = {}
    for n in MATMUL_SIZES[quick]:
        a, b, out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        kernels[f"matmul {n}"] = (lambda a=a, b=b, out=out: torch.mm(a, b, out=out), 2 * n**3)
    for backend in ("eager", "onnxruntime"):
        for channels, size in CONV_SHAPES[quick]:
            conv = torch.nn.Conv2d(channels, channels, 1, bias=False).eval()
            x = torch.randn(1, channels, size, size)
            name = f"conv1x1 {channels}x{size}x{size} ({backend})"
            try:
                kernels[name] = (prepare(conv, x, backend, threads), 2 * channels**2 * size**2)
            except BackendError:
                kernels[name] = None  # onnxruntime not installed: its kernels are unused too
    return kernels


def _peaks(
    threads: int, quick: bool, run_time: float, step: Callable[[str], None]
) -> dict[str, float]:
    """GFLOP/s of each compute kernel (``_peak_kernels``): its best of ``PEAK_ROUNDS`` rounds,
    the kernels timed round-robin within each round for ``run_time / rounds`` apiece."""
    import torch

    kernels = _peak_kernels(threads, quick)
    rounds = PEAK_ROUNDS[quick]
    peaks: dict[str, float] = {}
    for _ in range(rounds):
        for name, kernel in kernels.items():
            if kernel is None:
                step(f"{name}: not installed")
                continue
            fn, flops = kernel
            with torch.inference_mode():
                gflops = flops / _timeit(fn, run_time / rounds, threads) / 1e9
            peaks[name] = max(gflops, peaks.get(name, 0.0))
            step(name)
    return peaks


def _bandwidth_for(nbytes: int, calib: dict) -> float:
    """GB/s a layer moving ``nbytes`` can at best get: the highest rate measured for any working
    set at least as large as the largest calibrated size not above ``nbytes``."""
    sizes = sorted((int(k), v) for k, v in calib["bandwidth_gbs"].items())
    floor = max([s for s, _ in sizes if s <= nbytes], default=sizes[0][0])
    return max(g for s, g in sizes if s >= floor)


def traffic_for(backend: str) -> str:
    """Which traffic of the cost model bounds ``backend``: "eager" (op by op) or "fused"."""
    from .backends import check_backend_name

    return TRAFFIC_BY_BACKEND[check_backend_name(backend)]


def layer_bounds(
    spec: NetworkSpec, calib: dict, batch_size: int = 1, traffic: str = "eager"
) -> list[dict]:
    """Per layer: FLOPs, bytes, compute bound, memory bound and their max (seconds).

    ``traffic`` is "eager" (every op reads and writes its tensors) or "fused" (see
    ``traffic_for``)."""
    if traffic not in ("eager", "fused"):
        raise ValueError(f"traffic: {traffic!r} is not 'eager' or 'fused'")
    rows = []
    view = "eager" if traffic == "eager" else "fused_runtime"  # the cost model's views
    peak = calib["peak_gflops"] * 1e9
    for placed in build_plan(spec).layers():
        flops = 2 * layer_cost(placed.layer).macs * batch_size
        nbytes = layer_traffic_bytes(placed.layer, view, batch_size)
        bw = _bandwidth_for(nbytes, calib) * 1e9
        compute_s, memory_s = flops / peak, nbytes / bw
        rows.append(
            {
                "layer": placed.path,
                "kind": placed.layer.kind,
                "flops": flops,
                "bytes": nbytes,
                "compute_s": compute_s,
                "memory_s": memory_s,
                "bound_s": max(compute_s, memory_s),
            }
        )
    return rows


def network_bound(
    spec: NetworkSpec, calib: dict, batch_size: int = 1, traffic: str = "eager"
) -> dict:
    """The network's lower bound (ms) and how much of it is compute- or memory-bound."""
    rows = layer_bounds(spec, calib, batch_size, traffic)
    bound = sum(r["bound_s"] for r in rows)
    memory_bound = sum(r["bound_s"] for r in rows if r["memory_s"] >= r["compute_s"])
    return {
        "name": spec.name,
        "bound_ms": bound * 1e3,
        "compute_ms": sum(r["compute_s"] for r in rows) * 1e3,
        "memory_ms": sum(r["memory_s"] for r in rows) * 1e3,
        "memory_bound_share": memory_bound / bound if bound else 0.0,
        "flops": sum(r["flops"] for r in rows),
        "bytes": sum(r["bytes"] for r in rows),
    }


def bound_vs_measured(
    specs: Sequence[NetworkSpec],
    calib: dict,
    backends: Sequence[str] = ("eager",),
    protocol: Protocol | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict], list[str]]:
    """One row per backend and network: ``network_bound`` with that backend's traffic beside
    the latency measured on it (``measurement.measure_specs``: ``latency_ms``,
    ``latency_spread_ms``, ``latency_noisy``, ``latency_error``), and bound / measured as
    ``efficiency``. Returns the rows and their footer (calibration, bound rule, protocol,
    networks a backend could not run)."""
    from .measurement import measure_specs

    protocol = protocol or Protocol()
    measured = measure_specs(specs, backends, protocol, progress)
    rows = []
    for backend in measured.backends:
        traffic = traffic_for(backend)
        for spec, fields in zip(specs, measured.fields):
            b = network_bound(spec, calib, traffic=traffic)
            ms = fields[f"latency_ms_{backend}"]
            rows.append(
                {
                    **b,
                    "backend": backend,
                    "traffic": traffic,
                    "latency_ms": ms,
                    "latency_spread_ms": fields[f"latency_spread_ms_{backend}"],
                    "latency_noisy": fields[f"latency_noisy_{backend}"],
                    "latency_error": fields[f"latency_error_{backend}"],
                    "efficiency": b["bound_ms"] / ms if ms else None,
                }
            )
    footer = [calibration_note(calib, protocol.threads), BOUND_NOTE, *measured.footer()]
    return rows, footer


def layer_efficiency(
    spec: NetworkSpec, calib: dict, threads: int = 1, runs: int = 10
) -> list[dict]:
    """Per layer with multiply-adds (convs, FC), eager: its bound from ``layer_bounds``, its
    time from ``breakdown.op_breakdown`` (torch.profiler's self CPU time inside the module,
    which includes a few microseconds of profiler overhead per op) and bound / profiled."""
    from .breakdown import op_breakdown

    profiled = {
        r["layer"]: r["ms"] for r in op_breakdown(spec, threads=threads, runs=runs)["by_layer"]
    }
    rows = []
    for r in layer_bounds(spec, calib):
        stage, _, leaf = r["layer"].partition(".")
        # a stage that is a single layer (fc, maxpool) is one module: plan "fc.fc" is module "fc"
        ms = profiled.get(r["layer"], profiled.get(stage) if stage == leaf else None)
        if r["flops"] <= 0 or ms is None:
            continue
        rows.append(
            {
                "name": spec.name,
                "layer": r["layer"],
                "kind": r["kind"],
                "flops": r["flops"],
                "bytes": r["bytes"],
                "bound_ms": r["bound_s"] * 1e3,
                "compute_ms": r["compute_s"] * 1e3,
                "memory_ms": r["memory_s"] * 1e3,
                "profiled_ms": ms,
                "gflops": r["flops"] / (ms / 1e3) / 1e9 if ms else None,
                "efficiency": r["bound_s"] * 1e3 / ms if ms else None,
            }
        )
    return rows


def op_kind_points(spec: NetworkSpec, calib: dict, threads: int = 1) -> list[dict]:
    """One roofline point per op kind that does multiply-adds (eager): the kind's FLOPs and
    eager traffic from the cost model, its time from ``breakdown.op_breakdown`` (torch.profiler,
    which adds a few microseconds per op), and the sum of its layers' bounds."""
    from ..model.cost import analyze
    from .breakdown import op_breakdown

    cost = analyze(spec).by_kind().set_index("kind")
    bounds: dict[str, float] = {}
    for r in layer_bounds(spec, calib):
        bounds[r["kind"]] = bounds.get(r["kind"], 0.0) + r["bound_s"]
    points = []
    for r in op_breakdown(spec, threads=threads)["by_kind"]:
        macs = int(cost["macs"].get(r["kind"], 0))
        if macs <= 0 or r["ms"] <= 0:
            continue  # no FLOPs: no place on a FLOP/s axis
        points.append(
            {
                "name": spec.name,
                "kind": r["kind"],
                "label": r["label"],
                "flops": 2 * macs,
                "bytes": int(cost["memory_bytes_eager"][r["kind"]]),
                "profiled_ms": r["ms"],
                "bound_ms": bounds.get(r["kind"], 0.0) * 1e3,
            }
        )
    return points


BOUND_NOTE = (
    "Bound per layer = max(2 x MACs / peak, traffic bytes / bandwidth at the layer's working "
    "set), traffic eager for eager and channels_last, fused (BN folded; ReLU, shuffle and "
    "residual adds fused; concats in place) for torchscript, compile and onnxruntime; a low "
    "bound/measured share is time the hardware does not explain (op overhead, cache misses, "
    "kernels below peak)."
)
LAYER_NOTE = (
    "Profiled = torch.profiler's CPU time inside the layer's module (eager), which adds a few "
    "microseconds per op; bound = max(2 x MACs / peak, eager traffic / bandwidth at the "
    "layer's working set)."
)


def calibration_note(calib: dict, threads: int) -> str:
    """The calibration in one line: peak, bandwidth by working set, threads, cache folder."""
    bws = ", ".join(f"{int(k) >> 10} KiB {v:.0f}" for k, v in calib["bandwidth_gbs"].items())
    return (
        f"Calibration: peak {calib['peak_gflops']:.1f} GFLOP/s (best fp32 matmul or 1x1 conv "
        f"kernel), bandwidth GB/s by working set: {bws}; {threads} thread(s), cached in "
        f"{cache_dir()}."
    )


def roofline_by_layer(
    specs: Sequence[NetworkSpec], calib: dict, threads: int = 1
) -> tuple[list[dict], list[str]]:
    """``layer_efficiency`` rows of every network and their footer."""
    rows = [r for spec in specs for r in layer_efficiency(spec, calib, threads)]
    return rows, [calibration_note(calib, threads), LAYER_NOTE]
