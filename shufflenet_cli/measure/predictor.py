"""Latency predictor: kernels calibrated once per machine, summed over the layer plan.

The idea is nn-Meter's (Zhang et al., MobiSys 2021): a network's latency on one backend is close
to the sum of the latencies of the kernels it runs, plus a per-network overhead. Here a kernel is
one of the plan's units (the stem conv + BN + ReLU, the max pool, one ShuffleNet unit, one
depthwise-separable block, the global pool, the FC), keyed by everything that sets its cost:
kind, channels in / out / bottleneck, input size, stride, groups of both 1x1 convs, shuffle.

Why units and not single ops: a unit is what both backends execute as one stretch of work.
ONNX Runtime fuses conv + BN + ReLU and the residual add into its convs and keeps a blocked
(NCHWc) layout inside a unit, so its kernels are not the plan's ops; eager PyTorch runs the
ops one by one, but timing them inside their unit keeps each op's input where the previous op
left it (in cache), as in the network.

Calibration (``calibrate``) times every kernel of a space alone, with the protocol's
interleaving and its redo of windows under other processes' load: warm-up, then ``rounds``
rounds over all kernels in a new order each, one window each timed in blocks of about 2 ms;
a kernel's time is the lower quartile of its windows' fastest blocks (``quiet_time``: other
tenants of a shared host add time in stretches, and now and then take some away), less the
backend's empty call where a unit inside a network does not pay one (ONNX Runtime's session
call). Eager kernels are the project's own unit modules; ONNX
Runtime kernels are the unit's ONNX graph (built from the plan, the node types torch's
exporter writes), run through I/O binding. In the same rounds, calibration networks are
timed whole and the per-network terms are fitted (relative least squares):

    latency = kernels * sum(repeat * kernel) + layout * conversion elements saved
              + streamed * weight bytes beyond a fitted cache size + network

``kernels`` is what cache state and call overhead change at the scale of a network.
``layout`` (ONNX Runtime only, always fitted, never positive): a unit's graph timed alone
converts between the plain and the blocked (NCHWc) layout where the same unit inside a
network mostly does not; the elements so saved are counted in the graphs ONNX Runtime runs
(``layout_saved``: every unit's graph alone, less the network's). ``streamed``: a kernel
timed alone finds its weights in cache; inside a network whose weights do not fit in cache,
units read them from farther away on each run (on one test host, wide ShuffleNets at low
resolution with 33-40 MB of weights ran 13-27% above their kernel sum; networks under its
32 MB last-level cache did not). The feature is the weight bytes beyond a cache size that
the fit chooses (``STREAMED_OVER``, up to the last-level cache): the cache a core can count
on is not always the one the CPU reports. On another host, which reports a 480 MB shared
last-level cache, 2x-wide networks ran 11-24% above their eager prediction without the term,
and the fit chose 8 MB. ``network``: a fixed cost per run. Whether ``streamed`` (and at
which size) and ``network`` are added is chosen by leave-one-out error over the calibration
networks, and they must come out non-negative, so a term the data do not support is left out. A
term per unit call was tried and dropped: on the same calibrations it fitted the calibration
networks' noise and made the held-out networks' error worse. The layout term was first a share
of every unit's edge elements; counting the conversions instead took ONNX Runtime from 76-86%
to 88-96% of held-out networks within 10% on the stored runs (benchmarks/README.md).

Kernels a network needs that were not calibrated are measured on demand and added to the cache
(``Predictor.ensure``); where measuring is not wanted (search screening), a regression over the
unit's op features (multiply-adds by conv kind, activation and weight elements, op count),
fitted on the calibrated kernels, estimates them. Screening's prediction (``plan_ms``) is a
closed-form sum of cached values over the plan's blocks, with the layout conversions estimated
from the units' edges; a network predicted alone (``network_ms``: ``predict_latency``,
``profile --predict``, ``calibrate --validate``) has its conversions counted.

The cache is one JSON file per machine, backend, thread count and library versions, in the
user's cache folder (``$XDG_CACHE_HOME/shufflenet-cli/latency``) or ``cache_dir``. A file whose
fingerprint differs in any field is never used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import NamedTuple

from ..errors import UserError
from ..files import write_atomic
from ..model.cost import layer_cost
from ..model.cost import plan_cost
from ..model.cost import unit_cost
from ..model.plan import Plan
from ..model.plan import Unit
from ..model.plan import build_plan
from ..model.plan import unit_layers
from ..model.spec import NetworkSpec
from .environment import cpu_model
from .environment import last_level_cache_bytes
from .latency import CpuLoad
from .latency import keep_freed_memory
from .protocol import DEFAULT_WARMUP_TIME
from .protocol import DEFAULT_WINDOW_TIME
from .protocol import LOAD_THRESHOLD
from .protocol import MAX_REDO
from .unit_graphs import layout_conversions
from .unit_graphs import unit_input_shape
from .unit_graphs import unit_onnx

FORMAT = 8  # bump when the cache's meaning changes: older files are then stale
CALIBRATION_DRAWN = 10  # random networks among the calibration networks
CALIBRATION_SEED = "calibration"  # their seed (validation draws from integer seeds)
PREDICTABLE_BACKENDS = ("eager", "onnxruntime")
KERNEL_ROUNDS = 8
NETWORK_WINDOWS = 10  # windows per whole network (calibration and held-out alike)
MEASUREMENTS = 2  # measurements of each held-out network in ``validate``, windows alternating
KERNEL_WINDOW = 0.012  # seconds per kernel per round
# a kernel timed above this many times the regression's estimate is timed again (``retime_slow``)
RETIME_OVER = 2.0
KERNEL_WARMUP = 0.01
BLOCK_TIME = 0.002  # seconds per timed block of calls (``quiet_time``)
# ONNX Runtime kernels with more fp32 weight bytes than this are timed on copies in turn
# (``_onnxruntime_kernel``): half a typical per-core L2 cache
CYCLED_WEIGHT_BYTES = 256 << 10
WEIGHT_COPIES = 3
UNIT_KINDS = ("conv_bn_relu", "maxpool", "shufflenet_unit", "dw_separable", "globalpool", "fc")
FEATURES = (
    *(f"unit_{k}" for k in UNIT_KINDS),  # one per kernel call, by kind
    "ops",  # eager ops in the unit
    "act",  # activation elements read and written, every op its own pass
    "weights",  # weight elements
    "macs_pointwise",  # 1x1 convs with one group
    "macs_grouped",  # 1x1 group convs
    "macs_depthwise",
    "macs_dense",  # the stem's 3x3 conv
    "macs_fc",
    "group_pixels",  # groups x output pixels of the 1x1 group convs: per-group work
)

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------- kernels


def kernel_key(unit: Unit) -> str:
    """The cache key of a unit: kind and every field that sets its cost.

    Example::

        >>> from shufflenet_cli.model.plan import Unit
        >>> kernel_key(Unit("maxpool", 24, 24, (112, 112), 2))
        'maxpool:24:24:112x112:s2:g1:1:0:0'
    """
    h, w = unit.in_size
    return (
        f"{unit.kind}:{unit.in_channels}:{unit.out_channels}:{h}x{w}:s{unit.stride}:"
        f"g{unit.groups}:{unit.first_groups}:{unit.mid_channels}:{int(unit.shuffle)}"
    )


def unit_from_key(key: str) -> Unit:
    """The unit a ``kernel_key`` stands for."""
    kind, cin, cout, size, stride, groups, first, mid, shuffle = key.split(":")
    h, w = size.split("x")
    return Unit(
        kind,
        int(cin),
        int(cout),
        (int(h), int(w)),
        int(stride[1:]),
        int(groups[1:]),
        int(first),
        int(mid),
        bool(int(shuffle)),
    )


def kernel_features(unit: Unit) -> tuple[float, ...]:
    """The regression features of a unit (``FEATURES``), from the cost model's layers."""
    f = dict.fromkeys(FEATURES, 0.0)
    f[f"unit_{unit.kind}"] = 1.0
    for layer in unit_layers(unit):
        c = layer_cost(layer)
        f["ops"] += 1
        f["act"] += c.act_eager
        f["weights"] += c.weights_eager
        if layer.kind == "conv1x1":
            f["macs_grouped" if layer.groups > 1 else "macs_pointwise"] += c.macs
            if layer.groups > 1:
                f["group_pixels"] += layer.groups * layer.out_shape[1] * layer.out_shape[2]
        elif layer.kind == "depthwise":
            f["macs_depthwise"] += c.macs
        elif layer.kind == "dense_conv":
            f["macs_dense"] += c.macs
        elif layer.kind == "fc":
            f["macs_fc"] += c.macs
    return tuple(f[name] for name in FEATURES)


