"""``compare`` and ``report`` commands: parse flags, call compare.py / report.py, render."""

from __future__ import annotations

import click

from ..measure.backends import BACKENDS
from .app import cli
from .options import _int, _list_of, _scale, emit, network_options, output_options, progress_bar


def _protocol_options(f):
    """--backend/--threads/--windows/--window-time/--warmup-time: the latency protocol's
    settings."""
    f = click.option(
        "--warmup-time",
        type=click.FloatRange(0.001, 60),
        default=None,
        help="Seconds of warm-up per network (default: the protocol's 0.3).",
    )(f)
    f = click.option(
        "--window-time",
        type=click.FloatRange(0.001, 60),
        default=None,
        help="Seconds per network per window (default: the protocol's 0.1).",
    )(f)
    f = click.option(
        "--windows",
        type=click.IntRange(1, 1000),
        default=None,
        help="Interleaved timing windows (default: the protocol's 20).",
    )(f)
    f = click.option(
        "--backend",
        "backends",
        default="eager",
        show_default=True,
        callback=_list_of(str, "a backend"),
        help="Inference backends timed, comma-separated ("
        + ", ".join(BACKENDS)
        + "): the first drives ratios, plots and findings, each other adds a "
        "column. Each network's output is first checked against eager.",
    )(f)
    f = click.option(
        "--threads",
        type=click.IntRange(1, 256),
        default=1,
        show_default=True,
        help="Torch intra-op threads while timing.",
    )(f)
    f = click.option(
        "--latency/--no-latency",
        default=True,
        show_default=True,
        help="Measure CPU latency (--no-latency is analytic only).",
    )(f)
    return f


def _steps(n_networks: int, windows: int | None) -> int:
    from ..measure.latency import DEFAULT_WINDOWS

    return n_networks * ((windows or DEFAULT_WINDOWS) + 1)


@cli.command()
@network_options
@click.option(
    "--baseline",
    default="auto",
    show_default=True,
    help="Partner of each named network: auto (the MobileNet v1 width closest in "
    "MACs), a preset name, a YAML file or a width such as 0.5.",
)
@_protocol_options
@output_options()
def compare(
    groups,
    scales,
    presets,
    spec_files,
    resolution,
    baseline,
    latency,
    threads,
    backends,
    windows,
    window_time,
    warmup_time,
    fmt,
    output,
) -> None:
    """ShuffleNets beside MobileNet v1 at matched complexity, every cost as a ratio.

    With no networks named: the papers' pairs (ShuffleNet 2x g3 vs MobileNet 1.0, 1.5x g3 vs
    0.75, 1x g3 and 1x g8 vs 0.5, 0.5x g4 vs 0.25). Otherwise each network named with
    --groups/--scale/--preset/--spec is paired with its --baseline.

    \b
    Examples:
      shufflenet-cli compare
      shufflenet-cli compare --no-latency --format markdown
      shufflenet-cli compare --groups 1,8 --scale 0.5 --baseline 0.25
      shufflenet-cli compare --backend eager,torchscript,onnxruntime
    """
    from ..explore.compare import as_backends, compare_networks, pairs_for, paper_pairs
    from ..explore.profile import resolve_networks
    from ..model.spec import with_resolution
    from ..present.columns import COMPARE_COLUMNS, backend_columns

    if groups or scales or presets or spec_files:
        pairs = pairs_for(
            resolve_networks(groups, scales, presets, spec_files, resolution), baseline, resolution
        )
    else:
        pairs = paper_pairs()
        if resolution:
            pairs = [
                (with_resolution(a, resolution), with_resolution(b, resolution)) for a, b in pairs
            ]
    backends = as_backends(backends or ["eager"])
    kwargs = dict(
        latency=latency,
        threads=threads,
        windows=windows,
        window_time=window_time,
        warmup_time=warmup_time,
        backend=backends,
    )
    if latency:
        n = len({s.arch_key() for p in pairs for s in p})
        ctx, progress = progress_bar(_steps(n, windows) * len(backends), "measuring latency")
        with ctx:
            result = compare_networks(pairs, progress=progress, **kwargs)
    else:
        result = compare_networks(pairs, **kwargs)
    columns = (
        COMPARE_COLUMNS + backend_columns(backends, True)
        if latency
        else [c for c in COMPARE_COLUMNS if not c.key.startswith("latency")]
    )
    emit(result.rows, columns, fmt, output, footer=result.footer)


