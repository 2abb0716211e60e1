"""``export``: a bundle to measure latency on the device itself."""

from __future__ import annotations

import click

from ..present.tables import Column
from ..present.tables import millions
from .app import cli
from .options import emit
from .options import network_options
from .options import options
from .options import output_options
from .options import progress_bar

EXPORT_COLUMNS = [
    Column("name", "network", justify="left"),
    Column("file", "file", justify="left"),
    Column("model_bytes", "model (MB)", millions(2)),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("input_shape", "input", justify="left"),
    Column("dtype", "dtype", justify="left"),
    Column("checked_here", "output vs PyTorch here", justify="left"),
]


@cli.command()
@click.argument("names", nargs=-1, metavar="[NETWORK]...")
@network_options()
@options(
    "out",
    out=dict(
        required=True,
        type=click.Path(file_okay=False),
        default=None,
        show_default=False,
        help="Folder to write the bundle to (new, empty, or an earlier bundle to replace).",
    ),
)
@click.option(
    "--backend",
    type=click.Choice(["onnxruntime"]),
    default="onnxruntime",
    show_default=True,
    help="Runtime the device measures with.",
)
@options(
    "dtype",
    "threads",
    "batch_size",
    dtype=dict(type=click.Choice(["fp32", "fp16"]), help="Weights and input of the models."),
    threads=dict(
        default=1, show_default=True, help="Runtime threads the runner uses unless given --threads."
    ),
    batch_size=dict(default=1, show_default=True, help="Batch size of the exported input."),
)
@output_options()
def export(
    names,
    networks,
    out,
    backend,
    dtype,
    threads,
    batch_size,
    fmt,
    output,
) -> None:
    """Write a bundle to measure NETWORKs (preset names or YAML files) on another device.

    The bundle holds the models, a manifest (names, architecture keys, input shape, dtype, the
    cost model's numbers) and measure.py, which needs only Python, numpy and the runtime (no
    torch, no shufflenet-cli) and runs this tool's latency protocol there. Bring its results
    back with --latency-from on profile, compare and report.

    \b
    Examples:
      shufflenet-cli export shufflenet-1x-g3 mobilenet-v1-0.5 --out pi-bundle
      shufflenet-cli export --groups 1,3,8 --dtype fp16 --out phone-bundle
      # on the device:  python measure.py --out results.json --device pi4
      shufflenet-cli profile --groups 1,3,8 --latency-from results.json
    """
    from ..errors import UserError
    from ..explore.profile import resolve_networks
    from ..measure.bundle import export_bundle
    from ..measure.protocol import Protocol

    chosen = [networks[k] for k in ("groups", "scales", "presets", "spec_files")]
    if not (names or any(chosen)):
        raise UserError("networks: nothing to export (name presets or files, or give --groups)")
    networks = dict(networks, presets=[*networks["presets"], *names])
    specs = resolve_networks(**networks)
    ctx, advance = progress_bar(len(specs), "exporting")
    with ctx:
        bundle = export_bundle(
            specs,
            out,
            backend=backend,
            protocol=Protocol(threads=threads, batch_size=batch_size, dtype=dtype),
            progress=advance,
        )
    footer = [
        f"Bundle {bundle.folder} ({bundle.size_bytes / 1e6:.1f} MB, id "
        f"{bundle.manifest['bundle_id']}). On the device: pip install numpy {backend}; "
        "python measure.py --out results.json --device LABEL; then here: --latency-from "
        "results.json on profile, compare or report."
    ]
    emit(bundle.rows(), EXPORT_COLUMNS, fmt, output, footer=footer)
