"""Plotly figures of the design-tradeoff report (figures a-h of the report).

Each function takes rows (``profile.network_row`` dicts, with ``latency_ms`` where measured) or
tables derived from them and returns a ``plotly`` Figure; writing files is the report's job.
Markers are the same everywhere: ShuffleNet colour = groups, symbol = width scale; MobileNet v1
widths are black crosses. Where latency was not measured the figure says so instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..explore.findings import latency_front
from ..explore.findings import measured
from ..explore.findings import predictor_stats

GROUP_COLOURS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c", 4: "#d62728", 8: "#9467bd"}
OTHER_COLOURS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f")
SCALE_SYMBOLS = {0.25: "triangle-down", 0.5: "circle", 1.0: "square", 1.5: "diamond", 2.0: "star"}
OTHER_SYMBOLS = ("pentagon", "hexagon", "triangle-up", "cross")
MOBILENET_STYLE = dict(color="black", symbol="x", size=11)
STAGE_COLOURS = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)
KIND_COLOURS = {
    "conv1x1": "#4c78a8",
    "depthwise": "#f58518",
    "dense_conv": "#9d755d",
    "fc": "#bab0ac",
    "bn": "#e45756",
    "activation": "#72b7b2",
    "shuffle": "#b279a2",
    "add_concat": "#eeca3b",
    "pooling": "#54a24b",
    "other": "#d3d3d3",
}

AXES = {
    "macs": ("MACs (millions of multiply-adds)", 1e-6),
    "params": ("parameters (millions)", 1e-6),
    "memory_bytes_eager": ("memory traffic, eager (MB)", 1e-6),
    "memory_bytes_fused": ("memory traffic, fused (MB)", 1e-6),
    "latency_ms": ("latency (ms, median)", 1.0),
    "latency_predicted_ms": ("predicted latency (ms)", 1.0),
}
TEMPLATE = "plotly_white"
NOT_MEASURED = "latency not measured in this run (--no-latency)"


def _group_colour(g: int | None) -> str:
    if g in GROUP_COLOURS:
        return GROUP_COLOURS[g]
    return OTHER_COLOURS[(g or 0) % len(OTHER_COLOURS)]


def _symbol(scale: float | None) -> str:
    if scale in SCALE_SYMBOLS:
        return SCALE_SYMBOLS[scale]
    return OTHER_SYMBOLS[int((scale or 0) * 100) % len(OTHER_SYMBOLS)]


def _hover(r: dict) -> str:
    lat = r.get("latency_ms")
    err = r.get("paper_top1_err")
    return (
        f"<b>{r['name']}</b><br>MACs {r['macs'] / 1e6:.1f} M<br>"
        f"params {r['params'] / 1e6:.2f} M<br>"
        f"traffic {r['memory_bytes_eager'] / 1e6:.1f} MB eager"
        + (f"<br>latency {lat:.2f} ms" if lat is not None else "")
        + (f"<br>paper top-1 err {err:.1f}%" if err is not None else "")
    )


def _network_markers(
    fig, rows: Sequence[dict], x: str, y: str, *, row=None, col=None, legend: bool = True
) -> None:
    """Scatter the rows: one trace per ShuffleNet group count, one for MobileNets, plus
    legend-only entries explaining the scale symbols."""
    import plotly.graph_objects as go

    where = dict(row=row, col=col) if row is not None else {}
    sx, sy = AXES[x][1], AXES[y][1]
    shuffle = [r for r in rows if r["family"] == "shufflenet"]
    for g in sorted({r["groups"] for r in shuffle}, key=lambda v: (v is None, v or 0)):
        pts = [r for r in shuffle if r["groups"] == g]
        fig.add_trace(
            go.Scatter(
                x=[r[x] * sx for r in pts],
                y=[r[y] * sy for r in pts],
                mode="markers",
                name=f"ShuffleNet g={g}" if g else "ShuffleNet (mixed g)",
                legendgroup=f"g{g}",
                showlegend=legend,
                marker=dict(
                    color=_group_colour(g),
                    symbol=[_symbol(r["scale"]) for r in pts],
                    size=11,
                    line=dict(width=0.5, color="white"),
                ),
                hovertext=[_hover(r) for r in pts],
                hoverinfo="text",
            ),
            **where,
        )
    mobile = [r for r in rows if r["family"] == "mobilenet"]
    if mobile:
        fig.add_trace(
            go.Scatter(
                x=[r[x] * sx for r in mobile],
                y=[r[y] * sy for r in mobile],
                mode="markers+text",
                name="MobileNet v1",
                legendgroup="mobilenet",
                showlegend=legend,
                marker=MOBILENET_STYLE,
                text=[f"{r['scale']:g}" for r in mobile],
                textposition="top center",
                hovertext=[_hover(r) for r in mobile],
                hoverinfo="text",
            ),
            **where,
        )
    if legend:
        for s in sorted({r["scale"] for r in shuffle if r["scale"] is not None}):
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=f"scale {s:g}x",
                    legendgroup="scales",
                    marker=dict(color="grey", symbol=_symbol(s), size=10),
                ),
                **where,
            )


def _not_measured(fig, text: str = NOT_MEASURED):
    """The whole figure says what was not measured; empty axes would only suggest zeros."""
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font=dict(size=16, color="grey"),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _empty_panel(fig, row: int, col: int, text: str = "not measured (--no-latency)") -> None:
    """Mark one subplot as not measured. The invisible point keeps plotly.js from dropping the
    panel's axes (without it, a panel with no trace on its primary axis is drawn over its
    neighbour, and the note lands in the wrong panel)."""
    import plotly.graph_objects as go

    fig.add_trace(go.Scatter(x=[1], y=[None], showlegend=False, hoverinfo="skip"), row=row, col=col)
    fig.update_yaxes(showticklabels=False, row=row, col=col)
    fig.add_annotation(
        text=text,
        showarrow=False,
        xref="x domain",
        yref="y domain",
        x=0.5,
        y=0.5,
        font=dict(size=14, color="grey"),
        row=row,
        col=col,
    )


def cost_vs_latency_figure(rows: Sequence[dict], cost: str = "macs", title: str = ""):
    """(a) / (c): a cost (MACs or memory traffic) against measured latency; for MACs with the
    latency Pareto front (most MACs for the time) drawn as a line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title=title or f"{AXES[cost][0]} vs measured latency",
        xaxis_title=AXES["latency_ms"][0],
        yaxis_title=AXES[cost][0],
        height=520,
    )
    pts = measured(rows)
    if not pts:
        return _not_measured(fig)
    _network_markers(fig, pts, "latency_ms", cost)
    if cost != "macs":
        return fig
    front = latency_front(pts)
    fig.add_trace(
        go.Scatter(
            x=[r["latency_ms"] for r in front],
            y=[r[cost] * AXES[cost][1] for r in front],
            mode="lines",
            name="latency Pareto front (most MACs per ms)",
            line=dict(color="crimson", dash="dash", shape="hv"),
            hovertext=[r["name"] for r in front],
            hoverinfo="text",
        )
    )
    return fig


