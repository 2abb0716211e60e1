"""Files the tool reads and writes: bounded reading, and one writer for every output.

Reading (``read_text_bounded``, ``load_yaml``): at most ``MAX_INPUT_BYTES`` from any file; a
regular file above that size is refused before a byte is read, a FIFO or a device (``/dev/zero``)
is read up to the cap and then refused. YAML aliases are refused (an alias bomb of a few
hundred bytes grows to gigabytes), and so is nesting deeper than ``MAX_YAML_DEPTH``.

Writing (``write_atomic``, the one writer):

* a regular file (or a new one) is written atomically: a temporary file in the same folder,
  fsync, rename over the target. The new file gets the old file's mode (and owner, as root),
  or for a new file the mode the umask gives (``0o666 & ~umask``);
* a symlink is followed: its target is replaced, the link stays a link;
* a FIFO, a device or a file with several hard links is written in place (so the reader,
  the device or every link sees the new content);
* a full disk, a read-only file system or a missing permission is one ``UserError`` line; the
  old file is kept.

``write_named_files`` writes files whose names come from data (network names) into a chosen
folder: each name becomes a safe file name (``safe_file_name``), two names that become the
same file are an error, and existing files are refused unless ``force``.

Every temporary file or folder has ``TEMP_TAG`` and the writing process's id in its name;
``remove_stale_temps`` removes those whose process is gone (a run killed by SIGKILL).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import UserError

MAX_INPUT_BYTES = 1 << 20  # 1 MiB: a spec is under 2 KB, a search space under 10 KB
MAX_YAML_DEPTH = 32
MAX_YAML_EVENTS = 200_000
MAX_NAME_CHARS = 100  # file names made from data
TEMP_TAG = ".shufflenet-tmp-"

# OS errors that are the environment's answer, not a bug: one line, never a traceback.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EXDEV,
    errno.EIO,
    errno.EFBIG,
    errno.ENAMETOOLONG,
    errno.ENOTDIR,
    errno.ENOENT,
    errno.ELOOP,
    errno.EPIPE,
    errno.ETXTBSY,
    errno.EISDIR,
}


# ----------------------------------------------------------------------------- reading


def read_text_bounded(path: str | Path, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of ``path``, at most ``limit`` bytes (``UserError`` otherwise).

    A regular file larger than ``limit`` is refused before reading; a FIFO or device is read
    until ``limit + 1`` bytes and then refused, so ``/dev/zero`` costs a megabyte, not all
    the memory.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UserError(f"{what}: {p} does not exist") from None
    except OSError as e:
        raise UserError(f"{what}: cannot read {p}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{what}: {p} is a folder, not a YAML file")
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise UserError(
                f"{what}: {p} is {st.st_size} bytes; files are read up to {limit} bytes"
            )
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UserError(f"{what}: {p} holds more than {limit} bytes; not read further")
    except OSError as e:
        raise UserError(f"{what}: cannot read {p}: {e.strerror}") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{what}: {p} is not UTF-8 text (byte {e.start})") from None


def load_yaml(path: str | Path, what: str) -> object:
    """The YAML document in ``path``, read with ``read_text_bounded`` and YAML's safe loader.

    Aliases (``*name``) are refused, and so is nesting deeper than ``MAX_YAML_DEPTH``: both
    are checked on the parser's events before anything is built. Malformed YAML is a
    ``UserError`` naming the file and line.
    """
    import yaml

    p = Path(path)
    text = read_text_bounded(p, what)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_events(yaml.parse(text, Loader=loader), p, what)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise UserError(f"{what}: {p}{where}: malformed YAML ({problem})") from None
    except (ValueError, OverflowError, RecursionError) as e:
        # e.g. an integer of 5,000 digits or a date such as 2020-13-45
        raise UserError(f"{what}: {p}: a value YAML cannot convert ({e})") from None


def _check_events(events, path: Path, what: str) -> None:
    import yaml

    depth = 0
    for n, event in enumerate(events):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise UserError(
                f"{what}: {path} line {line}: YAML aliases (*{event.anchor}) are not "
                "accepted; write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise UserError(f"{what}: {path}: nested deeper than {MAX_YAML_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if n > MAX_YAML_EVENTS:
            raise UserError(f"{what}: {path}: more than {MAX_YAML_EVENTS} YAML values")


# ----------------------------------------------------------------------------- names


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")


def safe_file_name(name: str, suffix: str = "") -> str:
    """A file name made from data: only ``A-Z a-z 0-9 . _ @ + = -``, no leading dot, at
    most ``MAX_NAME_CHARS`` characters, then ``suffix``. Never a path.

    Example::

        >>> safe_file_name("../etc/passwd", ".csv")
        'etc_passwd.csv'
    """
    text = re.sub(r"__+", "_", _UNSAFE.sub("_", str(name))).lstrip("._").rstrip("_") or "_"
    return text[:MAX_NAME_CHARS] + suffix


# ----------------------------------------------------------------------------- writing


def check_output_path(path: str | Path, what: str = "output") -> Path:
    """Fail early (``UserError``) when ``path`` cannot be written as a file."""
    p = Path(path)
    st = _stat(p, what)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UserError(f"{what}: {p} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return p  # FIFO or device (/dev/stdout): written in place
    parent = Path(os.path.realpath(p)).parent
    if not parent.is_dir():
        raise UserError(f"{what}: folder {p.parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{what}: folder {p.parent} is not writable")
    return p


def _stat(p: Path, what: str) -> os.stat_result | None:
    """``os.stat`` following symlinks (``/dev/stdout`` included); None if nothing is there."""
    try:
        return os.stat(p)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise UserError(f"{what}: cannot use {p}: {e.strerror}") from None


def write_atomic(path: str | Path, text: str | bytes, what: str = "output") -> Path:
    """Write ``text`` to ``path``: the one writer for every file the tool writes.

    Regular files are replaced atomically (temporary file in the same folder, fsync, rename),
    keeping the old file's mode, or the umask's for a new file; an interrupted or failed
    write leaves the old file (or none), never half of the new one. Symlinks are followed;
    FIFOs, devices and hard-linked files are written in place. Returns the path written.
    """
    p = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    check_output_path(p, what)
    st = _stat(p, what)
    if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
        _write_in_place(p, data, p, what, truncate=stat.S_ISREG(st.st_mode))
    else:  # a symlink is resolved: its target is replaced, the link stays
        _replace(Path(os.path.realpath(p)), data, st, p, what)
    return p


def check_output_folder(out: str | Path, marker: str, what: str) -> Path:
    """Fail early (``UserError``) when ``out`` cannot become a folder of ours (a report, a
    bundle): it is the current folder or holds it, a file, a non-empty folder without our
    ``marker`` file (so not made by an earlier run), or no folder above it can be written.
    A symlink is followed: the folder it points to is the one replaced."""
    p = Path(os.path.realpath(out))
    here = Path.cwd().resolve()
    if p == here or p in here.parents:
        raise UserError(
            f"out: {out} is the current folder or one that holds it; give a new folder for "
            f"the {what}"
        )
    if p.exists() and not p.is_dir():
        raise UserError(f"out: {p} is an existing file; give a folder for the {what}")
    if p.is_dir() and any(p.iterdir()) and not (p / marker).exists():
        raise UserError(
            f"out: {p} is a folder that is not a shufflenet-cli {what}; give a new or empty folder"
        )
    probe = p.parent
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
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name), suffix=".tmp", dir=parent))
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
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name) + "old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_in_place(target: Path, data: bytes, shown: Path, what: str, truncate: bool) -> None:
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise UserError(f"{what}: cannot write {shown}: {e.strerror}") from None
    try:
        _write_all(fd, data)
        if truncate:
            os.ftruncate(fd, len(data))
            os.fsync(fd)
    except OSError as e:
        raise UserError(f"{what}: cannot write {shown}: {e.strerror}") from None
    finally:
        os.close(fd)


def _replace(target: Path, data: bytes, st: os.stat_result | None, shown: Path, what: str) -> None:
    folder = target.parent
    remove_stale_temps(folder, target.name)
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~current_umask()
    kept = "; the old file is kept" if st is not None else "; nothing written"
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target.name), dir=folder)
    except OSError as e:
        raise UserError(f"{what}: cannot write in {folder}: {e.strerror}{kept}") from None
    try:
        try:
            os.fchmod(fd, mode)
            if st is not None and os.geteuid() == 0:
                os.fchown(fd, st.st_uid, st.st_gid)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        _fsync_folder(folder)
    except OSError as e:
        _unlink_quietly(tmp)
        raise UserError(f"{what}: cannot write {shown}: {e.strerror}{kept}") from None
    except BaseException:
        _unlink_quietly(tmp)
        raise


def write_new(path: Path, text: str | bytes, what: str = "output") -> Path:
    """Create ``path`` (which must not exist) and write ``text``: for files inside a fresh
    temporary folder of ours, which is renamed into place as a whole (the report)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as e:
        raise UserError(f"{what}: cannot write {path.name}: {e.strerror}") from None
    return path


