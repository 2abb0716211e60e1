"""Where the time goes: measured CPU time per op kind and per stage, from torch.profiler.

ShuffleNet V2's Fig. 2, made for this machine. Every module of the built network is wrapped
in a ``record_function`` range naming its plan op kind (1x1 conv, depthwise, BN, ...) and
its stage; ops that are not modules (ReLU, channel shuffle, add, concat, flatten) are
attributed by their aten name. Each profiler event's self time goes to the innermost range
that encloses it, so nothing is counted twice and the kinds add up to the profiled total.

Each profiled run is its own range too, so every time has a spread over the runs (the IQR of
the per-run times, as latency's) and the same noisy flag as ``profile``: a spread above
``NOISY_FRACTION`` of the median says the machine was busy, and the shares are less sure.

Profiling adds overhead per op (a few microseconds), which inflates many small ops more than
few large ones: read the shares, and compare with the unprofiled latency.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
from collections.abc import Sequence

from ..model.plan import KIND_LABELS
from ..model.spec import NetworkSpec

KIND_PREFIX = "kind::"
STAGE_PREFIX = "stage::"
RUN_PREFIX = "run::"
LAYER_SEP = "@"  # a module's range is "kind::<kind>@<module path>"

# aten ops outside any module, by the plan kind they belong to
ATEN_KINDS = {
    "aten::relu": "activation",
    "aten::relu_": "activation",
    "aten::add": "add_concat",
    "aten::add_": "add_concat",
    "aten::cat": "add_concat",
    "aten::view": "shuffle",
    "aten::transpose": "shuffle",
    "aten::permute": "shuffle",
    "aten::reshape": "shuffle",
    "aten::clone": "shuffle",
    "aten::copy_": "shuffle",
    "aten::contiguous": "shuffle",
    "aten::_unsafe_view": "shuffle",
    "aten::empty_like": "shuffle",
    "aten::flatten": "pooling",
}


def _module_kind(module) -> str | None:
    from torch import nn

    if isinstance(module, nn.Conv2d):
        if module.kernel_size == (1, 1):
            return "conv1x1"
        if module.groups == module.in_channels == module.out_channels:
            return "depthwise"
        return "dense_conv"
    if isinstance(module, nn.BatchNorm2d):
        return "bn"
    if isinstance(module, nn.Linear):
        return "fc"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)) or type(module).__name__ == "GlobalPool":
        return "pooling"
    if isinstance(module, nn.ReLU):
        return "activation"
    return None


def _instrument(model) -> list:
    """Wrap leaf modules in kind ranges and stages in stage ranges; return the hook handles."""
    from torch.autograd.profiler import record_function

    handles = []

    def wrap(module, label: str) -> None:
        stack: list = []

        def pre(_m, _inp):
            rf = record_function(label)
            rf.__enter__()
            stack.append(rf)

        def post(_m, _inp, _out):
            stack.pop().__exit__(None, None, None)

        handles.append(module.register_forward_pre_hook(pre))
        # prepend: a module that is both a stage and a leaf (maxpool, globalpool, fc) must close
        # its kind range before its stage range, or the profiler cannot nest them
        handles.append(module.register_forward_hook(post, prepend=True))

    for name, child in model.named_children():
        wrap(child, STAGE_PREFIX + name)
    for name, module in model.named_modules():
        kind = _module_kind(module)
        if kind is not None:
            wrap(module, f"{KIND_PREFIX}{kind}{LAYER_SEP}{name}")
    return handles


def _attribute(event) -> tuple[str, str, str | None, int]:
    """(kind, stage, layer, run) of a profiler event: the innermost module range's kind and
    module path, else its outermost aten op's kind and no layer; the run range it is in."""
    kind = stage = layer = None
    run = 0
    outer_aten = event.name
    e = event
    while e is not None:
        name = e.name
        if kind is None and name.startswith(KIND_PREFIX):
            kind, _, layer = name[len(KIND_PREFIX) :].partition(LAYER_SEP)
        elif stage is None and name.startswith(STAGE_PREFIX):
            stage = name[len(STAGE_PREFIX) :]
        elif name.startswith(RUN_PREFIX):
            run = int(name[len(RUN_PREFIX) :])
        elif name.startswith("aten::") and kind is None:
            outer_aten = name
        e = e.cpu_parent
    if kind is None:
        kind = ATEN_KINDS.get(outer_aten, "other")
    return kind, stage or "other", layer or None, run


