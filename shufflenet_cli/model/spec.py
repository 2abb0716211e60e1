"""Network specs: what a ShuffleNet v1 or MobileNet v1 variant is, as validated data.

A spec is the single description every other part reads (plan, cost model, torch module).
The paper rules that fill a spec in live in ``rules.py``; the YAML/dict form is read by
``specfile.py``.

No torch here: specs and plans are plain Python, so analytic commands start fast.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import UserError

# Table 1 of the ShuffleNet paper: Stage2 output channels per group count (Stage3, Stage4 double).
TABLE1_STAGE2_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
STAGE_UNITS = (4, 8, 4)  # Stage2: 1 stride-2 unit + 3; Stage3: 1 + 7; Stage4: 1 + 3
STEM_CHANNELS = 24
BOTTLENECK_RATIO = 0.25

# MobileNet v1, Table 1: (output channels, stride) of the 13 depthwise-separable blocks.
# The last block is stride 1: Table 1 prints s2 but the published 569 M needs s1.
MOBILENET_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
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

    Whole numbers of another type (``480.0``, a numpy integer) are stored as ``int``; anything
    else is kept for validation to name. Equality and hash see the fields' types, so a stage
    with ``units=True`` is never taken for one with ``units=1`` by the caches keyed by stages.
    """

    out_channels: int
    units: int
    groups: int
    bottleneck_ratio: float = BOTTLENECK_RATIO

    def __post_init__(self):
        for name in ("out_channels", "units", "groups"):
            value = getattr(self, name)
            whole = _as_whole(value)
            if whole is not value:
                object.__setattr__(self, name, whole)
        typed = typed_key((self.out_channels, self.units, self.groups, self.bottleneck_ratio))
        try:  # hashed once: stage specs key the caches a search consults for every candidate
            object.__setattr__(self, "_typed", typed)
            object.__setattr__(self, "_hash", hash(typed))
        except TypeError:  # a field that does not hash: validation names it
            object.__setattr__(self, "_hash", None)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not StageSpec:
            return NotImplemented
        return self._typed == other._typed

    def __hash__(self) -> int:
        if self._hash is None:
            raise TypeError(f"unhashable stage spec: {self!r}")
        return self._hash

    @property
    def bottleneck_channels(self) -> int:
        """Bottleneck channels: ``out_channels * bottleneck_ratio`` to the nearest multiple of g."""
        return bottleneck_channels(self.out_channels, self.bottleneck_ratio, self.groups)


def typed_key(value: Any) -> tuple:
    """A hashable stand-in for a value, equal only for values of the same types: ``True`` is
    not ``1`` and ``2.0`` is not ``2`` (lists and tuples element by element, namedtuples
    too). What caches keyed by user-given numbers key on."""
    if isinstance(value, (list, tuple)):
        return (tuple(value), tuple(map(type, value)))
    return (value, type(value))


def _as_whole(value: Any) -> Any:
    """``value`` as an ``int`` where it is a whole number of another type (not a bool), else
    ``value`` itself."""
    if type(value) is int or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, numbers.Integral):  # numpy integers
        return int(value)
    return value


@lru_cache(maxsize=65536)
def bottleneck_channels(out_channels: int, ratio: float, groups: int) -> int:
    """Bottleneck width of a unit: ``out * ratio`` rounded to the nearest multiple of ``groups``.

    With the paper's ratio 1/4 and ``out`` a multiple of 4g this is exactly ``out / 4``.
    The result is at least ``groups`` (one channel per group).
    """
    return max(groups, int(math.floor(out_channels * ratio / groups + 0.5)) * groups)


class _Keyed:
    """What both spec families share: ``arch_key``, computed once per spec object (a frozen
    spec's key cannot change; a search asks for it twice per candidate)."""

    DERIVED = ("_arch_key", "_arch_text")  # what a spec computes of itself, in its __dict__

    def arch_key(self) -> tuple:
        """``architecture_key(self)``: everything that changes the network, no label."""
        key = self.__dict__.get("_arch_key")
        if key is None:
            key = architecture_key(self)
            object.__setattr__(self, "_arch_key", key)
        return key

    def arch_text(self) -> str:
        """``repr(self.arch_key())``, what the architecture ids hash; computed once per spec,
        with a ShuffleNet's stage part spelled once per distinct set of stages."""
        text = self.__dict__.get("_arch_text")
        if text is None:
            fields = _key_fields(self, _Spelled(_key_body(self)[1]))
            text = f"({', '.join(map(repr, fields))})"  # a tuple's repr, the body spelled
            object.__setattr__(self, "_arch_text", text)
        return text


