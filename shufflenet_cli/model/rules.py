"""The papers' rules: how a ShuffleNet v1 or MobileNet v1 spec is filled in from a few numbers,
and the names those rules give.

* ``shufflenet_spec(groups, scale)``: Zhang et al. 2018, Table 1 channels for g in
  {1, 2, 3, 4, 8}, doubling per stage; other g by the complexity rule below; width scale
  ``s`` as the official implementation (Megvii ShuffleNet-Series, ``ShuffleNetV1/network.py``):
  stage channels = Table 1 x s (rounded up to a multiple of 4g where that is not whole),
  stem ceil(24 s / g) g for s <= 1 and 24 floor(s) for s > 1 (official: 0.5x ceil(12/g) g,
  1x 24, 1.5x 24, 2x 48). Explicit overrides always win.
* ``mobilenet_spec(width, resolution)``: Howard et al. 2017, Table 1 with the width
  multiplier alpha (TF-Slim rounding: ``max(int(c * alpha), 8)``) and the last depthwise
  conv at stride 1 (the published 569 M multiply-adds need it).

Names (``network_name``) are made from the architecture, so a name means one network and
parses back (``spec_from_name``)::

    shufflenet-{s}x[-shallow]-g{g}[-u{units}][-c{channels}][-stem{n}][-b{ratio}]
        [-noshuffle][-gfirst][-cls{n}][-in{n}][-nofcbias][-{resolution}]
    mobilenet-v1-{alpha}[-cls{n}][-in{n}][-nofcbias][-{resolution}]

A part is written only where the network differs from what the rule builds for that scale
and groups: ``shufflenet-1x-g8-u4.4.4`` is ``shufflenet-1x-g8`` with 4 units in every stage.
Per-stage lists are dot-separated (``g3.3.8``, ``u2.6.2``); per-stage bottleneck ratios
underscore-separated (``b0.25_0.5_0.25``); ``shallow`` is the paper's half-depth variant
(units 2, 4, 2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from functools import lru_cache
from typing import Any

from ..errors import UserError
from .cost import conv_macs
from .spec import BOTTLENECK_RATIO
from .spec import MAX_CHANNELS
from .spec import MAX_RESOLUTION
from .spec import MAX_UNITS
from .spec import MOBILENET_BLOCKS
from .spec import MOBILENET_STEM
from .spec import STAGE_UNITS
from .spec import STEM_CHANNELS
from .spec import TABLE1_STAGE2_CHANNELS
from .spec import MobileNetSpec
from .spec import NetworkSpec
from .spec import ShuffleNetSpec
from .spec import StageSpec
from .spec import _bool
from .spec import _positive_float
from .spec import _positive_int
from .spec import architecture_id
from .spec import architecture_key
from .spec import bottleneck_channels
from .spec import check_min_resolution
from .spec import round_up
from .spec import typed_key
from .spec import validate

SHALLOW_UNITS = (2, 4, 2)  # the paper's "shallow" variant (Table 5): half the units
MAX_STAGES = 8


@cache
def _stage2_channels_for_groups(groups: int) -> tuple[int, str]:
    """Stage2 channels at 1x for ``groups``: Table 1, or the complexity rule for other g.

    Rule for g outside Table 1: the largest multiple of 4*g whose conv-only multiply-adds
    (at 224x224, stem = ceil(24/g)*g) stay within the g=1 network's (Table 1's 143 M).
    """
    if groups in TABLE1_STAGE2_CHANNELS:
        return TABLE1_STAGE2_CHANNELS[groups], "Table 1 channels"
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
    return best, (
        f"largest multiple of 4g={step} whose conv-only multiply-adds stay within "
        f"the g=1 network's {budget / 1e6:.1f} M"
    )


def _explicit(stage2: int, groups: int, stem: int, resolution: int) -> ShuffleNetSpec:
    return ShuffleNetSpec(
        stages=tuple(StageSpec(stage2 * 2**i, n, groups) for i, n in enumerate(STAGE_UNITS)),
        stem_channels=stem,
        resolution=resolution,
    )


def stem_channels_for(scale: float, groups: int) -> int:
    """The stem's channels at width ``scale`` (official ShuffleNet v1 code, generalised).

    The official code uses 0.5x: ceil(12/g)*g, 1x: 24, 1.5x: 24, 2x: 48. The rule that gives
    exactly these: ``ceil(24 s / g) g`` for s <= 1, ``ceil(24 floor(s) / g) g`` above 1 (a wider
    network keeps the 1x stem until the scale reaches the next whole number).

    Example::

        >>> [stem_channels_for(s, 8) for s in (0.5, 1, 1.5, 2)]
        [16, 24, 24, 48]
    """
    base = STEM_CHANNELS * (scale if scale <= 1 else math.floor(scale))
    return round_up(base, groups)


SHUFFLENET_OVERRIDES = {
    "num_stages",
    "stem_channels",
    "stage_channels",
    "units",
    "bottleneck_ratio",
    "resolution",
    "num_classes",
    "in_channels",
    "shuffle",
    "first_pointwise_grouped",
    "fc_bias",
    "name",
    "paper",
}

# The per-stage lists of the rule form, in the order their lengths are checked.
PER_STAGE_FIELDS = ("units", "groups", "stage_channels", "bottleneck_ratio")


@lru_cache(maxsize=4096)
def _paper_rule_channels(
    groups: tuple[int, ...], scale: float
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
        c1x = base * 2**i
        step = 4 * math.lcm(*groups) if mixed else 4 * g
        channels.append(c1x if scale == 1.0 else round_up(c1x * scale, step))
    if scale != 1.0:
        rules.append(
            f"times {scale:g} (official ShuffleNet v1), rounded up to a multiple of "
            f"{'4 lcm(g)' if mixed else '4g'} where not whole"
        )
    stem = stem_channels_for(scale, g_max)
    if stem != STEM_CHANNELS:
        rules.append(
            f"stem = ceil(24*{scale:g}/g)*g = {stem}"
            if scale <= 1
            else f"stem = 24*floor({scale:g}) = {stem} (official ShuffleNet v1)"
        )
    return list(channels), stem, tuple(rules)


_ABSENT = object()  # a per-stage field not given (``None`` is a value, and is refused)
_PER_STAGE_KEYS = ("units", "stage_channels", "bottleneck_ratio", "num_stages")  # after groups


def _per_stage(
    groups: int | Sequence[int], overrides: dict
) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[float, ...]]:
    """Stage count, units, groups and bottleneck ratios per stage, the lists checked to agree.

    Every per-stage list (``units``, ``groups``, ``stage_channels``, ``bottleneck_ratio``)
    must have one value per stage: three (the paper's Stage2-4) unless ``num_stages`` says
    otherwise. A single number stands for every stage. Cached by the values and their types
    (a search asks for the same few thousand combinations again and again); values that
    cannot be hashed are checked uncached.
    """
    get = overrides.get
    try:
        key = (  # groups, then _PER_STAGE_KEYS in order (spelled out: this is a hot path)
            typed_key(groups),
            typed_key(get("units", _ABSENT)),
            typed_key(get("stage_channels", _ABSENT)),
            typed_key(get("bottleneck_ratio", _ABSENT)),
            typed_key(get("num_stages", _ABSENT)),
        )
        return _per_stage_cached(key)
    except TypeError:  # unhashable (a dict from a file): the uncached checks say what is wrong
        return _check_per_stage(groups, overrides)


@lru_cache(maxsize=16384)
def _per_stage_cached(key: tuple) -> tuple:
    """``_check_per_stage`` of the values in a ``_per_stage`` key."""
    overrides = {n: v for n, (v, _t) in zip(_PER_STAGE_KEYS, key[1:]) if v is not _ABSENT}
    return _check_per_stage(key[0][0], overrides)


def _check_per_stage(
    groups: int | Sequence[int], overrides: dict
) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[float, ...]]:
    """``_per_stage``'s checks, uncached."""
    lengths = {}
    values = {"groups": groups, **{k: overrides[k] for k in PER_STAGE_FIELDS if k in overrides}}
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            if not value:
                raise UserError(f"{key}: empty list (give one value per stage)")
            lengths[key] = len(value)
    if "num_stages" in overrides:
        n = _positive_int(overrides["num_stages"], "num_stages", MAX_STAGES)
        for key, count in lengths.items():
            if count != n:
                raise UserError(f"{key}: {count} values given for num_stages {n}")
        if n != len(STAGE_UNITS) and "units" not in lengths:
            raise UserError(f"units: give {n} values (one per stage) for num_stages {n}")
    else:
        n = len(STAGE_UNITS)
        for key, count in lengths.items():
            if count == n:
                continue
            other = next((k for k, c in lengths.items() if c != count), None)
            if other is not None:
                raise UserError(
                    f"{key}: {count} values but {other} has {lengths[other]}: per-stage lists "
                    "must agree (one value per stage)"
                )
            raise UserError(
                f"{key}: {count} values given for {n} stages (the paper's Stage2-4); for a "
                f"{count}-stage network say so with num_stages: {count}"
            )
    units = values.get("units", STAGE_UNITS)
    if isinstance(units, (list, tuple)):
        units = [_positive_int(u, f"units[{i}]", MAX_UNITS) for i, u in enumerate(units)]
    else:
        units = [_positive_int(units, "units", MAX_UNITS)] * n
    if isinstance(groups, (list, tuple)):
        group_list = [_positive_int(g, f"groups[{i}]", 1024) for i, g in enumerate(groups)]
    else:
        group_list = [_positive_int(groups, "groups", 1024)] * n
    ratio = values.get("bottleneck_ratio", BOTTLENECK_RATIO)
    if isinstance(ratio, (list, tuple)):
        ratios = [_positive_float(r, f"bottleneck_ratio[{i}]", 4.0) for i, r in enumerate(ratio)]
    else:
        ratios = [_positive_float(ratio, "bottleneck_ratio", 4.0)] * n
    return n, tuple(units), tuple(group_list), tuple(ratios)


def _reject_unknown_overrides(overrides, allowed, family: str, positional: str) -> None:
    """One line naming the first unknown field and the known ones."""
    unknown = set(overrides) - set(allowed)
    if unknown:
        raise UserError(
            f"{sorted(unknown)[0]}: unknown {family} field "
            f"(known: {positional}, {', '.join(sorted(allowed))})"
        )


def shufflenet_spec(
    groups: int | Sequence[int] = 3, scale: float = 1.0, **overrides: Any
) -> ShuffleNetSpec:
    """A ShuffleNet v1 spec by the paper's rules, with any field overridden.

    Channels: Table 1's Stage2 channels for g in {1, 2, 3, 4, 8} (other g: the largest
    multiple of 4g within the g=1 complexity), doubling per stage. Width scale ``s``
    (the official implementation's rule): each stage's 1x channels times ``s`` (rounded up
    to a multiple of 4g where not whole); stem ceil(24 s / g) g for s <= 1, 24 floor(s)
    above. Overrides (``num_stages``, ``stem_channels``, ``stage_channels``, ``units``,
    ``bottleneck_ratio``, ``resolution``, ``num_classes``, ``in_channels``, ``shuffle``,
    ``first_pointwise_grouped``, ``fc_bias``, ``name``, ``paper``) always win.

    ``groups``, ``units``, ``stage_channels`` and ``bottleneck_ratio`` may each be one value
    for every stage or a list with one per stage; the lists must agree in length: three
    stages, or ``num_stages`` of them. The name is the rule's name of the network built
    (see ``network_name``); a given name is kept unless it is a rule name of another
    architecture (then the network is named by what it is, and ``notes`` says so).

    Example::

        >>> s = shufflenet_spec(groups=8, scale=0.5)
        >>> s.stem_channels, s.stage_channels, s.name
        (16, (192, 384, 768), 'shufflenet-0.5x-g8')
        >>> shufflenet_spec(groups=8, units=4).name
        'shufflenet-1x-g8-u4.4.4'
    """
    _reject_unknown_overrides(overrides, SHUFFLENET_OVERRIDES, "ShuffleNet", "groups, scale")
    scale = _positive_float(scale, "scale", 16.0)
    n_stages, units, group_list, ratios = _per_stage(groups, overrides)
    g_max = max(group_list)
    resolution = overrides.get("resolution", 224)

    if "stage_channels" in overrides:
        channels = overrides["stage_channels"]
        if not isinstance(channels, (list, tuple)):
            channels = [channels] * n_stages
        channels = [
            _positive_int(c, f"stage_channels[{i}]", MAX_CHANNELS) for i, c in enumerate(channels)
        ]
        stem = stem_channels_for(scale, g_max)
        rules: tuple[str, ...] = ("stage channels given explicitly",)
    else:
        channels, stem, rules = _paper_rule_channels(tuple(group_list), scale)
    if "stem_channels" in overrides:
        stem = _positive_int(overrides["stem_channels"], "stem_channels", MAX_CHANNELS)
        rules = tuple(r for r in rules if not r.startswith("stem ="))
    stages = _stages(tuple(channels), units, group_list, ratios)
    spec = ShuffleNetSpec(
        stages=stages,
        stem_channels=stem,
        resolution=resolution,
        num_classes=overrides.get("num_classes", 1000),
        in_channels=overrides.get("in_channels", 3),
        shuffle=overrides.get("shuffle", True),
        first_pointwise_grouped=overrides.get("first_pointwise_grouped", False),
        fc_bias=overrides.get("fc_bias", True),
        scale=scale,
        rule="; ".join(rules),
        paper=overrides.get("paper"),
    )
    return _name_new(validate(spec), overrides.get("name"))


@lru_cache(maxsize=65536)
def _stages(
    channels: tuple[int, ...],
    units: tuple[int, ...],
    groups: tuple[int, ...],
    ratios: tuple[float, ...],
) -> tuple[StageSpec, ...]:
    """The stage specs of checked per-stage values, one shared tuple of shared stage specs per
    distinct set: stage specs are immutable, and the caches keyed by them (plan, names,
    checks) then find them by identity rather than comparing fields."""
    return tuple(_stage_spec(*values) for values in zip(channels, units, groups, ratios))


@lru_cache(maxsize=65536)
def _stage_spec(channels: int, units: int, groups: int, ratio: float) -> StageSpec:
    """One shared stage spec per distinct stage (see ``_stages``)."""
    return StageSpec(channels, units, groups, ratio)


def _name_new(spec: NetworkSpec, name: str | None) -> NetworkSpec:
    """``assign_name`` for a spec this module just made and nobody else holds: set in place
    (``dataclasses.replace`` would cost a fifth of a search's screening time)."""
    if name:
        return assign_name(spec, name)
    object.__setattr__(spec, "name", network_name(spec))
    return spec


def shufflenet_at(spec: ShuffleNetSpec, resolution: Any, shuffle: Any) -> ShuffleNetSpec:
    """``spec`` at another input ``resolution`` and ``shuffle`` switch, as ``shufflenet_spec``
    would make it: equal to the spec made with those values, checked in the same order with
    the same messages (the resolution a positive whole number, shuffle true or false, the
    resolution large enough for every stride-2 layer) and named by the rules.

    For a ``spec`` that ``shufflenet_spec`` made (rule-named, no name given): everything else
    it holds was checked already and does not depend on the two, so nothing else is checked
    again. Search screening builds each set of other choices once and every candidate of it
    through this (a grid holds each set at every resolution, shuffle on and off).
    """
    _positive_int(resolution, "resolution", MAX_RESOLUTION)
    _bool(shuffle, "shuffle")
    new = object.__new__(ShuffleNetSpec)  # a frozen dataclass: its fields set as __init__ does
    fields = new.__dict__
    fields.update(spec.__dict__)
    for derived in ShuffleNetSpec.DERIVED:  # computed of the spec, not copied
        fields.pop(derived, None)
    fields["resolution"] = resolution
    fields["shuffle"] = shuffle
    check_min_resolution(new)
    fields["name"] = network_name(new)
    return new


def mobilenet_spec(width: float = 1.0, resolution: int = 224, **overrides: Any) -> MobileNetSpec:
    """A MobileNet v1 spec: Table 1 with width multiplier ``width`` at ``resolution``.

    Channels are ``max(int(c * width), 8)`` (TF-Slim's rule). Overrides: ``num_classes``,
    ``in_channels``, ``fc_bias``, ``name``, ``paper``.

    Example::

        >>> mobilenet_spec(0.5).stem_channels
        16
        >>> mobilenet_spec(1.0, 160).name
        'mobilenet-v1-1.0-160'
    """
    allowed = {"num_classes", "in_channels", "fc_bias", "name", "paper"}
    _reject_unknown_overrides(overrides, allowed, "MobileNet", "width, resolution")
    width = _positive_float(width, "width", 16.0)
    resolution = _positive_int(resolution, "resolution", MAX_RESOLUTION)
    spec = MobileNetSpec(
        blocks=_mobilenet_blocks(width),
        stem_channels=_mobilenet_channels(MOBILENET_STEM, width),
        width=width,
        resolution=resolution,
        num_classes=overrides.get("num_classes", 1000),
        in_channels=overrides.get("in_channels", 3),
        fc_bias=overrides.get("fc_bias", True),
        rule="channels = max(int(c * width), 8); last depthwise conv stride 1",
        paper=overrides.get("paper"),
    )
    return _name_new(validate(spec), overrides.get("name"))


def _mobilenet_channels(c: int, width: float) -> int:
    return max(int(c * width), 8)


def _mobilenet_blocks(width: float) -> tuple[tuple[int, int], ...]:
    return tuple((_mobilenet_channels(c, width), s) for c, s in MOBILENET_BLOCKS)


def _width_label(width: float) -> str:
    """'1.0', '0.75', '0.5', '0.25': how the MobileNet paper writes alpha."""
    text = _number(width)
    return text + ".0" if "." not in text else text


# ----------------------------------------------------------------------------- names


@lru_cache(maxsize=4096, typed=True)
def _number(x: float) -> str:
    """Shortest text that reads back as exactly ``x``, without exponent or minus sign (cached:
    every name a search makes spells its scale)."""
    text = f"{x:g}"
    if float(text) != x or "e" in text:
        text = repr(float(x))
    if "e" in text:
        text = f"{x:.20f}".rstrip("0")
    return text


def _ints(values: Sequence[int]) -> str:
    return ".".join(str(v) for v in values)


def network_name(spec: NetworkSpec) -> str:
    """The name of the network ``spec`` builds: the rule name, with what differs spelled out.

    Derived from the architecture alone (plus, for ShuffleNet, the width ``scale`` the spec
    was made with, when that spells it shortest), so it parses back with ``spec_from_name``
    to the same architecture, and two different architectures never get the same name.

    Example::

        >>> network_name(shufflenet_spec(groups=8, units=[4, 4, 4], name="x"))
        'shufflenet-1x-g8-u4.4.4'
    """
    if isinstance(spec, MobileNetSpec):
        return _mobilenet_name(spec)
    stages = spec.stages
    parts = [_stages_part(stages, spec.stem_channels, spec.scale)]
    if not spec.shuffle and max(st.groups for st in stages) > 1:
        parts.append("noshuffle")
    if spec.first_pointwise_grouped and stages[0].groups > 1:
        parts.append("gfirst")
    parts += _common_parts(spec)
    return "-".join(parts)


@lru_cache(maxsize=65536)
def _stages_part(stages: tuple, stem_channels: int, scale: float | None) -> str:
    """The part of a ShuffleNet's name its stages and stem spell ("shufflenet-0.5x-g3-u2.4.8"),
    read as rule(groups, s) at the scale s that needs the fewest parts: the spec's own scale
    first, then one inferred from Stage2's channels, then 1 (the first with fewest wins).
    The parts after it (shuffle, first conv, classes, input, bias, resolution) are the same
    at every s, so they never change the choice. Cached: a search names thousands of
    networks that share their stages."""
    best: tuple[int, str] | None = None
    for s in _scale_candidates(stages, scale):
        head, parts, shallow, widths_differ = _stages_name(stages, stem_channels, s)
        if best is None or len(parts) + shallow < best[0]:
            best = (len(parts) + shallow, "-".join([head, *parts]))
        if not widths_differ:  # another scale could only spell the channels shorter
            break
    assert best is not None  # the last candidate, 1x, always gives a name
    return best[1]


def _scale_candidates(stages: tuple, scale: float | None) -> Iterator[float]:
    """The spec's own scale first, then one inferred from Stage2's channels, then 1 (lazily:
    most names stop at the first)."""
    tried = []
    if scale is not None:
        tried.append(float(_number(scale)))
        yield tried[-1]
    try:
        base = _stage2_channels_for_groups(max(st.groups for st in stages))[0]
        inferred = round(stages[0].out_channels / base, 3)
    except UserError:
        inferred = 1.0
    for s in (inferred, 1.0):
        if 0 < s <= 16 and s not in tried:
            tried.append(s)
            yield s


@lru_cache(maxsize=65536)
def _stages_name(
    stages: tuple, stem_channels: int, scale: float
) -> tuple[str, tuple[str, ...], bool, bool]:
    """The part of a ShuffleNet's name its stages and stem spell, read as rule(groups,
    scale): head ("shufflenet-0.5x-g3"), the parts for units, channels, stem and bottleneck
    that differ from the rule, whether it is the shallow form, whether channels or stem differ.
    Cached: a search names thousands of networks that share their stages."""
    groups = tuple(st.groups for st in stages)
    units = tuple(st.units for st in stages)
    channels = [st.out_channels for st in stages]
    try:
        rule_channels, rule_stem, _ = _paper_rule_channels(groups, scale)
    except UserError:  # groups beyond the complexity rule: spell every channel count
        rule_channels, rule_stem = None, stem_channels_for(scale, max(groups))
    parts: list[str] = []
    shallow = units == SHALLOW_UNITS
    if units != STAGE_UNITS and not shallow:
        parts.append("u" + _ints(units))
    if channels != rule_channels:
        parts.append("c" + _ints(channels))
    if stem_channels != rule_stem:
        parts.append(f"stem{stem_channels}")
    widths_differ = len(parts) > (units != STAGE_UNITS and not shallow)
    mids = [st.bottleneck_channels for st in stages]
    if mids != [bottleneck_channels(c, BOTTLENECK_RATIO, g) for c, g in zip(channels, groups)]:
        ratios = [st.bottleneck_ratio for st in stages]
        if len(set(ratios)) == 1:
            parts.append("b" + _number(ratios[0]))
        else:
            parts.append("b" + "_".join(_number(r) for r in ratios))
    g_text = str(groups[0]) if len(set(groups)) == 1 else _ints(groups)
    head = f"shufflenet-{_number(scale)}x" + ("-shallow" if shallow else "") + f"-g{g_text}"
    return head, tuple(parts), shallow, widths_differ


def _common_parts(spec: NetworkSpec) -> list[str]:
    parts = []
    if spec.num_classes != 1000:
        parts.append(f"cls{spec.num_classes}")
    if spec.in_channels != 3:
        parts.append(f"in{spec.in_channels}")
    if not spec.fc_bias:
        parts.append("nofcbias")
    if spec.resolution != 224:
        parts.append(str(spec.resolution))
    return parts


def _mobilenet_name(spec: MobileNetSpec) -> str:
    rule_built = spec.blocks == _mobilenet_blocks(spec.width) and (
        spec.stem_channels == _mobilenet_channels(MOBILENET_STEM, spec.width)
    )
    if not rule_built:  # blocks given by hand: no rule spells them; unique by architecture
        return f"mobilenet-v1-custom-{architecture_id(spec)}"
    return "-".join([f"mobilenet-v1-{_width_label(spec.width)}", *_common_parts(spec)])


_SHUFFLENET_NAME = re.compile(
    r"shufflenet-(?P<scale>\d+(?:\.\d+)?)x(?P<shallow>-shallow)?-g(?P<groups>\d+(?:\.\d+)*)"
    r"(?P<rest>(?:-[a-z0-9._]+)*)"
)
_MOBILENET_NAME = re.compile(r"mobilenet-v1-(?P<width>\d+(?:\.\d+)?)(?P<rest>(?:-[a-z0-9._]+)*)")
_INTS = r"\d+(?:\.\d+)*"
_NUM = r"\d+(?:\.\d+)?"
# name part -> (pattern, override key, how to read it); ShuffleNet-only parts first
_PARTS = {
    "u": (rf"u({_INTS})", "units", lambda t: [int(v) for v in t.split(".")]),
    "c": (rf"c({_INTS})", "stage_channels", lambda t: [int(v) for v in t.split(".")]),
    "stem": (r"stem(\d+)", "stem_channels", int),
    "b": (
        rf"b({_NUM}(?:_{_NUM})*)",
        "bottleneck_ratio",
        lambda t: float(t) if "_" not in t else [float(v) for v in t.split("_")],
    ),
    "noshuffle": (r"(noshuffle)", "shuffle", lambda t: False),
    "gfirst": (r"(gfirst)", "first_pointwise_grouped", lambda t: True),
    "cls": (r"cls(\d+)", "num_classes", int),
    "in": (r"in(\d+)", "in_channels", int),
    "nofcbias": (r"(nofcbias)", "fc_bias", lambda t: False),
    "res": (r"(\d+)", "resolution", int),
}
_SHUFFLENET_ONLY = ("u", "c", "stem", "b", "noshuffle", "gfirst")


def parse_network_name(name: str) -> tuple[str, dict[str, Any]] | None:
    """The family and rule arguments a network name spells, or None if it is not a rule name.

    ``UserError`` when it looks like one but a part is malformed or repeated.

    Example::

        >>> parse_network_name("shufflenet-1x-g8-u4.4.4")
        ('shufflenet', {'scale': 1.0, 'groups': 8, 'units': [4, 4, 4]})
    """
    m = _SHUFFLENET_NAME.fullmatch(name)
    if m:
        family = "shufflenet"
        g = [int(v) for v in m["groups"].split(".")]
        args: dict[str, Any] = {"scale": float(m["scale"]), "groups": g[0] if len(g) == 1 else g}
        if m["shallow"]:
            args["units"] = list(SHALLOW_UNITS)
        allowed = tuple(_PARTS)
    else:
        m = _MOBILENET_NAME.fullmatch(name)
        if not m:
            return None
        family = "mobilenet"
        args = {"width": float(m["width"])}
        allowed = tuple(k for k in _PARTS if k not in _SHUFFLENET_ONLY)
    for part in [p for p in m["rest"].split("-") if p]:
        for kind in allowed:
            pattern, key, read = _PARTS[kind]
            found = re.fullmatch(pattern, part)
            if found:
                if key in args:
                    raise UserError(f"network {name!r}: {key} given twice ({part!r})")
                try:
                    args[key] = read(found[1])
                except ValueError:
                    raise UserError(f"network {name!r}: {part!r} is not readable") from None
                break
        else:
            raise UserError(
                f"network {name!r}: unknown name part {part!r} (a {family} name is "
                + (
                    "shufflenet-{s}x[-shallow]-g{g}[-u..][-c..][-stem..][-b..][-noshuffle]"
                    "[-gfirst][-cls..][-in..][-nofcbias][-{resolution}])"
                    if family == "shufflenet"
                    else "mobilenet-v1-{alpha}[-cls..][-in..][-nofcbias][-{resolution}])"
                )
            )
    if "units" in args and isinstance(args["units"], list) and len(args["units"]) != 3:
        args["num_stages"] = len(args["units"])
    return family, args


def spec_from_name(name: str) -> NetworkSpec | None:
    """The network a rule name spells (any scale, groups and suffixes), or None if ``name`` is
    not a rule name. ``UserError`` (naming the name) when the network it spells is invalid.

    Example::

        >>> spec_from_name("shufflenet-2x-g8").stage_channels
        (768, 1536, 3072)
    """
    parsed = parse_network_name(name)
    if parsed is None:
        return None
    family, args = parsed
    try:
        if family == "mobilenet":
            return mobilenet_spec(args.pop("width"), args.pop("resolution", 224), **args)
        return shufflenet_spec(args.pop("groups"), args.pop("scale"), **args)
    except UserError as e:
        raise UserError(f"network {name!r}: {e}") from None


def assign_name(spec: NetworkSpec, name: str | None) -> NetworkSpec:
    """``spec`` named ``name``, or by ``network_name`` when no name is given.

    A rule name is reserved for the architecture it spells: if ``name`` is the rule name of
    another architecture (say ``shufflenet-1x-g3`` on a network with fewer units), the network
    is named by what it is instead, and a note in ``spec.notes`` says so. Other names are
    users' own and kept.
    """
    own = None
    if name:
        name = str(name)
        try:
            claimed = spec_from_name(name)
        except UserError:
            claimed = None  # looks like a rule name but spells no valid network: user's own
        if claimed is None or architecture_key(claimed) == architecture_key(spec):
            return replace(spec, name=name) if spec.name != name else spec
        own = network_name(spec)
        note = (
            f"name: {name!r} is the name of another architecture; this network is "
            f"{own!r} (named by what it is)"
        )
        return replace(spec, name=own, notes=(*spec.notes, note))
    return replace(spec, name=network_name(spec))


def with_resolution(spec: NetworkSpec, resolution: int) -> NetworkSpec:
    """The same network at another input size; paper numbers drop.

    A network named by the rules gets the rule name at the new size (``mobilenet-v1-0.5-160``);
    a user's own name gains the size (``mine@160``).
    """
    if resolution == spec.resolution:
        return spec
    new = validate(replace(spec, resolution=resolution, paper=None))
    if spec.name == network_name(spec):
        return replace(new, name=network_name(new))
    return replace(new, name=f"{spec.name}@{resolution}")


def rule_names(families: Sequence[str] = ("shufflenet", "mobilenet")) -> list[str]:
    """Common rule names (the widths and group counts people use), for suggestions."""
    out = []
    if "shufflenet" in families:
        for s in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0):
            out += [f"shufflenet-{s:g}x-g{g}" for g in (1, 2, 3, 4, 6, 8, 12, 16)]
    if "mobilenet" in families:
        for w in (0.25, 0.5, 0.75, 1.0):
            out += [f"mobilenet-v1-{_width_label(w)}"]
            out += [f"mobilenet-v1-{_width_label(w)}-{r}" for r in (192, 160, 128)]
    return out


__all__ = [
    "shufflenet_spec",
    "mobilenet_spec",
    "network_name",
    "parse_network_name",
    "spec_from_name",
    "assign_name",
    "with_resolution",
    "stem_channels_for",
    "rule_names",
    "SHUFFLENET_OVERRIDES",
]
