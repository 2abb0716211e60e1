"""Preset registry and spec files: YAML in, validated specs out.

Presets are the papers' rows (``presets/*.yaml``, installed as the package
``shufflenet_cli.preset_data``), each with its published numbers. A user's spec file has the same
format (see ``spec.spec_from_dict``).
"""

from __future__ import annotations

import fnmatch
from functools import cache
from pathlib import Path

from ..errors import UserError
from .spec import NetworkSpec
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
    return Path(__file__).resolve().parent.parent / "presets"


def list_presets(pattern: str = "*") -> list[str]:
    """Names of the presets matching a glob ``pattern``, sorted (e.g. ``list_presets('*g3')``)."""
    names = [
        p.name[: -len(PRESET_SUFFIX)]
        for p in presets_dir().glob(f"*{PRESET_SUFFIX}")
        if not p.name.startswith("search-")
    ]
    return sorted(n for n in names if fnmatch.fnmatch(n, pattern))


def _load_yaml(path: Path, what: str) -> object:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what}: {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"{what}: {path} is a folder, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{what}: cannot read {path}: {e}") from None
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise UserError(f"{what}: {path}{where}: malformed YAML ({problem})") from None


@cache
def load_preset(name: str) -> NetworkSpec:
    """The validated spec of a preset by name (e.g. ``'shufflenet-1x-g3'``)."""
    path = presets_dir() / f"{name}{PRESET_SUFFIX}"
    if not path.is_file() or name.startswith("search-"):
        close = fnmatch.filter(list_presets(), f"*{name.split('-')[0]}*")[:4] or list_presets()[:4]
        raise UserError(
            f"preset: unknown preset {name!r} (try `shufflenet-cli presets`; "
            f"e.g. {', '.join(close)})"
        )
    return spec_from_dict(_load_yaml(path, "preset"), source=f"preset {name}")


def load_spec_file(path: str | Path) -> NetworkSpec:
    """The validated spec written in a YAML file."""
    path = Path(path)
    data = _load_yaml(path, "spec")
    if data is None:
        raise UserError(f"spec: {path} is empty")
    return spec_from_dict(data, source=str(path))


def load_spec(name_or_path: str | Path) -> NetworkSpec:
    """A spec from a preset name or a YAML file path.

    Example::

        >>> load_spec("shufflenet-1x-g8").stage_channels
        (384, 768, 1536)
    """
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or Path(text).is_file():
        return load_spec_file(text)
    return load_preset(text)


@cache
def _paper_index() -> dict:
    return {load_preset(n).arch_key(): load_preset(n) for n in list_presets()}


def matching_preset(spec: NetworkSpec) -> NetworkSpec | None:
    """The preset with the same architecture as ``spec`` (names and labels aside), if any."""
    return _paper_index().get(spec.arch_key())