@dataclass(frozen=True)
class ShuffleNetSpec(_Keyed):
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
    fc_bias: bool = True
    name: str = ""
    scale: float | None = None
    rule: str = ""
    paper: PaperRow | None = None
    notes: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class MobileNetSpec(_Keyed):
    """A MobileNet v1 network: 3x3 stem conv, depthwise-separable blocks, global pool, FC."""

    blocks: tuple[tuple[int, int], ...]
    stem_channels: int = MOBILENET_STEM
    width: float = 1.0
    resolution: int = 224
    num_classes: int = 1000
    in_channels: int = 3
    fc_bias: bool = True
    name: str = ""
    rule: str = ""
    paper: PaperRow | None = None
    notes: tuple[str, ...] = ()

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


NetworkSpec = ShuffleNetSpec | MobileNetSpec


# ----------------------------------------------------------------------------- identity


def architecture_key(spec: NetworkSpec) -> tuple:
    """The network a spec builds, as a canonical hashable tuple: equal keys, equal networks.

    Holds everything that changes the built network (family, input channels, resolution,
    stem, every stage's output channels, units, groups, bottleneck channels, first 1x1
    conv's groups and shuffle; MobileNet's blocks; classes; classifier bias) and nothing
    that only labels it (name, scale, width, rule text, paper numbers, notes). Values are
    the effective ones, so two specs that build the same layers have the same key: the
    bottleneck ratio enters as the bottleneck channels it gives, ``shuffle`` only where a
    stage has groups > 1, ``first_pointwise_grouped`` only where Stage2's groups > 1, a
    MobileNet's width only through its channels.

    Names, paper numbers, bundles and measurement stores match networks by this key.

    Example::

        >>> from shufflenet_cli import shufflenet_spec
        >>> a = shufflenet_spec(groups=3)
        >>> b = shufflenet_spec(groups=3, name="mine", bottleneck_ratio=0.25)
        >>> architecture_key(a) == architecture_key(b)
        True
    """
    return _key_fields(spec, _key_body(spec)[0])


def _key_fields(spec: NetworkSpec, body: Any) -> tuple:
    """The architecture key's layout, around its family's ``body`` (the one place it is
    written: ``architecture_key`` fills in the body's key, ``arch_text`` its text)."""
    return (
        spec.family,
        spec.in_channels,
        spec.resolution,
        spec.stem_channels,
        body,
        spec.num_classes,
        bool(spec.fc_bias),
    )


def _key_body(spec: NetworkSpec) -> tuple[tuple, str]:
    """The family's part of the architecture key, and its ``repr``: a ShuffleNet's stages
    (cached per distinct set), a MobileNet's blocks."""
    if isinstance(spec, ShuffleNetSpec):
        return _stages_key(tuple(spec.stages), spec.first_pointwise_grouped, spec.shuffle)
    if isinstance(spec, MobileNetSpec):
        body = ("blocks", tuple(tuple(b) for b in spec.blocks))
        return body, repr(body)
    raise TypeError(f"not a network spec: {spec!r}")


class _Spelled(str):
    """Text whose ``repr`` is itself: a key part already spelled, placed in a key's text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)


@lru_cache(maxsize=65536)
def _stages_key(stages: tuple, first_pointwise_grouped: bool, shuffle: bool) -> tuple[tuple, str]:
    """The stage part of a ShuffleNet's ``architecture_key``, and its ``repr`` (cached: a search
    keys thousands of networks that share their stages; each stage's part is cached too)."""
    parts = [
        _stage_key(st, i > 0 or first_pointwise_grouped, shuffle) for i, st in enumerate(stages)
    ]
    key = ("stages", tuple(key for key, _text in parts))
    return key, repr(("stages", tuple(_Spelled(text) for _key, text in parts)))