def params_vs_macs_figure(rows: Sequence[dict]):
    """(b) Parameters against MACs, same markers (analytic; needs no measurement)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    _network_markers(fig, rows, "macs", "params")
    fig.update_layout(
        template=TEMPLATE,
        title="Parameters vs MACs",
        height=520,
        xaxis_title=AXES["macs"][0],
        yaxis_title=AXES["params"][0],
    )
    return fig


def _stage_order(stage: str) -> tuple:
    """Network order for stage names of both families: conv1, maxpool, stage1..N, pool, fc."""
    fixed = {"conv1": (0, 0), "maxpool": (1, 0), "globalpool": (3, 0), "fc": (4, 0)}
    if stage in fixed:
        return fixed[stage]
    digits = "".join(ch for ch in stage if ch.isdigit())
    return (2, int(digits) if digits else 0, stage)


def stage_bars_figure(stages, networks: Sequence[str]):
    """(d) Per-stage stacked bars of MACs, params and memory traffic for each network.

    ``stages``: a DataFrame with columns network, stage, macs, params, memory_bytes_eager.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics = ("macs", "params", "memory_bytes_eager")
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        subplot_titles=[AXES[m][0] for m in metrics],
    )
    order = sorted(set(stages["stage"]), key=_stage_order)
    for i, stage in enumerate(order):
        sub = stages[stages["stage"] == stage].set_index("network")
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        for k, m in enumerate(metrics):
            ys = [
                float(sub[m].get(n, 0.0)) * AXES[m][1] if n in sub.index else 0.0 for n in networks
            ]
            fig.add_trace(
                go.Bar(
                    x=list(networks),
                    y=ys,
                    name=stage,
                    legendgroup=stage,
                    showlegend=k == 0,
                    marker_color=colour,
                    hovertemplate=f"%{{x}}<br>{stage}: %{{y:.2f}}<extra></extra>",
                ),
                row=k + 1,
                col=1,
            )
    fig.update_layout(
        template=TEMPLATE,
        barmode="stack",
        height=900,
        title="Per-stage MACs, params and memory traffic",
        legend_title_text="stage",
    )
    fig.update_xaxes(tickangle=-45)
    return fig