def plan_units(plans: Iterable[Plan]) -> list[Unit]:
    """The distinct units of some plans, in first-seen order."""
    seen: dict[Unit, None] = {}
    for plan in plans:
        for block in plan.blocks:
            seen.setdefault(block.unit, None)
    return list(seen)


def _eager_kernel(unit: Unit, threads: int) -> Callable[[], object]:
    import torch

    from ..model.nn import build_unit

    module = build_unit(unit).eval()
    x = torch.randn(unit_input_shape(unit), generator=torch.Generator().manual_seed(0))
    return lambda: module(x)


def _onnxruntime_kernel(unit: Unit, threads: int) -> Callable[[], object]:
    """One call of the unit's ONNX model per call; a unit whose weights exceed
    ``CYCLED_WEIGHT_BYTES`` has ``WEIGHT_COPIES`` copies (other weights, their own buffers)
    called in turn, so that, as inside a network, a call does not find its weights where its
    previous call left them. Timed alone on one copy, such units ran 10-30% faster than
    in turn, and their networks measured up to 1.23x the kernel sum (1.07x cycled)."""
    import numpy as np

    x = np.random.default_rng(0).standard_normal(unit_input_shape(unit), dtype=np.float32)
    copies = WEIGHT_COPIES if 4 * unit_cost(unit).weights_eager > CYCLED_WEIGHT_BYTES else 1
    calls = [_bound_session(unit_onnx(unit, seed), x, threads) for seed in range(copies)]
    if copies == 1:
        return calls[0]
    turn = itertools.cycle(calls)
    return lambda: next(turn)()


def _bound_session(model: bytes, x, threads: int, output: str = "y") -> Callable[[], object]:
    """A call of an ONNX model (input "x", one output named ``output``) on the CPU provider
    at ``threads``, its input and output bound once: no allocation or copy per call, the
    model alone."""
    import numpy as np

    try:
        import onnxruntime as ort
    except ImportError:
        raise UserError(
            "backend: onnxruntime is not installed (pip install 'shufflenet-cli[onnx]')"
        ) from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # as measure.backends does for whole networks
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"x": x})
    y = np.empty_like(out)
    binding = session.io_binding()
    binding.bind_cpu_input("x", x)
    binding.bind_output(output, "cpu", 0, np.float32, y.shape, y.ctypes.data)

    def run(x=x, y=y):  # x and y stay alive as long as the call: ORT reads and writes them
        session.run_with_iobinding(binding)

    return run


_KERNELS = {"eager": _eager_kernel, "onnxruntime": _onnxruntime_kernel}


def _onnxruntime_empty_call(threads: int) -> Callable[[], object]:
    """One ONNX Runtime session call that does no work (Identity on one element), bound as
    the kernels are: what every kernel timed alone pays and a unit inside a network does
    not (the network pays it once)."""
    import numpy as np
    from onnx import TensorProto
    from onnx import helper

    x_info, y_info = (helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 1]) for n in "xy")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "call", [x_info], [y_info]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _bound_session(model.SerializeToString(), np.zeros((1, 1), dtype=np.float32), threads)


# A backend's empty call, timed beside its kernels and taken off each (eager has none worth
# it: a unit module is called the same way alone and inside the network's Sequential).
_EMPTY_CALLS = {"onnxruntime": _onnxruntime_empty_call}
CALL_KEY = ("call",)  # the empty call's key among the timers