@lru_cache(maxsize=65536)
def _stage_key(st: StageSpec, grouped_first: bool, shuffle: bool) -> tuple[tuple, str]:
    """One stage's part of the key (effective values; see ``architecture_key``) and its repr."""
    key = (
        st.out_channels,
        st.units,
        st.groups,
        st.bottleneck_channels,
        st.groups if grouped_first else 1,
        bool(shuffle and st.groups > 1),
    )
    return key, repr(key)


def architecture_id(spec: NetworkSpec) -> str:
    """A short stable text form of ``architecture_key`` (12 hex digits), for files and JSON."""
    return hashlib.sha256(spec.arch_text().encode()).hexdigest()[:12]


def unique_networks(specs: Iterable[NetworkSpec]) -> list[NetworkSpec]:
    """``specs`` without repeats (same name and architecture), in order.

    Two different architectures under one name are refused with a one-line ``UserError``
    naming both: a table, report or JSON output never holds two networks under one name.
    (Names made by the rules cannot collide this way: they are derived from the
    architecture. The error is for names users give.)
    """
    out: dict[tuple, NetworkSpec] = {}
    by_name: dict[str, NetworkSpec] = {}
    for s in specs:
        key = architecture_key(s)
        other = by_name.get(s.name)
        if other is not None and architecture_key(other) != key:
            raise UserError(
                f"name: {s.name!r} is given to two different networks "
                f"({describe_architecture(other)} and {describe_architecture(s)}); "
                "give each its own name"
            )
        by_name.setdefault(s.name, s)
        out.setdefault((s.name, key), s)
    return list(out.values())


def describe_architecture(spec: NetworkSpec) -> str:
    """A short human description of an architecture (channels, units, groups, size)."""
    if isinstance(spec, ShuffleNetSpec):
        parts = [
            f"stem {spec.stem_channels}",
            "channels " + ".".join(str(s.out_channels) for s in spec.stages),
            "units " + ".".join(str(s.units) for s in spec.stages),
            "groups " + ".".join(str(s.groups) for s in spec.stages),
        ]
    else:
        parts = [f"width {spec.width:g}", f"stem {spec.stem_channels}"]
    parts.append(f"{spec.resolution}px")
    if spec.num_classes != 1000:
        parts.append(f"{spec.num_classes} classes")
    if not spec.fc_bias:
        parts.append("no FC bias")
    return ", ".join(parts)


# ----------------------------------------------------------------------------- helpers


def arch_id(spec: NetworkSpec) -> str:
    """A short, stable identifier of the architecture (16 hex digits of a hash of its key):
    equal for equal architectures whatever their names. The search store's primary key, and
    what bundles and results files measured elsewhere match networks by."""
    return hashlib.sha1(spec.arch_text().encode()).hexdigest()[:16]


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
    check_min_resolution(spec)
    return spec


def check_min_resolution(spec: NetworkSpec) -> None:
    """``UserError`` if the spec's resolution leaves a stride-2 op less than a 2x2 input
    (``validate``'s last check, the only one that depends on the resolution's size)."""
    need = min_resolution(spec)
    if spec.resolution < need:
        raise UserError(
            f"resolution: {spec.resolution} is too small for {count_downsamplings(spec)} "
            f"stride-2 layers (at least {need})"
        )


def _validate_shufflenet(spec: ShuffleNetSpec) -> None:
    _bool(spec.fc_bias, "fc_bias")
    _bool(spec.shuffle, "shuffle")
    _bool(spec.first_pointwise_grouped, "first_pointwise_grouped")
    if not spec.stages:
        raise UserError("stages: a ShuffleNet needs at least one stage")
    if len(spec.stages) > 8:
        raise UserError(f"stages: {len(spec.stages)} stages is absurd (at most 8)")
    args = (tuple(spec.stages), spec.stem_channels, spec.first_pointwise_grouped)
    try:
        _check_stages(*args)
    except TypeError:  # a field of a type that does not hash: checked uncached, named
        _check_stages.__wrapped__(*args)


