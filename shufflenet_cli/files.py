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


def check_output_folder(out: str | Path, marker: str, what: str) -> Path:
    """Fail early (``UserError``) when ``out`` cannot become a folder of ours: it is a file, a
    non-empty folder without our ``marker`` file (so not made by an earlier run), or no folder
    above it can be written."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise UserError(f"out: {p} is an existing file; give a folder for the {what}")
    if p.is_dir() and any(p.iterdir()) and not (p / marker).exists():
        raise UserError(
            f"out: {p} is a folder that is not a shufflenet-cli {what}; give a new or empty folder"
        )
    probe = p.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"out: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"out: folder {probe} is not writable")
    return p


def folder_beside(out: Path) -> Path:
    """A new empty folder next to ``out`` (same file system, so ``swap_in`` is a rename), with
    the umask's mode rather than mkdtemp's private one."""
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise UserError(f"out: cannot write in {parent}: {e.strerror}") from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def swap_in(tmp: Path, out: Path) -> None:
    """Rename a finished folder into place; an earlier one is moved aside, then removed, so a
    reader sees the old folder or the new one, never half of one."""
    import shutil

    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.resolve().parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_bounded(path: str | Path, what: str, limit: int = 16 << 20) -> str:
    """A text file's contents, refused (``UserError``) when missing, unreadable or larger than
    ``limit`` bytes."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise UserError(f"{what}: {p} is a folder, not a file")
        if size > limit:
            raise UserError(f"{what}: {p} is {size >> 20} MiB, more than {limit >> 20} MiB")
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what}: {p} does not exist") from None
    except UnicodeDecodeError:
        raise UserError(f"{what}: {p} is not UTF-8 text") from None
    except OSError as e:
        raise UserError(f"{what}: cannot read {p}: {e.strerror}") from None
