"""``profile``: the comparison table."""

from __future__ import annotations

import click

from ..present.columns import profile_columns
from .app import cli
from .options import (
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
    "MobileNet v1 to compare with: auto (the width closest in MACs), none, a preset name, "
    "a YAML file or a width such as 0.5."
)
@protocol_options()
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
@output_options()
def profile(
    groups,
    scales,
    presets,
    spec_files,
    resolution,
    baseline,
    latency,
    backends,
    protocol,
    dtype,
    crosscheck,
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
    kwargs = dict(
        baseline=baseline,
        latency=latency,
        protocol=protocol,
        dtype=dtype,
        crosscheck=crosscheck,
        backends=backends,
    )
    if latency:
        steps = protocol.steps(len(specs) + 1, len(backends))
        ctx, progress = progress_bar(steps, "measuring latency")
        with ctx:
            result = profile_networks(specs, progress=progress, **kwargs)
    else:
        result = profile_networks(specs, **kwargs)
    columns = profile_columns(backends if latency else [], crosscheck)
    emit(result.rows, columns, fmt, output, footer=result.footer)
