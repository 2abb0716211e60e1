"""Layer plan: a spec turned into the list of ops the network runs, with their shapes.

The plan is the one description every consumer reads: the cost model sums over its layers,
``nn.py`` builds torch modules from its units, reports label rows with its stage and unit
names. It imports no torch.

Structure: a plan is a sequence of ``PlanBlock``s; each block is ``repeat`` identical ``Unit``s
in one stage (the stride-1 ShuffleNet units of a stage are identical, so they are one block).
A ``Unit`` expands to its ``Layer``s with ``unit_layers`` (cached: the same unit shape is
expanded once however many networks use it, which is what makes search screening fast).

Sizes follow PyTorch's 3x3/stride-2/padding-1 arithmetic: out = (in - 1) // 2 + 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import NamedTuple

from .spec import MobileNetSpec
from .spec import NetworkSpec
from .spec import ShuffleNetSpec

# Op kinds used for roll-ups (the categories of ShuffleNet V2's Fig. 2, made finer).
KIND_LABELS = {
    "conv1x1": "1x1 (group) conv",
    "depthwise": "depthwise conv",
    "dense_conv": "dense conv",
    "fc": "FC",
    "bn": "BN",
    "activation": "activation (ReLU)",
    "shuffle": "channel shuffle",
    "add_concat": "add / concat",
    "pooling": "pooling",
}


@dataclass(frozen=True)
class Layer:
    """One op of the network, shapes per sample as (channels, height, width).

    ``extra_in`` counts elements of a second input (the identity of an add, the shortcut half
    of a concat). ``fused`` marks ops that vanish in the fused view (BN folded into the conv,
    ReLU into its producer, shuffle into the next conv's read); ``folds_bn`` marks convs that
    gain a bias when the following BN is folded in.
    """

    name: str
    op: str
    kind: str
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    bias: bool = False
    extra_in: int = 0
    fused: bool = False
    folds_bn: bool = False


class Unit(NamedTuple):
    """A building block: the stem conv, a pool, a ShuffleNet unit, a depthwise-separable block.

    A NamedTuple rather than a dataclass: plans are built per search candidate, and tuples are
    created several times faster.

    ``groups`` is the group count of the unit's 1x1 convs, ``first_groups`` that of the first
    1x1 conv (1 in Stage2's first unit, as in the paper), ``mid_channels`` the bottleneck width;
    ``bias`` is the FC classifier's bias (the official ShuffleNet v1 code has none).
    """

    kind: str
    in_channels: int
    out_channels: int
    in_size: tuple[int, int]
    stride: int = 1
    groups: int = 1
    first_groups: int = 1
    mid_channels: int = 0
    shuffle: bool = False
    bias: bool = True

    @property
    def out_size(self) -> tuple[int, int]:
        """Spatial size after the unit."""
        if self.kind == "globalpool" or self.kind == "fc":
            return (1, 1)
        return _down(self.in_size, self.stride)


class PlanBlock(NamedTuple):
    """``repeat`` identical units in ``stage``, the first being unit number ``index`` (1-based)."""

    stage: str
    index: int
    repeat: int
    unit: Unit

    def unit_labels(self) -> list[str]:
        """Labels of the units this block stands for ('unit1', 'unit2', ... or '')."""
        if self.index == 0:
            return [""] * self.repeat
        return [f"unit{self.index + k}" for k in range(self.repeat)]


@dataclass(frozen=True)
class PlacedLayer:
    """A layer with its place in the network: stage, unit and full dotted name."""

    stage: str
    unit: str
    layer: Layer

    @property
    def path(self) -> str:
        """Dotted name, e.g. 'stage3.unit2.gconv1' (the torch module path of the op)."""
        return ".".join(p for p in (self.stage, self.unit, self.layer.name) if p)


class BlockRun(tuple):
    """Consecutive blocks of a plan that one cached call built (the stem, a stage, the head),
    so that equal runs in different plans are one object. ``memo`` holds what consumers
    derive from the run (``cost.plan_cost`` keeps its cost there), computed once per run
    rather than once per plan: a search sums thousands of plans made of the same runs."""

    @property
    def memo(self) -> dict:
        """Values derived from this run, by the consumer's key."""
        return self.__dict__


@dataclass(frozen=True)
class Plan:
    """The layer plan of one network: ``blocks`` in order; ``runs`` the same blocks grouped
    by the cached call that built them (their concatenation is ``blocks``)."""

    spec: NetworkSpec
    blocks: tuple[PlanBlock, ...]
    runs: tuple[BlockRun, ...] = ()
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # as BlockRun.memo

    def __post_init__(self):
        if not self.runs:
            object.__setattr__(self, "runs", (BlockRun(self.blocks),))

    def layers(self) -> Iterator[PlacedLayer]:
        """Every layer of the network in execution order, repeated units expanded."""
        for block in self.blocks:
            layers = unit_layers(block.unit)
            for label in block.unit_labels():
                for layer in layers:
                    yield PlacedLayer(block.stage, label, layer)

    def stages(self) -> list[str]:
        """Stage names in order ('conv1', 'maxpool', 'stage2', ..., 'globalpool', 'fc')."""
        seen: list[str] = []
        for b in self.blocks:
            if b.stage not in seen:
                seen.append(b.stage)
        return seen


def _down(size: tuple[int, int], stride: int) -> tuple[int, int]:
    if stride == 1:
        return size
    return ((size[0] - 1) // 2 + 1, (size[1] - 1) // 2 + 1)


# ----------------------------------------------------------------------------- units -> layers


@lru_cache(maxsize=65536)
def unit_layers(unit: Unit) -> tuple[Layer, ...]:
    """Expand a unit to its layers (cached by unit shape)."""
    return _EXPANDERS[unit.kind](unit)


def _stem(u: Unit) -> tuple[Layer, ...]:
    h, w = u.in_size
    oh, ow = u.out_size
    out = (u.out_channels, oh, ow)
    return (
        Layer("conv", "conv", "dense_conv", (u.in_channels, h, w), out, 3, u.stride, folds_bn=True),
        Layer("bn", "bn", "bn", out, out, fused=True),
        Layer("relu", "relu", "activation", out, out, fused=True),
    )


def _maxpool(u: Unit) -> tuple[Layer, ...]:
    oh, ow = u.out_size
    return (
        Layer(
            "maxpool",
            "maxpool",
            "pooling",
            (u.in_channels, *u.in_size),
            (u.out_channels, oh, ow),
            3,
            u.stride,
        ),
    )


def _globalpool(u: Unit) -> tuple[Layer, ...]:
    return (
        Layer(
            "globalpool",
            "globalpool",
            "pooling",
            (u.in_channels, *u.in_size),
            (u.out_channels, 1, 1),
            u.in_size[0],
        ),
    )


def _fc(u: Unit) -> tuple[Layer, ...]:
    return (Layer("fc", "fc", "fc", (u.in_channels, 1, 1), (u.out_channels, 1, 1), bias=u.bias),)


def _shufflenet_unit(u: Unit) -> tuple[Layer, ...]:
    """Fig. 2 (b)/(c) of the ShuffleNet paper.

    1x1 gconv -> BN -> ReLU -> shuffle -> 3x3 DWConv (stride s) -> BN -> 1x1 gconv -> BN;
    stride 1: add identity, ReLU; stride 2: 3x3 avg pool shortcut, concat, ReLU.
    """
    cin, mid, cout = u.in_channels, u.mid_channels, u.out_channels
    h, w = u.in_size
    oh, ow = u.out_size
    branch_out = cout - cin if u.stride == 2 else cout
    m_in = (mid, h, w)
    m_out = (mid, oh, ow)
    b_out = (branch_out, oh, ow)
    layers = [
        Layer("gconv1", "conv", "conv1x1", (cin, h, w), m_in, 1, 1, u.first_groups, folds_bn=True),
        Layer("bn1", "bn", "bn", m_in, m_in, fused=True),
        Layer("relu1", "relu", "activation", m_in, m_in, fused=True),
    ]
    if u.shuffle and u.groups > 1:
        layers.append(
            Layer("shuffle", "shuffle", "shuffle", m_in, m_in, groups=u.groups, fused=True)
        )
    layers += [
        Layer("dwconv", "conv", "depthwise", m_in, m_out, 3, u.stride, mid, folds_bn=True),
        Layer("bn2", "bn", "bn", m_out, m_out, fused=True),
        Layer("gconv2", "conv", "conv1x1", m_out, b_out, 1, 1, u.groups, folds_bn=True),
        Layer("bn3", "bn", "bn", b_out, b_out, fused=True),
    ]
    out = (cout, oh, ow)
    if u.stride == 2:
        short = (cin, oh, ow)
        layers += [
            Layer("shortcut", "avgpool", "pooling", (cin, h, w), short, 3, 2),
            Layer("concat", "concat", "add_concat", b_out, out, extra_in=cin * oh * ow),
        ]
    else:
        layers.append(Layer("add", "add", "add_concat", b_out, out, extra_in=cin * h * w))
    layers.append(Layer("relu", "relu", "activation", out, out, fused=True))
    return tuple(layers)


def _dw_separable(u: Unit) -> tuple[Layer, ...]:
    """MobileNet v1's block: 3x3 depthwise -> BN -> ReLU -> 1x1 pointwise -> BN -> ReLU."""
    cin, cout = u.in_channels, u.out_channels
    h, w = u.in_size
    oh, ow = u.out_size
    m = (cin, oh, ow)
    out = (cout, oh, ow)
    return (
        Layer("dwconv", "conv", "depthwise", (cin, h, w), m, 3, u.stride, cin, folds_bn=True),
        Layer("bn1", "bn", "bn", m, m, fused=True),
        Layer("relu1", "relu", "activation", m, m, fused=True),
        Layer("pwconv", "conv", "conv1x1", m, out, 1, 1, 1, folds_bn=True),
        Layer("bn2", "bn", "bn", out, out, fused=True),
        Layer("relu2", "relu", "activation", out, out, fused=True),
    )


_EXPANDERS = {
    "conv_bn_relu": _stem,
    "maxpool": _maxpool,
    "globalpool": _globalpool,
    "fc": _fc,
    "shufflenet_unit": _shufflenet_unit,
    "dw_separable": _dw_separable,
}


# ----------------------------------------------------------------------------- spec -> plan


def build_plan(spec: NetworkSpec) -> Plan:
    """The layer plan of a validated spec.

    Example::

        >>> from shufflenet_cli.spec import shufflenet_spec
        >>> plan = build_plan(shufflenet_spec(groups=3))
        >>> plan.stages()
        ['conv1', 'maxpool', 'stage2', 'stage3', 'stage4', 'globalpool', 'fc']
    """
    if isinstance(spec, ShuffleNetSpec):
        runs = _shufflenet_runs(spec)
        return Plan(spec, sum(runs, ()), runs)
    if isinstance(spec, MobileNetSpec):
        return Plan(spec, tuple(_mobilenet_blocks(spec)))
    raise TypeError(f"not a network spec: {spec!r}")


def _shufflenet_runs(spec: ShuffleNetSpec) -> tuple[BlockRun, ...]:
    # Plans are built once per search candidate, so this is hot: the stem, each stage and the
    # head are built by cached functions of what they depend on (a grid repeats them often).
    stem, size = _stem_blocks(spec.in_channels, spec.stem_channels, spec.resolution)
    runs = [stem]
    cin = spec.stem_channels
    for i, st in enumerate(spec.stages):
        first_groups = st.groups if (i > 0 or spec.first_pointwise_grouped) else 1
        stage, size = _stage_blocks(i + 2, cin, size, st, first_groups, spec.shuffle)
        runs.append(stage)
        cin = st.out_channels
    runs.append(_head_blocks(cin, size, spec.num_classes, spec.fc_bias))
    return tuple(runs)


@lru_cache(maxsize=4096)
def _stem_blocks(
    in_channels: int, stem_channels: int, resolution: int
) -> tuple[BlockRun, tuple[int, int]]:
    """conv1 and the max pool, and the size after them."""
    stem = Unit("conv_bn_relu", in_channels, stem_channels, (resolution, resolution), stride=2)
    pool = Unit("maxpool", stem_channels, stem_channels, stem.out_size, stride=2)
    return BlockRun(
        (PlanBlock("conv1", 0, 1, stem), PlanBlock("maxpool", 0, 1, pool))
    ), pool.out_size


@lru_cache(maxsize=65536)
def _stage_blocks(
    number: int,
    cin: int,
    size: tuple[int, int],
    st,
    first_groups: int,
    shuffle: bool,
) -> tuple[BlockRun, tuple[int, int]]:
    """One ShuffleNet stage (``stage{number}``): its stride-2 unit, then its ``units - 1``
    identical stride-1 units as one block; and the size after it."""
    name = f"stage{number}"
    mid = st.bottleneck_channels
    cout = st.out_channels
    first = Unit("shufflenet_unit", cin, cout, size, 2, st.groups, first_groups, mid, shuffle)
    out_size = first.out_size
    blocks: tuple[PlanBlock, ...] = (PlanBlock(name, 1, 1, first),)
    if st.units > 1:
        rest = Unit("shufflenet_unit", cout, cout, out_size, 1, st.groups, st.groups, mid, shuffle)
        blocks += (PlanBlock(name, 2, st.units - 1, rest),)
    return BlockRun(blocks), out_size


@lru_cache(maxsize=4096)
def _head_blocks(channels: int, size: tuple[int, int], num_classes: int, bias: bool) -> BlockRun:
    """Global pool and FC classifier."""
    return BlockRun(
        (
            PlanBlock("globalpool", 0, 1, Unit("globalpool", channels, channels, size)),
            PlanBlock("fc", 0, 1, Unit("fc", channels, num_classes, (1, 1), bias=bias)),
        )
    )


def _mobilenet_blocks(spec: MobileNetSpec) -> Iterator[PlanBlock]:
    size = (spec.resolution, spec.resolution)
    stem = Unit("conv_bn_relu", spec.in_channels, spec.stem_channels, size, stride=2)
    yield PlanBlock("conv1", 0, 1, stem)
    size = stem.out_size
    cin = spec.stem_channels
    # Stages by output stride, so roll-ups read like the paper's Table 1 rows at each size.
    level = 1
    index = 0
    for c, s in spec.blocks:
        if s == 2:
            level += 1
            index = 0
        index += 1
        unit = Unit("dw_separable", cin, c, size, s)
        yield PlanBlock(f"stage{level}", index, 1, unit)
        size = unit.out_size
        cin = c
    yield PlanBlock("globalpool", 0, 1, Unit("globalpool", cin, cin, size))
    yield PlanBlock("fc", 0, 1, Unit("fc", cin, spec.num_classes, (1, 1), bias=spec.fc_bias))


def outline(plan: Plan) -> list[dict]:
    """The plan in the layout of the ShuffleNet paper's Table 1: one row per block.

    Keys: stage, output_size, kernel, stride, repeat, out_channels, groups, bottleneck.
    """
    rows: list[dict] = []
    for block in plan.blocks:
        u = block.unit
        kernel = {
            "maxpool": "3x3",
            "conv_bn_relu": "3x3",
            "fc": "",
            "globalpool": "x".join(map(str, u.in_size)),
        }.get(u.kind, "")
        row = {
            "stage": block.stage,
            "output_size": "x".join(map(str, u.out_size)),
            "kernel": kernel,
            "stride": u.stride if u.kind not in ("globalpool", "fc") else None,
            "repeat": block.repeat,
            "out_channels": u.out_channels,
            "groups": u.groups if u.kind == "shufflenet_unit" else None,
            "bottleneck": u.mid_channels or None,
        }
        last = rows[-1] if rows else None
        if last is not None and {k: v for k, v in last.items() if k != "repeat"} == {
            k: v for k, v in row.items() if k != "repeat"
        }:
            last["repeat"] += row["repeat"]  # MobileNet's 5 x 512 blocks read as one row
        else:
            rows.append(row)
    return rows
