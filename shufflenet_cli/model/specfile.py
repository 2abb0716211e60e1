"""The dict form of a spec: what a YAML spec file, a preset or a search space holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ..errors import UserError
from .rules import SHUFFLENET_OVERRIDES, assign_name, mobilenet_spec, shufflenet_spec
from .spec import (
    BOTTLENECK_RATIO,
    STEM_CHANNELS,
    NetworkSpec,
    PaperRow,
    ShuffleNetSpec,
    StageSpec,
    validate,
)

_STAGE_KEYS = {"out_channels", "units", "groups", "bottleneck_ratio"}
_SHUFFLENET_KEYS = {"family", "name", "groups", "scale", "stages", "paper"} | SHUFFLENET_OVERRIDES
_MOBILENET_KEYS = {"family", "name", "width", "resolution", "num_classes", "in_channels", "paper"}
_MOBILENET_KEYS |= {"fc_bias"}  # identity (issue 9): the classifier's bias can be left out
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
        kw = {k: data[k] for k in ("num_classes", "in_channels", "fc_bias", "name") if k in data}
        return mobilenet_spec(
            data.get("width", 1.0), data.get("resolution", 224), paper=paper, **kw
        )
    if family != "shufflenet":
        raise UserError(f"{source}: family: {family!r} must be 'shufflenet' or 'mobilenet'")
    _reject_unknown(data, _SHUFFLENET_KEYS, source, "ShuffleNet")
    if "stages" not in data:
        kw = {k: v for k, v in data.items() if k not in ("family", "groups", "scale", "paper")}
        return shufflenet_spec(data.get("groups", 3), data.get("scale", 1.0), paper=paper, **kw)
    mixed = sorted({"groups", "scale", "stage_channels", "units", "bottleneck_ratio"} & set(data))
    if mixed:
        raise UserError(
            f"{source}: {mixed[0]}: cannot be combined with 'stages' "
            "(give per-stage values inside stages)"
        )
    stages_in = data["stages"]
    if not isinstance(stages_in, list) or not stages_in:
        raise UserError(f"{source}: stages: must be a non-empty list of stages")
    if "num_stages" in data and data["num_stages"] != len(stages_in):  # identity (issue 9)
        raise UserError(
            f"{source}: num_stages: {data['num_stages']!r} but stages lists {len(stages_in)}"
        )
    stages = []
    for i, st in enumerate(stages_in):
        if not isinstance(st, Mapping):
            raise UserError(f"{source}: stages[{i}]: expected a mapping, got {st!r}")
        _reject_unknown(st, _STAGE_KEYS, f"{source}: stages[{i}]", "stage")
        missing = [k for k in ("out_channels", "units", "groups") if k not in st]
        if missing:
            raise UserError(f"{source}: stages[{i}].{missing[0]}: missing")
        stages.append(
            StageSpec(
                st["out_channels"],
                st["units"],
                st["groups"],
                st.get("bottleneck_ratio", BOTTLENECK_RATIO),
            )
        )
    spec = ShuffleNetSpec(
        stages=tuple(stages),
        stem_channels=data.get("stem_channels", STEM_CHANNELS),
        resolution=data.get("resolution", 224),
        num_classes=data.get("num_classes", 1000),
        in_channels=data.get("in_channels", 3),
        shuffle=data.get("shuffle", True),
        first_pointwise_grouped=data.get("first_pointwise_grouped", False),
        fc_bias=data.get("fc_bias", True),
        rule="stages given explicitly",
        paper=paper,
    )
    try:
        spec = validate(spec)
    except UserError as e:
        raise UserError(f"{source}: {e}") from None
    # identity (issue 9): no name -> the rule name of this architecture; a rule name of
    # another architecture -> renamed by what it is (with a note)
    return assign_name(spec, data.get("name"))


def _reject_unknown(data: Mapping, allowed: set, source: str, what: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise UserError(
            f"{source}: {unknown[0]}: unknown {what} key (known: {', '.join(sorted(allowed))})"
        )


def _paper_from(value: Any, source: str) -> PaperRow | None:
    if value is None:
        return None
    if isinstance(value, PaperRow):
        return value
    if not isinstance(value, Mapping):
        raise UserError(f"{source}: paper: expected a mapping, got {value!r}")
    _reject_unknown(value, _PAPER_KEYS, f"{source}: paper", "paper")
    return PaperRow(**value)


__all__ = ["spec_from_dict"]