def write_named_files(
    folder: str | Path,
    files: Sequence[tuple[str, str | bytes]],
    suffix: str,
    *,
    force: bool = False,
    what: str = "output",
) -> list[Path]:
    """Write ``(name, text)`` pairs as ``folder/safe_file_name(name) + suffix``.

    Two names that give the same file name (case-insensitively) are an error, and so is a
    file that already exists unless ``force``; both are checked before anything is written.
    The folder is created if missing. Each file is written by ``write_atomic``.
    """
    out = Path(folder)
    paths, seen = [], {}
    for name, _text in files:
        fname = safe_file_name(name, suffix)
        other = seen.setdefault(fname.casefold(), name)
        if other != name:
            raise UserError(
                f"{what}: {name!r} and {other!r} would both be written as {fname}; rename one"
            )
        paths.append(out / fname)
    if out.exists() and not out.is_dir():
        raise UserError(f"{what}: {out} is a file, not a folder")
    existing = [p for p in paths if os.path.lexists(p)]
    if existing and not force:
        raise UserError(
            f"{what}: {existing[0]} already exists ({len(existing)} of {len(paths)} files); "
            "pass --force to overwrite, or give another folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{what}: cannot create {out}: {e.strerror}") from None
    for p, (_name, text) in zip(paths, files):
        write_atomic(p, text, what)
    return paths


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test runner's buffer)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def is_environment_error(e: BaseException) -> bool:
    """Whether ``e`` is an OS error the environment causes (full disk, read-only, no rights)."""
    return isinstance(e, OSError) and e.errno in _ENVIRONMENT_ERRNOS