def spread(per_run_ms: Sequence[float]) -> tuple[float, bool]:
    """(IQR, noisy) of per-run times: noisy when the IQR exceeds ``NOISY_FRACTION`` of the
    median, the rule ``profile`` flags latency with."""
    from .latency import NOISY_FRACTION

    if len(per_run_ms) < 2:
        return 0.0, False
    q = statistics.quantiles(per_run_ms, n=4, method="inclusive")
    iqr = q[2] - q[0]
    return iqr, iqr > NOISY_FRACTION * statistics.median(per_run_ms)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Mute file descriptor 2 while the profiler runs: kineto prints 'profiler_start/stop'
    lines from C++ that no setting turns off, and they would break the CLI's output."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def op_breakdown(
    spec: NetworkSpec, *, threads: int = 1, runs: int = 10, warmup: int = 3, batch_size: int = 1
) -> dict:
    """Measured CPU time of one forward pass by op kind and by stage (torch.profiler).

    Returns ``{"name", "runs", "total_ms", "total_spread_ms", "noisy", "by_kind": [{kind,
    label, ms, spread_ms, noisy, share}], "by_stage": [{stage, ...}], "by_layer": [{layer,
    kind, ...}]}``, times per forward pass (the mean over ``runs``), each with its spread over
    the runs (IQR) and noisy flag (``spread``); ``by_layer`` has the network's modules (convs,
    BN, pooling, FC, ReLU modules) by module path, which for convs and FC is the plan's layer
    path.

    >>> r = op_breakdown(shufflenet_spec(3, 0.5), runs=5)  # doctest: +SKIP
    >>> r["total_ms"], r["total_spread_ms"], r["noisy"]  # doctest: +SKIP
    """
    import torch
    from torch.autograd.profiler import record_function
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile

    from ..model.nn import build_model
    from ..model.nn import example_input
    from .latency import keep_freed_memory

    keep_freed_memory()  # the allocator latency is measured under
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = build_model(spec, batch_size).eval()
        x = example_input(spec, batch_size)
        with torch.inference_mode():
            for _ in range(warmup):
                model(x)
            handles = _instrument(model)
            try:
                with _native_stderr_silenced(), profile(activities=[ProfilerActivity.CPU]) as prof:
                    for i in range(runs):
                        with record_function(f"{RUN_PREFIX}{i}"):
                            model(x)
            finally:
                for h in handles:
                    h.remove()
    finally:
        torch.set_num_threads(previous)
    # microseconds per (group, run): group is a kind, a stage or a (layer, kind)
    by_kind: dict[str, list[float]] = {}
    by_stage: dict[str, list[float]] = {}
    by_layer: dict[tuple[str, str], list[float]] = {}
    totals = [0.0] * runs
    for event in prof.events():
        self_us = event.self_cpu_time_total
        if self_us <= 0 or event.name.startswith((KIND_PREFIX, STAGE_PREFIX, RUN_PREFIX)):
            continue  # a range's own self time is the profiler's overhead, not the network's
        kind, stage, layer, run = _attribute(event)
        by_kind.setdefault(kind, [0.0] * runs)[run] += self_us
        by_stage.setdefault(stage, [0.0] * runs)[run] += self_us
        totals[run] += self_us
        if layer is not None:
            by_layer.setdefault((layer, kind), [0.0] * runs)[run] += self_us
    total = sum(totals)

    def timed(per_run_us: list[float]) -> dict:
        per_run_ms = [us / 1e3 for us in per_run_us]
        iqr, noisy = spread(per_run_ms)
        return {
            "ms": sum(per_run_ms) / runs,
            "spread_ms": iqr,
            "noisy": noisy,
            "share": sum(per_run_us) / total,
        }

    order = list(KIND_LABELS) + ["other"]
    kinds = [
        {"kind": k, "label": KIND_LABELS.get(k, "other (framework)"), **timed(by_kind[k])}
        for k in order
        if k in by_kind
    ]
    stage_order = [n for n, _ in model.named_children()] + ["other"]
    stages = [{"stage": s, **timed(by_stage[s])} for s in stage_order if s in by_stage]
    layers = [{"layer": name, "kind": kind, **timed(us)} for (name, kind), us in by_layer.items()]
    whole = timed(totals)
    return {
        "name": spec.name,
        "runs": runs,
        "threads": threads,
        "total_ms": whole["ms"],
        "total_spread_ms": whole["spread_ms"],
        "noisy": whole["noisy"],
        "per_run_ms": [us / 1e3 for us in totals],
        "by_kind": kinds,
        "by_stage": stages,
        "by_layer": layers,
    }


def breakdown_rows(results: Sequence[dict]) -> list[dict]:
    """Flat rows (network, kind, label, ms, share) for tables and CSV."""
    return [{"network": r["name"], **k} for r in results for k in r["by_kind"]]


def breakdown_table(
    spec: NetworkSpec, by: str = "kind", threads: int = 1, runs: int = 10
) -> tuple[list[dict], list[str]]:
    """``op_breakdown`` rows grouped ``by`` kind, stage or layer, and the footer. By kind and
    by stage, each row also has its share of the multiply-adds and eager memory traffic
    (``macs_share``, ``memory_share``: the cost model's ``Analysis.with_cost_shares``). Every
    row has its time's spread over the runs and noisy flag (``spread_ms``, ``noisy``) and the
    network's (``total_ms``, ``total_spread_ms``, ``total_noisy``)."""
    from ..model.cost import analyze

    result = op_breakdown(spec, threads=threads, runs=runs)
    rows = result[f"by_{by}"]
    if by in ("kind", "stage"):
        rows = analyze(spec).with_cost_shares(rows, by)
    from .latency import NOISY_FRACTION

    footer = [
        f"{spec.name}: {result['total_ms']:.2f} ± {result['total_spread_ms']:.2f} ms per "
        "forward pass under torch.profiler"
        + (" !" if result["noisy"] else "")
        + f" (mean ± IQR over {runs} runs, {threads} thread(s), eager); the profiler adds a "
        "few microseconds per op, which inflates cheap ops.",
        f"'!' = noisy (IQR over the runs > {NOISY_FRACTION:.0%} of their median, as in "
        "profile): the machine was busy, the shares are less sure; run again, or with more "
        "--runs.",
    ]
    total = {k: result[k] for k in ("total_ms", "total_spread_ms")}
    rows = [{**r, **total, "total_noisy": result["noisy"]} for r in rows]
    return rows, footer
