"""Analytic cost model: parameters, multiply-adds and memory traffic, from the layer plan.

Counting conventions (printed under every table; see ``CONVENTIONS``):

* MACs: multiply-adds of conv and FC layers, one fused multiply-add = 1. This is what both
  papers call "FLOPs". ``macs_conv`` leaves the FC out (ShuffleNet's Table 1 convention);
  ``macs`` includes it (MobileNet's Table 6 convention). FLOPs, where shown, = 2 x MACs.
* Params: every learnable tensor: conv weights, BN weight and bias, FC weight and bias (no
  FC bias when the spec says ``fc_bias: false``, as in the official ShuffleNet v1 code).
* Memory traffic: elements each op reads and writes (inputs + outputs + weights) times the
  element size of the dtype. ``eager`` runs every op as its own pass (BN reads weight, bias,
  running mean and variance; ReLU, shuffle, add, concat and pooling all move data); ``fused``
  folds BN into the conv (which gains a bias), fuses ReLU into its producer and the shuffle
  into the next conv's read. For a 1x1 conv the eager traffic is ShuffleNet V2's
  MAC = hw(c1 + c2) + c1 c2 / g elements.

Everything is closed-form arithmetic over ``Layer``s; per-unit sums are cached, so the totals
of a network cost a handful of dictionary look-ups (the search's screening path).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import NamedTuple

from ..errors import UserError
from .plan import KIND_LABELS
from .plan import Layer
from .plan import Plan
from .plan import Unit
from .plan import build_plan
from .plan import unit_layers
from .spec import NetworkSpec

if TYPE_CHECKING:  # pandas is imported where a table is made
    import pandas as pd

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}

CONVENTIONS = (
    "MACs = multiply-adds of conv + FC (the papers' 'FLOPs'; FLOPs = 2 x MACs); conv-only MACs "
    "leave the FC out (ShuffleNet Table 1); params include BN and FC bias; memory traffic = "
    "bytes read + written per op (inputs, outputs, weights), eager = every op its own pass, "
    "fused = BN folded, ReLU and shuffle fused"
)


class LayerCost(NamedTuple):
    """Costs of one layer; activation traffic per sample, weight traffic once per pass."""

    params: int
    macs: int
    macs_fc: int
    act_eager: int
    weights_eager: int
    act_fused: int
    weights_fused: int

    def __add__(self, other):  # element-wise, so sums over layers read naturally
        return LayerCost(*(a + b for a, b in zip(self, other)))

    def __mul__(self, k: int):
        return LayerCost(*(a * k for a in self))


ZERO = LayerCost(0, 0, 0, 0, 0, 0, 0)


def _elems(shape: tuple[int, int, int]) -> int:
    c, h, w = shape
    return c * h * w


@lru_cache(maxsize=262144)
def layer_cost(layer: Layer) -> LayerCost:
    """Params, MACs and memory traffic (elements) of one layer, by the conventions above."""
    cin = layer.in_shape[0]
    cout = layer.out_shape[0]
    acts = _elems(layer.in_shape) + layer.extra_in + _elems(layer.out_shape)
    macs = macs_fc = 0
    if layer.op == "conv":
        weights = (cin // layer.groups) * cout * layer.kernel * layer.kernel
        params = weights + (cout if layer.bias else 0)
        # every output element takes (cin / g) * k * k multiply-adds
        macs = _elems(layer.out_shape) * (cin // layer.groups) * layer.kernel * layer.kernel
        w_eager = params
        w_fused = params + (cout if layer.folds_bn and not layer.bias else 0)
    elif layer.op == "fc":
        params = cin * cout + (cout if layer.bias else 0)
        macs = macs_fc = cin * cout
        w_eager = w_fused = params
    elif layer.op == "bn":
        params = 2 * cin  # weight and bias; running mean and variance are buffers
        w_eager = 4 * cin  # inference BN reads all four per-channel vectors
        w_fused = 0
    else:  # relu, shuffle, add, concat, pools: no weights
        params = w_eager = w_fused = 0
    act_fused = 0 if layer.fused else acts
    if layer.fused:
        w_fused = 0
    return LayerCost(params, macs, macs_fc, acts, w_eager, act_fused, w_fused)


@lru_cache(maxsize=65536)
def unit_cost(unit: Unit) -> LayerCost:
    """Sum of ``layer_cost`` over a unit's layers (cached by unit shape)."""
    total = ZERO
    for layer in unit_layers(unit):
        total = total + layer_cost(layer)
    return total


@lru_cache(maxsize=65536)
def block_cost(unit: Unit, repeat: int) -> LayerCost:
    """Cost of ``repeat`` identical units (cached)."""
    return unit_cost(unit) * repeat


def plan_cost(plan: Plan) -> LayerCost:
    """Sum of the costs of every layer of a plan (repeated units counted ``repeat`` times)."""
    cost = plan.memo.get("cost")
    if cost is None:
        runs = plan.runs
        if len(runs) == 1:
            cost = _run_cost(runs[0])
        else:
            cost = LayerCost(*map(sum, zip(*map(_run_cost, runs))))
        plan.memo["cost"] = cost
    return cost