@lru_cache(maxsize=65536)
def _check_stages(stages: tuple, stem_channels: int, first_pointwise_grouped: bool) -> None:
    """Every stage's rules, each given its input channels (cached: a search checks the same
    stages in thousands of candidates; a ``UserError`` is raised anew on every call)."""
    in_ch = stem_channels
    for i, st in enumerate(stages):
        args = (i, st, in_ch, i > 0 or first_pointwise_grouped)
        try:
            _check_stage(*args)
        except TypeError:
            _check_stage.__wrapped__(*args)
        in_ch = st.out_channels


@lru_cache(maxsize=65536)
def _check_stage(i: int, st: StageSpec, in_ch: int, first_grouped: bool) -> None:
    """Stage ``i``'s rules given its input channels (cached: a search checks the same stages
    in thousands of candidates; a ``UserError`` is raised anew on every call)."""
    where = f"stages[{i}]"
    g = _positive_int(st.groups, f"{where}.groups", 1024)
    out = _positive_int(st.out_channels, f"{where}.out_channels", MAX_CHANNELS)
    _positive_int(st.units, f"{where}.units", MAX_UNITS)
    _positive_float(st.bottleneck_ratio, f"{where}.bottleneck_ratio", 4.0)
    mid = st.bottleneck_channels
    if out <= in_ch:
        raise UserError(
            f"{where}.out_channels: {out} must exceed the stage's input channels {in_ch} "
            f"(the stride-2 unit concatenates its input with (out - in) new channels)"
        )
    if out % g:
        raise UserError(f"{where}.groups: {g} does not divide out_channels {out}")
    if (out - in_ch) % g:
        raise UserError(
            f"{where}.groups: {g} does not divide the stride-2 unit's branch output "
            f"{out - in_ch} (= out_channels {out} - input channels {in_ch})"
        )
    if first_grouped and in_ch % g:
        raise UserError(
            f"{where}.groups: {g} does not divide the stage's input channels {in_ch}"
            + ("" if i else " (first_pointwise_grouped is true)")
        )
    if mid % g:  # cannot happen with bottleneck_channels' rounding, kept as a guard
        raise UserError(f"{where}.groups: {g} does not divide bottleneck channels {mid}")


def _validate_mobilenet(spec: MobileNetSpec) -> None:
    _bool(spec.fc_bias, "fc_bias")
    if not spec.blocks:
        raise UserError("blocks: a MobileNet needs at least one block")
    if len(spec.blocks) > MAX_UNITS:
        raise UserError(f"blocks: {len(spec.blocks)} blocks is absurd (at most {MAX_UNITS})")
    for i, (c, s) in enumerate(spec.blocks):
        _positive_int(c, f"blocks[{i}].out_channels", MAX_CHANNELS)
        if s not in (1, 2):
            raise UserError(f"blocks[{i}].stride: {s!r} must be 1 or 2")
    _positive_float(spec.width, "width", 16.0)


# ----------------------------------------------------------------------------- dict form


def spec_to_dict(spec: NetworkSpec) -> dict:
    """The explicit dict form of a spec (what ``spec_from_dict`` and ``--spec FILE`` read)."""
    out: dict[str, Any] = {"family": spec.family, "name": spec.name}
    if isinstance(spec, ShuffleNetSpec):
        out["stem_channels"] = spec.stem_channels
        out["stages"] = [
            {
                "out_channels": s.out_channels,
                "units": s.units,
                "groups": s.groups,
                "bottleneck_ratio": s.bottleneck_ratio,
            }
            for s in spec.stages
        ]
    else:
        out["width"] = spec.width
    out.update(resolution=spec.resolution, num_classes=spec.num_classes)
    if isinstance(spec, ShuffleNetSpec):
        out.update(shuffle=spec.shuffle, first_pointwise_grouped=spec.first_pointwise_grouped)
    if spec.in_channels != 3:
        out["in_channels"] = spec.in_channels
    if not spec.fc_bias:
        out["fc_bias"] = False
    if spec.paper is not None:
        out["paper"] = {k: v for k, v in vars(spec.paper).items() if v not in (None, "")}
    return out


__all__ = [
    "PaperRow",
    "StageSpec",
    "ShuffleNetSpec",
    "MobileNetSpec",
    "NetworkSpec",
    "spec_to_dict",
    "validate",
    "architecture_key",
    "architecture_id",
    "unique_networks",
    "describe_architecture",
    "bottleneck_channels",
    "round_up",
]
