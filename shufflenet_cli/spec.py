"""Network specs: what a ShuffleNet v1 or MobileNet v1 variant is, as validated data.

A spec is the single description every other part reads (plan, cost model, torch module).
The paper rules live here as constructors:

* ``shufflenet_spec(groups, scale)``: Zhang et al. 2018, Table 1 channels for g in
  {1, 2, 3, 4, 8}, doubling per stage; other g by the complexity rule below; width scale
  ``s`` by the rounding rule below; explicit overrides always win.
* ``mobilenet_spec(width, resolution)``: Howard et al. 2017, Table 1 with the width
  multiplier alpha (TF-Slim rounding: ``max(int(c * alpha), 8)``) and the last depthwise
  conv at stride 1 (the published 569 M multiply-adds need it).

No torch here: specs and plans are plain Python, so analytic commands start fast.
"""

from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping, Sequence

from .errors import UserError

# Table 1 of the ShuffleNet paper: Stage2 output channels per group count (Stage3, Stage4 double).
TABLE1_STAGE2_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
STAGE_UNITS = (4, 8, 4)  # Stage2: 1 stride-2 unit + 3; Stage3: 1 + 7; Stage4: 1 + 3
STEM_CHANNELS = 24
BOTTLENECK_RATIO = 0.25

# MobileNet v1, Table 1: (output channels, stride) of the 13 depthwise-separable blocks.
# The last block is stride 1: Table 1 prints s2 but the published 569 M needs s1.
MOBILENET_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)
MOBILENET_STEM = 32

# Sanity limits: far beyond any real network, small enough to catch typos before they cost
# minutes of compute or all the memory of the machine.
MAX_CHANNELS = 1 << 16
MAX_UNITS = 256
MAX_RESOLUTION = 8192
MAX_CLASSES = 1_000_000


@dataclass(frozen=True)
class PaperRow:
    """Published numbers for a preset, shown beside ours. ``mflops`` = millions of multiply-adds."""

    mflops: float | None = None
    top1_err: float | None = None
    params_m: float | None = None
    source: str = ""


@dataclass(frozen=True)
class StageSpec:
    """One ShuffleNet stage: ``units`` ShuffleNet units, the first with stride 2.

    ``bottleneck_ratio`` sets the bottleneck width of every unit as a fraction of the stage's
    output channels (1/4 in the paper), rounded to the nearest multiple of ``groups``.
    """

    out_channels: int
    units: int
    groups: int
    bottleneck_ratio: float = BOTTLENECK_RATIO

    @property
    def bottleneck_channels(self) -> int:
        """Bottleneck channels: ``out_channels * bottleneck_ratio`` to the nearest multiple of g."""
        return bottleneck_channels(self.out_channels, self.bottleneck_ratio, self.groups)


@lru_cache(maxsize=65536)
def bottleneck_channels(out_channels: int, ratio: float, groups: int) -> int:
    """Bottleneck width of a unit: ``out * ratio`` rounded to the nearest multiple of ``groups``.

    With the paper's ratio 1/4 and ``out`` a multiple of 4g this is exactly ``out / 4``.
    The result is at least ``groups`` (one channel per group).
    """
    return max(groups, int(math.floor(out_channels * ratio / groups + 0.5)) * groups)


@dataclass(frozen=True)
class ShuffleNetSpec:
    """A ShuffleNet v1 network: stem, stages of ShuffleNet units, global pool, FC.

    Example::

        >>> spec = shufflenet_spec(groups=3)
        >>> [s.out_channels for s in spec.stages]
        [240, 480, 960]
    """

    stages: tuple[StageSpec, ...]
    stem_channels: int = STEM_CHANNELS
    resolution: int = 224
    num_classes: int = 1000
    in_channels: int = 3
    shuffle: bool = True
    first_pointwise_grouped: bool = False
    name: str = ""
    scale: float | None = None
    rule: str = ""
    paper: PaperRow | None = None

    family = "shufflenet"

    @property
    def groups(self) -> int | None:
        """The group count when every stage uses the same one, else None."""
        gs = {s.groups for s in self.stages}
        return gs.pop() if len(gs) == 1 else None

    @property
    def stage_channels(self) -> tuple[int, ...]:
        """Output channels of each stage."""
        return tuple(s.out_channels for s in self.stages)

    def arch_key(self) -> tuple:
        """Everything that changes the network, nothing that only labels it."""
        return (
            "shufflenet", self.stem_channels,
            tuple((s.out_channels, s.units, s.groups, s.bottleneck_channels) for s in self.stages),
            self.resolution, self.num_classes, self.in_channels, self.shuffle,
            self.first_pointwise_grouped,
        )


