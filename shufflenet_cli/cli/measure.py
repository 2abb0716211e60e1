"""``breakdown`` and ``roofline``: where the time goes, and how far from the hardware's limits."""

from __future__ import annotations

import click

from ..files import write_atomic
from ..present.columns import percent
from ..present.tables import Column, decimals
from .app import cli
from .options import backends_option, emit, network_options, output_options, progress_bar


@cli.command()
@click.argument("network")
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Torch intra-op threads.",
)
@click.option(
    "--runs",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Profiled forward passes (after 3 warm-up passes).",
)
@click.option("--resolution", type=click.IntRange(1, None), help="Input size (default 224).")
@click.option(
    "--by",
    type=click.Choice(["kind", "stage", "layer"]),
    default="kind",
    show_default=True,
    help="Group the measured time by op kind, by stage, or by layer (each conv, BN, "
    "ReLU, pooling and FC module; shuffle, add and concat are in kind and stage "
    "only).",
)
@output_options()
def breakdown(network, threads, runs, resolution, by, fmt, output) -> None:
    """Where the time goes in NETWORK: measured CPU time by op kind, stage or layer
    (torch.profiler).

    Beside each op kind, its share of the multiply-adds and of the eager memory traffic
    (cost model), so time that MACs do not explain stands out.

    \b
    Examples:
      shufflenet-cli breakdown shufflenet-1x-g3
      shufflenet-cli breakdown mobilenet-v1-0.5 --by stage --format json
    """
    from ..measure.breakdown import op_breakdown
    from ..model.cost import analyze
    from ..model.presets import load_spec
    from ..model.spec import with_resolution

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    result = op_breakdown(spec, threads=threads, runs=runs)
    a = analyze(spec)
    if by == "kind":
        cost = a.by_kind().set_index("kind")
        rows = [
            {
                **r,
                "macs_share": float(cost["macs"].get(r["kind"], 0)) / a.macs,
                "traffic_share": float(cost["memory_bytes_eager"].get(r["kind"], 0))
                / a.memory_bytes_eager,
            }
            for r in result["by_kind"]
        ]
        columns = [
            Column("label", "op kind", justify="left"),
            Column("ms", "time (ms)", decimals(3)),
            Column("share", "share of time", percent),
            Column("macs_share", "share of MACs", percent),
            Column("traffic_share", "share of traffic", percent),
        ]
    elif by == "layer":
        rows = result["by_layer"]
        columns = [
            Column("layer", "layer", justify="left"),
            Column("kind", "kind", justify="left"),
            Column("ms", "time (ms)", decimals(3)),
            Column("share", "share of time", percent),
        ]
    else:
        rows = result["by_stage"]
        columns = [
            Column("stage", "stage", justify="left"),
            Column("ms", "time (ms)", decimals(3)),
            Column("share", "share of time", percent),
        ]
    footer = [
        f"{spec.name}: {result['total_ms']:.2f} ms per forward pass under torch.profiler "
        f"({runs} runs, {threads} thread(s), eager); the profiler adds a few microseconds "
        "per op, which inflates cheap ops."
    ]
    emit(rows, columns, fmt, output, title=f"Where the time goes: {spec.name}", footer=footer)


