"""``show`` and ``presets``: one network's layout and layers, and the papers' rows."""

from __future__ import annotations

import click

from ..present.columns import LAYER_COLUMNS
from ..present.columns import OUTLINE_COLUMNS
from ..present.columns import PRESET_COLUMNS
from ..present.columns import SPACE_COLUMNS
from ..present.tables import FORMATS
from .app import cli
from .options import emit
from .options import emit_sections
from .options import options
from .options import output_options
from .options import write_text


@cli.command()
@click.argument("network")
@options("resolution", "batch_size", "dtype", "layers", batch_size=dict(default=1))
@output_options(FORMATS + ("yaml",))
def show(network, resolution, batch_size, dtype, layers, fmt, output) -> None:
    """Show NETWORK (a preset name or a YAML file) in Table 1's layout, then layer by layer.

    --format yaml prints the full explicit spec, ready to edit and pass to --spec.
    """
    import json

    from ..explore.describe import describe_network
    from ..model.presets import load_spec
    from ..model.rules import with_resolution
    from ..model.spec import spec_to_dict

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    if fmt == "yaml":
        import yaml

        write_text(yaml.safe_dump(spec_to_dict(spec), sort_keys=False), output)
        return
    d = describe_network(spec, batch_size, dtype, layers)
    if fmt == "json":
        write_text(json.dumps(d.document(), indent=2) + "\n", output)
        return
    if fmt == "csv":  # one table only: the layers, or the outline without them
        emit(d.layers or d.outline, LAYER_COLUMNS if layers else OUTLINE_COLUMNS, fmt, output)
        return
    sections = [(f"{spec.name} (Table 1 layout)", d.outline, OUTLINE_COLUMNS)]
    if layers:
        sections.append(("Per layer", d.layers, LAYER_COLUMNS))
    emit_sections(sections, fmt, output, footer=d.footer)


@cli.command("presets")
@click.argument("pattern", default="*")
@output_options()
def presets_cmd(pattern, fmt, output) -> None:
    """List the presets (the papers' rows) with their published numbers, then the shipped
    search spaces (run them by name: `shufflenet-cli search search-small`).

    PATTERN filters preset names with shell wildcards, e.g. 'shufflenet-1x-*' or '*g3'.
    JSON and CSV give the presets only.
    """
    from ..explore.describe import preset_rows
    from ..explore.search import space_rows

    rows = preset_rows(pattern)
    if fmt in ("json", "csv"):
        emit(rows, PRESET_COLUMNS, fmt, output)
        return
    sections = [("Presets", rows, PRESET_COLUMNS)]
    if pattern == "*":
        sections.append(("Search spaces (shufflenet-cli search NAME)", space_rows(), SPACE_COLUMNS))
    emit_sections(sections, fmt, output)