def _run_cost(run) -> LayerCost:
    """A run of blocks' cost, kept in the run's memo (computed once per run object)."""
    memo = run.__dict__  # run.memo, without the property call (once per run per candidate)
    cost = memo.get("cost")
    if cost is None:
        cost = LayerCost(*map(sum, zip(*(block_cost(b.unit, b.repeat) for b in run))))
        memo["cost"] = cost
    return cost


def traffic_bytes(
    act_elems: int, weight_elems: int, batch_size: int = 1, dtype: str = "fp32"
) -> int:
    """Memory traffic in bytes: activations scale with the batch, weights are read once."""
    return (act_elems * batch_size + weight_elems) * dtype_bytes(dtype)


TRAFFIC_VIEWS = ("eager", "fused", "fused_runtime")


def layer_traffic_bytes(
    layer: Layer, view: str = "eager", batch_size: int = 1, dtype: str = "fp32"
) -> int:
    """One layer's memory traffic in bytes under a view (the one definition of each):

    * ``eager``: every op reads its inputs and weights and writes its output;
    * ``fused``: BN folded into the conv, ReLU fused into its producer, shuffle folded into the
      next conv's read;
    * ``fused_runtime``: ``fused`` less what a fusing runtime also removes (ONNX Runtime folds
      a residual add into the conv before it, which then reads only the identity; a concat's
      inputs are written in place by their producers). The roofline bounds fusing backends
      with it, so no backend beats its bound by skipping work the bound counts.
    """
    c = layer_cost(layer)
    if view == "eager":
        act, weights = c.act_eager, c.weights_eager
    elif view in ("fused", "fused_runtime"):
        act, weights = c.act_fused, c.weights_fused
        if view == "fused_runtime" and layer.op in ("add", "concat"):
            act = layer.extra_in if layer.op == "add" else 0
    else:
        raise ValueError(f"traffic view: {view!r} is not one of {', '.join(TRAFFIC_VIEWS)}")
    return traffic_bytes(act, weights, batch_size, dtype)


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of ``dtype`` ('fp32', 'fp16', 'int8')."""
    try:
        return DTYPE_BYTES[dtype]
    except KeyError:
        raise UserError(f"dtype: {dtype!r} is not one of {', '.join(DTYPE_BYTES)}") from None


class CostTotals(NamedTuple):
    """Network totals: the numbers a search screens on."""

    params: int
    macs: int
    macs_conv: int
    memory_bytes_eager: int
    memory_bytes_fused: int


def totals(spec: NetworkSpec, batch_size: int = 1, dtype: str = "fp32") -> CostTotals:
    """Totals of a network without building a per-layer table (the fast path).

    Example::

        >>> from shufflenet_cli.spec import shufflenet_spec
        >>> totals(shufflenet_spec(groups=3)).params
        1865728
    """
    return plan_totals(build_plan(spec), batch_size, dtype)


def plan_totals(plan: Plan, batch_size: int = 1, dtype: str = "fp32") -> CostTotals:
    """``totals`` of a plan already built (the search screens plans it also predicts from)."""
    c = plan_cost(plan)
    return CostTotals(
        c.params,
        c.macs,
        c.macs - c.macs_fc,
        traffic_bytes(c.act_eager, c.weights_eager, batch_size, dtype),
        traffic_bytes(c.act_fused, c.weights_fused, batch_size, dtype),
    )


def conv_macs(spec: NetworkSpec) -> int:
    """Conv-only multiply-adds (ShuffleNet Table 1's complexity)."""
    c = plan_cost(build_plan(spec))
    return c.macs - c.macs_fc


def peak_memory_bytes(plan: Plan, batch_size: int = 1) -> int:
    """A lower bound on the memory an fp32 forward pass needs: weights + the largest op's
    tensors."""
    peak = 0
    for block in plan.blocks:
        for layer in unit_layers(block.unit):
            peak = max(peak, layer_cost(layer).act_eager)
    return (peak * batch_size + plan_cost(plan).params) * 4


def physical_memory_bytes() -> int:
    """Physical memory of this machine in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        return 8 << 30


def memory_limit_bytes() -> tuple[int, str]:
    """How much memory a forward pass may use here, and what sets it: the smallest of half
    the physical memory, the available memory (``MemAvailable``) and the headroom under the
    process's address-space limit (``RLIMIT_AS`` minus what the process has mapped)."""
    limits = [(physical_memory_bytes() // 2, "half of this machine's memory")]
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append((int(line.split()[1]) * 1024, "the available memory"))
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            mapped = 0
            with open("/proc/self/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        mapped = int(line.split()[1]) * 1024
            limits.append((max(soft - mapped, 0), "the address-space limit (ulimit -v) left"))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return min(limits)


# measure_latency (eager, batch 1) at 1000 and 2000 px grew the process (VmPeak and VmHWM
# from /proc/self/status, before and after) by 3.8-4.7x the live activations
# ``peak_memory_bytes`` counts, for ShuffleNet 1x g3 and MobileNet 0.5 (2026-11-29, one-off
# measurement): convolution workspaces, the backend check's reference output, the allocator's
# kept memory.
FORWARD_OVERHEAD = 5


def check_fits_in_memory(spec: NetworkSpec, batch_size: int = 1) -> None:
    """Raise ``UserError`` when a forward pass (``FORWARD_OVERHEAD`` times the live
    activations) could not fit in ``memory_limit_bytes()``."""
    need = FORWARD_OVERHEAD * peak_memory_bytes(build_plan(spec), batch_size)
    have, what = memory_limit_bytes()
    if need > have:
        raise UserError(
            f"{spec.name}: a forward pass at batch size {batch_size} and resolution "
            f"{spec.resolution} needs about {need / 2**30:.2f} GiB, more than "
            f"{what} ({have / 2**30:.2f} GiB); lower --batch-size, --resolution or the widths"
        )


@dataclass
class Analysis:
    """The cost model's answer for one network: totals and the per-layer table.

    Example::

        >>> from shufflenet_cli import analyze, shufflenet_spec
        >>> a = analyze(shufflenet_spec(groups=3))
        >>> round(a.macs / 1e6, 2), a.params
        (137.46, 1865728)
    """

    spec: NetworkSpec
    plan: Plan
    batch_size: int
    dtype: str
    totals: CostTotals  # params, macs, macs_conv, memory_bytes_eager, memory_bytes_fused

    def __getattr__(self, name: str):
        """The totals by name (``a.macs``, ``a.params``, ...)."""
        if name in CostTotals._fields:
            return getattr(self.__dict__["totals"], name)
        raise AttributeError(name)

    @property
    def name(self) -> str:
        """The network's name."""
        return self.spec.name

    @cached_property
    def layers(self) -> pd.DataFrame:
        """One row per layer: stage, unit, path, op, kind, shapes, params, MACs, traffic bytes."""
        import pandas as pd

        rows = []
        for placed in self.plan.layers():
            layer = placed.layer
            c = layer_cost(layer)
            rows.append(
                {
                    "stage": placed.stage,
                    "unit": placed.unit,
                    "layer": placed.path,
                    "op": layer.op,
                    "kind": layer.kind,
                    "in_shape": "x".join(map(str, layer.in_shape)),
                    "out_shape": "x".join(map(str, layer.out_shape)),
                    "kernel": layer.kernel,
                    "stride": layer.stride,
                    "groups": layer.groups,
                    "params": c.params,
                    "macs": c.macs,
                    "memory_bytes_eager": traffic_bytes(
                        c.act_eager, c.weights_eager, self.batch_size, self.dtype
                    ),
                    "memory_bytes_fused": traffic_bytes(
                        c.act_fused, c.weights_fused, self.batch_size, self.dtype
                    ),
                }
            )
        return pd.DataFrame(rows)

    def by_stage(self) -> pd.DataFrame:
        """Params, MACs and memory traffic summed per stage, in network order."""
        df = self.layers
        out = df.groupby("stage", sort=False)[
            ["params", "macs", "memory_bytes_eager", "memory_bytes_fused"]
        ].sum()
        return out.reset_index()

    def by_kind(self) -> pd.DataFrame:
        """Params, MACs and memory traffic summed per op kind (1x1 conv, depthwise, BN, ...)."""
        df = self.layers
        out = (
            df.groupby("kind", sort=False)[
                ["params", "macs", "memory_bytes_eager", "memory_bytes_fused"]
            ]
            .sum()
            .reset_index()
        )
        out.insert(1, "label", out["kind"].map(KIND_LABELS))
        return out

    def with_cost_shares(self, rows: Sequence[dict], by: str = "kind") -> list[dict]:
        """``rows`` keyed by op kind or stage (``by``), each with its share of this network's
        multiply-adds (``macs_share``) and eager memory traffic (``memory_share``); 0 where the
        cost model has no such kind or stage (the stem's max pool has no MACs, say)."""
        table = (self.by_kind() if by == "kind" else self.by_stage()).set_index(by)
        out = []
        for row in rows:
            key = row[by]
            have = key in table.index
            out.append(
                {
                    **row,
                    "macs_share": float(table.at[key, "macs"]) / self.macs if have else 0.0,
                    "memory_share": float(table.at[key, "memory_bytes_eager"])
                    / self.memory_bytes_eager
                    if have
                    else 0.0,
                }
            )
        return out


def analyze(spec: NetworkSpec, batch_size: int = 1, dtype: str = "fp32") -> Analysis:
    """Run the analytic cost model on a spec.

    ``dtype`` ('fp32', 'fp16', 'int8') sets the element size of memory traffic;
    ``batch_size`` multiplies activation traffic (weights are read once per pass).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch_size: {batch_size!r} must be a positive whole number")
    t = totals(spec, batch_size, dtype)
    return Analysis(spec, build_plan(spec), batch_size, dtype, t)
