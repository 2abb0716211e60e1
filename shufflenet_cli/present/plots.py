"""Plotly figures. Each function takes rows (or a result) and returns a ``plotly`` Figure;
writing files is the caller's job."""

from __future__ import annotations

from collections.abc import Sequence

# Axis label and unit scale per row key: the one table every figure reads.
AXIS_LABELS = {
    "macs": "MACs (millions of multiply-adds)",
    "params": "parameters (millions)",
    "memory_bytes_eager": "memory traffic, eager (MB)",
    "memory_bytes_fused": "memory traffic, fused (MB)",
    "latency_ms": "latency (ms)",
    "synflow": "synflow proxy (log10)",
}
SCALE = {
    "macs": 1e-6,
    "params": 1e-6,
    "memory_bytes_eager": 1e-6,
    "memory_bytes_fused": 1e-6,
    "latency_ms": 1.0,
    "synflow": 1.0,
}
MAX_BACKGROUND_POINTS = 5000
MAX_LABELLED_POINTS = 40  # roofline points named on the plot itself up to this many
NETWORK_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon")


def _xy(rows: Sequence[dict], x: str, y: str):
    return [r[x] * SCALE[x] for r in rows], [r[y] * SCALE[y] for r in rows]


def _named_points(rows: Sequence[dict], x: str, y: str, name: str, mode="markers", **style):
    """A trace of rows at (x, y), each point named by its network in the hover."""
    import plotly.graph_objects as go

    xs, ys = _xy(rows, x, y)
    return go.Scatter(
        x=xs,
        y=ys,
        mode=mode,
        name=name,
        text=[r["name"] for r in rows],
        hovertemplate="%{text}<br>%{x:.2f}, %{y:.2f}<extra></extra>",
        **style,
    )


def pareto_figure(result):
    """A search's Pareto plot over its first two objectives (or MACs vs memory traffic).

    Each candidate is drawn once, in the first of: the front (red, joined by a line), measured
    and dominated (blue), screened only and dominated (faint grey; absent when an axis is a
    measured objective, which screening does not compute).
    """
    import plotly.graph_objects as go

    from ..explore.search import objective_keys

    objectives = objective_keys(result.space.objectives)
    x, y = (objectives + ["memory_bytes_eager"])[:2]
    if x == y:
        y = "params" if x != "params" else "macs"

    def plottable(rows):
        return [r for r in rows if r.get(x) is not None and r.get(y) is not None]

    on_front = {r["name"] for r in result.front}
    measured = [r for r in plottable(result.measured) if r["name"] not in on_front]
    seen = on_front | {r["name"] for r in result.measured}
    background = [r for r in plottable(result.screened.rows) if r["name"] not in seen]
    step = max(1, len(background) // MAX_BACKGROUND_POINTS)
    fig = go.Figure()
    for label, rows, style in (
        (
            "screened, dominated",
            background[::step],
            dict(color="rgba(120,120,120,0.45)", size=6),
        ),
        ("measured, dominated", measured, dict(color="rgba(31,119,180,0.7)", size=8)),
    ):
        if rows:
            fig.add_trace(_named_points(rows, x, y, f"{label} ({len(rows)})", marker=style))
    front = sorted(
        (r for r in result.front if r.get(x) is not None and r.get(y) is not None),
        key=lambda r: r[x],
    )
    line = dict(mode="lines+markers", line=dict(color="crimson"))
    marker = dict(color="crimson", size=10)
    fig.add_trace(_named_points(front, x, y, "Pareto front", marker=marker, **line))
    fig.update_layout(
        title=f"Pareto front: {result.space.name} "
        f"({len(front)} design{'' if len(front) == 1 else 's'})",
        xaxis_title=AXIS_LABELS[x],
        yaxis_title=AXIS_LABELS[y],
        template="plotly_white",
    )
    return fig


def roofline_figure(points: list[dict], calib: dict, kind_points: list[dict] | None = None):
    """Arithmetic intensity (FLOP/byte) vs attained GFLOP/s, one point per network and backend
    (one colour per backend, names on hover) and, given ``kind_points`` (``op_kind_points``),
    one per network and op kind, under the machine's roofs: peak compute with the memory
    bandwidth (largest working set) and with the best cache bandwidth."""
    import plotly.graph_objects as go

    peak = calib["peak_gflops"]
    memory_bw = min(calib["bandwidth_gbs"].values())
    cache_bw = max(calib["bandwidth_gbs"].values())
    xs = [10 ** (k / 10) for k in range(-20, 31)]
    fig = go.Figure()
    for bw, label, dash in ((cache_bw, "cache", "dot"), (memory_bw, "memory", "solid")):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[min(peak, bw * x) for x in xs],
                mode="lines",
                name=f"roof: {peak:.0f} GFLOP/s, {label} {bw:.0f} GB/s",
                line=dict(color="black", dash=dash),
            )
        )
    backends = list(dict.fromkeys(p.get("backend", "eager") for p in points))
    names = list(dict.fromkeys(p["name"] for p in points))
    # few points: each is named on the plot (and its network has its own symbol); many (one
    # per layer): names on hover only, or the labels would hide the points
    labelled = len(points) <= MAX_LABELLED_POINTS
    for backend in backends:
        mine = [p for p in points if p.get("backend", "eager") == backend]
        fig.add_trace(
            go.Scatter(
                x=[p["flops"] / p["bytes"] for p in mine],
                y=[p["flops"] / (p["latency_ms"] / 1e3) / 1e9 for p in mine],
                mode="markers+text" if labelled else "markers",
                name=backend,
                marker=dict(
                    size=10,
                    symbol=[
                        NETWORK_SYMBOLS[names.index(p["name"]) % len(NETWORK_SYMBOLS)] for p in mine
                    ]
                    if labelled
                    else "circle",
                ),
                text=[p["name"] for p in mine] if labelled else None,
                textposition="top center",
                textfont=dict(size=11),
                hovertext=[
                    f"{p['name']} ({backend}): {p['latency_ms']:.2f} ms measured, "
                    f"{p['bound_ms']:.2f} ms bound"
                    for p in mine
                ],
                hoverinfo="text",
            )
        )
    if kind_points:
        fig.add_trace(
            go.Scatter(
                x=[p["flops"] / p["bytes"] for p in kind_points],
                y=[p["flops"] / (p["profiled_ms"] / 1e3) / 1e9 for p in kind_points],
                mode="markers",
                name="op kinds (eager, torch.profiler)",
                marker=dict(size=8, symbol="diamond-open", color="gray"),
                text=[
                    f"{p['name']}, {p['label']}: {p['profiled_ms']:.2f} ms profiled, "
                    f"{p['bound_ms']:.2f} ms bound"
                    for p in kind_points
                ],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_layout(
        title="Roofline: attained GFLOP/s vs arithmetic intensity",
        xaxis=dict(type="log", title="arithmetic intensity (FLOP / byte of the backend's traffic)"),
        yaxis=dict(type="log", title="attained GFLOP/s (2 x MACs / latency)"),
        template="plotly_white",
    )
    return fig


def layer_roofline_figure(rows: list[dict], calib: dict):
    """``roofline_figure`` with one point per profiled layer (``roofline --by layer`` rows)."""
    points = [
        {
            **r,
            "name": f"{r['name']} {r['layer']}",
            "latency_ms": r["profiled_ms"],
            "backend": "eager (profiled layers)",
        }
        for r in rows
    ]
    return roofline_figure(points, calib)
