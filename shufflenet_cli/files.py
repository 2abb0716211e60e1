"""Files the tool writes: one writer for every output, atomic and never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UserError


def check_output_path(path: str | Path) -> Path:
    """Fail early (``UserError``) when ``path`` cannot be written as a file."""
    p = Path(path)
    if p.is_dir():
        raise UserError(f"output: {p} is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"output: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UserError(f"output: folder {parent} is not writable")
    return p


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write a file atomically: a temp file in the same folder, then rename over the target.

    An interrupted write leaves the old file (or none), never half of the new one.
    """
    p = check_output_path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return p