def time_by_kind_figure(breakdowns: Sequence[dict]):
    """(e) Where the time goes: measured runtime share by op kind (torch.profiler), beside the
    cost model's MAC share and memory-traffic share by op kind, one bar per network.

    ``breakdowns``: dicts with ``name``, ``total_ms`` and ``kinds`` (rows: kind, label,
    share, macs_share, memory_share).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=("measured runtime (%)", "MACs (%)", "memory traffic, eager (%)"),
    )
    fig.update_layout(
        template=TEMPLATE,
        barmode="stack",
        title="Where the time goes, by op kind",
        height=360 + 70 * len(breakdowns),
        legend=dict(orientation="h", y=-0.25, x=0),
    )
    if not breakdowns:
        return _not_measured(fig, "runtime breakdown not measured in this run (--no-latency)")
    names = [f"{b['name']}<br>({b['total_ms']:.1f} ms profiled)" for b in breakdowns]
    kinds: list[str] = []
    labels: dict[str, str] = {}
    for b in breakdowns:
        for k in b["kinds"]:
            if k["kind"] not in kinds:
                kinds.append(k["kind"])
                labels[k["kind"]] = k["label"]
    for kind in kinds:
        for col, key in enumerate(("share", "macs_share", "memory_share"), start=1):
            xs = []
            for b in breakdowns:
                match = [k for k in b["kinds"] if k["kind"] == kind]
                xs.append(100 * (match[0].get(key) or 0.0) if match else 0.0)
            fig.add_trace(
                go.Bar(
                    y=names,
                    x=xs,
                    orientation="h",
                    name=labels[kind],
                    legendgroup=kind,
                    showlegend=col == 1,
                    marker_color=KIND_COLOURS.get(kind, "#d3d3d3"),
                    hovertemplate=f"{labels[kind]}: %{{x:.1f}}%<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    return fig


def predictors_figure(
    rows: Sequence[dict], predictors: Sequence[str] = ("macs", "params", "memory_bytes_eager")
):
    """(f) Latency against MACs, params and memory traffic, each with a linear fit and its
    Spearman rank correlation and R^2 in the panel title."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    pts = measured(rows)
    stats = {s["predictor"]: s for s in predictor_stats(pts, predictors)}
    titles = []
    for p in predictors:
        s = stats[p]
        titles.append(
            AXES[p][0]
            if s["spearman"] is None
            else f"{s['label']}: Spearman {s['spearman']:.2f}, R² {s['r2']:.2f}"
        )
    fig = make_subplots(
        rows=1, cols=len(predictors), subplot_titles=titles, horizontal_spacing=0.06
    )
    fig.update_layout(template=TEMPLATE, title="What predicts latency here", height=480)
    if not pts:
        return _not_measured(fig)
    for i, p in enumerate(predictors, start=1):
        _network_markers(fig, pts, p, "latency_ms", row=1, col=i, legend=i == 1)
        s = stats[p]
        if s["slope"] is not None:
            xs = sorted(r[p] for r in pts)
            xs = [xs[0], xs[-1]]
            fig.add_trace(
                go.Scatter(
                    x=[v * AXES[p][1] for v in xs],
                    y=[s["slope"] * v + s["intercept"] for v in xs],
                    mode="lines",
                    name="linear fit",
                    legendgroup="fit",
                    showlegend=i == 1,
                    line=dict(color="grey", dash="dot"),
                    hoverinfo="skip",
                ),
                row=1,
                col=i,
            )
        fig.update_xaxes(title_text=AXES[p][0], row=1, col=i)
    fig.update_yaxes(title_text=AXES["latency_ms"][0], row=1, col=1)
    return fig


