"""``profile``: the comparison table."""

from __future__ import annotations

import click

from ..present.columns import CROSSCHECK_COLUMNS, PROFILE_COLUMNS, backend_cell, latency_cell
from ..present.tables import Column
from .app import cli
from .options import backends_option, emit, network_options, output_options, progress_bar


@cli.command()
@network_options
@click.option(
    "--baseline",
    default="auto",
    show_default=True,
    help="MobileNet v1 to compare with: auto (the width closest in MACs), none, a "
    "preset name, a YAML file or a width such as 0.5.",
)
@click.option(
    "--latency/--no-latency",
    default=True,
    show_default=True,
    help="Measure CPU latency (needs torch; --no-latency is analytic only).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Torch intra-op threads while timing.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 4096),
    default=1,
    show_default=True,
    help="Batch size for latency and activation traffic.",
)
@click.option(
    "--dtype",
    type=click.Choice(["fp32", "fp16", "int8"]),
    default="fp32",
    show_default=True,
    help="Element size for memory traffic.",
)
@click.option(
    "--crosscheck", is_flag=True, help="Also show fvcore's and thop's counts of the built module."
)
@backends_option
@click.option(
    "--repeat-process",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Repeat the measurement in N fresh processes; report the median and the "
    "spread (max - min) between processes.",
)
@output_options()
def profile(
    groups,
    scales,
    presets,
    spec_files,
    resolution,
    baseline,
    latency,
    threads,
    batch_size,
    dtype,
    crosscheck,
    backends,
    repeat_process,
    fmt,
    output,
) -> None:
    """Params, MACs, memory traffic and latency of ShuffleNets vs a MobileNet v1 baseline.

    \b
    Examples:
      shufflenet-cli profile --groups 1,2,3,4,8
      shufflenet-cli profile --scale 0.5,1 --groups 3,8 --no-latency
      shufflenet-cli profile --preset shufflenet-2x-g3 --baseline mobilenet-v1-1.0
      shufflenet-cli profile --spec my-net.yaml --format json -o out.json
    """
    from ..explore.profile import profile_networks, resolve_networks
    from ..measure.backends import check_backend_name

    backends = [check_backend_name(b) for b in backends] or ["eager"]
    specs = resolve_networks(groups, scales, presets, spec_files, resolution)
    progress = None
    ctx = None
    if latency:
        from ..measure.latency import DEFAULT_WINDOWS

        n = len(specs) + 1
        steps = repeat_process if repeat_process > 1 else n * (DEFAULT_WINDOWS + 1)
        ctx, progress = progress_bar(steps * len(backends), "measuring latency")
    if ctx is not None:
        with ctx:
            result = profile_networks(
                specs,
                baseline=baseline,
                latency=latency,
                threads=threads,
                batch_size=batch_size,
                dtype=dtype,
                crosscheck=crosscheck,
                backends=backends,
                repeat_process=repeat_process,
                progress=progress,
            )
    else:
        result = profile_networks(
            specs,
            baseline=baseline,
            latency=False,
            threads=threads,
            batch_size=batch_size,
            dtype=dtype,
            crosscheck=crosscheck,
        )
    columns = list(PROFILE_COLUMNS)
    if not latency:
        columns = [c for c in columns if not c.key.startswith("latency")]
    elif len(backends) > 1:
        at = next(i for i, c in enumerate(columns) if c.key == "latency_rel") + 1
        columns[at - 2] = Column("latency_ms", f"{backends[0]} (ms)", latency_cell)
        columns[at:at] = [
            Column(f"latency_{b}", f"{b} (ms)", backend_cell(b)) for b in backends[1:]
        ]
    if crosscheck:
        columns += CROSSCHECK_COLUMNS
    emit(result.rows, columns, fmt, output, footer=result.footer)