@dataclass(frozen=True)
class MobileNetSpec:
    """A MobileNet v1 network: 3x3 stem conv, depthwise-separable blocks, global pool, FC."""

    blocks: tuple[tuple[int, int], ...]
    stem_channels: int = MOBILENET_STEM
    width: float = 1.0
    resolution: int = 224
    num_classes: int = 1000
    in_channels: int = 3
    name: str = ""
    rule: str = ""
    paper: PaperRow | None = None

    family = "mobilenet"
    groups = None
    scale = None

    @property
    def stage_channels(self) -> tuple[int, ...]:
        """Output channels at the end of each resolution (the last block before each stride)."""
        out = []
        for i, (c, _s) in enumerate(self.blocks):
            nxt = self.blocks[i + 1][1] if i + 1 < len(self.blocks) else 2
            if nxt == 2:
                out.append(c)
        return tuple(out)

    def arch_key(self) -> tuple:
        """Everything that changes the network, nothing that only labels it."""
        return ("mobilenet", self.stem_channels, self.blocks, self.resolution,
                self.num_classes, self.in_channels)


NetworkSpec = ShuffleNetSpec | MobileNetSpec


# ----------------------------------------------------------------------------- helpers


def round_up(value: float, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value`` (and >= ``multiple``)."""
    return max(multiple, int(math.ceil(value / multiple - 1e-9)) * multiple)


def scale_label(scale: float) -> str:
    """'1x', '0.5x', '1.5x': the papers' way of writing a width scale."""
    return f"{scale:g}x"


def _positive_int(value: Any, field_name: str, maximum: int) -> int:
    if type(value) is int and 0 < value <= maximum:  # the common case, fast (search screening)
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise UserError(f"{field_name}: {value!r} is not a whole number")
    if value <= 0:
        raise UserError(f"{field_name}: {value} must be a positive whole number")
    if value > maximum:
        raise UserError(f"{field_name}: {value} is absurdly large (at most {maximum})")
    return value


def _positive_float(value: Any, field_name: str, maximum: float = 16.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{field_name}: {value!r} is not a number")
    value = float(value)
    if not (0 < value <= maximum) or math.isnan(value):
        raise UserError(f"{field_name}: {value:g} must be > 0 and at most {maximum:g}")
    return value


def _bool(value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{field_name}: {value!r} must be true or false")
    return value


def min_resolution(spec: NetworkSpec) -> int:
    """Smallest input size that leaves every stride-2 op at least a 2x2 input."""
    return 2 ** count_downsamplings(spec)


def count_downsamplings(spec: NetworkSpec) -> int:
    """Number of stride-2 ops between the input and the global pool."""
    if isinstance(spec, ShuffleNetSpec):
        return 2 + len(spec.stages)  # conv1, maxpool, first unit of each stage
    return 1 + sum(1 for _c, s in spec.blocks if s == 2)


# ----------------------------------------------------------------------------- validation


def validate(spec: NetworkSpec) -> NetworkSpec:
    """Check a spec against the architecture's rules; raise ``UserError`` naming the field.

    Returns the spec itself so calls can be chained.
    """
    _positive_int(spec.resolution, "resolution", MAX_RESOLUTION)
    _positive_int(spec.num_classes, "num_classes", MAX_CLASSES)
    _positive_int(spec.in_channels, "in_channels", MAX_CHANNELS)
    _positive_int(spec.stem_channels, "stem_channels", MAX_CHANNELS)
    if isinstance(spec, ShuffleNetSpec):
        _validate_shufflenet(spec)
    else:
        _validate_mobilenet(spec)
    need = min_resolution(spec)
    if spec.resolution < need:
        raise UserError(
            f"resolution: {spec.resolution} is too small for {count_downsamplings(spec)} "
            f"stride-2 layers (at least {need})")
    return spec


def _validate_shufflenet(spec: ShuffleNetSpec) -> None:
    _bool(spec.shuffle, "shuffle")
    _bool(spec.first_pointwise_grouped, "first_pointwise_grouped")
    if not spec.stages:
        raise UserError("stages: a ShuffleNet needs at least one stage")
    if len(spec.stages) > 8:
        raise UserError(f"stages: {len(spec.stages)} stages is absurd (at most 8)")
    in_ch = spec.stem_channels
    for i, st in enumerate(spec.stages):
        where = f"stages[{i}]"
        g = _positive_int(st.groups, f"{where}.groups", 1024)
        out = _positive_int(st.out_channels, f"{where}.out_channels", MAX_CHANNELS)
        _positive_int(st.units, f"{where}.units", MAX_UNITS)
        _positive_float(st.bottleneck_ratio, f"{where}.bottleneck_ratio", 4.0)
        mid = st.bottleneck_channels
        if out <= in_ch:
            raise UserError(
                f"{where}.out_channels: {out} must exceed the stage's input channels {in_ch} "
                f"(the stride-2 unit concatenates its input with (out - in) new channels)")
        if out % g:
            raise UserError(f"{where}.groups: {g} does not divide out_channels {out}")
        if (out - in_ch) % g:
            raise UserError(
                f"{where}.groups: {g} does not divide the stride-2 unit's branch output "
                f"{out - in_ch} (= out_channels {out} - input channels {in_ch})")
        first_grouped = i > 0 or spec.first_pointwise_grouped
        if first_grouped and in_ch % g:
            raise UserError(
                f"{where}.groups: {g} does not divide the stage's input channels {in_ch}"
                + ("" if i else " (first_pointwise_grouped is true)"))
        if mid % g:  # cannot happen with bottleneck_channels' rounding, kept as a guard
            raise UserError(f"{where}.groups: {g} does not divide bottleneck channels {mid}")
        in_ch = out


def _validate_mobilenet(spec: MobileNetSpec) -> None:
    if not spec.blocks:
        raise UserError("blocks: a MobileNet needs at least one block")
    if len(spec.blocks) > MAX_UNITS:
        raise UserError(f"blocks: {len(spec.blocks)} blocks is absurd (at most {MAX_UNITS})")
    for i, (c, s) in enumerate(spec.blocks):
        _positive_int(c, f"blocks[{i}].out_channels", MAX_CHANNELS)
        if s not in (1, 2):
            raise UserError(f"blocks[{i}].stride: {s!r} must be 1 or 2")
    _positive_float(spec.width, "width", 16.0)


# ----------------------------------------------------------------------------- constructors


@lru_cache(maxsize=None)
def _stage2_channels_for_groups(groups: int) -> tuple[int, str]:
    """Stage2 channels at 1x for ``groups``: Table 1, or the complexity rule for other g.

    Rule for g outside Table 1: the largest multiple of 4*g whose conv-only multiply-adds
    (at 224x224, stem = ceil(24/g)*g) stay within the g=1 network's (Table 1's 143 M).
    """
    if groups in TABLE1_STAGE2_CHANNELS:
        return TABLE1_STAGE2_CHANNELS[groups], "Table 1 channels"
    from .cost import conv_macs  # local import: cost reads plans built from specs

    budget = conv_macs(validate(_explicit(144, 1, STEM_CHANNELS, 224)))
    stem = round_up(STEM_CHANNELS, groups)
    step = 4 * groups
    best = None
    c = step
    while c <= MAX_CHANNELS // 4:
        if c > stem:
            if conv_macs(_explicit(c, groups, stem, 224)) > budget:
                break
            best = c
        c += step
    if best is None:
        raise UserError(f"groups: {groups} is too large for a ShuffleNet within the g=1 budget")
    return best, (f"largest multiple of 4g={step} whose conv-only multiply-adds stay within "
                  f"the g=1 network's {budget / 1e6:.1f} M")


def _explicit(stage2: int, groups: int, stem: int, resolution: int) -> ShuffleNetSpec:
    return ShuffleNetSpec(
        stages=tuple(StageSpec(stage2 * 2 ** i, n, groups) for i, n in enumerate(STAGE_UNITS)),
        stem_channels=stem, resolution=resolution)


_SHUFFLENET_OVERRIDES = {
    "stem_channels", "stage_channels", "units", "bottleneck_ratio", "resolution",
    "num_classes", "in_channels", "shuffle", "first_pointwise_grouped", "name", "paper",
}


@lru_cache(maxsize=4096)
def _paper_rule_channels(groups: tuple[int, ...], scale: float
                         ) -> tuple[list[int], int, tuple[str, ...]]:
    """Stage channels, stem and the rules used, for per-stage ``groups`` at width ``scale``.

    Cached: a search builds thousands of specs from a few (groups, scale) pairs.
    """
    g_max = max(groups)
    mixed = len(set(groups)) > 1
    base, rule = _stage2_channels_for_groups(g_max)
    rules = [rule + (f" of g={g_max}" if mixed else "")]
    channels = []
    for i, g in enumerate(groups):
        c1x = base * 2 ** i
        step = 4 * math.lcm(*groups) if mixed else 4 * g
        channels.append(c1x if scale == 1.0 else round_up(c1x * scale, step))
    if scale != 1.0:
        rules.append(f"scaled by {scale:g} and rounded up to a multiple of 4g per stage")
    stem = round_up(STEM_CHANNELS * scale, g_max)
    if stem != STEM_CHANNELS:
        rules.append(f"stem = ceil(24*{scale:g}/g)*g = {stem}")
    return channels, stem, tuple(rules)


def shufflenet_spec(groups: int | Sequence[int] = 3, scale: float = 1.0,
                    **overrides: Any) -> ShuffleNetSpec:
    """A ShuffleNet v1 spec by the paper's rules, with any field overridden.

    Channels: Table 1's Stage2 channels for g in {1, 2, 3, 4, 8} (other g: the largest
    multiple of 4g within the g=1 complexity), doubling per stage. Width scale ``s``:
    each stage's 1x channels times ``s``, rounded up to a multiple of 4g; stem =
    ceil(24 s / g) g. Overrides (``stem_channels``, ``stage_channels``, ``units``,
    ``bottleneck_ratio``, ``resolution``, ``num_classes``, ``in_channels``, ``shuffle``,
    ``first_pointwise_grouped``, ``name``, ``paper``) always win.

    ``groups`` may be one count for every stage or one per stage.

    Example::

        >>> s = shufflenet_spec(groups=8, scale=0.5)
        >>> s.stem_channels, s.stage_channels
        (16, (192, 384, 768))
    """
    unknown = set(overrides) - _SHUFFLENET_OVERRIDES
    if unknown:
        raise UserError(f"{sorted(unknown)[0]}: unknown ShuffleNet field "
                        f"(known: groups, scale, {', '.join(sorted(_SHUFFLENET_OVERRIDES))})")
    scale = _positive_float(scale, "scale", 16.0)
    units = overrides.get("units", STAGE_UNITS)
    if isinstance(units, int):
        units = [units] * len(STAGE_UNITS)
    units = [_positive_int(u, f"units[{i}]", MAX_UNITS) for i, u in enumerate(units)]
    n_stages = len(units)
    if isinstance(groups, (list, tuple)):
        group_list = [_positive_int(g, f"groups[{i}]", 1024) for i, g in enumerate(groups)]
        if len(group_list) != n_stages:
            raise UserError(f"groups: {len(group_list)} values given for {n_stages} stages")
    else:
        group_list = [_positive_int(groups, "groups", 1024)] * n_stages
    g_max = max(group_list)
    resolution = overrides.get("resolution", 224)

    if "stage_channels" in overrides:
        channels = list(overrides["stage_channels"])
        if len(channels) != n_stages:
            raise UserError(f"stage_channels: {len(channels)} values given for {n_stages} stages")
        channels = [_positive_int(c, f"stage_channels[{i}]", MAX_CHANNELS)
                    for i, c in enumerate(channels)]
        stem = round_up(STEM_CHANNELS * scale, g_max)
        rules: tuple[str, ...] = ("stage channels given explicitly",)
    else:
        channels, stem, rules = _paper_rule_channels(tuple(group_list), scale)
    if "stem_channels" in overrides:
        stem = _positive_int(overrides["stem_channels"], "stem_channels", MAX_CHANNELS)
        rules = tuple(r for r in rules if not r.startswith("stem ="))
    ratio = overrides.get("bottleneck_ratio", BOTTLENECK_RATIO)
    stages = tuple(StageSpec(c, u, g, ratio) for c, u, g in zip(channels, units, group_list))
    gname = f"g{g_max}" if len(set(group_list)) == 1 else "g" + "-".join(map(str, group_list))
    spec = ShuffleNetSpec(
        stages=stages,
        stem_channels=stem,
        resolution=resolution,
        num_classes=overrides.get("num_classes", 1000),
        in_channels=overrides.get("in_channels", 3),
        shuffle=overrides.get("shuffle", True),
        first_pointwise_grouped=overrides.get("first_pointwise_grouped", False),
        name=overrides.get("name") or f"shufflenet-{scale_label(scale)}-{gname}"
        + ("" if resolution == 224 else f"-{resolution}"),
        scale=scale,
        rule="; ".join(rules),
        paper=overrides.get("paper"),
    )
    return validate(spec)


def mobilenet_spec(width: float = 1.0, resolution: int = 224, **overrides: Any) -> MobileNetSpec:
    """A MobileNet v1 spec: Table 1 with width multiplier ``width`` at ``resolution``.

    Channels are ``max(int(c * width), 8)`` (TF-Slim's rule). Overrides: ``num_classes``,
    ``in_channels``, ``name``, ``paper``.

    Example::

        >>> mobilenet_spec(0.5).stem_channels
        16
    """
    allowed = {"num_classes", "in_channels", "name", "paper"}
    unknown = set(overrides) - allowed
    if unknown:
        raise UserError(f"{sorted(unknown)[0]}: unknown MobileNet field "
                        f"(known: width, resolution, {', '.join(sorted(allowed))})")
    width = _positive_float(width, "width", 16.0)
    resolution = _positive_int(resolution, "resolution", MAX_RESOLUTION)

    def ch(c: int) -> int:
        return max(int(c * width), 8)

    res_part = "" if resolution == 224 else f"-{resolution}"
    spec = MobileNetSpec(
        blocks=tuple((ch(c), s) for c, s in MOBILENET_BLOCKS),
        stem_channels=ch(MOBILENET_STEM),
        width=width,
        resolution=resolution,
        num_classes=overrides.get("num_classes", 1000),
        in_channels=overrides.get("in_channels", 3),
        name=overrides.get("name") or f"mobilenet-v1-{_width_label(width)}{res_part}",
        rule="channels = max(int(c * width), 8); last depthwise conv stride 1",
        paper=overrides.get("paper"),
    )
    return validate(spec)


def _width_label(width: float) -> str:
    """'1.0', '0.75', '0.5', '0.25': how the MobileNet paper writes alpha."""
    text = f"{width:g}"
    return text + ".0" if "." not in text else text


# ----------------------------------------------------------------------------- dict form


def spec_to_dict(spec: NetworkSpec) -> dict:
    """The explicit dict form of a spec (what ``spec_from_dict`` and ``--spec FILE`` read)."""
    if isinstance(spec, ShuffleNetSpec):
        out: dict[str, Any] = {
            "family": "shufflenet",
            "name": spec.name,
            "stem_channels": spec.stem_channels,
            "stages": [
                {"out_channels": s.out_channels, "units": s.units, "groups": s.groups,
                 "bottleneck_ratio": s.bottleneck_ratio} for s in spec.stages
            ],
            "resolution": spec.resolution,
            "num_classes": spec.num_classes,
            "shuffle": spec.shuffle,
            "first_pointwise_grouped": spec.first_pointwise_grouped,
        }
        if spec.in_channels != 3:
            out["in_channels"] = spec.in_channels
    else:
        out = {"family": "mobilenet", "name": spec.name, "width": spec.width,
               "resolution": spec.resolution, "num_classes": spec.num_classes}
    if spec.paper is not None:
        out["paper"] = {k: v for k, v in vars(spec.paper).items() if v not in (None, "")}
    return out


_STAGE_KEYS = {"out_channels", "units", "groups", "bottleneck_ratio"}
_SHUFFLENET_KEYS = {"family", "name", "groups", "scale", "stages", "paper"} | _SHUFFLENET_OVERRIDES
_MOBILENET_KEYS = {"family", "name", "width", "resolution", "num_classes", "in_channels", "paper"}
_PAPER_KEYS = {f.name for f in fields(PaperRow)}


def spec_from_dict(data: Mapping[str, Any], source: str = "spec") -> NetworkSpec:
    """Build and validate a spec from its dict form (a YAML file, a preset, a search space).

    Two ShuffleNet forms: the rule form (``groups``, ``scale`` and overrides, as
    ``shufflenet_spec``) or the explicit form (``stages``: a list of ``out_channels``,
    ``units``, ``groups``, ``bottleneck_ratio``). MobileNet: ``width`` and ``resolution``.
    Unknown keys are an error naming the key.
    """
    if not isinstance(data, Mapping):
        raise UserError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    family = data.get("family", "shufflenet")
    paper = _paper_from(data.get("paper"), source)
    if family == "mobilenet":
        _reject_unknown(data, _MOBILENET_KEYS, source, "MobileNet")
        kw = {k: data[k] for k in ("num_classes", "in_channels", "name") if k in data}
        return mobilenet_spec(data.get("width", 1.0), data.get("resolution", 224),
                              paper=paper, **kw)
    if family != "shufflenet":
        raise UserError(f"{source}: family: {family!r} must be 'shufflenet' or 'mobilenet'")
    _reject_unknown(data, _SHUFFLENET_KEYS, source, "ShuffleNet")
    if "stages" not in data:
        kw = {k: v for k, v in data.items() if k not in ("family", "groups", "scale", "paper")}
        return shufflenet_spec(data.get("groups", 3), data.get("scale", 1.0), paper=paper, **kw)
    mixed = sorted({"groups", "scale", "stage_channels", "units", "bottleneck_ratio"} & set(data))
    if mixed:
        raise UserError(f"{source}: {mixed[0]}: cannot be combined with 'stages' "
                        "(give per-stage values inside stages)")
    stages_in = data["stages"]
    if not isinstance(stages_in, list) or not stages_in:
        raise UserError(f"{source}: stages: must be a non-empty list of stages")
    stages = []
    for i, st in enumerate(stages_in):
        if not isinstance(st, Mapping):
            raise UserError(f"{source}: stages[{i}]: expected a mapping, got {st!r}")
        _reject_unknown(st, _STAGE_KEYS, f"{source}: stages[{i}]", "stage")
        missing = [k for k in ("out_channels", "units", "groups") if k not in st]
        if missing:
            raise UserError(f"{source}: stages[{i}].{missing[0]}: missing")
        stages.append(StageSpec(st["out_channels"], st["units"], st["groups"],
                                st.get("bottleneck_ratio", BOTTLENECK_RATIO)))
    spec = ShuffleNetSpec(
        stages=tuple(stages),
        stem_channels=data.get("stem_channels", STEM_CHANNELS),
        resolution=data.get("resolution", 224),
        num_classes=data.get("num_classes", 1000),
        in_channels=data.get("in_channels", 3),
        shuffle=data.get("shuffle", True),
        first_pointwise_grouped=data.get("first_pointwise_grouped", False),
        name=str(data.get("name") or "custom-shufflenet"),
        rule="stages given explicitly",
        paper=paper,
    )
    try:
        return validate(spec)
    except UserError as e:
        raise UserError(f"{source}: {e}") from None


def _reject_unknown(data: Mapping, allowed: set, source: str, what: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise UserError(f"{source}: {unknown[0]}: unknown {what} key "
                        f"(known: {', '.join(sorted(allowed))})")


def _paper_from(value: Any, source: str) -> PaperRow | None:
    if value is None:
        return None
    if isinstance(value, PaperRow):
        return value
    if not isinstance(value, Mapping):
        raise UserError(f"{source}: paper: expected a mapping, got {value!r}")
    _reject_unknown(value, _PAPER_KEYS, f"{source}: paper", "paper")
    return PaperRow(**value)


def with_resolution(spec: NetworkSpec, resolution: int) -> NetworkSpec:
    """The same network at another input size (the name gains the size, paper numbers drop)."""
    if resolution == spec.resolution:
        return spec
    return validate(replace(spec, resolution=resolution, name=f"{spec.name}@{resolution}",
                            paper=None))


__all__ = [
    "PaperRow", "StageSpec", "ShuffleNetSpec", "MobileNetSpec", "NetworkSpec",
    "shufflenet_spec", "mobilenet_spec", "spec_from_dict", "spec_to_dict", "validate",
    "with_resolution", "bottleneck_channels", "round_up",
]
