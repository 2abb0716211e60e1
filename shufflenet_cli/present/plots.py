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


def _xy(rows: Sequence[dict], x: str, y: str):
    return [r[x] * SCALE[x] for r in rows], [r[y] * SCALE[y] for r in rows]


def pareto_figure(result):
    """A search's Pareto plot over its first two objectives (or MACs vs memory traffic).

    Screened candidates are faint grey, measured ones blue, the front red and joined by a line.
    """
    import plotly.graph_objects as go

    from ..explore.search import objective_keys

    objectives = objective_keys(result.space.objectives)
    x, y = (objectives + ["memory_bytes_eager"])[:2]
    if x == y:
        y = "params" if x != "params" else "macs"
    fig = go.Figure()
    background = [r for r in result.screened.rows if r.get(x) is not None and r.get(y) is not None]
    step = max(1, len(background) // MAX_BACKGROUND_POINTS)
    for label, rows, style in (
        ("screened (dominated)", background[::step], dict(color="rgba(120,120,120,0.25)", size=5)),
        (
            "measured",
            [r for r in result.measured if r.get(x) is not None and r.get(y) is not None],
            dict(color="rgba(31,119,180,0.6)", size=7),
        ),
    ):
        if rows:
            xs, ys = _xy(rows, x, y)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    name=label,
                    marker=style,
                    text=[r["name"] for r in rows],
                    hovertemplate="%{text}<br>%{x:.2f}, %{y:.2f}<extra></extra>",
                )
            )
    front = sorted(
        (r for r in result.front if r.get(x) is not None and r.get(y) is not None),
        key=lambda r: r[x],
    )
    xs, ys = _xy(front, x, y)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name="Pareto front",
            marker=dict(color="crimson", size=10),
            line=dict(color="crimson"),
            text=[r["name"] for r in front],
            hovertemplate="%{text}<br>%{x:.2f}, %{y:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Pareto front: {result.space.name} ({len(front)} designs)",
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
    for backend in backends:
        mine = [p for p in points if p.get("backend", "eager") == backend]
        fig.add_trace(
            go.Scatter(
                x=[p["flops"] / p["bytes"] for p in mine],
                y=[p["flops"] / (p["latency_ms"] / 1e3) / 1e9 for p in mine],
                mode="markers",
                name=backend,
                marker=dict(size=10),
                text=[
                    f"{p['name']} ({backend}): {p['latency_ms']:.2f} ms measured, "
                    f"{p['bound_ms']:.2f} ms bound"
                    for p in mine
                ],
                hovertemplate="%{text}<extra></extra>",
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
