"""The papers' rules: how a ShuffleNet v1 or MobileNet v1 spec is filled in from a few numbers.

* ``shufflenet_spec(groups, scale)``: Zhang et al. 2018, Table 1 channels for g in
  {1, 2, 3, 4, 8}, doubling per stage; other g by the complexity rule below; width scale
  ``s`` by the rounding rule below; explicit overrides always win.
* ``mobilenet_spec(width, resolution)``: Howard et al. 2017, Table 1 with the width
  multiplier alpha (TF-Slim rounding: ``max(int(c * alpha), 8)``) and the last depthwise
  conv at stride 1 (the published 569 M multiply-adds need it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from ..errors import UserError
from .cost import conv_macs
from .spec import (
    BOTTLENECK_RATIO,
    MAX_CHANNELS,
    MAX_RESOLUTION,
    MAX_UNITS,
    MOBILENET_BLOCKS,
    MOBILENET_STEM,
    STAGE_UNITS,
    STEM_CHANNELS,
    TABLE1_STAGE2_CHANNELS,
    MobileNetSpec,
    ShuffleNetSpec,
    StageSpec,
    _positive_float,
    _positive_int,
    round_up,
    scale_label,
    validate,
)


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


SHUFFLENET_OVERRIDES = {
    "stem_channels",
    "stage_channels",
    "units",
    "bottleneck_ratio",
    "resolution",
    "num_classes",
    "in_channels",
    "shuffle",
    "first_pointwise_grouped",
    "name",
    "paper",
}


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
        rules.append(f"scaled by {scale:g} and rounded up to a multiple of 4g per stage")
    stem = round_up(STEM_CHANNELS * scale, g_max)
    if stem != STEM_CHANNELS:
        rules.append(f"stem = ceil(24*{scale:g}/g)*g = {stem}")
    return channels, stem, tuple(rules)


def shufflenet_spec(
    groups: int | Sequence[int] = 3, scale: float = 1.0, **overrides: Any
) -> ShuffleNetSpec:
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
    unknown = set(overrides) - SHUFFLENET_OVERRIDES
    if unknown:
        raise UserError(
            f"{sorted(unknown)[0]}: unknown ShuffleNet field "
            f"(known: groups, scale, {', '.join(sorted(SHUFFLENET_OVERRIDES))})"
        )
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
        channels = [
            _positive_int(c, f"stage_channels[{i}]", MAX_CHANNELS) for i, c in enumerate(channels)
        ]
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
        name=overrides.get("name")
        or f"shufflenet-{scale_label(scale)}-{gname}"
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
        raise UserError(
            f"{sorted(unknown)[0]}: unknown MobileNet field "
            f"(known: width, resolution, {', '.join(sorted(allowed))})"
        )
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


__all__ = ["shufflenet_spec", "mobilenet_spec", "SHUFFLENET_OVERRIDES"]
