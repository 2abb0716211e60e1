"""``breakdown`` and ``roofline``: where the time goes, and how far from the hardware's limits."""

from __future__ import annotations

import click

from ..files import write_atomic
from ..present.columns import BREAKDOWN_COLUMNS
from ..present.columns import ROOFLINE_COLUMNS
from ..present.columns import ROOFLINE_LAYER_COLUMNS
from .app import cli
from .options import emit
from .options import network_options
from .options import options
from .options import output_options
from .options import progress_bar
from .options import protocol_options


@cli.command()
@click.argument("network")
@options(
    "threads",
    "runs",
    "resolution",
    "breakdown_by",
    "breakdown_backend",
    "dtype",
    "formulation",
    threads=dict(default=1),
)
@output_options()
def breakdown(
    network, threads, runs, resolution, by, backend, dtype, formulation, fmt, output
) -> None:
    """Where the time goes in NETWORK: measured CPU time by op kind, stage or layer
    (torch.profiler).

    Beside each op kind, its share of the multiply-adds and of the eager memory traffic
    (cost model), so time that MACs do not explain stands out.

    \b
    Examples:
      shufflenet-cli breakdown shufflenet-1x-g3
      shufflenet-cli breakdown mobilenet-v1-0.5 --by stage --format json
      shufflenet-cli breakdown shufflenet-1x-g3 --backend executorch --dtype int8
    """
    from ..measure.breakdown import breakdown_table
    from ..model.presets import load_spec
    from ..model.rules import with_resolution

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    if backend != "eager":
        from ..measure.delegation import delegation_table
        from ..present.columns import DELEGATION_COLUMNS

        rows, footer = delegation_table(
            spec, backend, dtype, threads=threads, runs=runs, formulation=formulation or "paper"
        )
        title = f"Where {spec.name} ran on {backend} ({dtype})"
        emit(rows, DELEGATION_COLUMNS, fmt, output, title=title, footer=footer)
        return
    if dtype != "fp32" or formulation not in (None, "paper"):
        from ..errors import UserError

        raise UserError("--dtype and --formulation go with --backend executorch/onnxruntime/ncnn")
    rows, footer = breakdown_table(spec, by, threads, runs)
    columns = BREAKDOWN_COLUMNS[by]
    emit(rows, columns, fmt, output, title=f"Where the time goes: {spec.name}", footer=footer)


@cli.command()
@network_options()
@protocol_options(batch=False, repeat=False, latency=False)
@options("roofline_by", "quick", "recalibrate", "plot")
@output_options()
def roofline(
    networks,
    backends,
    protocol,
    by,
    quick,
    recalibrate,
    plot,
    fmt,
    output,
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
      shufflenet-cli roofline --groups 3 --backend eager,onnxruntime
      shufflenet-cli roofline --preset shufflenet-1x-g3 --plot roofline.html
      shufflenet-cli roofline --preset shufflenet-1x-g3 --by layer --format csv
    """
    from ..errors import UserError
    from ..explore.profile import resolve_networks
    from ..files import check_output_path
    from ..measure.backends import check_backend_name
    from ..measure.roofline import bound_vs_measured
    from ..measure.roofline import cached_calibration
    from ..measure.roofline import calibrate
    from ..measure.roofline import calibration_steps
    from ..measure.roofline import op_kind_points
    from ..measure.roofline import roofline_by_layer
    from ..present.plots import layer_roofline_figure
    from ..present.plots import roofline_figure

    backends = [check_backend_name(b) for b in backends] or ["eager"]
    if by == "layer" and backends != ["eager"]:
        raise UserError(
            "--by layer profiles the eager module; drop --backend (or use --by network)"
        )
    if plot:
        check_output_path(plot)
    specs = resolve_networks(**networks)
    threads = protocol.threads
    calib = None if recalibrate else cached_calibration(threads, quick)
    if calib is None:  # measure, with progress: a full calibration takes a while
        ctx, step = progress_bar(calibration_steps(quick), "calibrating peak and bandwidth")
        with ctx:
            calib = calibrate(threads, quick=quick, use_cache=False, progress=step)
    if by == "layer":
        rows, footer = roofline_by_layer(specs, calib, threads)
        if plot:
            write_atomic(plot, layer_roofline_figure(rows, calib).to_html(include_plotlyjs=True))
            footer.append(f"Roofline plot written to {plot}: one point per layer.")
        title = "Roofline bound vs profiled time, per layer"
        emit(rows, ROOFLINE_LAYER_COLUMNS, fmt, output, title=title, footer=footer)
        return
    ctx, progress = progress_bar(protocol.steps(len(specs), len(backends)), "measuring latency")
    with ctx:
        rows, footer = bound_vs_measured(specs, calib, backends, protocol, progress)
    if plot:
        kinds = [p for spec in specs for p in op_kind_points(spec, calib, threads)]
        figure = roofline_figure([r for r in rows if r["latency_ms"]], calib, kinds)
        write_atomic(plot, figure.to_html(include_plotlyjs=True))
        footer.append(
            f"Roofline plot written to {plot}: one point per network and backend, "
            "and per op kind with multiply-adds (eager, torch.profiler)."
        )
    title = "Roofline bound vs measured latency"
    emit(rows, ROOFLINE_COLUMNS, fmt, output, title=title, footer=footer)