def time_kernels(
    units: Sequence[Unit],
    backend: str,
    threads: int = 1,
    *,
    rounds: int = KERNEL_ROUNDS,
    window: float = KERNEL_WINDOW,
    progress: Progress | None = None,
    networks: Sequence[NetworkSpec] = (),
    network_rounds: int | None = NETWORK_WINDOWS,
    same_order: int = 1,
) -> tuple[dict[str, float], dict[str, list[Window]]]:
    """Seconds per call of each unit run alone on ``backend``, and of each of ``networks``.

    Returns ``({kernel_key: seconds}, {network name: [Window per window]})``. The
    protocol, in small: threads set, allocator steady, warm-up, then rounds over all kernels
    and networks together (so drift and other processes' load hit kernels and the networks
    they are compared with alike), each window blocks of ``BLOCK_TIME`` (``window`` seconds
    for a kernel, the protocol's window for a network); a window under other processes' load
    is redone up to ``MAX_REDO`` times. A kernel's time is the lower quartile of its
    ``rounds`` windows' fastest blocks (``quiet_time``); with ``network_rounds`` > ``rounds`` the
    networks get that many windows and the kernels' rounds are spread among them. Where the
    backend has a per-call cost a unit inside a network does not pay (ONNX Runtime's session
    call: ``_EMPTY_CALLS``), an empty call is timed in the kernels' rounds and its time taken
    off every kernel's.

    The keys are timed in a new random order (seeded, so reproducible) every ``same_order``
    rounds. In the order they come (a network's kernels side by side), one loud stretch of
    the host erred neighbouring kernels alike (two runs' kernel errors correlated 0.39
    between neighbours), so a network's kernel sum did not average its kernels' errors; and
    when consecutive rounds make different measurements of one network, each sees the same
    neighbours. ``progress`` is called once per kernel or network prepared and once per
    window.
    """
    import torch

    from ..model.nn import build_model
    from ..model.nn import example_input
    from .backends import BackendError
    from .backends import prepare
    from .runner import blocked_autorange
    from .runner import short_block
    from .runner import timed_blocks

    make = _KERNELS[backend]
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    keep_freed_memory()
    try:
        timers = {}  # key -> (callable, calls per block, fixed after the warm-up)
        with torch.inference_mode():
            for unit in units:
                fn = make(unit, threads)
                blocked_autorange(fn, KERNEL_WARMUP)
                timers[kernel_key(unit)] = (fn, short_block(fn, BLOCK_TIME))
                if progress:
                    progress(f"prepare {unit.kind}")
            if units and backend in _EMPTY_CALLS:
                fn = _EMPTY_CALLS[backend](threads)
                blocked_autorange(fn, KERNEL_WARMUP)
                timers[CALL_KEY] = (fn, short_block(fn, BLOCK_TIME))
                if progress:
                    progress("prepare the empty call")
            for spec in networks:
                try:
                    fn = prepare(build_model(spec).eval(), example_input(spec), backend, threads)
                except BackendError:
                    fn = None  # the backend cannot run it: no time, not in the fit
                if fn is not None:
                    blocked_autorange(fn, DEFAULT_WARMUP_TIME)
                    timers[("network", spec.name)] = (fn, short_block(fn, BLOCK_TIME))
                if progress:
                    progress(f"prepare {spec.name}")
            samples: dict = {k: [] for k in timers}
            keys = list(timers)
            total_rounds = max(rounds, network_rounds or rounds)
            # kernels' rounds spread over the networks' rounds, so both see the same drift
            kernel_rounds = {
                round(i * (total_rounds - 1) / max(rounds - 1, 1)) for i in range(rounds)
            }
            for r in range(total_rounds):
                # a new order each round: the kernels of one network are not timed side by
                # side, so a loud stretch of the host does not err them all alike
                order = random.Random(r // same_order).sample(keys, len(keys))
                for key in order:
                    network = isinstance(key, tuple) and key != CALL_KEY
                    if not network and r not in kernel_rounds:
                        continue
                    length = DEFAULT_WINDOW_TIME if network else window
                    fn, number = timers[key]
                    for _attempt in range(MAX_REDO + 1):
                        before = CpuLoad.sample()
                        blocks = timed_blocks(fn, length, number)
                        if before.other_cores_busy() <= LOAD_THRESHOLD:
                            break
                    samples[key].append(Window(min(blocks), statistics.median(blocks)))
                    if progress:
                        progress(f"round {r + 1}/{total_rounds}")
    finally:
        torch.set_num_threads(previous)
    call = quiet_time(samples.pop(CALL_KEY)) if CALL_KEY in samples else 0.0
    # a kernel is never taken below a tenth of its time: the empty call is a few us, so only
    # a mismeasured window could bring a kernel near it, and a zero would hide the unit
    kernels = {
        k: max(quiet_time(v) - call, 0.1 * quiet_time(v))
        for k, v in samples.items()
        if isinstance(k, str)
    }
    whole = {k[1]: v for k, v in samples.items() if isinstance(k, tuple)}
    return kernels, whole


class Window(NamedTuple):
    """One window of a kernel or network: seconds per call of its fastest block of calls and
    the median of its blocks."""

    fastest: float
    median: float


def quiet_time(windows: Sequence[Window]) -> float:
    """The time of the quiet stretches: each window's fastest block of ``BLOCK_TIME``, then
    the lower quartile of those over the windows (``statistics.quantiles``, inclusive; one
    window: its fastest block).

    Kernels, calibration networks and held-out networks are all reduced by it. Other
    tenants of a shared host come and go in stretches that the load check cannot see (they
    run outside this VM), and they move a time both ways:

    - They add time in loud stretches of tens of milliseconds to seconds: a fixed loop on
      one test host ran 5.0 ms in one stretch and 9.0 ms in the next. The median of windows
      moves with them; a window's fastest 2-ms block much less.
    - Now and then one window runs 10-20% faster than every other (a moment when the
      neighbours sharing the cache and the clock budget are idle): on another host a
      network's fastest call in each 0.5-s stretch stayed 1.11-1.24x its fastest call of all
      for 40 s. The fastest block over all windows lands on those moments: there, two
      measurements of one network reduced by it differed by up to 33%.

    The lower quartile of the windows' fastest blocks stands loud stretches in more than half
    of the windows and fast moments in up to a quarter of them. Over 8 sets of 10 rounds of six
    networks (``benchmarks/bench_quiet_estimator.py``), on the second host it varied by
    0.7% (onnxruntime) and 0.9% (eager), standard deviation of the log, median over the
    networks, at most 1.4% for one network; the fastest block of all windows by 1.2% and
    2.1%, up to 11.7%. On the first, the fastest 2-ms block varied by 1.5-2.2%, the median
    of windows by 8.0%. The predictor is fitted to, and predicts, the latency of an
    undisturbed run.
    """
    fastest = [w.fastest for w in windows]
    if len(fastest) < 2:
        return min(fastest)
    return statistics.quantiles(fastest, n=4, method="inclusive")[0]


def _steps(kernels: int, networks: int, backend: str, windows: int = NETWORK_WINDOWS) -> int:
    """Progress steps of ``time_kernels`` (at its default kernel rounds, ``windows`` per
    network): one per kernel, empty call or network prepared, one per window."""
    if kernels and backend in _EMPTY_CALLS:
        kernels += 1
    return kernels * (KERNEL_ROUNDS + 1) + networks * (windows + 1)


# ----------------------------------------------------------------------------- fitting


def _lstsq_relative(rows: Sequence[Sequence[float]], targets: Sequence[float]) -> list[float]:
    """Non-negative coefficients minimising the squared relative error (greedy active set).

    Solve least squares on the rows divided by their targets; while a coefficient is
    negative, drop the most negative feature and solve again.
    """
    import numpy as np

    x = np.asarray(rows, dtype=float) / np.asarray(targets, dtype=float)[:, None]
    y = np.ones(len(targets))
    # columns are scaled to unit norm, so features in elements and in MACs weigh alike
    norms = np.linalg.norm(x, axis=0)
    active = [j for j in range(x.shape[1]) if norms[j] > 0]
    coef = np.zeros(x.shape[1])
    while active:
        sol, *_ = np.linalg.lstsq(x[:, active] / norms[active], y, rcond=None)
        sol = sol / norms[active]
        if (sol >= 0).all():
            coef[active] = sol
            break
        active.pop(int(np.argmin(sol)))
    return [float(c) for c in coef]


def fit_kernel_model(kernels: dict[str, float]) -> list[float]:
    """Coefficients (seconds per feature) of the regression for uncalibrated kernels."""
    keys = list(kernels)
    return _lstsq_relative(
        [kernel_features(unit_from_key(k)) for k in keys], [kernels[k] for k in keys]
    )


def regression_s(model: Sequence[float], unit: Unit) -> float:
    """The regression's estimate of a unit's kernel time (s): ``model`` (``fit_kernel_model``)
    applied to its ``kernel_features``."""
    return sum(c * f for c, f in zip(model, kernel_features(unit)))


def retime_slow(
    kernels: dict[str, float],
    units: Sequence[Unit],
    model: Sequence[float],
    backend: str,
    threads: int = 1,
) -> dict[str, float]:
    """``kernels`` with those of ``units`` timed above ``RETIME_OVER`` times the regression's
    estimate timed again (new preparations, the same protocol), the lower time kept.

    A calibration on a shared host once timed a handful of kernels (with several MB of
    weights) at 2-11x what the same kernels took in the runs before and after, while the
    networks in the same rounds were as usual; the kernels' own windows could not show it
    (every one was slow), and each sent the held-out networks using it 10-260% high. A
    kernel's time is far from the regression's estimate only for 1-5% of kernels otherwise
    (95th percentile of the ratio about 2), so timing those again costs a few seconds.
    """
    if not any(model):  # no regression (too few kernels to fit one): nothing to compare with
        return kernels
    slow = [
        u
        for u in dict.fromkeys(units)
        if kernel_key(u) in kernels
        and kernels[kernel_key(u)] > RETIME_OVER * regression_s(model, u)
    ]
    if not slow:
        return kernels
    again, _ = time_kernels(slow, backend, threads)
    return {**kernels, **{k: min(kernels[k], t) for k, t in again.items()}}


NETWORK_TERMS = ("kernels", "streamed", "layout", "network")
SCALE_ONLY = ("kernels",)  # the fit of last resort, and eager's base
# the terms every fit of a backend has: ONNX Runtime's unit graphs alone convert between
# layouts where the network does not (``layout_saved``); eager has no such conversions
BASE_TERMS = {"onnxruntime": ("kernels", "layout")}
# what the fit may add to them, kept where the leave-one-out error says so
TERM_CHOICES = ((), ("streamed",), ("network",), ("streamed", "network"))
# the sign a fitted term must have: a network cannot run faster for streaming its weights,
# nor have a negative fixed cost, nor pay for the layout conversions it does not do
TERM_SIGNS = {"streamed": 1, "network": 1, "layout": -1}
# the cache sizes (bytes) the fit tries for ``streamed``: 512 KiB to 256 MiB, doubling
STREAMED_OVER = tuple((512 << 10) << k for k in range(10))


def unit_edges(unit: Unit) -> float:
    """Elements a unit reads and writes at its boundaries (input + output activations).

    Where a network's own conversions are not counted (search screening, ``plan_ms``), the
    layout conversions its units alone do and it does not are estimated as the calibration's
    ``layout_share`` of these.
    """
    h, w = unit.out_size
    if unit.kind == "fc":
        return float(unit.in_channels + unit.out_channels)
    return float(unit.in_channels * unit.in_size[0] * unit.in_size[1] + unit.out_channels * h * w)


def plan_chain(plan: Plan) -> list[Unit]:
    """The plan's units in the order a run calls them (each block's unit ``repeat`` times)."""
    return [b.unit for b in plan.blocks for _ in range(b.repeat)]


def layout_saved(plan: Plan, alone: dict[str, int], threads: int = 1) -> float:
    """Elements of layout conversion (NCHW <-> NCHWc) the plan's units do when timed alone on
    ONNX Runtime and do not do inside the network: the sum over its unit calls of each
    unit graph's conversions (``alone``, by kernel key, filled in where missing) less those
    of the whole chain (``unit_graphs.layout_conversions``; no timing).

    On the test host a network did 0-100% of its units' conversions (every MobileNet none,
    ShuffleNets whose 1x1 group convs are not blocked nearly all), which a per-element
    share of the units' edges could not tell apart.
    """
    chain = plan_chain(plan)
    total = 0
    for unit in chain:
        key = kernel_key(unit)
        if key not in alone:
            alone[key] = layout_conversions([unit], threads)
        total += alone[key]
    return float(total - layout_conversions(chain, threads))


def network_features(
    kernel_s: Callable[[Unit], float],
    plan: Plan,
    streamed_over: float | None = None,
    layout: float = 0.0,
) -> dict[str, float]:
    """The per-network fit's features of a plan: kernel-time sum (s, ``kernel_s`` of each
    unit call), weight bytes beyond ``streamed_over`` (``streamed_bytes``), layout
    conversion elements its units alone do and it does not (``layout``, from
    ``layout_saved``; 0 where the backend has none) and 1."""
    return {
        "kernels": sum(kernel_s(b.unit) * b.repeat for b in plan.blocks),
        "streamed": streamed_bytes(plan, streamed_over),
        "layout": layout,
        "network": 1.0,
    }


def network_seconds(terms: dict[str, float], features: dict[str, float]) -> float:
    """The fitted terms applied to a network's features (``network_features``): seconds."""
    return sum(terms.get(t, 1.0 if t == "kernels" else 0.0) * features[t] for t in NETWORK_TERMS)


def streamed_bytes(plan: Plan, over: float | None) -> float:
    """fp32 weight bytes of one run of the plan beyond a cache of ``over`` bytes: what its
    units read from farther than that cache on each run (each unit's weights evicted by the
    others' since the last run); 0 where no cache size was fitted (``None``)."""
    if over is None:
        return 0.0
    return max(weight_bytes(plan) - over, 0.0)


def weight_bytes(plan: Plan) -> float:
    """fp32 bytes of the plan's weights (each repeated unit's its own)."""
    return 4.0 * plan_cost(plan).weights_eager


def streamed_over_choices(llc_bytes: int | None) -> list[float]:
    """The cache sizes the fit tries for ``streamed``: ``STREAMED_OVER`` up to the last-level
    cache (all of them where its size is unknown), and the last-level cache itself."""
    sizes = [float(b) for b in STREAMED_OVER if llc_bytes is None or b <= llc_bytes]
    if llc_bytes and float(llc_bytes) not in sizes:
        sizes.append(float(llc_bytes))
    return sizes


def _solve(features: Sequence[dict], measured: Sequence[float], terms) -> dict[str, float]:
    import numpy as np

    y = np.asarray(measured, dtype=float)
    x = np.array([[f[t] for t in terms] for f in features], dtype=float) / y[:, None]
    norms = np.linalg.norm(x, axis=0)
    norms[norms == 0] = 1.0
    coef, *_ = np.linalg.lstsq(x / norms, np.ones_like(y), rcond=None)
    return {t: float(c / n) for t, c, n in zip(terms, coef, norms)}


def fit_network_terms(
    features: Sequence[dict], measured_s: Sequence[float], base: Sequence[str] = SCALE_ONLY
) -> dict[str, float]:
    """Coefficients of the per-network terms (``NETWORK_TERMS``), by relative least squares.

    ``base`` (a backend's ``BASE_TERMS``) with each of ``TERM_CHOICES`` added: the set with
    the smallest leave-one-out mean relative error over the networks, among those whose fit
    on all of them gives every term its sign (``TERM_SIGNS``), is fitted; terms left out are
    0. With fewer than five networks only ``base`` is tried; where no set keeps its signs,
    ``kernels`` alone (a scale) is fitted.
    """
    return _fit_terms(features, measured_s, base)[0]


def fit_streamed_terms(
    features: Sequence[dict],
    weights: Sequence[float],
    measured_s: Sequence[float],
    base: Sequence[str],
    sizes: Sequence[float],
) -> tuple[dict[str, float], float | None]:
    """``fit_network_terms`` with the ``streamed`` feature made from each cache size in
    ``sizes`` (each network's ``weights`` bytes beyond it): the terms and the size of the
    smallest leave-one-out error (``None`` where the chosen terms leave ``streamed`` out).
    A set of terms without ``streamed`` is the same at every size."""
    best: tuple[dict[str, float], float | None, float] | None = None
    for over in sizes or [None]:
        feats = [
            {**f, "streamed": 0.0 if over is None else max(w - over, 0.0)}
            for f, w in zip(features, weights)
        ]
        terms, err = _fit_terms(feats, measured_s, base)
        if best is None or err < best[2] - 1e-4:  # a larger size must do better
            best = (terms, over, err)
    terms, over, _ = best
    return terms, (over if terms.get("streamed") else None)


def _fit_terms(
    features: Sequence[dict], measured_s: Sequence[float], base: Sequence[str]
) -> tuple[dict[str, float], float]:
    """``fit_network_terms``, and the chosen set's leave-one-out mean relative error."""
    n = len(measured_s)
    best, best_err = SCALE_ONLY, math.inf
    for terms in [(*base, *extra) for extra in (TERM_CHOICES if n >= 5 else ((),))]:
        if len(terms) >= n - 1:
            continue
        err = _loo_error(features, measured_s, terms)
        whole = _solve(features, measured_s, terms)
        if any(whole[t] * TERM_SIGNS[t] < 0 for t in terms if t in TERM_SIGNS):
            continue
        if err < best_err - 1e-4:  # a bigger set must do better, not merely as well
            best, best_err = terms, err
    if best_err == math.inf:
        best_err = _loo_error(features, measured_s, best) if n > 1 else 0.0
    coef = _solve(features, measured_s, best)
    return {t: coef.get(t, 0.0) for t in NETWORK_TERMS}, best_err


def _loo_error(features: Sequence[dict], measured_s: Sequence[float], terms) -> float:
    """Mean relative error of each network predicted by the terms fitted on the others."""
    n = len(measured_s)
    errors = []
    for i in range(n):
        rest = [k for k in range(n) if k != i]
        coef = _solve([features[k] for k in rest], [measured_s[k] for k in rest], terms)
        pred = sum(coef[t] * features[i][t] for t in terms)
        errors.append(abs(pred / measured_s[i] - 1))
    return sum(errors) / n


# ----------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """The user's cache folder for calibrations: ``$XDG_CACHE_HOME/shufflenet-cli/latency``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "shufflenet-cli" / "latency"


def fingerprint(backend: str, threads: int) -> dict:
    """Everything a calibration depends on; a cache file with another one is stale."""
    import torch

    fp = {
        "format": FORMAT,
        "backend": backend,
        "threads": threads,
        "torch": torch.__version__,
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "llc_bytes": last_level_cache_bytes(),
        "python": platform.python_version(),
    }
    if backend == "onnxruntime":
        try:
            import onnxruntime
        except ImportError:
            raise UserError(
                "backend: onnxruntime is not installed (pip install 'shufflenet-cli[onnx]')"
            ) from None
        fp["onnxruntime"] = onnxruntime.__version__
    return fp


def cache_path(fp: dict, cache_dir: str | Path | None = None) -> Path:
    """The file a fingerprint's calibration lives in."""
    digest = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / f"{fp['backend']}-{fp['threads']}t-{digest}.json"


@dataclass
class Calibration:
    """A backend's calibration on this machine: kernel times, network terms, regression."""

    fingerprint: dict
    kernels: dict[str, float] = field(default_factory=dict)  # kernel_key -> seconds
    terms: dict[str, float] = field(default_factory=lambda: {"kernels": 1.0})
    model: list[float] = field(default_factory=list)  # seconds per FEATURES entry
    networks: list[dict] = field(default_factory=list)  # the fit's networks
    seconds: float = 0.0  # how long calibrating took
    created: str = ""
    # ONNX Runtime: layout conversion elements of each unit graph alone (kernel_key ->
    # elements, ``layout_saved``), and the share of the units' edge elements
    # (``unit_edges``) the calibration networks did not convert (screening's estimate)
    layout: dict[str, int] = field(default_factory=dict)
    layout_share: float = 0.0
    # the cache size (bytes) beyond which a network's weights are ``streamed`` (None: no term)
    streamed_over: float | None = None

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready), the long kernel table last."""
        d = dataclasses.asdict(self)
        return {**d, "kernels": d.pop("kernels")}

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        """The inverse of ``to_dict``."""
        return cls(
            dict(data["fingerprint"]),
            {str(k): float(v) for k, v in data["kernels"].items()},
            {str(k): float(v) for k, v in data["terms"].items()},
            [float(c) for c in data["model"]],
            list(data.get("networks", [])),
            float(data.get("seconds", 0.0)),
            str(data.get("created", "")),
            {str(k): int(v) for k, v in data.get("layout", {}).items()},
            float(data.get("layout_share", 0.0)),
            None if data.get("streamed_over") is None else float(data["streamed_over"]),
        )


def load_calibration(
    backend: str, threads: int = 1, cache_dir: str | Path | None = None
) -> Calibration | None:
    """The cached calibration for this machine, backend, threads and versions, or None.

    A file whose fingerprint differs from this process's in any field (another torch or
    ONNX Runtime version, thread count, CPU, format) is never returned; an unreadable one
    neither.
    """
    fp = fingerprint(backend, threads)
    path = cache_path(fp, cache_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        calib = Calibration.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return calib if calib.fingerprint == fp else None


def save_calibration(calib: Calibration, cache_dir: str | Path | None = None) -> Path:
    """Write a calibration to its cache file (atomically); returns the path."""
    path = cache_path(calib.fingerprint, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(calib.to_dict(), indent=1, sort_keys=True))
    return path


# ----------------------------------------------------------------------------- calibration


def calibration_networks() -> list[NetworkSpec]:
    """The networks whose measured latency fits the per-network terms.

    From small to large, ShuffleNets of every Table 1 group count at three widths and
    MobileNet v1 at four widths and two resolutions, so the fit sees both families and
    the whole range of sizes; two wide ShuffleNets at low resolution whose weights exceed a
    32 MB last-level cache (the ``streamed`` term); three under a millisecond (so the fixed
    per-network cost is fitted where it weighs most); then ``CALIBRATION_DRAWN`` networks drawn as
    ``random_networks`` draws the held-out ones (other resolutions, depths, bottleneck
    ratios: the fit must not extrapolate from 224x224 presets), from a seed of their own.
    """
    from ..model.rules import mobilenet_spec
    from ..model.rules import shufflenet_spec

    specs = [
        shufflenet_spec(g, s)
        for s, gs in ((0.25, (1, 8)), (0.5, (2, 3, 4)), (1.0, (1, 3, 8)), (2.0, (3,)))
        for g in gs
    ]
    specs += [mobilenet_spec(w) for w in (0.25, 0.5, 1.0)] + [mobilenet_spec(0.75, 160)]
    # weights beyond a 32 MB last-level cache (42-45 MB fp32), so ``streamed`` can be fitted
    specs += [
        shufflenet_spec(8, 2.0, units=[4, 8, 6], bottleneck_ratio=0.4, resolution=128),
        shufflenet_spec(1, 2.0, units=[4, 8, 6], bottleneck_ratio=0.5, resolution=112),
    ]
    # under a millisecond (low resolution, narrow), so a fixed per-network cost that suits
    # the larger networks is not fitted where nothing small says what it costs them
    specs += [
        shufflenet_spec(8, 0.25, resolution=112),
        shufflenet_spec(3, 0.5, units=[2, 4, 2], resolution=96),
        mobilenet_spec(0.25, 128),
    ]
    taken = {s.arch_key() for s in specs}
    return specs + _draw_networks(CALIBRATION_DRAWN, random.Random(CALIBRATION_SEED), taken)


def default_space_units() -> list[Unit]:
    """The kernels ``calibrate`` measures by default: those of the default space.

    The default space: every preset, ShuffleNets of groups 1, 2, 3, 4, 8 at widths 0.25 to 2
    (which holds the bundled latency search space, ``search-latency.yaml``) and the
    calibration networks. Kernels of other networks are measured when first needed.
    """
    from ..model.presets import list_presets
    from ..model.presets import load_spec
    from ..model.rules import shufflenet_spec

    plans = [build_plan(load_spec(name)) for name in list_presets()]
    plans += [
        build_plan(shufflenet_spec(g, s))
        for g in (1, 2, 3, 4, 8)
        for s in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
    ]
    plans += [build_plan(s) for s in calibration_networks()]
    return plan_units(plans)


def calibrate(
    backend: str = "eager",
    threads: int = 1,
    *,
    cache_dir: str | Path | None = None,
    units: Sequence[Unit] | None = None,
    networks: Sequence[NetworkSpec] | None = None,
    recalibrate: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> Calibration:
    """Calibrate ``backend`` at ``threads`` on this machine and cache the result.

    ``units``: the kernels to time (default ``default_space_units()``); ``networks``: the
    networks timed whole to fit the per-network terms (default ``calibration_networks()``),
    in the same rounds as the kernels. Kernels already in a valid cache are kept unless
    ``recalibrate``, except those of the calibration networks, which are always timed again
    beside them. ``progress(done, total, step)``.
    """
    from datetime import datetime
    from datetime import timezone

    _check_backend(backend)
    start = time.perf_counter()
    old = None if recalibrate else load_calibration(backend, threads, cache_dir)
    calib = Calibration(fingerprint(backend, threads), dict(old.kernels) if old else {})
    units = list(units) if units is not None else default_space_units()
    networks = list(networks) if networks is not None else calibration_networks()
    fitted = plan_units(build_plan(s) for s in networks)
    todo = list(dict.fromkeys([*fitted, *(u for u in units if kernel_key(u) not in calib.kernels)]))
    total = _steps(len(todo), len(networks), backend)
    done = [0]

    def tick(step: str) -> None:
        done[0] += 1
        if progress:
            progress(done[0], total, step)

    kernels, whole = time_kernels(todo, backend, threads, progress=tick, networks=networks)
    model = fit_kernel_model({**calib.kernels, **kernels})
    calib.kernels.update(retime_slow(kernels, todo, model, backend, threads))
    base = BASE_TERMS.get(backend, SCALE_ONLY)
    features, weights, measured, edges, names = [], [], [], [], []
    for spec in networks:
        if spec.name not in whole:
            continue
        plan = build_plan(spec)
        layout = layout_saved(plan, calib.layout, threads) if "layout" in base else 0.0
        features.append(
            network_features(lambda u: calib.kernels[kernel_key(u)], plan, None, layout)
        )
        weights.append(weight_bytes(plan))
        edges.append(sum(unit_edges(b.unit) * b.repeat for b in plan.blocks))
        measured.append(quiet_time(whole[spec.name]))
        names.append(spec.name)
    if not measured:
        raise UserError(f"backend: {backend} could not run any calibration network")
    sizes = streamed_over_choices(calib.fingerprint["llc_bytes"])
    calib.terms, calib.streamed_over = fit_streamed_terms(features, weights, measured, base, sizes)
    for name, f, w, m in zip(names, features, weights, measured):
        streamed = 0.0 if calib.streamed_over is None else max(w - calib.streamed_over, 0.0)
        calib.networks.append({"name": name, "latency_ms": m * 1e3, **f, "streamed": streamed})
    calib.layout_share = sum(f["layout"] for f in features) / sum(edges)
    calib.model = fit_kernel_model(calib.kernels)
    calib.seconds = time.perf_counter() - start
    calib.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    save_calibration(calib, cache_dir)
    return calib


def _unit_calls(plan: Plan) -> int:
    return sum(b.repeat for b in plan.blocks)


def _check_backend(backend: str) -> None:
    if backend not in PREDICTABLE_BACKENDS:
        raise UserError(
            f"backend: latency prediction is calibrated for {', '.join(PREDICTABLE_BACKENDS)}, "
            f"not {backend!r}"
        )


# ----------------------------------------------------------------------------- prediction


_MEMO_KEYS = itertools.count()


def _memo_key() -> tuple[str, int]:
    """A key no other predictor (nor this one after new kernels) uses in ``BlockRun.memo``."""
    return ("predicted_s", next(_MEMO_KEYS))


class Predictor:
    """Predicted latency of plans from one calibration: ``plan_ms`` a closed-form sum of
    values cached per unit (search screening), ``network_ms`` the same kernels with the
    network's own layout conversions counted in its graph (a network predicted alone).

    ``measure_missing``: kernels not in the calibration are timed (``ensure``) before a
    prediction and saved to the cache; otherwise the regression estimates them.

    Example::

        >>> p = Predictor.load("eager", threads=1)           # doctest: +SKIP
        >>> p.predict_ms(shufflenet_spec(groups=3))          # doctest: +SKIP
        12.9
    """

    def __init__(
        self,
        calib: Calibration,
        *,
        cache_dir: str | Path | None = None,
        measure_missing: bool = True,
    ):
        self.calib = calib
        self.cache_dir = cache_dir
        self.measure_missing = measure_missing
        self._unit_s: dict[Unit, float] = {}
        self._memo_key = _memo_key()  # where this predictor keeps its sums in BlockRun.memo
        self.measured_on_demand = 0

    @property
    def backend(self) -> str:
        """The calibrated backend."""
        return self.calib.fingerprint["backend"]

    @property
    def threads(self) -> int:
        """The calibrated thread count."""
        return self.calib.fingerprint["threads"]

    @classmethod
    def load(
        cls,
        backend: str = "eager",
        threads: int = 1,
        *,
        cache_dir: str | Path | None = None,
        measure_missing: bool = True,
    ) -> Predictor:
        """The predictor of the cached calibration (``UserError`` if there is none)."""
        _check_backend(backend)
        calib = load_calibration(backend, threads, cache_dir)
        if calib is None:
            raise UserError(
                f"predict: no latency calibration for {backend} at {threads} thread(s) with "
                f"this machine and library versions; run `shufflenet-cli calibrate --backend "
                f"{backend} --threads {threads}` first (a few minutes)"
            )
        return cls(calib, cache_dir=cache_dir, measure_missing=measure_missing)

    def calibrated(self, unit: Unit) -> bool:
        """Whether the unit's kernel was measured."""
        return kernel_key(unit) in self.calib.kernels

    def ensure(self, plans: Iterable[Plan], progress: Progress | None = None) -> int:
        """Measure the kernels of ``plans`` that are not calibrated, add and save them.

        Returns how many were measured.
        """
        missing = [u for u in plan_units(plans) if not self.calibrated(u)]
        if not missing:
            return 0
        kernels = time_kernels(missing, self.backend, self.threads, progress=progress)[0]
        self.add(retime_slow(kernels, missing, self.calib.model, self.backend, self.threads))
        return len(missing)

    def add(self, kernels: dict[str, float]) -> None:
        """Add measured kernel times (``{kernel_key: seconds}``) and save the cache."""
        self.calib.kernels.update(kernels)
        self._unit_s.clear()
        self._memo_key = _memo_key()  # the runs' sums from before are not read again
        save_calibration(self.calib, self.cache_dir)
        self.measured_on_demand += len(kernels)

    def seen_units(self) -> list[Unit]:
        """The units this predictor has given a time for so far."""
        return list(self._unit_s)

    def kernel_s(self, unit: Unit) -> float:
        """Seconds of one unit's kernel alone: measured, else the regression's estimate."""
        t = self.calib.kernels.get(kernel_key(unit))
        if t is None:
            t = regression_s(self.calib.model, unit)
        return t

    def unit_s(self, unit: Unit) -> float:
        """Seconds one call of the unit adds to a network, estimated without the network's
        graph: its kernel time times the fitted ``kernels`` scale, less the layout
        conversions it did alone, estimated as the calibration's ``layout_share`` of its
        edge elements (``unit_edges``) at the fitted ``layout`` cost per element; never
        under a tenth of the scaled kernel time. Cached."""
        t = self._unit_s.get(unit)
        if t is None:
            calib = self.calib
            scaled = calib.terms.get("kernels", 1.0) * self.kernel_s(unit)
            saved = calib.layout_share * unit_edges(unit)
            t = max(scaled + calib.terms.get("layout", 0.0) * saved, 0.1 * scaled)
            self._unit_s[unit] = t
        return t

    def _run_seconds(self, run) -> float:
        """Seconds a run of plan blocks adds (``unit_s`` times repeats), once per run object:
        kept in the run's memo (``BlockRun.memo``, as the cost model keeps its costs)."""
        memo = run.__dict__  # run.memo, without the property call (once per run per candidate)
        seconds = memo.get(self._memo_key)
        if seconds is None:
            seconds = sum(self.unit_s(b.unit) * b.repeat for b in run)
            memo[self._memo_key] = seconds
        return seconds

    def plan_ms(self, plan: Plan) -> float:
        """Predicted latency (ms) of a plan from cached values alone (never measures, never
        builds a graph): a closed-form sum over the plan's blocks, what search screening
        uses. Layout conversions are estimated (``unit_s``); ``network_ms`` counts them."""
        terms = self.calib.terms
        total = terms.get("network", 0.0)
        for run in plan.runs:
            total += self._run_seconds(run)
        if terms.get("streamed"):
            total += terms["streamed"] * streamed_bytes(plan, self.calib.streamed_over)
        return total * 1e3

    def network_ms(self, plan: Plan) -> float:
        """Predicted latency (ms) of a plan with the network's own layout conversions:
        where the fit has a ``layout`` term (ONNX Runtime), the conversions its units alone
        do and the network's graph does not are counted in that graph (``layout_saved``: the
        graph is optimized and run once on zeros, 24-600 ms on the test host; nothing is
        timed), and the unit graphs counted for the first time are added to the cache;
        elsewhere ``plan_ms``. The fitted terms apply to the whole network, as in the fit,
        with no per-unit floor (``unit_s`` has one for its estimate)."""
        calib = self.calib
        terms = calib.terms
        if not terms.get("layout"):
            return self.plan_ms(plan)
        counted = len(calib.layout)
        layout = layout_saved(plan, calib.layout, self.threads)
        if len(calib.layout) > counted:
            save_calibration(calib, self.cache_dir)
        over = calib.streamed_over
        return network_seconds(terms, network_features(self.kernel_s, plan, over, layout)) * 1e3

    def predict_ms(self, spec: NetworkSpec) -> float:
        """Predicted latency (ms) of a network (measures missing kernels if allowed)."""
        plan = build_plan(spec)
        if self.measure_missing:
            self.ensure([plan])
        return self.network_ms(plan)