# ----------------------------------------------------------------------------- temporaries


def temp_prefix(name: str) -> str:
    """The prefix of every temporary beside ``name``: hidden, tagged, with our process id."""
    return f".{name}{TEMP_TAG}{os.getpid()}-"


def make_temp_folder(folder: Path, name: str) -> Path:
    """A fresh temporary folder beside ``folder/name`` (removed by ``remove_stale_temps`` if
    this process is killed before it is renamed or removed)."""
    remove_stale_temps(folder, name)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(name), dir=folder))


def remove_stale_temps(folder: Path, name: str) -> int:
    """Remove temporaries for ``folder/name`` left by processes that no longer run; returns
    how many were removed. Temporaries of running processes are left alone."""
    start = f".{name}{TEMP_TAG}"
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(start):
            continue
        pid_text = entry.name[len(start) :].split("-", 1)[0]
        if not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def current_umask() -> int:
    """The process's umask (read from /proc where possible, so it is never changed)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is done either way
    finally:
        os.close(fd)


def _unlink_quietly(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


__all__ = [
    "MAX_INPUT_BYTES",
    "check_output_path",
    "load_yaml",
    "read_text_bounded",
    "remove_stale_temps",
    "safe_file_name",
    "write_atomic",
    "write_named_files",
    "write_new",
]
