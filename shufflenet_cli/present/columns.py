"""Columns: how each row key is shown (header and cell format), shared by every command.

``CATALOG`` holds each key's standard column once; a command's column list names keys
(``columns("name", "groups", ...)``) and overrides a header only where its table means
something else by it (a preset list's "preset", a search front's "candidate"). A column's
priority says whether a narrow terminal keeps it (``present.tables.fit_columns``): the row's
name is ``ESSENTIAL``; details most readers skip (stage channels, fused traffic) are
``EXTRA``, dropped first; the rest of the papers' detail (conv-only MACs, paper MFLOPs) is
``WIDE``, shown with ``--wide``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .tables import COMPACT
from .tables import ESSENTIAL
from .tables import EXTRA
from .tables import WIDE
from .tables import Column
from .tables import decimals
from .tables import millions


def latency_cell(v, row) -> str:
    """Latency cell: median ± spread, with '!' when the measurement is noisy, [x%] the relative
    error of an int8/fp16 output; the reason when the backend could not run the network."""
    if v is None:
        error = row.get("latency_error")
        return "n/a: " + error[:60] if error else "-"
    text = f"{v:.2f} ± {row.get('latency_spread_ms') or 0:.2f}"
    text += " !" if row.get("latency_noisy") else ""
    rel_error = row.get(f"latency_rel_error_{row.get('latency_backend')}")
    return text if rel_error is None else f"{text} [{rel_error:.1%}]"


def backend_cell(backend: str):
    """Formatter for one backend's latency from the ``latency_*_<backend>`` keys, or the
    reason the backend could not run the network."""

    def show(_v, row) -> str:
        error = row.get(f"latency_error_{backend}")
        if error:
            return "n/a: " + error[:60]
        text = latency_cell(
            row.get(f"latency_ms_{backend}"),
            {
                "latency_spread_ms": row.get(f"latency_spread_ms_{backend}"),
                "latency_noisy": row.get(f"latency_noisy_{backend}"),
            },
        )
        rel_error = row.get(f"latency_rel_error_{backend}")
        return text if rel_error is None else f"{text} [{rel_error:.1%}]"

    return show


def name_cell(v, row) -> str:
    """Network name cell; the baseline is marked."""
    return f"{v} (baseline)" if row.get("baseline") else str(v)


def percent(v, _row) -> str:
    """A share as a whole percentage."""
    return "-" if v is None else f"{v:.0%}"


def _thousandths(v, _row) -> str:
    return "-" if v is None else f"{v / 1e3:.1f}"


def _both(key: str, digits: int, scale: float = 1.0):
    """Cell 'network / partner' for ``key``."""

    def show(_v, row):
        a, b = row.get(key), row.get(f"partner_{key}")
        if a is None or b is None:
            return "-"
        text = f"{a * scale:.{digits}f} / {b * scale:.{digits}f}"
        return text + (" !" if key == "latency_ms" and row.get("latency_noisy") else "")

    return show


def _left(key: str, header: str, priority: int = ESSENTIAL) -> Column:
    """A left-justified column: a name or a label, kept in a narrow terminal by default."""
    return Column(key, header, justify="left", priority=priority)


def timed_cell(v, row) -> str:
    """A profiled time in ms: mean ± spread over the runs, with '!' when noisy."""
    if v is None:
        return "-"
    text = f"{v:.3f} ± {row.get('spread_ms') or 0:.3f}"
    return text + (" !" if row.get("noisy") else "")


CATALOG: dict[str, Column] = {
    c.key: c
    for c in (
        Column("name", "network", name_cell, justify="left", priority=ESSENTIAL),
        Column("groups", "g"),
        Column("scale", "scale / width"),
        Column("stage_channels", "stage channels", priority=EXTRA),
        Column("resolution", "res"),
        Column("params", "params (M)", millions(3), priority=EXTRA),
        Column("macs", "MACs (M)", millions(2)),
        Column("macs_conv", "conv MACs (M)", millions(2), priority=WIDE),
        Column("memory_bytes_eager", "traffic eager (MB)", millions(1)),
        Column("memory_bytes_fused", "traffic fused (MB)", millions(1), priority=EXTRA),
        Column("latency_ms", "latency (ms)", latency_cell),
        Column("latency_rel", "vs baseline", decimals(2, "x")),
        Column("latency_predicted_ms", "predicted (ms)", decimals(2)),
        Column("paper_mflops", "paper MFLOPs", decimals(0), priority=WIDE),
        Column("paper_top1_err", "paper top-1 err %", decimals(1), priority=EXTRA),
        Column("synflow", "synflow proxy (log10)", decimals(2)),
        _left("latency_measured_on", "measured on"),
        Column("fvcore_macs", "fvcore (M)", millions(2)),
        Column("fvcore_conv_fc_macs", "fvcore conv+FC (M)", millions(2), priority=EXTRA),
        Column("thop_macs", "thop (M)", millions(2)),
        _left("partner", "partner"),
        Column("top1_err_diff", "err diff (pts)", decimals(1)),
        _left("network", "network"),
        _left("label", "op kind"),
        _left("kind", "kind", COMPACT),
        _left("stage", "stage"),
        _left("layer", "layer"),
        _left("backend", "backend", COMPACT),
        Column("ms", "time (ms)", decimals(3)),
        Column("share", "share of time", percent),
        Column("macs_share", "share of MACs", percent),
        Column("memory_share", "share of traffic", percent),
        Column("bound_ms", "bound (ms)", decimals(2)),
        Column("compute_ms", "compute (ms)", decimals(2)),
        Column("memory_ms", "memory (ms)", decimals(2)),
        Column("memory_bound_share", "memory-bound share", percent),
        Column("efficiency", "bound / measured", percent),
        Column("flops", "MFLOPs", lambda v, _r: f"{v / 1e6:.1f}"),
        Column("profiled_ms", "profiled (ms)", decimals(3)),
        Column("gflops", "GFLOP/s", decimals(1)),
        Column("output_size", "output size"),
        Column("kernel", "ksize"),
        Column("stride", "stride"),
        Column("repeat", "repeat"),
        Column("out_channels", "output channels"),
        Column("bottleneck", "bottleneck"),
        Column("in_shape", "in (CxHxW)", priority=EXTRA),
        Column("out_shape", "out (CxHxW)"),
        _left("minimize", "minimise", COMPACT),
        _left("maximize", "maximise", COMPACT),
        _left("constraints", "constraints", COMPACT),
        Column("grid_size", "grid size", lambda v, _r: f"{v:,}"),
        _left("cost", "cost", COMPACT),
        Column("spearman", "Spearman rho", decimals(3)),
        Column("r2", "R² (linear fit)", decimals(3)),
        Column("n", "networks"),
    )
}


def columns(*keys: str, **changes: str | Column) -> list[Column]:
    """The catalog's columns for ``keys``; a keyword gives a key another header (a string) or
    another column altogether."""
    out = []
    for key in keys:
        change = changes.get(key)
        if isinstance(change, Column):
            out.append(change)
        elif change is not None:
            out.append(replace(CATALOG[key], header=change))
        else:
            out.append(CATALOG[key])
    return out


EAGER = "memory_bytes_eager"
TRAFFIC = "memory_bytes_eager memory_bytes_fused"
PAPER = "paper_mflops paper_top1_err"
_SHARES = "ms share macs_share memory_share"


def keys(*groups: str) -> list[str]:
    """Row keys from space-separated groups ("name groups", TRAFFIC, ...)."""
    return [k for g in groups for k in g.split()]


PROFILE_COLUMNS = columns(
    *keys(
        "name groups stage_channels params macs macs_conv", TRAFFIC, "latency_ms latency_rel", PAPER
    )
)
CROSSCHECK_COLUMNS = columns(*keys("fvcore_macs fvcore_conv_fc_macs thop_macs"))
PRESET_COLUMNS = columns(
    *keys("name groups stage_channels resolution params macs macs_conv", PAPER),
    name=_left("name", "preset"),
)
REPORT_NETWORK_COLUMNS = columns(
    *keys("name groups scale stage_channels params macs", TRAFFIC, "latency_ms", PAPER)
)
FRONT_COLUMNS = columns(
    *keys(
        "name groups stage_channels resolution params macs",
        EAGER,
        "latency_ms latency_predicted_ms synflow latency_measured_on",
    ),
    name=_left("name", "candidate"),
)
SPACE_COLUMNS = columns(
    *keys("name minimize maximize constraints grid_size"), name=_left("name", "space")
)
COMPARE_COLUMNS = [
    _left("name", "network"),
    CATALOG["partner"],
    Column("params", "params M (net / partner)", _both("params", 2, 1e-6), priority=EXTRA),
    Column("params_ratio", "params x", decimals(2, "x")),
    Column("macs", "MACs M (net / partner)", _both("macs", 1, 1e-6), priority=EXTRA),
    Column("macs_ratio", "MACs x", decimals(2, "x")),
    Column(EAGER, "traffic MB (net / partner)", _both(EAGER, 1, 1e-6), priority=WIDE),
    Column(f"{EAGER}_ratio", "traffic x", decimals(2, "x")),
    Column("latency_ms", "latency ms (net / partner)", _both("latency_ms", 2), priority=EXTRA),
    Column("latency_ms_ratio", "latency x", decimals(2, "x")),
    Column(
        "paper_top1_err",
        "paper top-1 err % (net / partner)",
        _both("paper_top1_err", 1),
        priority=WIDE,
    ),
    CATALOG["top1_err_diff"],
]
OUTLINE_COLUMNS = columns(
    *keys("stage output_size kernel stride repeat out_channels groups bottleneck"), stage="layer"
)
LAYER_COLUMNS = columns(
    *keys("layer kind in_shape out_shape params macs", TRAFFIC),
    params=Column("params", "params"),
    macs=Column("macs", "MACs (M)", millions(3)),
    memory_bytes_eager=Column(EAGER, "eager (KB)", _thousandths),
    memory_bytes_fused=Column("memory_bytes_fused", "fused (KB)", _thousandths, priority=EXTRA),
)
ROOFLINE_COLUMNS = columns(
    *keys("name backend latency_ms bound_ms compute_ms memory_ms memory_bound_share efficiency"),
    name=_left("name", "network"),
    latency_ms="measured (ms)",
)
ROOFLINE_LAYER_COLUMNS = columns(
    *keys("name layer kind flops bound_ms profiled_ms gflops efficiency"),
    name=_left("name", "network"),
    bound_ms=Column("bound_ms", "bound (ms)", decimals(3)),
    efficiency="bound / profiled",
)
_TIMED = Column("ms", "time (ms)", timed_cell)  # profiled: mean ± IQR over runs, '!' if noisy
BREAKDOWN_COLUMNS = {
    "kind": columns(*keys("label", _SHARES), ms=_TIMED),
    "stage": columns(*keys("stage", _SHARES), ms=_TIMED),
    "layer": columns(*keys("layer kind ms share"), ms=_TIMED),
}
REPORT_BREAKDOWN_COLUMNS = columns(*keys("network label", _SHARES), ms=_TIMED)
DELEGATION_COLUMNS = [
    Column("where", "ran in", justify="left"),
    Column("op", "op", justify="left"),
    Column("count", "count", lambda v, _r: "-" if v is None else str(v)),
    Column("ms", "time (ms)", lambda v, _r: "-" if v is None else f"{v:.3f}"),
    Column("share", "share of time", percent),
]
PREDICTOR_COLUMNS = columns(*keys("label spearman r2 n"), label=_left("label", "cost"))


def backend_columns(backends: Sequence[str], pairs: bool) -> list[Column]:
    """Columns for the backends after the first: ``<backend> (ms)`` per network, or
    ``<backend> latency x`` (network / partner) per pair; '!' marks a noisy measurement."""
    if not pairs:
        return [Column(f"latency_ms_{b}", f"{b} (ms)", backend_cell(b)) for b in backends[1:]]

    def ratio(b: str):
        def show(v, row):
            if v is None:
                return "-"
            return f"{v:.2f}x" + (" !" if row.get(f"latency_noisy_{b}") else "")

        return show

    return [Column(f"latency_ms_{b}_ratio", f"{b} latency x", ratio(b)) for b in backends[1:]]


def predicted_columns(backends: Sequence[str]) -> list[Column]:
    """Predicted latency: one column per backend (``latency_predicted_ms_<backend>``)."""
    if len(backends) == 1:
        return [Column("latency_predicted_ms", "predicted (ms)", decimals(2))]
    return [
        Column(f"latency_predicted_ms_{b}", f"{b} predicted (ms)", decimals(2)) for b in backends
    ]


CALIBRATION_COLUMNS = [  # at 80 columns: the backend, the fit and its error come first
    Column("backend", "backend", justify="left", priority=ESSENTIAL),
    Column("threads", "threads", priority=EXTRA),
    Column("kernels", "kernels"),
    Column("networks", "fit networks", priority=EXTRA),
    Column("terms", "fitted terms", justify="left", priority=EXTRA),  # the 3 below say it
    Column("scale", "x kernels", decimals(3)),
    Column("per_streamed_mb_us", "streamed (us/MB)", decimals(1)),
    Column("streamed_over_mb", "beyond (MB)", decimals(1), priority=EXTRA),
    Column("per_layout_element_ns", "layout (ns/elem)", decimals(3)),
    Column("per_network_ms", "per network (ms)", decimals(3)),
    Column("fit_max_rel_err", "fit max err", lambda v, r: "-" if v is None else f"{v:.0%}"),
    Column("seconds", "took (s)", decimals(0)),
    Column("cache", "cache file", justify="left", priority=EXTRA),
]
# how a validation row estimated each network's latency (measure.predictor.validate)
ESTIMATES = {"lookup": "prediction", "model": "regression", "remeasure": "remeasure"}
VALIDATION_COLUMNS = [
    Column("backend", "backend", justify="left"),
    Column("threads", "threads", priority=EXTRA),
    Column("prediction", "estimate", lambda v, r: ESTIMATES[v], justify="left"),
    Column("networks", "networks"),
    Column("within_5", "within 5%", lambda v, r: f"{v:.0%}"),
    Column("within_10", "within 10%", lambda v, r: f"{v:.0%}"),
    Column("rmse_ms", "RMSE (ms)", decimals(2), priority=EXTRA),
    Column("mean_abs_rel", "mean abs err", lambda v, r: f"{v:.1%}"),
    Column("spearman", "Spearman", decimals(3)),
    Column("kernels_measured", "kernels measured", priority=EXTRA),
]
PREDICTED_PAIR_COLUMNS = [
    Column(
        "latency_predicted_ms", "predicted ms (net / partner)", _both("latency_predicted_ms", 2)
    ),
    Column("latency_predicted_ms_ratio", "predicted x", decimals(2, "x")),
]


def profile_columns(
    backends: Sequence[str] = (), crosscheck: bool = False, predicted: Sequence[str] = ()
) -> list[Column]:
    """``profile``'s columns: no latency columns without ``backends``; with several, the first
    backend's column is named after it and each other gets one. ``predicted``: the backends
    with a predicted latency, one column each after the measured ones."""
    out = list(PROFILE_COLUMNS)
    if not backends:
        out = [c for c in out if not c.key.startswith("latency")]
    elif len(backends) > 1 or "@" in backends[0]:
        at = next(i for i, c in enumerate(out) if c.key == "latency_ms")
        out[at] = Column("latency_ms", f"{backends[0]} (ms)", backend_cell(backends[0]))
        out[at + 2 : at + 2] = backend_columns(backends, pairs=False)
    if predicted:
        measured = [i for i, c in enumerate(out) if c.key.startswith("latency")]
        at = measured[-1] + 1 if measured else [c.key for c in out].index(TRAFFIC.split()[-1]) + 1
        out[at:at] = predicted_columns(predicted)
    if crosscheck:
        out += CROSSCHECK_COLUMNS
    return out


def name_first_source(cols: Sequence[Column], sources: Sequence[str]) -> list[Column]:
    """Name the unsuffixed latency columns after the first latency source when it needs
    saying: several sources, or one measured on another device (``onnxruntime@pi4``)."""
    if not sources or (len(sources) == 1 and "@" not in sources[0]):
        return list(cols)
    first = sources[0]
    out = []
    for c in cols:
        if c.key == "latency_ms":
            c = replace(c, header=c.header.replace("latency", f"{first} latency", 1))
        elif c.key == "latency_ms_ratio":
            c = replace(c, header=f"{first} latency x")
        out.append(c)
    return out


def front_columns(front: Sequence[dict]) -> list[Column]:
    """A search front's columns; latency, synflow and where it was measured only when some
    member has them."""
    optional = ("latency_ms", "latency_predicted_ms", "synflow", "latency_measured_on")
    return [
        c
        for c in FRONT_COLUMNS
        if c.key not in optional or any(r.get(c.key) is not None for r in front)
    ]


def _ratio_or_reason(v, row) -> str:
    """A latency ratio, '!' when noisy; else why the runtime could not run the pair."""
    if v is None:
        error = row.get("latency_error")
        return "n/a: " + error[:60] if error else "-"
    return f"{v:.2f}x" + (" !" if row.get("latency_noisy") else "")


RUNTIME_RATIO_COLUMNS = [
    _left("name", "network"),
    CATALOG["partner"],
    Column("backend", "runtime", justify="left"),
    Column("dtype", "dtype", justify="left"),
    Column("latency_ms", "latency ms (net / partner)", _both("latency_ms", 2)),
    Column("latency_ms_ratio", "latency x", _ratio_or_reason),
]
