"""The design-tradeoff report: a folder with index.html, report.md and data/.

``build_report`` measures (``collect_report``) and writes (``write_report``)::

    reports/NAME/
      index.html        tables, interactive plots a-h, a computed finding under each plot,
                        the run's environment; opens offline
      plotly.min.js     plotly's bundled library, shipped once, referenced by a relative path
      report.md         the same tables in Markdown, linking the plots
      plots/*.html      each plot on its own page (same local plotly.min.js); *.png with --png
      data/             networks, pairs, predictors, breakdowns, per-stage rows (CSV + JSON),
                        environment.json, layers/<network>.csv (the cost model's per-layer rows)

The folder is built in a temporary folder beside ``out`` and renamed into place, so an
interrupted run leaves the previous report (or none), never a half-written one.

    >>> from shufflenet_cli.report import build_report
    >>> from shufflenet_cli.profile import resolve_networks
    >>> build_report(resolve_networks([1, 3]), "reports/quick", latency=False)  # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from ..explore.compare import PAPER_PAIRS
from ..explore.compare import as_backends
from ..explore.compare import pair_row
from ..explore.compare import paper_pair_networks
from ..explore.compare import runtime_ratios
from ..explore.findings import latency_front
from ..explore.findings import measured
from ..explore.findings import predictor_stats
from ..explore.profile import MOBILENET_WIDTHS
from ..explore.profile import add_predictions
from ..explore.profile import network_row
from ..explore.profile import resolve_networks
from ..explore.sources import measure_sources
from ..files import check_output_folder
from ..files import current_umask
from ..files import make_temp_folder
from ..files import safe_file_name
from ..files import swap_in
from ..files import write_new
from ..measure.environment import run_environment
from ..measure.protocol import Protocol
from ..model.rules import mobilenet_spec
from ..model.spec import NetworkSpec
from ..model.spec import unique_networks
from .columns import COMPARE_COLUMNS
from .columns import PREDICTOR_COLUMNS
from .columns import REPORT_BREAKDOWN_COLUMNS
from .columns import REPORT_NETWORK_COLUMNS
from .columns import RUNTIME_RATIO_COLUMNS
from .columns import backend_columns
from .columns import name_first_source
from .columns import predicted_columns
from .tables import Column
from .tables import markdown_table
from .tables import render

MARKER = ".shufflenet-report"  # marks a folder as ours, so re-running may replace it
DEFAULT_BREAKDOWN = ("shufflenet-1x-g3", "mobilenet-v1-0.5")
DEFAULT_BREAKDOWN_RUNS = 10
RUNTIME_TITLE = "ShuffleNet / MobileNet latency per runtime and dtype"


def with_mobilenets(
    specs: Sequence[NetworkSpec], widths: Sequence[float] = MOBILENET_WIDTHS
) -> list[NetworkSpec]:
    """``specs`` plus MobileNet v1 at each width (at the ShuffleNets' resolution), no duplicates."""
    res = {s.resolution for s in specs}
    resolution = res.pop() if len(res) == 1 else 224
    out = list(specs)
    keys = {s.arch_key() for s in out}
    for w in widths:
        m = mobilenet_spec(w, resolution)
        if m.arch_key() not in keys:
            out.append(m)
            keys.add(m.arch_key())
    return out


def report_networks(
    groups: Sequence[int] = (),
    scales: Sequence[float] = (),
    mobilenet_widths: Sequence[float] = MOBILENET_WIDTHS,
    presets: Sequence[str] = (),
    spec_files: Sequence[str] = (),
    resolution: int | None = None,
) -> list[NetworkSpec]:
    """The report's networks: the ShuffleNet sweep (groups x scales), MobileNet v1 at each
    width, then presets and spec files, each architecture once."""
    from ..model.presets import load_spec
    from ..model.rules import with_resolution

    specs = resolve_networks(groups, scales, resolution=resolution) if groups else []
    specs = with_mobilenets(specs, mobilenet_widths)
    keys = {s.arch_key() for s in specs}
    for s in [load_spec(p) for p in presets] + [load_spec(f) for f in spec_files]:
        s = with_resolution(s, resolution) if resolution else s
        if s.arch_key() not in keys:
            specs.append(s)
            keys.add(s.arch_key())
    return specs


@dataclass
class ReportData:
    """Everything the report shows, measured or computed once."""

    rows: list[dict]
    stages: object  # pandas DataFrame: network, stage, params, macs, memory traffic
    layers: dict  # network name -> per-layer DataFrame (cost model)
    pairs: list[dict]
    predictors: list[dict]
    breakdowns: list[dict]
    paper: list[dict]
    environment: dict
    latency: bool
    notes: list[str] = field(default_factory=list)
    latency_lines: list[str] = field(default_factory=list)  # where and how latency was measured
    runtime_ratios: list[dict] = field(default_factory=list)  # pair x backend x dtype (plot j)


def paper_points() -> list[dict]:
    """The presets' published numbers: name, family, MFLOPs, top-1 error, source."""
    from ..model.presets import list_presets
    from ..model.presets import load_preset

    out = []
    for name in list_presets():
        p = load_preset(name).paper
        if p is not None and p.mflops is not None and p.top1_err is not None:
            out.append(
                {
                    "name": name,
                    "family": load_preset(name).family,
                    "mflops": p.mflops,
                    "top1_err": p.top1_err,
                    "source": p.source,
                }
            )
    return out


def breakdown_specs(
    names: Sequence[str] = (), specs: Sequence[NetworkSpec] = ()
) -> list[NetworkSpec]:
    """Networks whose runtime is split by op kind: ShuffleNet 1x g3, MobileNet 0.5 and ``names``
    (preset names or YAML files, or names of networks in ``specs``)."""
    from ..model.presets import load_spec

    by_name = {s.name: s for s in specs}
    out: dict[tuple, NetworkSpec] = {}
    for n in list(DEFAULT_BREAKDOWN) + list(names):
        s = by_name.get(n) or load_spec(n)
        out.setdefault((s.name, s.arch_key()), s)
    return list(out.values())


def collect_report(
    specs: Sequence[NetworkSpec],
    *,
    latency: bool = True,
    protocol: Protocol | None = None,
    backend: str | Sequence[str] = "eager",
    breakdown: Sequence[NetworkSpec] | None = None,
    breakdown_runs: int = DEFAULT_BREAKDOWN_RUNS,
    latency_from: Sequence = (),
    fleet=None,
    predict: bool = False,
    cache_dir: str | None = None,
    pair_dtypes: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> ReportData:
    """Cost model of every network, and with ``latency`` their interleaved latencies on
    ``backend`` (one or several: the first drives plots and findings, the others add a column
    each) and the op-kind runtime breakdown of the ``breakdown`` networks (torch.profiler over
    the eager module, whatever the backend). ``latency_from`` (results files measured on
    other devices, first) and ``fleet`` (a Ray fleet) go to ``explore.sources``. ``predict``
    adds ``latency_predicted_ms`` (the first backend's, from this machine's calibration) and
    plot (i), predicted vs measured. ``pair_dtypes`` (e.g. ``("fp32", "int8")``) also times the
    paper pairs at those precisions on every backend, for plot (j): the ShuffleNet / MobileNet
    latency ratio per runtime and dtype (the protocol's dtype is always in it)."""
    import pandas as pd

    from ..model.cost import analyze

    if not specs:
        raise UserError("networks: nothing to report on (give --groups, --preset or --spec)")
    protocol = protocol or Protocol()
    specs = unique_networks(specs)
    if breakdown is None:
        breakdown = breakdown_specs(specs=specs)
    layer_file_names([s.name for s in specs])  # names that clash as files fail before measuring
    rows = [network_row(s) for s in specs]
    backends = as_backends(backend) if backend else []
    env = run_environment()
    notes: list[str] = []
    latency_lines: list[str] = []
    if latency:
        measured = measure_sources(
            specs, backends, protocol, progress, latency_from=latency_from, fleet=fleet
        )
        for row, fields in zip(rows, measured.fields):
            row.update(fields)
        env.update(measured.environment)
        notes = measured.notes
        latency_lines = measured.footer()[: -len(notes) or None]
    runtime = []
    if latency:
        # runtimes timed here, at the protocol's dtype (results files carry their own dtype)
        runtime = runtime_ratios({protocol.dtype: rows}, [b for b in backends if "@" not in b])
        pair_specs = paper_pair_networks(specs)
        for dtype in dict.fromkeys(pair_dtypes):
            if dtype == protocol.dtype or not (pair_specs and backends):
                continue
            at_dtype = replace(protocol, dtype=dtype)
            m = measure_sources(pair_specs, backends, at_dtype, progress, fleet=fleet)
            fields = [{"name": s.name, **f} for s, f in zip(pair_specs, m.fields)]
            runtime += runtime_ratios({dtype: fields}, m.backends)
            notes = [*notes, *(f"{dtype}: {n}" for n in m.notes)]
            latency_lines.append(f"Paper pairs at {dtype}: {m.footer()[0]}")
    if predict:
        first = backends[:1] or ["eager"]
        notes = [*notes, add_predictions(rows, specs, first, protocol, cache_dir)]
    stage_frames, layers = [], {}
    for s in specs:
        a = analyze(s)
        st = a.by_stage()
        st.insert(0, "network", s.name)
        stage_frames.append(st)
        layers[s.name] = a.layers
    breakdowns = []
    if latency:
        from ..measure.breakdown import op_breakdown

        for s in breakdown:
            b = op_breakdown(s, threads=protocol.threads, runs=breakdown_runs)
            a = analyze(s)
            breakdowns.append(
                {
                    "name": b["name"],
                    "total_ms": b["total_ms"],
                    "runs": b["runs"],
                    "kinds": a.with_cost_shares(b["by_kind"], "kind"),
                    "stages": a.with_cost_shares(b["by_stage"], "stage"),
                }
            )
            if progress:
                progress(f"breakdown {s.name}")
    by_name = {r["name"]: r for r in rows}
    pairs = [
        pair_row(by_name[a], by_name[b]) for a, b in PAPER_PAIRS if a in by_name and b in by_name
    ]
    return ReportData(
        rows,
        pd.concat(stage_frames, ignore_index=True),
        layers,
        pairs,
        predictor_stats(rows),
        breakdowns,
        paper_points(),
        env,
        latency,
        notes,
        latency_lines,
        runtime,
    )


# ----------------------------------------------------------------------------- findings text


def _fmt_ms(r: dict) -> str:
    return f"{r['latency_ms']:.2f} ms"


def _group_spread(rows: Sequence[dict], key: str) -> str:
    """'1.05x (0.5x), 1.31x (1x)': max / min of ``key`` over the group counts at each scale."""
    parts = []
    for s in sorted(
        {r["scale"] for r in rows if r["family"] == "shufflenet" and r["scale"] is not None}
    ):
        vals = [
            r[key]
            for r in rows
            if r["family"] == "shufflenet" and r["scale"] == s and r["groups"] is not None
        ]
        if len(vals) >= 2 and min(vals) > 0:
            parts.append(f"{max(vals) / min(vals):.2f}x ({s:g}x)")
    return ", ".join(parts)


def finding_texts(data: ReportData) -> dict[str, str]:
    """One or two computed sentences per plot: what it shows and what this run found."""
    rows, pts = data.rows, measured(data.rows)
    out: dict[str, str] = {}
    nm = "Latency was not measured in this run (--no-latency), so this plot is empty."
    if pts:
        fastest = min(pts, key=lambda r: r["latency_ms"])
        front = latency_front(pts)
        out["a"] = (
            f"{len(pts)} networks measured. Fastest: {fastest['name']} "
            f"({_fmt_ms(fastest)}). The latency Pareto front (no other network is both "
            f"faster and has as many MACs): "
            + ", ".join(f"{r['name']} ({_fmt_ms(r)}, {r['macs'] / 1e6:.0f} M MACs)" for r in front)
            + "."
        )
        pair_text = [
            f"{p['name']} vs {p['partner']}: {p['macs_ratio']:.2f}x the MACs, "
            f"{p['latency_ms_ratio']:.2f}x the latency"
            for p in data.pairs
            if p.get("latency_ms_ratio") is not None
        ]
        if pair_text:
            out["a"] += " Matched pairs: " + "; ".join(pair_text) + "."
        mem = next(s for s in data.predictors if s["predictor"] == "memory_bytes_eager")
        out["c"] = "Eager memory traffic (bytes every op reads and writes) against latency." + (
            f" Spearman {mem['spearman']:.2f}, R² {mem['r2']:.2f} over {mem['n']} networks."
            if mem["spearman"] is not None
            else ""
        )
        ranked = [s for s in data.predictors if s["spearman"] is not None]
        if ranked:
            best = ranked[0]
            out["f"] = (
                "Rank correlation (Spearman) and linear-fit R² of latency with each "
                "cost, best first: "
                + "; ".join(f"{s['label']} {s['spearman']:.2f} / {s['r2']:.2f}" for s in ranked)
                + f". Here {best['label']} predicts latency best."
            )
        else:
            out["f"] = "Fewer than three networks measured: no correlation computed."
    else:
        out["a"] = out["c"] = out["f"] = nm
    ppm = {}
    for r in rows:
        ppm.setdefault(r["family"], []).append(r["params"] / r["macs"] * 1e3)
    out["b"] = (
        "Parameters per thousand MACs: "
        + "; ".join(f"{fam} {min(v):.1f}-{max(v):.1f}" for fam, v in ppm.items())
        + "."
    )
    spread = _group_spread(rows, "params")
    if spread:
        out["b"] += " Over the group counts at each scale, params change by " + spread + "."
    st = data.stages
    parts = []
    shown = [b["name"] for b in data.breakdowns if b["name"] in set(st["network"])] or [
        r["name"] for r in rows
    ][:4]
    for name in shown:
        sub = st[st["network"] == name]
        top_macs = sub.loc[sub["macs"].idxmax()]
        top_mem = sub.loc[sub["memory_bytes_eager"].idxmax()]
        parts.append(
            f"{name}: {top_macs['stage']} ({100 * top_macs['macs'] / sub['macs'].sum():.0f}%"
            f" of MACs), traffic peaks in {top_mem['stage']} "
            f"({100 * top_mem['memory_bytes_eager'] / sub['memory_bytes_eager'].sum():.0f}%)"
        )
    out["d"] = (
        "Stage with the most MACs, and with the most memory traffic: "
        + "; ".join(parts)
        + ". Every network's stages are in data/stages.csv."
    )
    if data.breakdowns:
        texts = []
        latency = {r["name"]: r.get("latency_ms") for r in rows}
        for b in data.breakdowns:
            top = sorted(b["kinds"], key=lambda k: -k["share"])[:4]
            unprofiled = latency.get(b["name"])
            vs = f" vs {unprofiled:.1f} ms timed without it" if unprofiled else ""
            texts.append(
                f"{b['name']} ({b['total_ms']:.1f} ms profiled{vs}): "
                + ", ".join(
                    f"{k['label']} {100 * k['share']:.0f}% of time "
                    f"({100 * k['macs_share']:.0f}% of "
                    f"MACs)"
                    for k in top
                )
                + "; by stage (time / MACs) "
                + ", ".join(
                    f"{st['stage']} {100 * st['share']:.0f}% / {100 * st['macs_share']:.0f}%"
                    for st in b["stages"]
                    if st["share"] >= 0.1
                )
            )
        out["e"] = (
            "Measured with torch.profiler: CPU time inside the ops of each kind (time "
            "between ops is not in it, and the profiler adds a few µs per op, inflating "
            "cheap ops). " + "; ".join(texts) + "."
        )
    else:
        out["e"] = "Runtime breakdown not measured in this run (--no-latency)."
    sweep = []
    for s in sorted(
        {r["scale"] for r in rows if r["family"] == "shufflenet" and r["scale"] is not None}
    ):
        sc = [
            r
            for r in rows
            if r["family"] == "shufflenet" and r["scale"] == s and r["groups"] is not None
        ]
        if len(sc) < 2:
            continue
        text = f"{s:g}x"
        lat = [r for r in sc if r.get("latency_ms") is not None]
        if lat:
            fast = min(lat, key=lambda r: r["latency_ms"])
            slow = max(lat, key=lambda r: r["latency_ms"])
            text += (
                f": fastest g={fast['groups']} ({_fmt_ms(fast)}), slowest g={slow['groups']}"
                f" ({_fmt_ms(slow)})"
            )
        err = [r for r in sc if r.get("paper_top1_err") is not None]
        if err:
            best = min(err, key=lambda r: r["paper_top1_err"])
            text += (
                f"{',' if lat else ':'} lowest published error g={best['groups']} "
                f"({best['paper_top1_err']:.1f}%)"
            )
        sweep.append(text)
    if sweep:
        out["g"] = (
            "Max / min over g at each scale: MACs "
            + _group_spread(rows, "macs")
            + "; params "
            + _group_spread(rows, "params")
            + "; traffic "
            + _group_spread(rows, "memory_bytes_eager")
            + ". "
            + "; ".join(sweep)
            + "."
        )
    else:
        out["g"] = "No group sweep in this run (one group count per scale)."
    pp = [p for p in data.pairs if p.get("top1_err_diff") is not None]
    out["h"] = (
        "Published top-1 error against published complexity, and against the latency "
        "measured here. "
        + "; ".join(
            f"{p['name']} is {-p['top1_err_diff']:.1f} points more accurate than "
            f"{p['partner']}"
            + (
                f" at {p['latency_ms_ratio']:.2f}x its latency here"
                if p.get("latency_ms_ratio") is not None
                else ""
            )
            for p in pp
        )
        + ("." if pp else "")
    )
    if data.runtime_ratios:
        out["j"] = runtime_finding(data.runtime_ratios)
    return out


def runtime_finding(ratios: Sequence[dict]) -> str:
    """Plot j's sentence: per runtime and dtype, the range of the pairs' latency ratio, and
    which cells could not run."""
    parts, missing = [], []
    for backend, dtype in dict.fromkeys((r["backend"], r["dtype"]) for r in ratios):
        cell = [r for r in ratios if (r["backend"], r["dtype"]) == (backend, dtype)]
        values = [r["latency_ms_ratio"] for r in cell if r["latency_ms_ratio"] is not None]
        if not values:
            missing.append(f"{backend} {dtype} ({cell[0]['latency_error'] or 'not measured'})")
            continue
        span = f"{min(values):.2f}x" + (f"-{max(values):.2f}x" if len(values) > 1 else "")
        parts.append(f"{backend} {dtype}: {span}")
    text = (
        "The paper pairs' ShuffleNet / MobileNet latency ratio (below 1: the ShuffleNet is "
        "faster, as its fewer MACs promise): " + "; ".join(parts) + "."
        if parts
        else "No runtime could run the paper pairs."
    )
    return text + (" Not run: " + "; ".join(missing) + "." if missing else "")


def report_figures(data: ReportData) -> list[tuple[str, str, object]]:
    """(key, title, figure) for plots a-h (i with predicted latency, j with latency per runtime
    and dtype), in order."""
    from . import tradeoff_plots as tp

    names = [r["name"] for r in data.rows]
    on = latency_place(data.rows)
    predicted = any(r.get("latency_predicted_ms") is not None for r in data.rows)
    return (
        [
            ("a", f"MACs vs measured latency{on}", tp.cost_vs_latency_figure(data.rows, "macs")),
            ("b", "Params vs MACs", tp.params_vs_macs_figure(data.rows)),
            (
                "c",
                f"Memory traffic vs measured latency{on}",
                tp.cost_vs_latency_figure(data.rows, "memory_bytes_eager"),
            ),
            (
                "d",
                "Per-stage MACs, params and memory traffic",
                tp.stage_bars_figure(data.stages, names),
            ),
            ("e", "Where the time goes", tp.time_by_kind_figure(data.breakdowns)),
            ("f", f"What predicts latency {on.strip() or 'here'}", tp.predictors_figure(data.rows)),
            ("g", "Group sweep", tp.group_sweep_figure(data.rows)),
            ("h", f"Accuracy vs complexity{on}", tp.accuracy_figure(data.paper, data.rows)),
        ]
        + (
            [("i", "Predicted vs measured latency", tp.predicted_vs_measured_figure(data.rows))]
            if predicted
            else []
        )
        + (
            [("j", RUNTIME_TITLE, tp.runtime_ratio_figure(data.runtime_ratios))]
            if data.runtime_ratios
            else []
        )
    )


def latency_place(rows: Sequence[dict]) -> str:
    """' on pi4 (onnxruntime)' when the plotted latency was measured on another device
    (--latency-from), '' when here."""
    source = next((r["latency_backend"] for r in rows if r.get("latency_backend")), "")
    runtime, _, device = source.partition("@")
    return f" on {device} ({runtime})" if device else ""


# ----------------------------------------------------------------------------- tables


def breakdown_rows(data: ReportData) -> list[dict]:
    """The op-kind breakdowns as flat rows (network, kind, label, ms, shares)."""
    return [{"network": b["name"], **k} for b in data.breakdowns for k in b["kinds"]]


def _tables(data: ReportData) -> list[tuple[str, list[dict], list[Column]]]:
    backends = (data.environment.get("backend") or "eager").split(",")
    network_columns = (
        name_first_source(REPORT_NETWORK_COLUMNS, backends) + backend_columns(backends, False)
        if data.latency
        else [c for c in REPORT_NETWORK_COLUMNS if c.key != "latency_ms"]
    )
    if any(r.get("latency_predicted_ms") is not None for r in data.rows):
        network_columns = network_columns + predicted_columns(backends[:1])
    tables = [("Networks", data.rows, network_columns)]
    if data.pairs:
        cols = (
            name_first_source(COMPARE_COLUMNS, backends) + backend_columns(backends, True)
            if data.latency
            else [c for c in COMPARE_COLUMNS if not c.key.startswith("latency")]
        )
        tables.append(("Matched-complexity pairs (ratios: network / partner)", data.pairs, cols))
    if data.runtime_ratios:
        tables.append((RUNTIME_TITLE, data.runtime_ratios, RUNTIME_RATIO_COLUMNS))
    if measured(data.rows):
        tables.append(("What predicts latency", data.predictors, PREDICTOR_COLUMNS))
    if data.breakdowns:
        tables.append(
            ("Measured runtime by op kind", breakdown_rows(data), REPORT_BREAKDOWN_COLUMNS)
        )
    return tables


def html_table(rows: Sequence[dict], columns: Sequence[Column]) -> str:
    """An HTML table of the rows, cells formatted as in the terminal tables."""
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"l" if c.justify == "left" else "r"}">{html.escape(c.show(r))}</td>'
            for c in columns
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ----------------------------------------------------------------------------- writing

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1300px;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ddd;padding:3px 7px} th{background:#f4f4f4}
td.r{text-align:right;font-variant-numeric:tabular-nums} td.l{text-align:left}
p.finding{background:#f7f9fc;border-left:4px solid #4c78a8;padding:.6em 1em}
.note{color:#666;font-size:13px} nav a{margin-right:1em}
"""


def _env_value(value) -> str:
    """An environment entry as shown: what applies, or "not measured" for what only latency
    has (threads, backend, allocator) when latency was not measured."""
    if value is None:
        return "not measured (--no-latency)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):  # one line per device measured elsewhere (--latency-from)
        return "; ".join(map(str, value))
    return str(value)


def _index_html(data: ReportData, figures, texts: dict, footer: Sequence[str]) -> str:
    env = data.environment
    env_items = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(_env_value(v))}</li>" for k, v in env.items()
    )
    nav = " ".join(f'<a href="#plot-{k}">{k}. {html.escape(t)}</a>' for k, t, _ in figures)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>ShuffleNet vs MobileNet: design trade-offs</title>",
        f"<style>{CSS}</style>",
        '<script src="plotly.min.js"></script></head><body>',
        "<h1>ShuffleNet v1 vs MobileNet v1: design trade-offs</h1>",
        f"<p class='note'>Made by shufflenet-cli on {html.escape(env['date'])}. "
        + (
            "Latency not measured."
            if not data.latency
            else f"Latency from {html.escape(str(env['backend']))}: "
            + "; ".join(html.escape(d) for d in env["devices"])
            if env.get("devices")
            else f"Latency measured on "
            f"{html.escape(env.get('measured_on') or 'this machine')} "
            f"({html.escape(str(env['backend']))} backend, {env['threads']} thread(s))."
        )
        + "</p>",
        f"<nav>{nav}</nav>",
    ]
    for title, rows, cols in _tables(data):
        parts += [f"<h2>{html.escape(title)}</h2>", html_table(rows, cols)]
    parts += [f"<p class='note'>{html.escape(line)}</p>" for line in footer]
    for key, title, fig in figures:
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{key}-fig",
            config={"displaylogo": False},
        )
        parts += [
            f'<section id="plot-{key}"><h2>{key}. {html.escape(title)}</h2>',
            div,
            f'<p class="finding">{html.escape(texts.get(key, ""))}</p></section>',
        ]
    parts += [
        "<h2>Environment</h2>",
        f"<ul>{env_items}</ul>",
        "<p class='note'>Data: <a href='data/'>data/</a> (CSV and JSON); "
        "<a href='report.md'>report.md</a>.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _report_md(
    data: ReportData, figures, texts: dict, footer: Sequence[str], pngs: set[str]
) -> str:
    env = data.environment
    lines = [
        "# ShuffleNet v1 vs MobileNet v1: design trade-offs",
        "",
        f"Made by shufflenet-cli on {env['date']}; interactive plots in [index.html](index.html).",
        "",
    ]
    for title, rows, cols in _tables(data):
        lines.append(markdown_table(rows, cols, title=title))
    lines += [f"{line}  " for line in footer] + ["", "## Plots", ""]
    for key, title, _fig in figures:
        lines.append(f"### {key}. {title}")
        lines.append("")
        if key in pngs:
            lines.append(f"![{title}](plots/{key}.png)")
            lines.append("")
        lines += [
            f"[interactive](plots/{key}.html) · [in index.html](index.html#plot-{key})",
            "",
            texts.get(key, ""),
            "",
        ]
    lines += ["## Environment", ""] + [f"- **{k}**: {_env_value(v)}" for k, v in env.items()]
    return "\n".join(lines) + "\n"


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _write_json(path: Path, doc) -> None:
    write_new(path, json.dumps(doc, indent=2, default=_json_default) + "\n", "out")


def _write_csv(path: Path, rows: Sequence[dict]) -> None:
    write_new(path, render(rows, [], "csv") if rows else "", "out")


def layer_file_names(names: Sequence[str]) -> dict[str, str]:
    """Network name -> its file name in data/layers/ (``safe_file_name``; never a path).

    Two networks whose names give the same file are a ``UserError``.
    """
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        fname = safe_file_name(name, ".csv")
        other = seen.setdefault(fname.casefold(), name)
        if other != name:
            raise UserError(
                f"networks: {name!r} and {other!r} would both be written as data/layers/{fname}; "
                "rename one"
            )
        out[name] = fname
    return out


def check_report_folder(out: str | Path) -> Path:
    """Fail early (``UserError``) when ``out`` cannot become a report folder
    (``files.check_output_folder``: a file, the current folder, a folder that is not an
    earlier report and not empty, or an unwritable parent); returns the folder to write."""
    return check_output_folder(out, MARKER, "report")


def write_report(
    data: ReportData, out: str | Path, *, png: bool = False, footer: Sequence[str] = ()
) -> tuple[Path, list[str]]:
    """Write the report folder atomically; returns (path, notes) where notes say what was left
    out (e.g. PNGs without kaleido)."""
    import plotly.offline

    out = check_report_folder(out)
    kept = "; the old report is kept" if out.exists() else ""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"out: cannot create {out.parent}: {e.strerror}") from None
    notes: list[str] = list(data.notes)
    figures = report_figures(data)
    texts = finding_texts(data)
    layer_files = layer_file_names(list(data.layers))
    try:
        tmp = make_temp_folder(out.parent, out.name)
    except OSError as e:
        raise UserError(f"out: cannot write in {out.parent}: {e.strerror}") from None
    # mkdtemp makes it private; a report is meant to be shared
    os.chmod(tmp, 0o777 & ~current_umask())
    try:
        write_new(tmp / MARKER, "made by shufflenet-cli report\n", "out")
        write_new(tmp / "plotly.min.js", plotly.offline.get_plotlyjs(), "out")
        plots = tmp / "plots"
        plots.mkdir()
        for key, _title, fig in figures:
            html_text = fig.to_html(
                include_plotlyjs="../plotly.min.js", config={"displaylogo": False}
            )
            write_new(plots / f"{key}.html", html_text, "out")
        pngs: set[str] = set()
        if png:
            pngs, note = _write_pngs(figures, plots)
            notes += [note] if note else []
        write_new(tmp / "index.html", _index_html(data, figures, texts, footer), "out")
        write_new(tmp / "report.md", _report_md(data, figures, texts, footer, pngs), "out")
        d = tmp / "data"
        (d / "layers").mkdir(parents=True)
        stage_times = [{"network": b["name"], **s} for b in data.breakdowns for s in b["stages"]]
        for name, rows in (
            ("networks", data.rows),
            ("pairs", data.pairs),
            ("runtime_ratios", data.runtime_ratios),
            ("predictors", data.predictors),
            ("breakdown", breakdown_rows(data)),
            ("breakdown_stages", stage_times),
            ("stages", data.stages.to_dict("records")),
        ):
            _write_csv(d / f"{name}.csv", rows)
            _write_json(d / f"{name}.json", rows)
        _write_json(d / "paper.json", data.paper)
        _write_json(d / "findings.json", texts)
        _write_json(d / "environment.json", data.environment)
        for name, frame in data.layers.items():
            write_new(d / "layers" / layer_files[name], frame.to_csv(index=False), "out")
        swap_in(tmp, out)
    except OSError as e:  # a full disk while making folders or PNGs, or the rename
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"out: cannot write the report {out}: {e.strerror}{kept}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out, notes


def _write_pngs(figures, folder: Path) -> tuple[set[str], str | None]:
    """Every figure as ``folder/<key>.png`` through kaleido in one batch (one browser start);
    returns the keys written and, where none could be, one line saying what is missing."""
    try:
        import kaleido  # noqa: F401
        import plotly.io as pio
    except ImportError:
        return set(), (
            "png: kaleido is not installed (pip install kaleido); wrote the HTML "
            "report without PNG files"
        )
    try:
        pio.write_images(
            [fig for _k, _t, fig in figures],
            [folder / f"{key}.png" for key, _t, _f in figures],
            width=1200,
            height=[fig.layout.height or 600 for _k, _t, fig in figures],
        )
    except Exception as e:  # kaleido without a usable Chrome/Chromium, or similar
        for stale in folder.glob("*.png"):
            stale.unlink()
        first_sentence = " ".join(str(e).split()).split(". ")[0].rstrip(".")[:200]
        return set(), f"png: {first_sentence}; wrote the HTML report without PNG files"
    return {key for key, _t, _f in figures}, None


def build_report(
    specs: Sequence[NetworkSpec],
    out: str | Path,
    *,
    latency: bool = True,
    png: bool = False,
    **measuring,
) -> tuple[Path, list[str]]:
    """Measure and write a report folder for ``specs``; returns (path, notes).

    ``measuring`` takes ``collect_report``'s keywords (protocol, backend, breakdown, ...).
    ``out`` is checked before any measuring starts, so a bad folder fails in a second, not
    after minutes.
    """
    check_report_folder(out)
    from ..model.cost import CONVENTIONS

    data = collect_report(specs, latency=latency, **measuring)
    footer = [f"Counting: {CONVENTIONS}."]
    if latency:
        footer += [
            *data.latency_lines,
            "Plots and findings use the first latency source "
            f"({data.environment.get('backend', 'eager').split(',')[0]}); runtime by op kind: "
            "torch.profiler over the eager module on this machine.",
            *data.notes,
        ]
    return write_report(data, out, png=png, footer=footer)
