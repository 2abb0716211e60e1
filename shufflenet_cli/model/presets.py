"""Preset registry and spec files: YAML in, validated specs out.

Presets are the papers' rows (``presets/*.yaml``, installed as the package
``shufflenet_cli.preset_data``), each with its published numbers. A user's spec file has the same
format (see ``spec.spec_from_dict``).
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import replace
from functools import cache
from pathlib import Path

from ..errors import UserError
from ..files import load_yaml
from .rules import rule_names
from .rules import spec_from_name
from .spec import NetworkSpec
from .spec import PaperRow
from .spec import architecture_key
from .specfile import spec_from_dict

PRESET_SUFFIX = ".yaml"


def presets_dir() -> Path:
    """Folder of the preset YAML files (installed package data, or the checkout's presets/)."""
    try:
        from importlib.resources import files

        path = Path(str(files("shufflenet_cli.preset_data")))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "presets"  # the checkout: package/model/..


def list_presets(pattern: str = "*") -> list[str]:
    """Names of the presets matching a glob ``pattern``, sorted (e.g. ``list_presets('*g3')``)."""
    names = [
        p.name[: -len(PRESET_SUFFIX)]
        for p in presets_dir().glob(f"*{PRESET_SUFFIX}")
        if not p.name.startswith("search-")
    ]
    return sorted(n for n in names if fnmatch.fnmatch(n, pattern))


def _load_yaml(path: Path, what: str) -> object:
    """The YAML document in ``path`` (bounded reading: ``files.load_yaml``)."""
    return load_yaml(path, what)


@cache
def load_preset(name: str) -> NetworkSpec:
    """The validated spec of a preset by name (e.g. ``'shufflenet-1x-g3'``)."""
    path = presets_dir() / f"{name}{PRESET_SUFFIX}"
    if not path.is_file() or name.startswith("search-"):
        raise UserError(f"preset: unknown preset {name!r}{_suggest(name, list_presets())}")
    return spec_from_dict(_load_yaml(path, "preset"), source=f"preset {name}")


def _suggest(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=4, cutoff=0.5)
    return f" (closest: {', '.join(close)})" if close else " (try `shufflenet-cli presets`)"


def load_spec_file(path: str | Path) -> NetworkSpec:
    """The validated spec written in a YAML file.

    Its ``paper:`` block is kept only when the file's architecture is that paper row's
    (a preset with the same ``architecture_key`` and the same numbers); otherwise it is
    dropped, or replaced by the matching preset's published numbers, and ``notes`` says so.
    """
    path = Path(path)
    data = _load_yaml(path, "spec")
    if data is None:
        raise UserError(f"spec: {path} is empty")
    return checked_paper(spec_from_dict(data, source=str(path)))


def load_network(name: str) -> NetworkSpec:
    """A network by name: a preset, or any name the rules make (``shufflenet-2x-g8``,
    ``shufflenet-1x-g8-u4.4.4``, ``mobilenet-v1-0.5-160``; see ``rules.network_name``).

    A rule name that spells a preset's architecture gives that preset (with its paper
    numbers). Unknown names: ``UserError`` suggesting the closest known names.
    """
    if (presets_dir() / f"{name}{PRESET_SUFFIX}").is_file() and not name.startswith("search-"):
        return load_preset(name)
    spec = spec_from_name(name)
    if spec is None:
        raise UserError(
            f"preset: unknown preset {name!r}: not a preset, a rule name "
            "(shufflenet-{s}x-g{g}, mobilenet-v1-{alpha}[-{resolution}]) or a YAML file"
            + _suggest(name, list_presets() + rule_names())
        )
    match = matching_preset(spec)
    return match if match is not None else spec


def load_spec(name_or_path: str | Path) -> NetworkSpec:
    """A spec from a network name (preset or rule name) or a YAML file path.

    Example::

        >>> load_spec("shufflenet-1x-g8").stage_channels
        (384, 768, 1536)
        >>> load_spec("shufflenet-2x-g8").stem_channels
        48
    """
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or Path(text).is_file():
        return load_spec_file(text)
    return load_network(text)


@cache
def _paper_index() -> dict:
    return {architecture_key(load_preset(n)): load_preset(n) for n in list_presets()}


def matching_preset(spec: NetworkSpec) -> NetworkSpec | None:
    """The preset with the same architecture as ``spec`` (names and labels aside), if any."""
    return _paper_index().get(architecture_key(spec))


def paper_row(spec: NetworkSpec) -> PaperRow | None:
    """The published numbers of the paper row whose architecture ``spec`` builds, else None.

    The architecture decides, not the name nor the spec's own ``paper`` field: the papers'
    rows are the presets, matched by ``architecture_key``.
    """
    match = matching_preset(spec)
    return match.paper if match is not None else None


def checked_paper(spec: NetworkSpec) -> NetworkSpec:
    """``spec`` with the paper numbers its architecture has a right to, and a note if its own
    ``paper`` field was dropped or replaced (the architecture is not that paper row's)."""
    published = paper_row(spec)
    if spec.paper is None or spec.paper == published:
        return spec if spec.paper == published else replace(spec, paper=published)
    if published is None:
        note = (
            f"{spec.name}: paper: block dropped: no paper row has this architecture "
            "(published numbers are shown only beside the network the paper measured)"
        )
    else:
        note = (
            f"{spec.name}: paper: block replaced by the published numbers of "
            f"{matching_preset(spec).name}, the paper row with this architecture"
        )
    return replace(spec, paper=published, notes=(*spec.notes, note))