def percent_axis(values: Sequence[float], min_span: float = 5.0) -> dict:
    """Plotly axis settings for percentages such as top-1 error: a range at least
    ``min_span`` points wide around ``values`` (so a 1-point change is not a full-height
    swing), with a tick step from 1-2-5 that gives 3 to 6 ticks and a label format as precise
    as the step (so no two ticks read the same)."""
    if not values:
        return {}
    lo, hi = min(values), max(values)
    middle, span = (lo + hi) / 2, max(hi - lo + 1.0, min_span)
    lo, hi = middle - span / 2, middle + span / 2
    step = next(s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if span / s <= 6)
    decimals = 0 if step >= 1 else 1
    return {
        "range": [lo, hi],
        "dtick": step,
        "tick0": 0,
        "tickformat": f".{decimals}f",
        "autorange": False,
    }


def group_sweep_figure(rows: Sequence[dict]):
    """(g) For each width scale: MACs, params, memory traffic and latency against the group
    count g, with the paper's top-1 error (Table 2) as dotted lines on a second axis."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics = ("macs", "params", "memory_bytes_eager", "latency_ms")
    fig = make_subplots(
        rows=2,
        cols=2,
        specs=[[{"secondary_y": True}] * 2] * 2,
        subplot_titles=[AXES[m][0] for m in metrics],
        horizontal_spacing=0.1,
        vertical_spacing=0.14,
    )
    fig.update_layout(
        template=TEMPLATE, title="Group sweep: cost and published error vs g", height=760
    )
    shuffle = [r for r in rows if r["family"] == "shufflenet" and r["groups"] is not None]
    scales = sorted({r["scale"] for r in shuffle if r["scale"] is not None})
    palette = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b")
    for k, m in enumerate(metrics):
        row, col = k // 2 + 1, k % 2 + 1
        for j, s in enumerate(scales):
            pts = sorted((r for r in shuffle if r["scale"] == s), key=lambda r: r["groups"])
            pts_m = [r for r in pts if r.get(m) is not None]
            colour = palette[j % len(palette)]
            if pts_m:
                fig.add_trace(
                    go.Scatter(
                        x=[r["groups"] for r in pts_m],
                        y=[r[m] * AXES[m][1] for r in pts_m],
                        mode="lines+markers",
                        name=f"{s:g}x",
                        legendgroup=f"s{s}",
                        showlegend=k == 0,
                        line=dict(color=colour),
                        marker=dict(symbol=_symbol(s), size=9),
                        hovertext=[_hover(r) for r in pts_m],
                        hoverinfo="text",
                    ),
                    row=row,
                    col=col,
                    secondary_y=False,
                )
            pts_e = [r for r in pts if r.get("paper_top1_err") is not None]
            if pts_e:
                fig.add_trace(
                    go.Scatter(
                        x=[r["groups"] for r in pts_e],
                        y=[r["paper_top1_err"] for r in pts_e],
                        mode="lines+markers",
                        name=f"{s:g}x paper top-1 err",
                        legendgroup=f"e{s}",
                        showlegend=k == 0,
                        line=dict(color=colour, dash="dot"),
                        marker=dict(symbol="circle-open"),
                        hovertemplate=f"{s:g}x g=%{{x}}: %{{y:.1f}}% top-1 err<extra></extra>",
                    ),
                    row=row,
                    col=col,
                    secondary_y=True,
                )
        errors = [r["paper_top1_err"] for r in shuffle if r.get("paper_top1_err") is not None]
        fig.update_yaxes(
            title_text="top-1 err (%)",
            row=row,
            col=col,
            secondary_y=True,
            showgrid=False,
            **percent_axis(errors),
        )
        # costs from zero: g changes MACs by a few percent, which must not look like a swing
        fig.update_yaxes(rangemode="tozero", row=row, col=col, secondary_y=False)
        fig.update_xaxes(
            title_text="groups g", type="log", tickvals=[1, 2, 3, 4, 8], row=row, col=col
        )
        if m == "latency_ms" and not any(r.get("latency_ms") is not None for r in shuffle):
            _empty_panel(fig, row, col)
    return fig


def _family_points(xs, ys, name, family, style, hover, showlegend=True):
    """One network family's markers, grouped in the legend by family, with hover text."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=xs,
        y=ys,
        mode="markers",
        name=name,
        legendgroup=family,
        showlegend=showlegend,
        marker=style,
        hovertext=hover,
        hoverinfo="text",
    )