def predict_latency(
    spec: NetworkSpec | Sequence[NetworkSpec],
    backend: str = "eager",
    threads: int = 1,
    *,
    cache_dir: str | Path | None = None,
    measure_missing: bool = True,
) -> float | list[float]:
    """Predicted batch-1 latency in ms of one network (or a list) from this machine's calibration.

    Needs ``calibrate(backend, threads)`` (or ``shufflenet-cli calibrate``) once; kernels the
    calibration lacks are measured on demand and cached unless ``measure_missing=False``
    (then the regression estimates them).

    Example::

        >>> from shufflenet_cli import predict_latency, shufflenet_spec
        >>> predict_latency(shufflenet_spec(groups=3), backend="onnxruntime")  # doctest: +SKIP
        3.6
    """
    predictor = Predictor.load(
        backend, threads, cache_dir=cache_dir, measure_missing=measure_missing
    )
    if isinstance(spec, (list, tuple)):
        if measure_missing:
            predictor.ensure([build_plan(s) for s in spec])
        return [predictor.predict_ms(s) for s in spec]
    return predictor.predict_ms(spec)


# ----------------------------------------------------------------------------- validation


def random_networks(n: int, seed: int = 0) -> list[NetworkSpec]:
    """``n`` random valid networks for validation, none of them a calibration network.

    About three in four are ShuffleNets (groups 1-8, width 0.25-2, 1-6 / 1-10 / 1-6 units,
    bottleneck ratio 0.2-0.5, resolution 96-256, shuffle on or off), the rest MobileNet v1
    (width 0.25-1.25, resolution 96-256). Same seed, same networks.
    """
    taken = {s.arch_key() for s in calibration_networks()}
    return _draw_networks(n, random.Random(seed), taken)


