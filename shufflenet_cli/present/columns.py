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
    if pairs:

        def ratio(b: str):
            def show(v, row):
                if v is None:
                    return "-"
                return f"{v:.2f}x" + (" !" if row.get(f"latency_noisy_{b}") else "")

            return show

        return [Column(f"latency_ms_{b}_ratio", f"{b} latency x", ratio(b)) for b in backends[1:]]
    return [Column(f"latency_ms_{b}", f"{b} (ms)", backend_cell(b)) for b in backends[1:]]


def latency_cell(v, row) -> str:
    """Latency cell: median ± spread, with '!' when the measurement is noisy."""
    if v is None:
        return "-"
    text = f"{v:.2f} ± {row.get('latency_spread_ms') or 0:.2f}"
    return text + (" !" if row.get("latency_noisy") else "")


def backend_cell(backend: str):
    """Formatter for one backend's latency from the ``latency_*_<backend>`` keys, or the
    reason the backend could not run the network."""

    def show(_v, row) -> str:
        error = row.get(f"latency_error_{backend}")
        if error:
            return "n/a: " + error[:60]
        return latency_cell(
            row.get(f"latency_ms_{backend}"),
            {
                "latency_spread_ms": row.get(f"latency_spread_ms_{backend}"),
                "latency_noisy": row.get(f"latency_noisy_{backend}"),
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


ROOFLINE_COLUMNS = [
    Column("name", "network", justify="left"),
    Column("backend", "backend", justify="left"),
    Column("latency_ms", "measured (ms)", latency_cell),
    Column("bound_ms", "bound (ms)", decimals(2)),
    Column("compute_ms", "compute (ms)", decimals(2)),
    Column("memory_ms", "memory (ms)", decimals(2)),
    Column("memory_bound_share", "memory-bound share", percent),
    Column("efficiency", "bound / measured", percent),
]
ROOFLINE_LAYER_COLUMNS = [
    Column("name", "network", justify="left"),
    Column("layer", "layer", justify="left"),
    Column("kind", "kind", justify="left"),
    Column("flops", "MFLOPs", lambda v, _r: f"{v / 1e6:.1f}"),
    Column("bound_ms", "bound (ms)", decimals(3)),
    Column("profiled_ms", "profiled (ms)", decimals(3)),
    Column("gflops", "GFLOP/s", decimals(1)),
    Column("efficiency", "bound / profiled", percent),
]


BREAKDOWN_COLUMNS = {
    "kind": [
        Column("label", "op kind", justify="left"),
        Column("ms", "time (ms)", decimals(3)),
        Column("share", "share of time", percent),
        Column("macs_share", "share of MACs", percent),
        Column("memory_share", "share of traffic", percent),
    ],
    "stage": [
        Column("stage", "stage", justify="left"),
        Column("ms", "time (ms)", decimals(3)),
        Column("share", "share of time", percent),
        Column("macs_share", "share of MACs", percent),
        Column("memory_share", "share of traffic", percent),
    ],
    "layer": [
        Column("layer", "layer", justify="left"),
        Column("kind", "kind", justify="left"),
        Column("ms", "time (ms)", decimals(3)),
        Column("share", "share of time", percent),
    ],
}


def profile_columns(backends: Sequence[str] = (), crosscheck: bool = False) -> list[Column]:
    """``profile``'s columns: no latency columns without ``backends``; with several, the first
    backend's column is named after it and each other gets one."""
    columns = list(PROFILE_COLUMNS)
    if not backends:
        columns = [c for c in columns if not c.key.startswith("latency")]
    elif len(backends) > 1:
        at = next(i for i, c in enumerate(columns) if c.key == "latency_ms")
        columns[at] = Column("latency_ms", f"{backends[0]} (ms)", latency_cell)
        columns[at + 2 : at + 2] = [
            Column(f"latency_ms_{b}", f"{b} (ms)", backend_cell(b)) for b in backends[1:]
        ]
    if crosscheck:
        columns += CROSSCHECK_COLUMNS
    return columns


FRONT_COLUMNS = [
    Column("name", "candidate", justify="left"),
    Column("groups", "g"),
    Column("stage_channels", "stage channels"),
    Column("resolution", "res"),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("memory_bytes_eager", "traffic eager (MB)", millions(1)),
    Column("latency_ms", "latency (ms)", latency_cell),
    Column("synflow", "synflow proxy (log10)", decimals(2)),
]


def front_columns(front: Sequence[dict]) -> list[Column]:
    """A search front's columns; latency and synflow only when some member has them."""
    return [
        c
        for c in FRONT_COLUMNS
        if c.key not in ("latency_ms", "synflow") or any(r.get(c.key) is not None for r in front)
    ]


PRESET_COLUMNS = [
    Column("name", "preset", justify="left"),
    Column("groups", "g"),
    Column("stage_channels", "stage channels"),
    Column("resolution", "res"),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("macs_conv", "conv MACs (M)", millions(2)),
    Column("paper_mflops", "paper MFLOPs", decimals(0)),
    Column("paper_top1_err", "paper top-1 err %", decimals(1)),
]


SPACE_COLUMNS = [
    Column("name", "space", justify="left"),
    Column("minimize", "minimise", justify="left"),
    Column("maximize", "maximise", justify="left"),
    Column("constraints", "constraints", justify="left"),
    Column("grid_size", "grid size", lambda v, _r: f"{v:,}"),
]
