"""The search result store: every evaluated candidate in SQLite, written as it is evaluated.

Phase-1 rows are saved in one transaction after screening; each phase-2 measurement is
committed as soon as it is made, so a killed search loses nothing already measured, and a
resumed one (``--resume``) reuses it instead of measuring again. ``measure_count`` records how
often a candidate was measured (1 in a healthy store).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import struct
from collections.abc import Mapping
from pathlib import Path

from ..errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS screened (key TEXT PRIMARY KEY, name TEXT, row TEXT);
CREATE TABLE IF NOT EXISTS measurements (
    key TEXT PRIMARY KEY, name TEXT, latency REAL, latency_spread REAL, latency_noisy INTEGER,
    synflow REAL, measure_count INTEGER NOT NULL DEFAULT 1, measured_on TEXT);
"""


def fingerprint(settings: Mapping) -> str:
    """A short hash of what makes two searches the same (space, strategy, trials, seed)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


APPLICATION_ID = 0x53684E74  # "ShNt" in the SQLite header: this file is a shufflenet-cli store
# columns of a measurement -> row keys (profile's vocabulary)
MEASUREMENT_KEYS = {
    "latency": "latency_ms",
    "latency_spread": "latency_spread_ms",
    "latency_noisy": "latency_noisy",
    "synflow": "synflow",
    "measured_on": "latency_measured_on",
}
USER_VERSION = 2  # the layout of SCHEMA (2: measurements say where they were made)
_SQLITE_MAGIC = b"SQLite format 3\x00"


class ResultStore:
    """A SQLite file holding one search's screened rows and measurements.

    A new store refuses an existing file unless ``resume`` (never overwrites a user's results).
    A resumed store must be ours (``APPLICATION_ID`` in the SQLite header, read before SQLite
    opens the file, so another program's database is refused before a byte is written) and
    belong to the same search (same fingerprint). The file is locked (``flock``) while open:
    a second process on the same store is refused with one line. A store that cannot be
    written (read-only file or file system, full disk) is one ``UserError`` line.
    """

    def __init__(self, path: str | Path, settings: Mapping, resume: bool = False):
        self.path = Path(path)
        self.db = None
        self._lock = None
        if self.path.is_dir():
            raise UserError(f"store: {self.path} is a folder; give a file name")
        exists = self.path.exists()
        if exists and not resume:
            raise UserError(
                f"store: {self.path} already exists; pass --resume to continue that "
                "search, or give another --store"
            )
        if not exists and resume:
            raise UserError(f"store: {self.path} does not exist, nothing to resume")
        if not self.path.parent.is_dir():
            raise UserError(f"store: folder {self.path.parent} does not exist")
        created = False
        try:
            if exists:
                self._lock = self._open_locked(os.O_RDWR)
                self._check_ours()
            else:
                self._lock = self._open_locked(os.O_RDWR | os.O_CREAT | os.O_EXCL)
                created = True
            self._connect(settings, created)
        except BaseException:
            self.close()
            if created:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            raise

    def _open_locked(self, flags: int) -> int:
        try:
            fd = os.open(self.path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            raise UserError(f"store: {self.path} already exists") from None
        except OSError as e:
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise UserError(
                    f"store: {self.path} is read-only ({e.strerror}); copy it somewhere "
                    "writable to resume"
                ) from None
            raise UserError(f"store: cannot open {self.path}: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(
                f"store: {self.path} is in use by another search; wait for it to finish "
                "or give another --store"
            ) from None
        except OSError:
            pass  # a file system without locks: go on unlocked
        return fd

    def _check_ours(self) -> None:
        header = os.pread(self._lock, 100, 0)
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise UserError(
                f"store: {self.path} is not a shufflenet-cli search store (not an SQLite "
                "database); give another --store"
            )
        user_version, app_id = struct.unpack(">I4xI", header[60:72])
        if app_id != APPLICATION_ID:
            raise UserError(
                f"store: {self.path} is an SQLite database of another program (application_id "
                f"{app_id:#x}); shufflenet-cli writes only to its own stores"
            )
        if user_version > USER_VERSION:
            raise UserError(
                f"store: {self.path} was made by a newer shufflenet-cli (layout "
                f"{user_version}); upgrade to resume it"
            )

    def _connect(self, settings: Mapping, created: bool) -> None:
        fp = fingerprint(settings)
        try:
            self.db = sqlite3.connect(self.path)
            if created:
                with self.db:
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.db.execute(f"PRAGMA user_version = {USER_VERSION}")
                    self.db.executescript(SCHEMA)
            old = self.db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
            if old is None:
                with self.db:
                    self.db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fp,))
                    self.db.execute(
                        "INSERT INTO meta VALUES ('settings', ?)",
                        (json.dumps(settings, sort_keys=True, default=str),),
                    )
        except sqlite3.Error as e:
            raise UserError(f"store: cannot use {self.path}: {e}") from None
        if old is not None and old[0] != fp:
            raise UserError(
                f"store: {self.path} holds another search (different space, strategy, "
                "trials or seed); resume it with the same settings"
            )

    def _write(self, sql: str, rows) -> None:
        try:
            with self.db:
                self.db.executemany(sql, rows)
        except sqlite3.Error as e:
            raise UserError(f"store: cannot write {self.path}: {e}") from None

    def save_screened(self, rows) -> None:
        """Save phase-1 rows (one transaction; rows already stored are kept)."""
        self._write(
            "INSERT OR IGNORE INTO screened VALUES (?, ?, ?)",
            [(r["key"], r["name"], json.dumps(r, default=str)) for r in rows],
        )

    def measurement(self, key: str) -> dict | None:
        """The stored phase-2 values of a candidate (row keys), or None."""
        row = self.db.execute(
            f"SELECT {', '.join(MEASUREMENT_KEYS)} FROM measurements WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else self._values(row)

    @staticmethod
    def _values(row) -> dict:
        out = dict(zip(MEASUREMENT_KEYS.values(), row))
        if out["latency_noisy"] is not None:
            out["latency_noisy"] = bool(out["latency_noisy"])
        return out

    def measurements(self) -> dict[str, dict]:
        """Every stored phase-2 measurement by candidate name (row keys and
        ``measure_count``)."""
        rows = self.db.execute(
            f"SELECT name, measure_count, {', '.join(MEASUREMENT_KEYS)} FROM measurements"
        )
        return {r[0]: {"measure_count": r[1], **self._values(r[2:])} for r in rows}

    def save_measurement(self, row: Mapping) -> None:
        """Commit one candidate's phase-2 values now (counting how often it was measured);
        ``latency_measured_on`` says where (a fleet's node), None for this machine."""
        noisy = row.get("latency_noisy")
        values = (row["key"], row["name"], row.get("latency_ms"), row.get("latency_spread_ms"))
        values += (None if noisy is None else int(noisy), row.get("synflow"))
        self._write(
            "INSERT INTO measurements (key, name, latency, latency_spread, latency_noisy, "
            "synflow, measure_count, measured_on) VALUES (?, ?, ?, ?, ?, ?, 1, ?) "
            "ON CONFLICT(key) DO UPDATE "
            "SET latency = excluded.latency, latency_spread = excluded.latency_spread, "
            "latency_noisy = excluded.latency_noisy, synflow = excluded.synflow, "
            "measured_on = excluded.measured_on, measure_count = measure_count + 1",
            [(*values, row.get("latency_measured_on"))],
        )

    def measure_counts(self) -> dict[str, int]:
        """Name -> how many times it was measured."""
        return dict(self.db.execute("SELECT name, measure_count FROM measurements"))

    def close(self) -> None:
        """Close the database, then release the lock."""
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
