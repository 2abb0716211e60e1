"""``show`` and ``presets``: one network's layout and layers, and the papers' rows."""

from __future__ import annotations

import click

from ..errors import UserError
from ..present.columns import LAYER_COLUMNS, OUTLINE_COLUMNS
from ..present.tables import FORMATS, Column, decimals, millions, render
from .app import cli
from .options import _console, emit, output_options, write_text


@cli.command()
@click.argument("network")
@click.option("--resolution", type=click.IntRange(1, None), help="Input size (default 224).")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 4096),
    default=1,
    show_default=True,
    help="Batch size for activation traffic.",
)
@click.option(
    "--dtype",
    type=click.Choice(["fp32", "fp16", "int8"]),
    default="fp32",
    show_default=True,
    help="Element size for memory traffic.",
)
@click.option(
    "--layers/--no-layers",
    default=True,
    show_default=True,
    help="Show the per-layer breakdown after the outline.",
)
@output_options(FORMATS + ("yaml",))
def show(network, resolution, batch_size, dtype, layers, fmt, output) -> None:
    """Show NETWORK (a preset name or a YAML file) in Table 1's layout, then layer by layer.

    --format yaml prints the full explicit spec, ready to edit and pass to --spec.
    """
    import json

    from ..model.cost import CONVENTIONS, analyze
    from ..model.plan import outline
    from ..model.presets import load_spec
    from ..model.spec import spec_to_dict, with_resolution

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    if fmt == "yaml":
        import yaml

        text = yaml.safe_dump(spec_to_dict(spec), sort_keys=False)
        write_text(text, output)
        return
    a = analyze(spec, batch_size, dtype)
    head = [
        {
            "stage": "image",
            "output_size": f"{spec.resolution}x{spec.resolution}",
            "out_channels": spec.in_channels,
            "kernel": "",
            "repeat": None,
        }
    ]
    rows = head + outline(a.plan)
    layer_rows = a.layers.to_dict("records") if layers else []
    totals = (
        f"{spec.name}: params {a.params:,}; MACs {a.macs / 1e6:.2f} M (conv-only "
        f"{a.macs_conv / 1e6:.2f} M); memory traffic {a.memory_bytes_eager / 1e6:.1f} MB "
        f"eager, {a.memory_bytes_fused / 1e6:.1f} MB fused ({dtype}, batch {batch_size})"
    )
    footer = (
        [totals]
        + ([f"Channels: {spec.rule}."] if spec.rule else [])
        + [f"Counting: {CONVENTIONS}."]
    )
    if fmt == "json":
        doc = {
            "spec": spec_to_dict(spec),
            "params": a.params,
            "macs": a.macs,
            "macs_conv": a.macs_conv,
            "memory_bytes_eager": a.memory_bytes_eager,
            "memory_bytes_fused": a.memory_bytes_fused,
            "outline": rows,
            "layers": layer_rows,
        }
        text = json.dumps(doc, indent=2) + "\n"
        write_text(text, output)
        return
    if fmt == "csv":
        emit(layer_rows or rows, LAYER_COLUMNS if layers else OUTLINE_COLUMNS, fmt, output)
        return
    if fmt == "markdown":
        from ..present.tables import markdown_table

        text = markdown_table(rows, OUTLINE_COLUMNS, title=f"{spec.name} (Table 1 layout)")
        if layers:
            text += "\n" + markdown_table(layer_rows, LAYER_COLUMNS, title="Per layer")
        text += "\n" + "\n".join(f"{line}  " for line in footer) + "\n"
        write_text(text, output)
        return
    console = _console(output)
    render(rows, OUTLINE_COLUMNS, "table", title=f"{spec.name} (Table 1 layout)", console=console)
    if layers:
        render(layer_rows, LAYER_COLUMNS, "table", title="Per layer", console=console)
    for line in footer:
        console.print(line, style="dim", highlight=False, markup=False)
    if output:
        write_text(console.export_text(), output)


@cli.command("presets")
@click.argument("pattern", default="*")
@output_options()
def presets_cmd(pattern, fmt, output) -> None:
    """List the presets (the papers' rows) with their published numbers.

    PATTERN filters names with shell wildcards, e.g. 'shufflenet-1x-*' or '*g3'.
    """
    from ..model.cost import totals
    from ..model.presets import list_presets, load_preset

    rows = []
    for name in list_presets(pattern):
        spec = load_preset(name)
        t = totals(spec)
        rows.append(
            {
                "name": name,
                "family": spec.family,
                "groups": spec.groups,
                "stage_channels": list(spec.stage_channels),
                "resolution": spec.resolution,
                "params": t.params,
                "macs": t.macs,
                "macs_conv": t.macs_conv,
                "paper_mflops": spec.paper.mflops if spec.paper else None,
                "paper_top1_err": spec.paper.top1_err if spec.paper else None,
                "source": spec.paper.source if spec.paper else "",
            }
        )
    if not rows:
        raise UserError(f"pattern: no preset matches {pattern!r}")
    columns = [
        Column("name", "preset", justify="left"),
        Column("groups", "g"),
        Column("stage_channels", "stage channels"),
        Column("resolution", "res"),
        Column("params", "params (M)", millions(3)),
        Column("macs", "MACs (M)", millions(2)),
        Column("macs_conv", "conv MACs (M)", millions(2)),
        Column("paper_mflops", "paper MFLOPs", decimals(0)),
        Column("paper_top1_err", "paper top-1 err %", decimals(1)),
    ]
    emit(rows, columns, fmt, output)