def accuracy_figure(paper_rows: Sequence[dict], rows: Sequence[dict]):
    """(h) The papers' trade-off beside this machine's: published top-1 error against published
    MFLOPs (left) and against the latency measured here (right, networks measured in this run
    that match a paper row)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=(
            "published: top-1 err vs MFLOPs",
            "here: published top-1 err vs measured latency",
        ),
    )
    fig.update_layout(template=TEMPLATE, title="Accuracy vs complexity", height=520)
    for fam, style, label in (
        ("shufflenet", dict(color="#2ca02c", size=10), "ShuffleNet v1"),
        ("mobilenet", MOBILENET_STYLE, "MobileNet v1"),
    ):
        pts = sorted((p for p in paper_rows if p["family"] == fam), key=lambda p: p["mflops"])
        if pts:
            hover = [
                f"<b>{p['name']}</b><br>{p['mflops']:g} MFLOPs<br>top-1 err "
                f"{p['top1_err']:.1f}%<br>{p['source']}"
                for p in pts
            ]
            xs, ys = [p["mflops"] for p in pts], [p["top1_err"] for p in pts]
            fig.add_trace(_family_points(xs, ys, f"{label} (paper)", fam, style, hover), 1, 1)
        here = [
            r for r in measured(rows) if r["family"] == fam and r.get("paper_top1_err") is not None
        ]
        if here:
            xs, ys = [r["latency_ms"] for r in here], [r["paper_top1_err"] for r in here]
            hover = [_hover(r) for r in here]
            name = f"{label} (measured here)"
            trace = _family_points(xs, ys, name, fam, style, hover, showlegend=False)
            fig.add_trace(trace, 1, 2)
    fig.update_xaxes(
        title_text="MFLOPs (millions of multiply-adds, as published)", type="log", row=1, col=1
    )
    fig.update_xaxes(title_text=AXES["latency_ms"][0], row=1, col=2)
    fig.update_yaxes(title_text="top-1 error (%), published", row=1, col=1)
    if not measured(rows):
        _empty_panel(fig, 1, 2)
    return fig


def predicted_vs_measured_figure(rows: Sequence[dict]):
    """(i): latency predicted from this machine's calibration against measured latency,
    with the diagonal and a ±10% band; the title gives Spearman's rho and the share within 10%."""
    import plotly.graph_objects as go

    from ..measure.predictor import accuracy

    fig = go.Figure()
    pts = [r for r in measured(rows) if r.get("latency_predicted_ms") is not None]
    fig.update_layout(
        template=TEMPLATE,
        title="Predicted vs measured latency",
        xaxis_title=AXES["latency_ms"][0],
        yaxis_title="predicted latency (ms, calibrated kernels)",
        height=520,
    )
    if not pts:
        return _not_measured(fig)
    _network_markers(fig, pts, "latency_ms", "latency_predicted_ms")
    hi = max(max(r["latency_ms"], r["latency_predicted_ms"]) for r in pts) * 1.05
    for factor, name, dash in (
        (1.0, "predicted = measured", "solid"),
        (1.1, "+10%", "dot"),
        (0.9, "-10%", "dot"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[0, hi],
                y=[0, hi * factor],
                mode="lines",
                name=name,
                line=dict(color="grey", dash=dash, width=1),
                hoverinfo="skip",
            )
        )
    if len(pts) >= 2:
        acc = accuracy([r["latency_predicted_ms"] for r in pts], [r["latency_ms"] for r in pts])
        fig.update_layout(
            title=f"Predicted vs measured latency: {acc['within_10']:.0%} within "
            f"10%, Spearman rho {acc['spearman']:.3f} ({len(pts)} networks)"
        )
    return fig


