"""Roofline: a lower bound on latency from the cost model and this machine's measured limits.

Calibration (once per machine, thread count and torch version; cached as JSON under
``$XDG_CACHE_HOME/shufflenet-cli`` or ``~/.cache/shufflenet-cli``):

* peak compute: GFLOP/s of a large fp32 matrix multiply at the thread count;
* bandwidth: GB/s of a tensor copy (read + write) at working-set sizes from cache to memory.

For every layer of the plan, the bound is ``max(FLOPs / peak, bytes / bandwidth)`` where FLOPs
= 2 x MACs and bytes = the layer's eager memory traffic, read at the bandwidth measured for the
smallest calibrated working set that holds it (a smaller set may be faster: taking the next size
up keeps the bound low). A network's bound is the sum over its layers. Measured / bound is how
far eager PyTorch is from what the hardware allows; a bound above a measurement would be a wrong
bound, and the tests check that it never is on the presets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .cost import dtype_bytes, layer_cost
from .plan import build_plan
from .spec import NetworkSpec

WORKING_SETS = (16 << 10, 128 << 10, 1 << 20, 8 << 20, 64 << 20)  # bytes moved per copy
QUICK_WORKING_SETS = (16 << 10, 1 << 20, 16 << 20)


def cache_dir() -> Path:
    """Where calibrations are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shufflenet-cli"


def _timeit(stmt_fn, min_run_time: float) -> float:
    from torch.utils.benchmark import Timer

    return Timer("f()", globals={"f": stmt_fn}).blocked_autorange(min_run_time=min_run_time).median


def calibrate(threads: int = 1, quick: bool = False, use_cache: bool = True) -> dict:
    """Peak GFLOP/s and bandwidth (GB/s) per working-set size at ``threads``; cached.

    ``quick`` uses a smaller matrix, fewer sizes and shorter timing (for tests); its result is
    cached under its own key.
    """
    import torch

    from .latency import cpu_model
    from .tables import write_atomic

    key = {"cpu": cpu_model(), "torch": torch.__version__, "threads": threads, "quick": quick}
    name = "roofline-" + "-".join(str(v).replace(" ", "_").replace("/", "_")
                                  for v in key.values()) + ".json"
    path = cache_dir() / name
    if use_cache and path.is_file():
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # a damaged cache is measured again
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    run_time = 0.05 if quick else 0.3
    try:
        n = 512 if quick else 1024
        a, b = torch.randn(n, n), torch.randn(n, n)
        out = torch.empty(n, n)
        t = _timeit(lambda: torch.mm(a, b, out=out), run_time)
        peak = 2 * n ** 3 / t / 1e9
        bandwidth = {}
        for size in (QUICK_WORKING_SETS if quick else WORKING_SETS):
            elems = max(1, size // 8)  # half read, half written, fp32
            src, dst = torch.randn(elems), torch.empty(elems)
            t = _timeit(lambda: dst.copy_(src), run_time)
            bandwidth[str(size)] = 2 * elems * 4 / t / 1e9
    finally:
        torch.set_num_threads(previous)
    result = {**key, "peak_gflops": peak, "bandwidth_gbs": bandwidth}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(result, indent=2))
    except OSError:
        pass  # no cache folder: still return the measurement
    return result


def _bandwidth_for(nbytes: int, calib: dict) -> float:
    sizes = sorted((int(k), v) for k, v in calib["bandwidth_gbs"].items())
    for size, gbs in sizes:
        if nbytes <= size:
            # the next size up, but never below a larger set's rate: caches only help
            return max(gbs, *(g for s, g in sizes if s >= size))
    return sizes[-1][1]


def layer_bounds(spec: NetworkSpec, calib: dict, batch_size: int = 1) -> list[dict]:
    """Per layer: FLOPs, bytes, compute bound, memory bound and their max (seconds)."""
    rows = []
    elem = dtype_bytes("fp32")
    peak = calib["peak_gflops"] * 1e9
    for placed in build_plan(spec).layers():
        c = layer_cost(placed.layer)
        flops = 2 * c.macs * batch_size
        nbytes = (c.act_eager * batch_size + c.weights_eager) * elem
        bw = _bandwidth_for(nbytes, calib) * 1e9
        compute_s, memory_s = flops / peak, nbytes / bw
        rows.append({"layer": placed.path, "kind": placed.layer.kind, "flops": flops,
                     "bytes": nbytes, "compute_s": compute_s, "memory_s": memory_s,
                     "bound_s": max(compute_s, memory_s)})
    return rows


def network_bound(spec: NetworkSpec, calib: dict, batch_size: int = 1) -> dict:
    """The network's lower bound (ms) and how much of it is compute- or memory-bound."""
    rows = layer_bounds(spec, calib, batch_size)
    bound = sum(r["bound_s"] for r in rows)
    memory_bound = sum(r["bound_s"] for r in rows if r["memory_s"] >= r["compute_s"])
    return {"name": spec.name, "bound_ms": bound * 1e3,
            "compute_ms": sum(r["compute_s"] for r in rows) * 1e3,
            "memory_ms": sum(r["memory_s"] for r in rows) * 1e3,
            "memory_bound_share": memory_bound / bound if bound else 0.0,
            "flops": sum(r["flops"] for r in rows), "bytes": sum(r["bytes"] for r in rows)}


def roofline_figure(points: list[dict], calib: dict):
    """Arithmetic intensity (FLOP/byte) vs attained GFLOP/s, one point per network, under the
    machine's roof (peak compute and the largest working set's bandwidth)."""
    import plotly.graph_objects as go

    peak = calib["peak_gflops"]
    bw = min(calib["bandwidth_gbs"].values())
    xs = [10 ** (k / 10) for k in range(-20, 31)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=[min(peak, bw * x) for x in xs], mode="lines",
                             name=f"roof ({peak:.0f} GFLOP/s, {bw:.0f} GB/s)",
                             line=dict(color="black")))
    fig.add_trace(go.Scatter(
        x=[p["flops"] / p["bytes"] for p in points],
        y=[p["flops"] / (p["measured_ms"] / 1e3) / 1e9 for p in points],
        mode="markers+text", text=[p["name"] for p in points], textposition="top center",
        name="networks (measured)", marker=dict(size=10)))
    fig.update_layout(title="Roofline: attained GFLOP/s vs arithmetic intensity",
                      xaxis=dict(type="log", title="arithmetic intensity (FLOP / byte, eager)"),
                      yaxis=dict(type="log", title="attained GFLOP/s (2 x MACs / latency)"),
                      template="plotly_white")
    return fig