def _draw_networks(n: int, rng: random.Random, taken: set) -> list[NetworkSpec]:
    """``n`` networks drawn with ``rng`` (see ``random_networks``) whose architectures are not
    in ``taken`` (which grows)."""
    from ..model.rules import mobilenet_spec
    from ..model.rules import shufflenet_spec

    out: list[NetworkSpec] = []
    while len(out) < n:
        res = rng.randrange(96, 257, 8)
        if rng.random() < 0.25:
            width = rng.choice((0.25, 0.35, 0.5, 0.6, 0.75, 0.9, 1.0, 1.1, 1.25))
            spec = mobilenet_spec(width, res)  # named by the rules: the name parses back
        else:
            g = rng.choice((1, 2, 3, 4, 5, 6, 8))
            scale = rng.choice((0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0))
            units = [rng.randint(1, 6), rng.randint(1, 10), rng.randint(1, 6)]
            ratio = rng.choice((0.2, 0.25, 0.33, 0.4, 0.5))
            shuffle = rng.random() < 0.9
            try:
                spec = shufflenet_spec(
                    g, scale, units=units, bottleneck_ratio=ratio, resolution=res, shuffle=shuffle
                )
            except UserError:
                continue  # groups that do not divide the channels
        if spec.arch_key() in taken:
            continue
        taken.add(spec.arch_key())
        out.append(spec)
    return out


