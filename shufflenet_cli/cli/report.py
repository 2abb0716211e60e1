"""``compare`` and ``report`` commands: parse flags, call compare.py / report.py, render."""

from __future__ import annotations

import click

from .app import cli
from .options import (
    _list_of,
    _scale,
    baseline_option,
    emit,
    network_options,
    output_options,
    progress_bar,
    protocol_options,
)


@cli.command()
@network_options()
@baseline_option(
    "Partner of each named network: auto (the MobileNet v1 width closest in MACs), a preset "
    "name, a YAML file or a width such as 0.5."
)
@protocol_options(batch=False, repeat=False)
@output_options()
def compare(
    groups,
    scales,
    presets,
    spec_files,
    resolution,
    baseline,
    latency,
    backends,
    protocol,
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
    from ..model.rules import with_resolution
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
    kwargs = dict(latency=latency, protocol=protocol, backend=backends)
    if latency:
        n = len({s.arch_key() for p in pairs for s in p})
        ctx, progress = progress_bar(protocol.steps(n, len(backends)), "measuring latency")
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
@network_options(default_groups="1,2,3,4,8", default_scales="0.5,1,2")
@click.option(
    "--mobilenet-widths",
    callback=_list_of(_scale, "a positive number"),
    default="1,0.75,0.5,0.25",
    show_default=True,
    help="MobileNet v1 widths to include ('' for none).",
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
@protocol_options(batch=False, repeat=False)
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
    presets,
    spec_files,
    resolution,
    mobilenet_widths,
    breakdown,
    breakdown_runs,
    latency,
    backends,
    protocol,
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
    from ..model.spec import unique_networks
    from ..present.report import breakdown_specs, build_report, check_report_folder, report_networks

    check_report_folder(out)
    specs = report_networks(groups, scales, mobilenet_widths, presets, spec_files, resolution)
    extra = breakdown_specs(breakdown, specs)
    unique_networks([*specs, *extra])  # two architectures under one name: one-line error
    backends = as_backends(backends or ["eager"])
    kwargs = dict(
        latency=latency,
        protocol=protocol,
        backend=backends,
        breakdown=extra,
        breakdown_runs=breakdown_runs,
        png=png,
    )
    if latency:
        steps = protocol.steps(len(specs), len(backends)) + len(extra)
        ctx, progress = progress_bar(steps, "measuring latency")
        with ctx:
            path, notes = build_report(specs, out, progress=progress, **kwargs)
    else:
        path, notes = build_report(specs, out, **kwargs)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"wrote {path}/index.html", err=True)
