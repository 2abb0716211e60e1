"""Latency measured elsewhere: the results JSON a bundle's runner wrote on a device, read back
and matched to networks by architecture key (a network may have another name there).

Each file becomes one latency source named ``<runtime>@<device label>`` (``onnxruntime@pi4``),
with the same row keys as a backend measured here (``latency_ms_onnxruntime@pi4``, ...), so
tables, plots and reports show it beside or instead of this machine's figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..files import read_text_bounded
from ..model.spec import NetworkSpec
from ..model.spec import arch_id
from .runner import RESULTS_FORMAT

MAX_RESULTS_BYTES = 16 << 20


@dataclass
class DeviceLatency:
    """One results file: the device it describes, its protocol, and its rows by architecture."""

    path: str
    device: dict
    runtime: str
    protocol: dict
    started: str
    by_key: dict[str, dict]

    @property
    def label(self) -> str:
        """The device's label (``--device`` on the runner, else its host name)."""
        return str(self.device.get("label") or "device")

    @property
    def source(self) -> str:
        """The name this file's latency goes by in rows and columns: runtime@label."""
        return f"{self.runtime}@{self.label}"

    def describe(self) -> str:
        """One line: where and how these figures were measured."""
        d, p = self.device, self.protocol
        board = f"{d['board']}, " if d.get("board") else ""
        load = "" if p.get("load_detection", True) else "; no load detection (no /proc/stat)"
        return (
            f"Latency on {self.label} ({board}{d.get('cpu')}, {d.get('machine')}, "
            f"{d.get('cpu_count')} core(s), {d.get('runtime')}, {p.get('threads')} thread(s), "
            f"allocator: {d.get('allocator')}) from {Path(self.path).name}, measured "
            f"{self.started}: {p.get('windows')} interleaved windows of "
            f"{p.get('window_time'):g} s after {p.get('warmup_time'):g} s warm-up, median of "
            f"window medians +/- IQR{load}."
        )

    def environment(self) -> dict:
        """The device and protocol, for a report's environment section."""
        return {
            "source": self.source,
            "file": self.path,
            "measured": self.started,
            **self.device,
            "protocol": self.protocol,
        }


def _number(value, where: str, allow_none: bool = True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{where}: {value!r} is not a number")
    return value


def load_latency_file(path: str | Path) -> DeviceLatency:
    """Read a runner's results JSON (``UserError`` naming the file and the field at fault)."""
    text = read_text_bounded(path, "latency-from", MAX_RESULTS_BYTES)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise UserError(f"latency-from: {path} is not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != RESULTS_FORMAT:
        raise UserError(
            f"latency-from: {path} is not a results file of a bundle's measure.py "
            f"(format {RESULTS_FORMAT})"
        )
    device, protocol, results = doc.get("device"), doc.get("protocol"), doc.get("results")
    if not isinstance(device, dict) or not isinstance(protocol, dict):
        raise UserError(f"latency-from: {path}: device and protocol must be mappings")
    if not isinstance(results, list):
        raise UserError(f"latency-from: {path}: results must be a list")
    for key in ("threads", "windows", "window_time", "warmup_time"):
        _number(protocol.get(key), f"latency-from: {path}: protocol.{key}", allow_none=False)
    by_key: dict[str, dict] = {}
    for i, row in enumerate(results):
        where = f"latency-from: {path}: results[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            raise UserError(f"{where}: expected a mapping with the architecture's key")
        for key in ("latency_ms", "latency_spread_ms", "latency_faults_per_call"):
            _number(row.get(key), f"{where}.{key}")
        if row.get("latency_ms") is None and not row.get("error"):
            raise UserError(f"{where}: no latency_ms and no error")
        by_key[row["key"]] = row
    return DeviceLatency(
        str(path),
        device,
        str(doc.get("runtime") or "runtime"),
        protocol,
        str(doc.get("started") or "at an unknown time"),
        by_key,
    )


def load_latency_files(paths: Sequence[str | Path]) -> list[DeviceLatency]:
    """Read several results files; two with the same runtime and device label are refused
    (their columns would have one name)."""
    files = [load_latency_file(p) for p in paths]
    seen: dict[str, str] = {}
    for f in files:
        if f.source in seen:
            raise UserError(
                f"latency-from: {seen[f.source]} and {f.path} both hold {f.source}; give the "
                "devices different labels (measure.py --device LABEL)"
            )
        seen[f.source] = f.path
    return files


def imported_fields(
    specs: Sequence[NetworkSpec], files: Sequence[DeviceLatency], batch_size: int = 1
) -> tuple[list[dict], list[str]]:
    """Row fields per spec from ``files`` (same keys as a backend measured here, the file's
    source name in place of the backend) and notes for networks a file does not have.

    The first file fills the unsuffixed keys (``latency_ms``, ...); each file fills
    ``latency_ms_<source>``, ``latency_spread_ms_<source>``, ``latency_noisy_<source>``,
    ``latency_error_<source>``. A network measured at another batch size does not match.
    """
    out: list[dict] = []
    missing: dict[str, list[str]] = {}
    for spec in specs:
        key = arch_id(spec)
        fields: dict = {}
        for k, f in enumerate(files):
            row = f.by_key.get(key)
            error = None
            if row is None:
                error = f"not in {Path(f.path).name}"
                missing.setdefault(f.path, []).append(spec.name)
            elif row.get("batch_size", 1) != batch_size:
                error = f"measured at batch {row.get('batch_size')}, not {batch_size}"
            elif row.get("error"):
                error = str(row["error"])
            ok = error is None
            src = f.source
            fields.update(
                {
                    f"latency_ms_{src}": row["latency_ms"] if ok else None,
                    f"latency_spread_ms_{src}": row["latency_spread_ms"] if ok else None,
                    f"latency_noisy_{src}": bool(row["latency_noisy"]) if ok else None,
                    f"latency_error_{src}": error,
                }
            )
            if k == 0:
                fields.update(
                    {
                        "latency_ms": row["latency_ms"] if ok else None,
                        "latency_spread_ms": row["latency_spread_ms"] if ok else None,
                        "latency_noisy": bool(row["latency_noisy"]) if ok else None,
                        "latency_loaded_windows": row.get("latency_loaded_windows") if ok else None,
                        "latency_faults_per_call": row.get("latency_faults_per_call")
                        if ok
                        else None,
                        "latency_samples_ms": row.get("latency_samples_ms") if ok else None,
                        "latency_error": error,
                        "latency_backend": src,
                    }
                )
        out.append(fields)
    notes = [
        f"{Path(path).name} has no measurement of {', '.join(names)} (matched by architecture)"
        for path, names in missing.items()
    ]
    return out, notes


__all__ = ["DeviceLatency", "load_latency_file", "load_latency_files", "imported_fields"]
