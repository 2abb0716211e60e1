"""Typed checks for what users write: each field checked and converted once, here.

Spec files (``specfile.py``) and search spaces (``explore/search.py``) read every field through
these converters. A converter returns the value in its one type (``whole`` returns an ``int``,
so ``224.0`` becomes ``224``; ``number`` a finite ``float``) or raises ``UserError`` naming the
field path and the value, e.g. ``stages[1].units: 4.5 is not a whole number``; the caller
prefixes the file. Nothing downstream sees a float where an int belongs, a NaN, a string where
a list belongs, or a name that could break a terminal, a table or a file name.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from ..errors import UserError

MAX_NAME_CHARS = 80
NAME_FORBIDDEN = "/\\|`"

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 4
_repr.maxlevel = 2
_repr.maxlong = 24


def show(value: Any) -> str:
    """A short, printable rendering of a user's value for an error message."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return repr(value)
    return _repr.repr(value)


def fail(path: str, value: Any, problem: str) -> UserError:
    """The error for ``value`` at ``path``: ``'path: value problem'``."""
    return UserError(f"{path}: {show(value)} {problem}")


def whole(value: Any, path: str, lo: int = 1, hi: int | None = None) -> int:
    """An int in ``[lo, hi]``; a float with no fraction (``224.0``) is converted."""
    if type(value) is not int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise fail(path, value, "is not a whole number")
        else:
            value = int(value)
    if value < lo:
        raise fail(
            path, value, "must be a positive whole number" if lo == 1 else f"must be >= {lo}"
        )
    if hi is not None and value > hi:
        raise fail(path, value, f"is absurdly large (at most {hi})")
    return value


def number(value: Any, path: str, lo: float = 0.0, hi: float = math.inf, *, lo_open=True) -> float:
    """A finite float in ``(lo, hi]`` (``[lo, hi]`` with ``lo_open=False``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(path, value, "is not a number")
    value = float(value)
    if not math.isfinite(value):
        raise fail(path, value, "must be a finite number")
    if value < lo or (lo_open and value == lo) or value > hi:
        low = f"> {lo:g}" if lo_open else f">= {lo:g}"
        high = "" if hi == math.inf else f" and at most {hi:g}"
        raise fail(path, value, f"must be {low}{high}")
    return value


def boolean(value: Any, path: str) -> bool:
    """``true`` or ``false`` (not 0/1, not 'yes' strings)."""
    if not isinstance(value, bool):
        raise fail(path, value, "must be true or false")
    return value


def choice(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (strings)."""
    if not isinstance(value, str) or value not in allowed:
        raise fail(path, value, f"must be one of {', '.join(allowed)}")
    return value


def name(value: Any, path: str) -> str:
    """A network or search name: printable text, 1 to ``MAX_NAME_CHARS`` characters, no
    control characters (so no ANSI escapes or newlines), none of ``/ \\ | `````."""
    if not isinstance(value, str):
        raise fail(path, value, "must be text")
    if not value or len(value) > MAX_NAME_CHARS:
        raise fail(path, value, f"must be 1 to {MAX_NAME_CHARS} characters")
    if not value.isprintable():
        raise fail(path, value, "must be printable (no control characters or newlines)")
    bad = sorted(set(value) & set(NAME_FORBIDDEN))
    if bad:
        raise fail(path, value, f"must not contain {bad[0]!r}")
    if value != value.strip():
        raise fail(path, value, "must not start or end with spaces")
    return value


def text(value: Any, path: str, max_chars: int = 200) -> str:
    """Printable free text (a paper's source) of at most ``max_chars`` characters."""
    if not isinstance(value, str):
        raise fail(path, value, "must be text")
    if len(value) > max_chars or not value.isprintable():
        raise fail(path, value, f"must be printable text of at most {max_chars} characters")
    return value


def mapping(value: Any, path: str, allowed: set[str] | frozenset[str], what: str = "") -> Mapping:
    """A mapping whose keys are all strings in ``allowed``."""
    if not isinstance(value, Mapping):
        where = f"{path}: " if path else ""
        raise UserError(f"{where}expected a mapping of fields, got {show(value)}")
    for key in value:
        if not isinstance(key, str):
            raise UserError(f"{path + ': ' if path else ''}key {show(key)} is not text")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        where = f"{path}." if path else ""
        kind = f"{what} " if what else ""
        raise UserError(
            f"{where}{unknown[0]}: unknown {kind}key (known: {', '.join(sorted(allowed))})"
        )
    return value


def listing(value: Any, path: str, lo: int = 1, hi: int = 10_000) -> list:
    """A list of ``lo`` to ``hi`` items."""
    if not isinstance(value, list):
        raise fail(path, value, "must be a list")
    if not lo <= len(value) <= hi:
        raise UserError(f"{path}: {len(value)} items; give {lo} to {hi}")
    return value


def each(values: list, path: str, convert: Callable[[Any, str], Any]) -> list:
    """``convert(item, 'path[i]')`` for each item."""
    return [convert(v, f"{path}[{i}]") for i, v in enumerate(values)]


def fields(
    data: Mapping, path: str, table: Mapping[str, Callable[[Any, str], Any]]
) -> dict[str, Any]:
    """Every key of ``data`` converted by its entry in ``table`` (keys must be in ``table``)."""
    mapping(data, path, set(table))
    prefix = f"{path}." if path else ""
    return {k: table[k](v, prefix + k) for k, v in data.items()}


def with_source(source: str, error: UserError) -> UserError:
    """``error`` with ``source`` (the file or preset) in front, once."""
    message = str(error)
    return UserError(message if message.startswith(f"{source}: ") else f"{source}: {message}")


__all__ = [
    "boolean",
    "choice",
    "each",
    "fields",
    "listing",
    "mapping",
    "name",
    "number",
    "show",
    "text",
    "whole",
    "with_source",
]
