"""Columns: how each row key is shown (header and cell format), shared by every command."""

from __future__ import annotations

from collections.abc import Sequence

from .tables import Column, decimals, millions


def _both(key: str, digits: int, scale: float = 1.0):
    """Cell 'network / partner' for ``key``."""

    def show(_v, row):
        a, b = row.get(key), row.get(f"partner_{key}")
        if a is None or b is None:
            return "-"
        return f"{a * scale:.{digits}f} / {b * scale:.{digits}f}"

    return show


COMPARE_COLUMNS = [
    Column("name", "network", justify="left"),
    Column("partner", "partner", justify="left"),
    Column("params", "params M (net / partner)", _both("params", 2, 1e-6)),
    Column("params_ratio", "params x", decimals(2, "x")),
    Column("macs", "MACs M (net / partner)", _both("macs", 1, 1e-6)),
    Column("macs_ratio", "MACs x", decimals(2, "x")),
    Column(
        "memory_bytes_eager", "traffic MB (net / partner)", _both("memory_bytes_eager", 1, 1e-6)
    ),
    Column("memory_bytes_eager_ratio", "traffic x", decimals(2, "x")),
    Column(
        "latency_ms",
        "latency ms (net / partner)",
        lambda v, r: _both("latency_ms", 2)(v, r) + (" !" if r.get("latency_noisy") else ""),
    ),
    Column("latency_ms_ratio", "latency x", decimals(2, "x")),
    Column("paper_top1_err", "paper top-1 err % (net / partner)", _both("paper_top1_err", 1)),
    Column("top1_err_diff", "err diff (pts)", decimals(1)),
]


def backend_columns(backends: Sequence[str], pairs: bool) -> list[Column]:
    """Columns for the backends after the first: ``<backend> (ms)`` per network, or
    ``<backend> latency x`` (network / partner) per pair; '!' marks a noisy measurement."""

    def flagged(b: str, suffix: str):
        def show(v, row):
            if v is None:
                return "-"
            return f"{v:.2f}{suffix}" + (" !" if row.get(f"latency_noisy_{b}") else "")

        return show

    if pairs:
        return [
            Column(f"latency_ms_{b}_ratio", f"{b} latency x", flagged(b, "x")) for b in backends[1:]
        ]
    return [Column(f"latency_ms_{b}", f"{b} (ms)", flagged(b, "")) for b in backends[1:]]


def latency_cell(v, row) -> str:
    """Latency cell: median ± spread, with '!' when the measurement is noisy."""
    if v is None:
        return "-"
    text = f"{v:.2f} ± {row.get('latency_spread_ms') or 0:.2f}"
    return text + (" !" if row.get("latency_noisy") else "")


def backend_cell(backend: str):
    """Formatter for one backend's latency (or the reason it could not run)."""

    def show(_v, row) -> str:
        entry = (row.get("latency_by_backend") or {}).get(backend) or {}
        if entry.get("error"):
            return "n/a: " + entry["error"][:60]
        return latency_cell(
            entry.get("latency_ms"),
            {
                "latency_spread_ms": entry.get("latency_spread_ms"),
                "latency_noisy": entry.get("latency_noisy"),
            },
        )

    return show


def name_cell(v, row) -> str:
    """Network name cell; the baseline is marked."""
    return f"{v} (baseline)" if row.get("baseline") else str(v)


PROFILE_COLUMNS = [
    Column("name", "network", name_cell, justify="left"),
    Column("groups", "g"),
    Column("stage_channels", "stage channels"),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("macs_conv", "conv MACs (M)", millions(2)),
    Column("memory_bytes_eager", "traffic eager (MB)", millions(1)),
    Column("memory_bytes_fused", "traffic fused (MB)", millions(1)),
    Column("latency_ms", "latency (ms)", latency_cell),
    Column("latency_rel", "vs baseline", decimals(2, "x")),
    Column("paper_mflops", "paper MFLOPs", decimals(0)),
    Column("paper_top1_err", "paper top-1 err %", decimals(1)),
]
CROSSCHECK_COLUMNS = [
    Column("fvcore_macs", "fvcore (M)", millions(2)),
    Column("fvcore_conv_fc_macs", "fvcore conv+FC (M)", millions(2)),
    Column("thop_macs", "thop (M)", millions(2)),
]


OUTLINE_COLUMNS = [
    Column("stage", "layer", justify="left"),
    Column("output_size", "output size"),
    Column("kernel", "ksize"),
    Column("stride", "stride"),
    Column("repeat", "repeat"),
    Column("out_channels", "output channels"),
    Column("groups", "g"),
    Column("bottleneck", "bottleneck"),
]
LAYER_COLUMNS = [
    Column("layer", "layer", justify="left"),
    Column("kind", "kind", justify="left"),
    Column("in_shape", "in (CxHxW)"),
    Column("out_shape", "out (CxHxW)"),
    Column("params", "params"),
    Column("macs", "MACs (M)", millions(3)),
    Column("memory_bytes_eager", "eager (KB)", lambda v, r: f"{v / 1e3:.1f}"),
    Column("memory_bytes_fused", "fused (KB)", lambda v, r: f"{v / 1e3:.1f}"),
]


def percent(v, _row) -> str:
    """A share as a whole percentage."""
    return "-" if v is None else f"{v:.0%}"