def runtime_ratio_figure(ratios: Sequence[dict]):
    """(j) The paper pairs' ShuffleNet / MobileNet latency ratio per runtime and dtype: one bar
    per (backend, dtype) beside each pair, a line at 1 (below it the ShuffleNet is faster).
    A runtime that could not run a pair at a dtype gets no bar; its reason is in the hover of
    an empty marker at 1 and in the table below the plot."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title="Does the paper's trade-off hold on the runtime you ship? "
        "ShuffleNet / MobileNet latency",
        height=520,
        barmode="group",
        legend_title_text="runtime, dtype",
    )
    pairs = list(dict.fromkeys(f"{r['name']} / {r['partner']}" for r in ratios))
    runtimes = list(dict.fromkeys(r["backend"] for r in ratios))
    dtypes = list(dict.fromkeys(r["dtype"] for r in ratios))
    cells = sorted(
        dict.fromkeys((r["backend"], r["dtype"]) for r in ratios),
        key=lambda c: (runtimes.index(c[0]), dtypes.index(c[1])),
    )
    for backend, dtype in cells:  # colour = runtime, hatching = each dtype after the first
        these = [r for r in ratios if (r["backend"], r["dtype"]) == (backend, dtype)]
        colour = STAGE_COLOURS[runtimes.index(backend) % len(STAGE_COLOURS)]
        hatch = ("", "/", "x", ".")[dtypes.index(dtype) % 4]
        ok = [r for r in these if r["latency_ms_ratio"] is not None]
        fig.add_trace(
            go.Bar(
                x=[f"{r['name']} / {r['partner']}" for r in ok],
                y=[r["latency_ms_ratio"] for r in ok],
                name=f"{backend}, {dtype}",
                legendgroup=f"{backend}{dtype}",
                marker=dict(color=colour, pattern_shape=hatch),
                text=[f"{r['latency_ms_ratio']:.2f}" for r in ok],
                textposition="outside",
                hovertext=[
                    f"{r['name']}: {r['latency_ms']:.2f} ms<br>{r['partner']}: "
                    f"{r['partner_latency_ms']:.2f} ms<br>{backend}, {dtype}"
                    + (" (noisy)" if r["latency_noisy"] else "")
                    for r in ok
                ],
                hoverinfo="text",
            )
        )
        failed = [r for r in these if r["latency_ms_ratio"] is None]
        if failed:
            fig.add_trace(
                go.Scatter(
                    x=[f"{r['name']} / {r['partner']}" for r in failed],
                    y=[1.0] * len(failed),
                    mode="markers",
                    name=f"{backend}, {dtype}: not run",
                    legendgroup=f"{backend}{dtype}",
                    marker=dict(symbol="x-open", size=10, color=colour),
                    hovertext=[f"{backend}, {dtype}: {r['latency_error']}" for r in failed],
                    hoverinfo="text",
                )
            )
    fig.add_hline(y=1.0, line_dash="dash", line_color="grey")  # equal latency
    fig.update_xaxes(
        title_text="matched-complexity pair (paper)", categoryorder="array", categoryarray=pairs
    )
    fig.update_yaxes(
        title_text="ShuffleNet / MobileNet latency (below 1: ShuffleNet faster)",
        rangemode="tozero",
    )
    return fig
