"""The dict form of a spec: what a YAML spec file, a preset or a search space holds.

Every field is checked and converted once, by the typed converters of ``schema.py``, before a
spec is built: ``224.0`` becomes ``224``, ``4.5`` units, ``.nan`` widths, a list as a name or a
string in ``paper:`` are one ``UserError`` naming the file, the field path and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UserError
from . import schema as S
from .rules import MAX_STAGES
from .rules import assign_name
from .rules import mobilenet_spec
from .rules import shufflenet_spec
from .spec import BOTTLENECK_RATIO
from .spec import MAX_CHANNELS
from .spec import MAX_CLASSES
from .spec import MAX_RESOLUTION
from .spec import MAX_UNITS
from .spec import STEM_CHANNELS
from .spec import NetworkSpec
from .spec import PaperRow
from .spec import ShuffleNetSpec
from .spec import StageSpec
from .spec import validate

MAX_GROUPS = 1024


def _channels(v: Any, p: str) -> int:
    return S.whole(v, p, 1, MAX_CHANNELS)


def _units(v: Any, p: str) -> int:
    return S.whole(v, p, 1, MAX_UNITS)


def _groups(v: Any, p: str) -> int:
    return S.whole(v, p, 1, MAX_GROUPS)


def _per_stage(convert):
    def parse(v: Any, p: str) -> list:
        return S.each(S.listing(v, p, 1, MAX_STAGES), p, convert)

    return parse


def _one_or_per_stage(convert):
    per_stage = _per_stage(convert)

    def parse(v: Any, p: str):
        return per_stage(v, p) if isinstance(v, list) else convert(v, p)

    return parse


def _ratio(v: Any, p: str) -> float:
    return S.number(v, p, 0.0, 4.0)


def _scale(v: Any, p: str) -> float:
    return S.number(v, p, 0.0, 16.0)


def _published(x: Any, q: str, hi: float) -> float | int:
    """A published number, checked; a whole number stays whole (MFLOPs 137 prints as 137)."""
    checked = S.number(x, q, 0.0, hi, lo_open=False)
    return x if type(x) is int else checked


def _paper(v: Any, p: str) -> PaperRow:
    if isinstance(v, PaperRow):
        return v
    table = {
        "mflops": lambda x, q: _published(x, q, 1e7),
        "top1_err": lambda x, q: _published(x, q, 100.0),
        "params_m": lambda x, q: _published(x, q, 1e5),
        "source": S.text,
    }
    return PaperRow(**S.fields(v, p, table))


_COMMON = {
    "family": lambda v, p: S.choice(v, p, ("shufflenet", "mobilenet")),
    "name": S.name,
    "resolution": lambda v, p: S.whole(v, p, 1, MAX_RESOLUTION),
    "num_classes": lambda v, p: S.whole(v, p, 1, MAX_CLASSES),
    "in_channels": _channels,
    "paper": lambda v, p: None if v is None else _paper(v, p),
    "fc_bias": S.boolean,
}
_SHUFFLENET_COMMON = {
    **_COMMON,
    "stem_channels": _channels,
    "shuffle": S.boolean,
    "first_pointwise_grouped": S.boolean,
}
RULE_FORM = {  # shufflenet_spec's arguments
    **_SHUFFLENET_COMMON,
    "num_stages": lambda v, p: S.whole(v, p, 1, MAX_STAGES),
    "groups": _one_or_per_stage(_groups),
    "scale": _scale,
    "stage_channels": _one_or_per_stage(_channels),
    "units": _one_or_per_stage(_units),
    "bottleneck_ratio": _one_or_per_stage(_ratio),
}
STAGE = {"out_channels": _channels, "units": _units, "groups": _groups, "bottleneck_ratio": _ratio}
EXPLICIT_FORM = {
    **_SHUFFLENET_COMMON,
    "num_stages": lambda v, p: S.whole(v, p, 1, MAX_STAGES),
    "stages": lambda v, p: [
        S.fields(st, f"{p}[{i}]", STAGE) for i, st in enumerate(S.listing(v, p, 1, MAX_STAGES))
    ],
}
MOBILENET_FORM = {**_COMMON, "width": _scale}


def spec_from_dict(data: Mapping[str, Any], source: str = "spec") -> NetworkSpec:
    """Build and validate a spec from its dict form (a YAML file, a preset, a search space).

    Two ShuffleNet forms: the rule form (``groups``, ``scale`` and overrides, as
    ``shufflenet_spec``) or the explicit form (``stages``: a list of ``out_channels``,
    ``units``, ``groups``, ``bottleneck_ratio``). MobileNet: ``width`` and ``resolution``.
    Unknown keys, values of the wrong type, non-finite numbers and unprintable names are a
    ``UserError`` that starts with ``source`` and names the field and the value.

    Example::

        >>> spec_from_dict({"groups": 3, "resolution": 160.0}).resolution
        160
    """
    try:
        return _spec_from_dict(data)
    except UserError as e:
        raise S.with_source(source, e) from None


def _spec_from_dict(data: Any) -> NetworkSpec:
    if not isinstance(data, Mapping):
        raise UserError(f"expected a mapping of fields, got {S.show(data)}")
    family = _COMMON["family"](data.get("family", "shufflenet"), "family")
    if family == "mobilenet":
        kw = S.fields(data, "", MOBILENET_FORM)
        kw.pop("family", None)
        return mobilenet_spec(kw.pop("width", 1.0), kw.pop("resolution", 224), **kw)
    if "stages" not in data:
        kw = S.fields(data, "", RULE_FORM)
        kw.pop("family", None)
        return shufflenet_spec(kw.pop("groups", 3), kw.pop("scale", 1.0), **kw)
    mixed = sorted(set(RULE_FORM) - set(EXPLICIT_FORM) & set(data))
    if mixed:
        raise UserError(
            f"{mixed[0]}: cannot be combined with 'stages' (give per-stage values inside stages)"
        )
    kw = S.fields(data, "", EXPLICIT_FORM)
    if "num_stages" in kw and kw["num_stages"] != len(kw["stages"]):  # identity (issue 9)
        raise UserError(f"num_stages: {kw['num_stages']} but stages lists {len(kw['stages'])}")
    stages = []
    for i, st in enumerate(kw["stages"]):
        missing = [k for k in ("out_channels", "units", "groups") if k not in st]
        if missing:
            raise UserError(f"stages[{i}].{missing[0]}: missing")
        ratio = st.get("bottleneck_ratio", BOTTLENECK_RATIO)
        stages.append(StageSpec(st["out_channels"], st["units"], st["groups"], ratio))
    spec = ShuffleNetSpec(
        stages=tuple(stages),
        stem_channels=kw.get("stem_channels", STEM_CHANNELS),
        resolution=kw.get("resolution", 224),
        num_classes=kw.get("num_classes", 1000),
        in_channels=kw.get("in_channels", 3),
        shuffle=kw.get("shuffle", True),
        first_pointwise_grouped=kw.get("first_pointwise_grouped", False),
        fc_bias=kw.get("fc_bias", True),
        rule="stages given explicitly",
        paper=kw.get("paper"),
    )
    # identity (issue 9): no name -> the rule name of this architecture; a rule name of
    # another architecture -> renamed by what it is (with a note)
    return assign_name(validate(spec), kw.get("name"))


__all__ = ["spec_from_dict", "RULE_FORM", "EXPLICIT_FORM", "MOBILENET_FORM"]