@cli.command()
@network_options
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Threads for calibration and timing.",
)
@backends_option
@click.option(
    "--by",
    type=click.Choice(["network", "layer"]),
    default="network",
    show_default=True,
    help="network: bound vs measured latency per network and backend; layer: bound "
    "vs profiled time of every conv and FC layer (eager, torch.profiler).",
)
@click.option("--quick", is_flag=True, help="Short calibration (fewer sizes, less timing).")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Write the roofline plot (HTML that opens offline) to this file.",
)
@output_options()
def roofline(
    groups, scales, presets, spec_files, resolution, threads, backends, by, quick, plot, fmt, output
) -> None:
    """Lower-bound latency from the cost model and this machine's measured limits.

    Calibrates peak GFLOP/s (the best of large matrix multiplies and 1x1 convolutions) and
    bandwidth from cache to memory once per machine and thread count (cached), then bounds each
    layer by max(FLOPs / peak, bytes / bandwidth) and sets the sum beside the latency measured
    on each backend. Eager and channels_last are bounded with eager traffic (op by op), fusing
    backends with fused traffic. --by layer sets each conv and FC layer beside its profiled
    time instead.

    \b
    Examples:
      shufflenet-cli roofline --groups 1,3,8 --preset mobilenet-v1-0.5
      shufflenet-cli roofline --preset shufflenet-1x-g3 --backend eager,onnxruntime
      shufflenet-cli roofline --preset shufflenet-1x-g3 --plot roofline.html
      shufflenet-cli roofline --preset shufflenet-1x-g3 --by layer --format csv
    """
    from ..errors import UserError
    from ..explore.profile import resolve_networks
    from ..files import check_output_path
    from ..measure.backends import check_backend_name
    from ..measure.latency import DEFAULT_WINDOWS
    from ..measure.roofline import bound_vs_measured, cache_dir, calibrate, op_kind_points
    from ..present.plots import roofline_figure

    backends = [check_backend_name(b) for b in backends] or ["eager"]
    if by == "layer" and backends != ["eager"]:
        raise UserError(
            "--by layer profiles the eager module; drop --backend (or use --by network)"
        )
    if plot:
        check_output_path(plot)
    specs = resolve_networks(groups, scales, presets, spec_files, resolution)
    calib = calibrate(threads, quick=quick)
    if by == "layer":
        _roofline_layers(specs, calib, threads, plot, fmt, output)
        return
    ctx, progress = progress_bar(
        len(specs) * (DEFAULT_WINDOWS + 1) * len(backends), "measuring latency"
    )
    with ctx:
        rows = bound_vs_measured(specs, calib, backends, threads, progress)
    columns = [
        Column("name", "network", justify="left"),
        Column("backend", "backend", justify="left"),
        Column("measured_ms", "measured (ms)", decimals(2)),
        Column("bound_ms", "bound (ms)", decimals(2)),
        Column("compute_ms", "compute (ms)", decimals(2)),
        Column("memory_ms", "memory (ms)", decimals(2)),
        Column("memory_bound_share", "memory-bound share", percent),
        Column("efficiency", "bound / measured", percent),
    ]
    bws = ", ".join(f"{int(k) >> 10} KiB {v:.0f}" for k, v in calib["bandwidth_gbs"].items())
    footer = [
        f"Calibration: peak {calib['peak_gflops']:.1f} GFLOP/s (best fp32 matmul or 1x1 "
        f"conv kernel), bandwidth "
        f"GB/s by working set: {bws}; {threads} thread(s), cached in {cache_dir()}.",
        "Bound per layer = max(2 x MACs / peak, traffic bytes / bandwidth at the layer's "
        "working set), traffic eager for eager and channels_last, fused (BN folded; ReLU, "
        "shuffle and residual adds fused; concats in place) for torchscript, compile and "
        "onnxruntime; a low "
        "bound/measured share is time the hardware does not explain (op overhead, cache "
        "misses, kernels below peak).",
    ]
    footer += [
        f"{r['name']}: {r['backend']} could not run it: {r['error']}" for r in rows if r["error"]
    ]
    if plot:
        kinds = [p for spec in specs for p in op_kind_points(spec, calib, threads)]
        figure = roofline_figure([r for r in rows if r["measured_ms"]], calib, kinds)
        write_atomic(plot, figure.to_html(include_plotlyjs=True))
        footer.append(
            f"Roofline plot written to {plot}: one point per network and backend, "
            "and per op kind with multiply-adds (eager, torch.profiler)."
        )
    emit(rows, columns, fmt, output, title="Roofline bound vs measured latency", footer=footer)


def _roofline_layers(specs, calib, threads, plot, fmt, output) -> None:
    """``roofline --by layer``: every conv and FC layer's bound beside its profiled time."""
    from ..measure.roofline import cache_dir, layer_efficiency
    from ..present.plots import roofline_figure

    rows = [r for spec in specs for r in layer_efficiency(spec, calib, threads)]
    columns = [
        Column("name", "network", justify="left"),
        Column("layer", "layer", justify="left"),
        Column("kind", "kind", justify="left"),
        Column("flops", "MFLOPs", lambda v, _r: f"{v / 1e6:.1f}"),
        Column("bound_ms", "bound (ms)", decimals(3)),
        Column("profiled_ms", "profiled (ms)", decimals(3)),
        Column("gflops", "GFLOP/s", decimals(1)),
        Column("efficiency", "bound / profiled", percent),
    ]
    footer = [
        f"Calibration: peak {calib['peak_gflops']:.1f} GFLOP/s, cached in {cache_dir()}. "
        "Profiled = torch.profiler's CPU time inside the layer's module (eager, "
        f"{threads} thread(s)), which adds a few microseconds per op; bound = max(2 x MACs "
        "/ peak, eager traffic / bandwidth at the layer's working set)."
    ]
    if plot:
        points = [
            {
                **r,
                "name": f"{r['name']} {r['layer']}",
                "measured_ms": r["profiled_ms"],
                "backend": "eager (profiled layers)",
            }
            for r in rows
        ]
        write_atomic(plot, roofline_figure(points, calib).to_html(include_plotlyjs=True))
        footer.append(f"Roofline plot written to {plot}: one point per layer.")
    emit(
        rows,
        columns,
        fmt,
        output,
        title="Roofline bound vs profiled time, per layer",
        footer=footer,
    )
