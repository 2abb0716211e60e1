"""The search result store: every evaluated candidate in SQLite, written as it is evaluated.

Phase-1 rows are saved in one transaction after screening; each phase-2 measurement is
committed as soon as it is made, so a killed search loses nothing already measured, and a
resumed one (``--resume``) reuses it instead of measuring again. ``measure_count`` records how
often a candidate was measured (1 in a healthy store).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
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
# columns of a measurement -> row keys (profile's vocabulary)
MEASUREMENT_KEYS = {
    "latency": "latency_ms",
    "latency_spread": "latency_spread_ms",
    "latency_noisy": "latency_noisy",
    "synflow": "synflow",
    "measured_on": "latency_measured_on",
}


def fingerprint(settings: Mapping) -> str:
    """A short hash of what makes two searches the same (space, strategy, trials, seed)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ResultStore:
    """A SQLite file holding one search's screened rows and measurements.

    A new store refuses an existing file unless ``resume`` (never overwrites a user's results);
    a resumed store must belong to the same search (same fingerprint).
    """

    def __init__(self, path: str | Path, settings: Mapping, resume: bool = False):
        self.path = Path(path)
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
        try:
            self.db = sqlite3.connect(self.path)
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            raise UserError(f"store: {self.path} is not a search store ({e})") from None
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(measurements)")}
        if "measured_on" not in columns:  # a store written before measurements said where
            with self.db:
                self.db.execute("ALTER TABLE measurements ADD COLUMN measured_on TEXT")
        fp = fingerprint(settings)
        old = self.db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if old is None:
            with self.db:
                self.db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fp,))
                self.db.execute(
                    "INSERT INTO meta VALUES ('settings', ?)",
                    (json.dumps(settings, sort_keys=True, default=str),),
                )
        elif old[0] != fp:
            raise UserError(
                f"store: {self.path} holds another search (different space, strategy, "
                "trials or seed); resume it with the same settings"
            )

    def save_screened(self, rows) -> None:
        """Save phase-1 rows (one transaction; rows already stored are kept)."""
        with self.db:
            self.db.executemany(
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
        with self.db:
            self.db.execute(
                "INSERT INTO measurements (key, name, latency, latency_spread, latency_noisy, "
                "synflow, measure_count, measured_on) VALUES (?, ?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(key) DO UPDATE "
                "SET latency = excluded.latency, latency_spread = excluded.latency_spread, "
                "latency_noisy = excluded.latency_noisy, synflow = excluded.synflow, "
                "measured_on = excluded.measured_on, measure_count = measure_count + 1",
                (
                    row["key"],
                    row["name"],
                    row.get("latency_ms"),
                    row.get("latency_spread_ms"),
                    None if noisy is None else int(noisy),
                    row.get("synflow"),
                    row.get("latency_measured_on"),
                ),
            )

    def measure_counts(self) -> dict[str, int]:
        """Name -> how many times it was measured."""
        return dict(self.db.execute("SELECT name, measure_count FROM measurements"))

    def close(self) -> None:
        """Close the database."""
        self.db.close()