def accuracy(predicted: Sequence[float], measured: Sequence[float]) -> dict:
    """Share within 5% and 10%, RMSE (ms), mean absolute relative error and Spearman's rho."""
    import numpy as np

    p = np.asarray(predicted, dtype=float)
    m = np.asarray(measured, dtype=float)
    rel = p / m - 1
    rank_p = np.argsort(np.argsort(p))
    rank_m = np.argsort(np.argsort(m))
    rho = float(np.corrcoef(rank_p, rank_m)[0, 1]) if len(p) > 1 else float("nan")
    return {
        "networks": len(p),
        "within_5": float(np.mean(np.abs(rel) <= 0.05)),
        "within_10": float(np.mean(np.abs(rel) <= 0.10)),
        "rmse_ms": float(np.sqrt(np.mean((p - m) ** 2))),
        "mean_abs_rel": float(np.mean(np.abs(rel))),
        "spearman": rho,
    }


def validate(
    backend: str = "eager",
    threads: int = 1,
    n: int = 50,
    *,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Predict and measure ``n`` random held-out networks (``random_networks``).

    Two predictions per network: ``model`` (``plan_ms``: the regression for every kernel the
    calibration lacks and the layout conversions estimated, as search screening does) made
    before anything is timed, then ``lookup`` (``network_ms``: those kernels timed on demand
    and cached and the conversions counted, as ``profile --predict`` does). The held-out networks
    are timed whole in the same interleaved rounds as those kernels (windows of the
    protocol's length, warm-up, load redo), so a shared machine's drift hits a network and
    the kernels it is predicted from alike; the prediction never sees the network's own time.
    Each network is measured twice (``MEASUREMENTS``): its windows alternate between the
    two measurements, ``NETWORK_WINDOWS`` each, consecutive rounds in the same order. A
    network's ``latency_ms`` is the first measurement's ``quiet_time`` (the statistic the
    kernels are reduced by), ``latency_median_ms`` and ``latency_spread_ms``
    the median and IQR of that measurement's windows (the ``profile`` protocol's
    statistics); ``latency_remeasured_ms`` is the second measurement's ``quiet_time``.
    Returns ``{"rows": [...], "lookup": accuracy, "model": accuracy, "remeasure":
    accuracy}``, where ``remeasure`` scores the second measurement as if it were a
    prediction of the first: how well two measurements of one network agree, a reference
    for the timing noise (not a bound: it carries the noise of two measurements, and none of
    the drift between runs).
    """
    predictor = Predictor.load(backend, threads, cache_dir=cache_dir)
    specs = random_networks(n, seed)
    plans = [build_plan(s) for s in specs]
    model_ms = [predictor.plan_ms(p) for p in plans]
    missing = [u for u in plan_units(plans) if not predictor.calibrated(u)]
    windows = MEASUREMENTS * NETWORK_WINDOWS
    total = _steps(len(missing), n, backend, windows)
    done = [0]

    def tick(step: str) -> None:
        done[0] += 1
        if progress:
            progress(done[0], total, step)

    kernels, whole = time_kernels(
        missing,
        backend,
        threads,
        progress=tick,
        networks=specs,
        network_rounds=windows,
        same_order=MEASUREMENTS,
    )
    predictor.add(retime_slow(kernels, missing, predictor.calib.model, backend, threads))
    lookup_ms = [predictor.network_ms(p) for p in plans]
    rows = []
    for spec, plan, mp, lp in zip(specs, plans, model_ms, lookup_ms):
        row = {
            "name": spec.name,
            "family": spec.family,
            "latency_ms": None,
            "latency_median_ms": None,
            "latency_spread_ms": None,
            "latency_remeasured_ms": None,
            "latency_predicted_ms": lp,
            "latency_model_ms": mp,
            "units": _unit_calls(plan),
        }
        timed = whole.get(spec.name, [])
        first, second = timed[0::MEASUREMENTS], timed[1::MEASUREMENTS]
        if len(first) > 1:
            medians = [w.median * 1e3 for w in first]
            q = statistics.quantiles(medians, n=4, method="inclusive")
            row.update(
                latency_ms=quiet_time(first) * 1e3,
                latency_median_ms=statistics.median(medians),
                latency_spread_ms=q[2] - q[0],
                latency_remeasured_ms=quiet_time(second) * 1e3 if second else None,
            )
        rows.append(row)
    ok = [r for r in rows if r["latency_ms"] is not None]
    measured = [r["latency_ms"] for r in ok]
    twice = [r for r in ok if r["latency_remeasured_ms"] is not None]
    return {
        "backend": backend,
        "threads": threads,
        "seed": seed,
        "kernels_measured": len(missing),
        "rows": rows,
        "lookup": accuracy([r["latency_predicted_ms"] for r in ok], measured),
        "model": accuracy([r["latency_model_ms"] for r in ok], measured),
        "remeasure": accuracy(
            [r["latency_remeasured_ms"] for r in twice], [r["latency_ms"] for r in twice]
        ),
    }


def check_predictable(backend: str) -> str:
    """The backend name if the predictor can be calibrated for it, else ``UserError``."""
    from .backends import check_backend_name

    check_backend_name(backend)
    _check_backend(backend)
    return backend


def calibrate_and_validate(
    backends: Sequence[str],
    threads: int = 1,
    *,
    cache_dir: str | Path | None = None,
    recalibrate: bool = False,
    validate_n: int = 0,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[dict], list[dict]]:
    """``calibrate`` each backend, then (``validate_n`` > 0) ``validate`` it.

    Returns (one calibration row per backend, three accuracy rows per backend validated:
    ``prediction`` = 'lookup', 'model' and 'remeasure' (``validate``), each with its
    networks under ``rows``).
    """
    calibration_rows, validation_rows = [], []
    for backend in backends:
        check_predictable(backend)
        calib = calibrate(
            backend, threads, cache_dir=cache_dir, recalibrate=recalibrate, progress=progress
        )
        calibration_rows.append(calibration_row(calib, cache_dir))
        if validate_n:
            v = validate(
                backend, threads, validate_n, seed=seed, cache_dir=cache_dir, progress=progress
            )
            for mode in ("lookup", "model", "remeasure"):
                validation_rows.append(
                    {
                        "backend": backend,
                        "threads": threads,
                        "prediction": mode,
                        **v[mode],
                        "kernels_measured": v["kernels_measured"] if mode == "lookup" else 0,
                        "calibration_s": calib.seconds,
                        "rows": v["rows"],
                    }
                )
    return calibration_rows, validation_rows


def calibration_row(calib: Calibration, cache_dir: str | Path | None = None) -> dict:
    """One row describing a calibration (what ``calibrate`` prints)."""
    terms = calib.terms
    errors = [abs(network_seconds(terms, n) * 1e3 / n["latency_ms"] - 1) for n in calib.networks]
    return {
        "backend": calib.fingerprint["backend"],
        "threads": calib.fingerprint["threads"],
        "kernels": len(calib.kernels),
        "networks": len(calib.networks),
        "terms": ", ".join(t for t in NETWORK_TERMS if terms.get(t)),
        "scale": terms.get("kernels", 0.0),
        "per_streamed_mb_us": terms.get("streamed", 0.0) * 1e12,
        "streamed_over_mb": None if calib.streamed_over is None else calib.streamed_over / 2**20,
        "per_layout_element_ns": terms.get("layout", 0.0) * 1e9,
        "per_network_ms": terms.get("network", 0.0) * 1e3,
        "fit_max_rel_err": max(errors) if errors else None,
        "seconds": calib.seconds,
        "torch": calib.fingerprint["torch"],
        "onnxruntime": calib.fingerprint.get("onnxruntime"),
        "cache": str(cache_path(calib.fingerprint, cache_dir)),
    }


PREDICTION_NOTE = (
    "Predicted ({backends}, {threads} thread(s), batch 1): an undisturbed run's latency, the "
    "sum of this machine's calibrated kernel times (each unit shape timed alone, lower "
    "quartile of its windows' fastest 2-ms blocks) with the fitted per-network terms "
    "(`shufflenet-cli calibrate`); on onnxruntime, less the layout conversions the "
    "network's graph skips (counted in it)."
)


def predicted_fields(
    specs: Sequence[NetworkSpec],
    backends: Sequence[str],
    threads: int = 1,
    *,
    cache_dir: str | Path | None = None,
    measure_missing: bool = True,
) -> list[dict]:
    """Row fields of predicted latency per network: ``latency_predicted_ms`` (the first
    backend) and ``latency_predicted_ms_<backend>`` (every backend), in ms.

    Kernels missing from a backend's calibration are measured first (all networks' at once)
    unless ``measure_missing`` is False (then the regression estimates them).
    """
    for b in backends:
        check_predictable(b)
    out: list[dict] = [{} for _ in specs]
    plans = [build_plan(s) for s in specs]
    for k, backend in enumerate(backends):
        predictor = Predictor.load(
            backend, threads, cache_dir=cache_dir, measure_missing=measure_missing
        )
        if measure_missing:
            predictor.ensure(plans)
        for fields, plan in zip(out, plans):
            ms = predictor.network_ms(plan)
            fields[f"latency_predicted_ms_{backend}"] = ms
            if k == 0:
                fields["latency_predicted_ms"] = ms
    return out


def prediction_note(backends: Sequence[str], threads: int = 1) -> str:
    """The footer line saying where predicted latency comes from."""
    return PREDICTION_NOTE.format(backends=", ".join(backends), threads=threads)