@cli.command()
@click.option(
    "--groups",
    callback=_list_of(_int, "a positive whole number"),
    default="1,2,3,4,8",
    show_default=True,
    help="ShuffleNet group counts, comma-separated.",
)
@click.option(
    "--scales",
    callback=_list_of(_scale, "a positive number"),
    default="0.5,1,2",
    show_default=True,
    help="ShuffleNet width scales, comma-separated.",
)
@click.option(
    "--mobilenet-widths",
    callback=_list_of(_scale, "a positive number"),
    default="1,0.75,0.5,0.25",
    show_default=True,
    help="MobileNet v1 widths to include ('' for none).",
)
@click.option("--preset", "presets", multiple=True, help="Also a preset (repeatable).")
@click.option(
    "--spec",
    "spec_files",
    multiple=True,
    type=click.Path(),
    help="Also a YAML spec file (repeatable).",
)
@click.option(
    "--breakdown",
    "breakdown",
    multiple=True,
    help="Also split this network's runtime by op kind (preset or YAML; repeatable). "
    "ShuffleNet 1x g3 and MobileNet 0.5 always are.",
)
@click.option(
    "--breakdown-runs",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Profiled inferences per breakdown.",
)
@_protocol_options
@click.option("--png", is_flag=True, help="Also write PNGs of the plots (needs kaleido).")
@click.option(
    "--out",
    default="reports/latest",
    show_default=True,
    type=click.Path(),
    help="Report folder (replaced atomically if it is an earlier report).",
)
def report(
    groups,
    scales,
    mobilenet_widths,
    presets,
    spec_files,
    breakdown,
    breakdown_runs,
    latency,
    threads,
    backends,
    windows,
    window_time,
    warmup_time,
    png,
    out,
) -> None:
    """Write a design-tradeoff report folder: index.html (tables, plots), report.md, data/.

    The HTML opens offline (plotly.js is shipped once in the folder). Plots: MACs, params and
    memory traffic against measured latency, per-stage costs, where the time goes by op kind
    (torch.profiler), what predicts latency, the group sweep and the papers' accuracy.

    \b
    Examples:
      shufflenet-cli report --out reports/mine
      shufflenet-cli report --groups 3,8 --scales 1 --no-latency --out /tmp/quick
      shufflenet-cli report --breakdown shufflenet-2x-g3 --png
      shufflenet-cli report --backend channels_last --out reports/channels-last
      shufflenet-cli report --backend eager,onnxruntime --out reports/two-backends
    """
    from ..explore.compare import as_backends
    from ..explore.profile import resolve_networks
    from ..model.presets import load_spec
    from ..present.report import breakdown_specs, build_report, check_report_folder, with_mobilenets

    check_report_folder(out)
    specs = resolve_networks(groups, scales) if groups else []
    specs = with_mobilenets(specs, mobilenet_widths)
    keys = {s.arch_key() for s in specs}
    for s in [load_spec(p) for p in presets] + [load_spec(f) for f in spec_files]:
        if s.arch_key() not in keys:
            specs.append(s)
            keys.add(s.arch_key())
    extra = breakdown_specs(breakdown, specs)
    backends = as_backends(backends or ["eager"])
    kwargs = dict(
        latency=latency,
        threads=threads,
        windows=windows,
        window_time=window_time,
        warmup_time=warmup_time,
        backend=backends,
        breakdown=extra,
        breakdown_runs=breakdown_runs,
        png=png,
    )
    if latency:
        ctx, progress = progress_bar(
            _steps(len(specs), windows) * len(backends) + len(extra), "measuring latency"
        )
        with ctx:
            path, notes = build_report(specs, out, progress=progress, **kwargs)
    else:
        path, notes = build_report(specs, out, **kwargs)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"wrote {path}/index.html", err=True)
