"""``compare`` and ``report`` commands: parse flags, call compare.py / report.py, render."""

from __future__ import annotations

import click

from .app import cli
from .options import emit
from .options import latency_backends
from .options import network_options
from .options import options
from .options import output_options
from .options import protocol_options
from .options import sources_options
from .options import with_progress


@cli.command()
@network_options()
@options("baseline")
@protocol_options(batch=False, repeat=False)
@sources_options
@output_options()
def compare(
    networks,
    baseline,
    latency,
    backends,
    protocol,
    sources,
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
      shufflenet-cli compare --latency-from pi4.json --latency-from pixel7.json
      shufflenet-cli compare --predict            # + predicted latency
    """
    from ..explore.compare import as_backends
    from ..explore.compare import compare_networks
    from ..explore.compare import pairs_to_compare
    from ..present.columns import COMPARE_COLUMNS
    from ..present.columns import PREDICTED_PAIR_COLUMNS
    from ..present.columns import backend_columns
    from ..present.columns import name_first_source

    pairs = pairs_to_compare(networks, baseline)
    backends = latency_backends(backends, sources["latency_from"], latency)
    backends = as_backends(backends) if backends else []
    n = len({s.arch_key() for p in pairs for s in p})
    steps = protocol.steps(n, len(backends)) if latency else 0
    measuring = dict(latency=latency, protocol=protocol, backend=backends)
    result = with_progress(steps, compare_networks, pairs, **measuring, **sources)
    shown = result.environment["backend"].split(",") if latency else []
    columns = (
        name_first_source(COMPARE_COLUMNS, shown) + backend_columns(shown, True)
        if latency
        else [c for c in COMPARE_COLUMNS if not c.key.startswith("latency")]
    ) + (PREDICTED_PAIR_COLUMNS if sources["predict"] else [])
    emit(result.rows, columns, fmt, output, footer=result.footer)


@cli.command()
@network_options(default_groups="1,2,3,4,8", default_scales="0.5,1,2")
@options("mobilenet_widths", "breakdown", "breakdown_runs")
@protocol_options(batch=False, repeat=False)
@options("pair_dtypes")
@sources_options
@options("png", "out")
def report(
    networks,
    mobilenet_widths,
    breakdown,
    breakdown_runs,
    pair_dtypes,
    latency,
    backends,
    protocol,
    sources,
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
      shufflenet-cli report --latency-from pi4.json --latency-from pixel7.json
      shufflenet-cli report --predict --out reports/predicted     # + plot i
      shufflenet-cli report --backend executorch --pair-dtypes fp32,int8
    """
    from ..explore.compare import as_backends
    from ..explore.compare import paper_pair_networks
    from ..model.spec import unique_networks
    from ..present.report import breakdown_specs
    from ..present.report import build_report
    from ..present.report import check_report_folder
    from ..present.report import report_networks

    check_report_folder(out)
    specs = report_networks(mobilenet_widths=mobilenet_widths, **networks)
    extra = breakdown_specs(breakdown, specs)
    unique_networks([*specs, *extra])  # two architectures under one name: one-line error
    backends = latency_backends(backends, sources["latency_from"], latency)
    backends = as_backends(backends) if backends else []
    pair_nets = paper_pair_networks(specs)
    more = [d for d in dict.fromkeys(pair_dtypes) if d != protocol.dtype] if backends else []
    steps = protocol.steps(len(specs), len(backends)) + len(extra) if latency else 0
    steps += protocol.steps(len(pair_nets), len(backends)) * len(more) if latency else 0
    measuring = dict(latency=latency, protocol=protocol, backend=backends, **sources)
    measuring["pair_dtypes"] = pair_dtypes
    profiling = dict(breakdown=extra, breakdown_runs=breakdown_runs, png=png)
    path, notes = with_progress(steps, build_report, specs, out, **measuring, **profiling)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"wrote {path}/index.html", err=True)
