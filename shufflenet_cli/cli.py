"""The ``shufflenet-cli`` command: parse flags, call the library, render. Nothing else.

User mistakes (``UserError``, bad flags) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from typing import Callable, Sequence

import click

from .errors import UserError
from .tables import FORMATS, Column, decimals, millions, render, write_atomic

# ----------------------------------------------------------------------------- shared options


class CLIGroup(click.Group):
    """A click group that turns user mistakes into one stderr line and exit code 2."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D102 - click's entry point
        try:
            rv = super().main(args=args, prog_name=prog_name or "shufflenet-cli",
                              standalone_mode=False, **extra)
        except click.exceptions.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            _fail(e.format_message() + hint)
        except UserError as e:
            _fail(str(e))
        except click.exceptions.Abort:
            _fail("interrupted", 130)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except click.exceptions.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def _list_of(convert: Callable, what: str) -> Callable:
    def parse(ctx, param, value):
        if value is None or value == ():
            return []
        parts = []
        for chunk in (value if isinstance(value, tuple) else (value,)):
            parts += [p.strip() for p in str(chunk).split(",") if p.strip()]
        out = []
        for p in parts:
            try:
                out.append(convert(p))
            except ValueError:
                raise click.BadParameter(f"{p!r} is not {what}") from None
        return out
    return parse


def _int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _scale(text: str) -> float:
    value = float(text.rstrip("x"))
    if not value > 0:
        raise ValueError(text)
    return value


def output_options(formats: Sequence[str] = FORMATS) -> Callable:
    """--format and --output, declared once for every command."""
    def decorate(f):
        f = click.option("--output", "-o", type=click.Path(dir_okay=False),
                         help="Write to this file (atomically) instead of stdout.")(f)
        f = click.option("--format", "fmt", type=click.Choice(list(formats)), default="table",
                         show_default=True, help="Output format.")(f)
        return f
    return decorate


def emit(rows, columns, fmt: str, output: str | None, *, title: str = "",
         footer: Sequence[str] = ()) -> None:
    """Render rows to stdout or, atomically, to ``output``."""
    if output:
        from .tables import check_output_path

        check_output_path(output)
    if fmt == "table":
        console = _console(output)
        render(rows, columns, fmt, title=title, footer=footer, console=console)
        if not output:
            return
        text = console.export_text()
    else:
        text = render(rows, columns, fmt, title=title, footer=footer)
    write_text(text, output)


def _console(output: str | None):
    """A rich console: the terminal, or a wide recording one when the table goes to a file."""
    import io

    from rich.console import Console

    if output:
        return Console(file=io.StringIO(), record=True, width=200)
    console = Console()
    if not console.is_terminal:  # piped: keep rows on one line rather than fold at 80
        console = Console(width=200)
    return console


def write_text(text: str, output: str | None) -> None:
    """Text to stdout, or atomically to ``output`` with a note on stderr."""
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def progress_bar(total: int, description: str):
    """A rich progress bar on stderr; returns (context manager, advance callback)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[step]}"),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task(description, total=total, step="")

    def advance(step: str) -> None:
        progress.update(task, advance=1, step=step)

    return progress, advance


# ----------------------------------------------------------------------------- columns


def _latency(v, row) -> str:
    if v is None:
        return "-"
    text = f"{v:.2f} ± {row.get('latency_spread_ms') or 0:.2f}"
    return text + (" !" if row.get("latency_noisy") else "")


def _backend_cell(backend: str):
    """Formatter for one backend's latency (or the reason it could not run)."""
    def show(_v, row) -> str:
        entry = (row.get("latency_by_backend") or {}).get(backend) or {}
        if entry.get("error"):
            return "n/a: " + entry["error"][:60]
        return _latency(entry.get("latency_ms"), {
            "latency_spread_ms": entry.get("latency_spread_ms"),
            "latency_noisy": entry.get("latency_noisy")})
    return show


def _name(v, row) -> str:
    return f"{v} (baseline)" if row.get("baseline") else str(v)


PROFILE_COLUMNS = [
    Column("name", "network", _name, justify="left"),
    Column("groups", "g"),
    Column("stage_channels", "stage channels"),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("macs_conv", "conv MACs (M)", millions(2)),
    Column("memory_bytes_eager", "traffic eager (MB)", millions(1)),
    Column("memory_bytes_fused", "traffic fused (MB)", millions(1)),
    Column("latency_ms", "latency (ms)", _latency),
    Column("latency_rel", "vs baseline", decimals(2, "x")),
    Column("paper_mflops", "paper MFLOPs", decimals(0)),
    Column("paper_top1_err", "paper top-1 err %", decimals(1)),
]
CROSSCHECK_COLUMNS = [
    Column("fvcore_macs", "fvcore (M)", millions(2)),
    Column("fvcore_conv_fc_macs", "fvcore conv+FC (M)", millions(2)),
    Column("thop_macs", "thop (M)", millions(2)),
]


# ----------------------------------------------------------------------------- commands


@click.group(cls=CLIGroup, context_settings={"help_option_names": ["-h", "--help"],
                                             "max_content_width": 100})
@click.version_option(package_name="shufflenet-cli", prog_name="shufflenet-cli")
def cli() -> None:
    """Architecture explorer for ShuffleNet v1 and MobileNet v1.

    Builds networks from stage specs, counts params, multiply-adds (MACs) and memory traffic
    analytically, measures CPU latency with an interleaved protocol, and compares them with
    the papers' published numbers.

    \b
    Examples:
      shufflenet-cli profile --groups 1,2,3,4,8
      shufflenet-cli profile --scale 0.5 --no-latency --format json
      shufflenet-cli show shufflenet-1x-g3
      shufflenet-cli presets
    """


backends_option = click.option(
    "--backend", "backends", default="eager", show_default=True,
    callback=_list_of(str, "a backend"),
    help="Inference backends, comma-separated, one latency column each: eager, "
         "channels_last, torchscript, compile, onnxruntime.")


def network_options(f):
    """--groups/--scale/--preset/--spec/--resolution: which networks a command works on."""
    f = click.option("--resolution", type=click.IntRange(1, None),
                     help="Input size for every network (default: each spec's own, 224).")(f)
    f = click.option("--spec", "spec_files", multiple=True, type=click.Path(),
                     help="A YAML spec file (repeatable).")(f)
    f = click.option("--preset", "presets", multiple=True,
                     help="A preset name (repeatable); see `shufflenet-cli presets`.")(f)
    f = click.option("--scale", "scales", callback=_list_of(_scale, "a positive number"),
                     help="Width scales, comma-separated (e.g. 0.5,1,2). Default 1.")(f)
    f = click.option("--groups", callback=_list_of(_int, "a positive whole number"),
                     help="Group counts, comma-separated (e.g. 1,2,3,4,8). Table 1's channels "
                          "for 1,2,3,4,8; other counts by the complexity rule.")(f)
    return f


@cli.command()
@network_options
@click.option("--baseline", default="auto", show_default=True,
              help="MobileNet v1 to compare with: auto (the width closest in MACs), none, a "
                   "preset name, a YAML file or a width such as 0.5.")
@click.option("--latency/--no-latency", default=True, show_default=True,
              help="Measure CPU latency (needs torch; --no-latency is analytic only).")
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Torch intra-op threads while timing.")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=1, show_default=True,
              help="Batch size for latency and activation traffic.")
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "int8"]), default="fp32",
              show_default=True, help="Element size for memory traffic.")
@click.option("--crosscheck", is_flag=True,
              help="Also show fvcore's and thop's counts of the built module.")
@backends_option
@click.option("--repeat-process", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Repeat the measurement in N fresh processes; report the median and the "
                   "spread (max - min) between processes.")
@output_options()
def profile(groups, scales, presets, spec_files, resolution, baseline, latency, threads,
            batch_size, dtype, crosscheck, backends, repeat_process, fmt, output) -> None:
    """Params, MACs, memory traffic and latency of ShuffleNets vs a MobileNet v1 baseline.

    \b
    Examples:
      shufflenet-cli profile --groups 1,2,3,4,8
      shufflenet-cli profile --scale 0.5,1 --groups 3,8 --no-latency
      shufflenet-cli profile --preset shufflenet-2x-g3 --baseline mobilenet-v1-1.0
      shufflenet-cli profile --spec my-net.yaml --format json -o out.json
    """
    from .profile import profile_networks, resolve_networks

    from .backends import check_backend_name

    backends = [check_backend_name(b) for b in backends] or ["eager"]
    specs = resolve_networks(groups, scales, presets, spec_files, resolution)
    progress = None
    ctx = None
    if latency:
        from .latency import DEFAULT_WINDOWS

        n = len(specs) + 1
        steps = repeat_process if repeat_process > 1 else n * (DEFAULT_WINDOWS + 1)
        ctx, progress = progress_bar(steps * len(backends), "measuring latency")
    if ctx is not None:
        with ctx:
            result = profile_networks(specs, baseline=baseline, latency=latency,
                                      threads=threads, batch_size=batch_size, dtype=dtype,
                                      crosscheck=crosscheck, backends=backends,
                                      repeat_process=repeat_process, progress=progress)
    else:
        result = profile_networks(specs, baseline=baseline, latency=False, threads=threads,
                                  batch_size=batch_size, dtype=dtype, crosscheck=crosscheck)
    columns = list(PROFILE_COLUMNS)
    if not latency:
        columns = [c for c in columns if not c.key.startswith("latency")]
    elif len(backends) > 1:
        at = next(i for i, c in enumerate(columns) if c.key == "latency_rel") + 1
        columns[at - 2] = Column("latency_ms", f"{backends[0]} (ms)", _latency)
        columns[at:at] = [Column(f"latency_{b}", f"{b} (ms)", _backend_cell(b))
                          for b in backends[1:]]
    if crosscheck:
        columns += CROSSCHECK_COLUMNS
    emit(result.rows, columns, fmt, output, footer=result.footer)


OUTLINE_COLUMNS = [
    Column("stage", "layer", justify="left"),
    Column("output_size", "output size"),
    Column("kernel", "ksize"),
    Column("stride", "stride"),
    Column("repeat", "repeat"),
    Column("out_channels", "output channels"),
    Column("groups", "g"),
    Column("bottleneck", "bottleneck"),
]
LAYER_COLUMNS = [
    Column("layer", "layer", justify="left"),
    Column("kind", "kind", justify="left"),
    Column("in_shape", "in (CxHxW)"),
    Column("out_shape", "out (CxHxW)"),
    Column("params", "params"),
    Column("macs", "MACs (M)", millions(3)),
    Column("memory_bytes_eager", "eager (KB)", lambda v, r: f"{v / 1e3:.1f}"),
    Column("memory_bytes_fused", "fused (KB)", lambda v, r: f"{v / 1e3:.1f}"),
]


@cli.command()
@click.argument("network")
@click.option("--resolution", type=click.IntRange(1, None), help="Input size (default 224).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=1, show_default=True,
              help="Batch size for activation traffic.")
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "int8"]), default="fp32",
              show_default=True, help="Element size for memory traffic.")
@click.option("--layers/--no-layers", default=True, show_default=True,
              help="Show the per-layer breakdown after the outline.")
@output_options(FORMATS + ("yaml",))
def show(network, resolution, batch_size, dtype, layers, fmt, output) -> None:
    """Show NETWORK (a preset name or a YAML file) in Table 1's layout, then layer by layer.

    --format yaml prints the full explicit spec, ready to edit and pass to --spec.
    """
    import json

    from .cost import CONVENTIONS, analyze
    from .plan import outline
    from .presets import load_spec
    from .spec import spec_to_dict, with_resolution

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    if fmt == "yaml":
        import yaml

        text = yaml.safe_dump(spec_to_dict(spec), sort_keys=False)
        write_text(text, output)
        return
    a = analyze(spec, batch_size, dtype)
    head = [{"stage": "image", "output_size": f"{spec.resolution}x{spec.resolution}",
             "out_channels": spec.in_channels, "kernel": "", "repeat": None}]
    rows = head + outline(a.plan)
    layer_rows = a.layers.to_dict("records") if layers else []
    totals = (f"{spec.name}: params {a.params:,}; MACs {a.macs / 1e6:.2f} M (conv-only "
              f"{a.macs_conv / 1e6:.2f} M); memory traffic {a.memory_bytes_eager / 1e6:.1f} MB "
              f"eager, {a.memory_bytes_fused / 1e6:.1f} MB fused ({dtype}, batch {batch_size})")
    footer = [totals] + ([f"Channels: {spec.rule}."] if spec.rule else []) + \
        [f"Counting: {CONVENTIONS}."]
    if fmt == "json":
        doc = {"spec": spec_to_dict(spec), "params": a.params, "macs": a.macs,
               "macs_conv": a.macs_conv, "memory_bytes_eager": a.memory_bytes_eager,
               "memory_bytes_fused": a.memory_bytes_fused, "outline": rows,
               "layers": layer_rows}
        text = json.dumps(doc, indent=2) + "\n"
        write_text(text, output)
        return
    if fmt == "csv":
        emit(layer_rows or rows, LAYER_COLUMNS if layers else OUTLINE_COLUMNS, fmt, output)
        return
    if fmt == "markdown":
        from .tables import markdown_table

        text = markdown_table(rows, OUTLINE_COLUMNS, title=f"{spec.name} (Table 1 layout)")
        if layers:
            text += "\n" + markdown_table(layer_rows, LAYER_COLUMNS, title="Per layer")
        text += "\n" + "\n".join(f"{line}  " for line in footer) + "\n"
        write_text(text, output)
        return
    console = _console(output)
    render(rows, OUTLINE_COLUMNS, "table", title=f"{spec.name} (Table 1 layout)",
           console=console)
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
    from .cost import totals
    from .presets import list_presets, load_preset

    rows = []
    for name in list_presets(pattern):
        spec = load_preset(name)
        t = totals(spec)
        rows.append({"name": name, "family": spec.family, "groups": spec.groups,
                     "stage_channels": list(spec.stage_channels), "resolution": spec.resolution,
                     "params": t.params, "macs": t.macs, "macs_conv": t.macs_conv,
                     "paper_mflops": spec.paper.mflops if spec.paper else None,
                     "paper_top1_err": spec.paper.top1_err if spec.paper else None,
                     "source": spec.paper.source if spec.paper else ""})
    if not rows:
        raise UserError(f"pattern: no preset matches {pattern!r}")
    columns = [Column("name", "preset", justify="left"), Column("groups", "g"),
               Column("stage_channels", "stage channels"), Column("resolution", "res"),
               Column("params", "params (M)", millions(3)), Column("macs", "MACs (M)", millions(2)),
               Column("macs_conv", "conv MACs (M)", millions(2)),
               Column("paper_mflops", "paper MFLOPs", decimals(0)),
               Column("paper_top1_err", "paper top-1 err %", decimals(1))]
    emit(rows, columns, fmt, output)


@cli.command()
@click.argument("network")
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Torch intra-op threads.")
@click.option("--runs", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Profiled forward passes (after 3 warm-up passes).")
@click.option("--resolution", type=click.IntRange(1, None), help="Input size (default 224).")
@click.option("--by", type=click.Choice(["kind", "stage", "layer"]), default="kind",
              show_default=True,
              help="Group the measured time by op kind, by stage, or by layer (each conv, BN, "
                   "ReLU, pooling and FC module; shuffle, add and concat are in kind and stage "
                   "only).")
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
    from .breakdown import op_breakdown
    from .cost import analyze
    from .presets import load_spec
    from .spec import with_resolution

    spec = load_spec(network)
    if resolution:
        spec = with_resolution(spec, resolution)
    result = op_breakdown(spec, threads=threads, runs=runs)
    a = analyze(spec)
    if by == "kind":
        cost = a.by_kind().set_index("kind")
        rows = [{**r, "macs_share": float(cost["macs"].get(r["kind"], 0)) / a.macs,
                 "traffic_share": float(cost["memory_bytes_eager"].get(r["kind"], 0))
                 / a.memory_bytes_eager} for r in result["by_kind"]]
        columns = [Column("label", "op kind", justify="left"),
                   Column("ms", "time (ms)", decimals(3)),
                   Column("share", "share of time", _percent),
                   Column("macs_share", "share of MACs", _percent),
                   Column("traffic_share", "share of traffic", _percent)]
    elif by == "layer":
        rows = result["by_layer"]
        columns = [Column("layer", "layer", justify="left"),
                   Column("kind", "kind", justify="left"),
                   Column("ms", "time (ms)", decimals(3)),
                   Column("share", "share of time", _percent)]
    else:
        rows = result["by_stage"]
        columns = [Column("stage", "stage", justify="left"),
                   Column("ms", "time (ms)", decimals(3)),
                   Column("share", "share of time", _percent)]
    footer = [f"{spec.name}: {result['total_ms']:.2f} ms per forward pass under torch.profiler "
              f"({runs} runs, {threads} thread(s), eager); the profiler adds a few microseconds "
              "per op, which inflates cheap ops."]
    emit(rows, columns, fmt, output, title=f"Where the time goes: {spec.name}", footer=footer)


@cli.command()
@network_options
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Threads for calibration and timing.")
@backends_option
@click.option("--by", type=click.Choice(["network", "layer"]), default="network",
              show_default=True,
              help="network: bound vs measured latency per network and backend; layer: bound "
                   "vs profiled time of every conv and FC layer (eager, torch.profiler).")
@click.option("--quick", is_flag=True, help="Short calibration (fewer sizes, less timing).")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Write the roofline plot (HTML that opens offline) to this file.")
@output_options()
def roofline(groups, scales, presets, spec_files, resolution, threads, backends, by, quick,
             plot, fmt, output) -> None:
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
    from .backends import check_backend_name
    from .errors import UserError
    from .latency import DEFAULT_WINDOWS
    from .profile import resolve_networks
    from .roofline import (bound_vs_measured, cache_dir, calibrate, op_kind_points,
                           roofline_figure)
    from .tables import check_output_path

    backends = [check_backend_name(b) for b in backends] or ["eager"]
    if by == "layer" and backends != ["eager"]:
        raise UserError("--by layer profiles the eager module; drop --backend (or use --by "
                        "network)")
    if plot:
        check_output_path(plot)
    specs = resolve_networks(groups, scales, presets, spec_files, resolution)
    calib = calibrate(threads, quick=quick)
    if by == "layer":
        _roofline_layers(specs, calib, threads, plot, fmt, output)
        return
    ctx, progress = progress_bar(len(specs) * (DEFAULT_WINDOWS + 1) * len(backends),
                                 "measuring latency")
    with ctx:
        rows = bound_vs_measured(specs, calib, backends, threads, progress)
    columns = [Column("name", "network", justify="left"),
               Column("backend", "backend", justify="left"),
               Column("measured_ms", "measured (ms)", decimals(2)),
               Column("bound_ms", "bound (ms)", decimals(2)),
               Column("compute_ms", "compute (ms)", decimals(2)),
               Column("memory_ms", "memory (ms)", decimals(2)),
               Column("memory_bound_share", "memory-bound share", _percent),
               Column("efficiency", "bound / measured", _percent)]
    bws = ", ".join(f"{int(k) >> 10} KiB {v:.0f}" for k, v in calib["bandwidth_gbs"].items())
    footer = [f"Calibration: peak {calib['peak_gflops']:.1f} GFLOP/s (best fp32 matmul or 1x1 "
              f"conv kernel), bandwidth "
              f"GB/s by working set: {bws}; {threads} thread(s), cached in {cache_dir()}.",
              "Bound per layer = max(2 x MACs / peak, traffic bytes / bandwidth at the layer's "
              "working set), traffic eager for eager and channels_last, fused (BN folded; ReLU, "
              "shuffle and residual adds fused; concats in place) for torchscript, compile and "
              "onnxruntime; a low "
              "bound/measured share is time the hardware does not explain (op overhead, cache "
              "misses, kernels below peak)."]
    footer += [f"{r['name']}: {r['backend']} could not run it: {r['error']}" for r in rows
               if r["error"]]
    if plot:
        kinds = [p for spec in specs for p in op_kind_points(spec, calib, threads)]
        figure = roofline_figure([r for r in rows if r["measured_ms"]], calib, kinds)
        write_atomic(plot, figure.to_html(include_plotlyjs=True))
        footer.append(f"Roofline plot written to {plot}: one point per network and backend, "
                      "and per op kind with multiply-adds (eager, torch.profiler).")
    emit(rows, columns, fmt, output, title="Roofline bound vs measured latency", footer=footer)


def _roofline_layers(specs, calib, threads, plot, fmt, output) -> None:
    """``roofline --by layer``: every conv and FC layer's bound beside its profiled time."""
    from .roofline import cache_dir, layer_efficiency, roofline_figure

    rows = [r for spec in specs for r in layer_efficiency(spec, calib, threads)]
    columns = [Column("name", "network", justify="left"),
               Column("layer", "layer", justify="left"),
               Column("kind", "kind", justify="left"),
               Column("flops", "MFLOPs", lambda v, _r: f"{v / 1e6:.1f}"),
               Column("bound_ms", "bound (ms)", decimals(3)),
               Column("profiled_ms", "profiled (ms)", decimals(3)),
               Column("gflops", "GFLOP/s", decimals(1)),
               Column("efficiency", "bound / profiled", _percent)]
    footer = [f"Calibration: peak {calib['peak_gflops']:.1f} GFLOP/s, cached in {cache_dir()}. "
              "Profiled = torch.profiler's CPU time inside the layer's module (eager, "
              f"{threads} thread(s)), which adds a few microseconds per op; bound = max(2 x MACs "
              "/ peak, eager traffic / bandwidth at the layer's working set)."]
    if plot:
        points = [{**r, "name": f"{r['name']} {r['layer']}", "measured_ms": r["profiled_ms"],
                   "backend": "eager (profiled layers)"} for r in rows]
        write_atomic(plot, roofline_figure(points, calib).to_html(include_plotlyjs=True))
        footer.append(f"Roofline plot written to {plot}: one point per layer.")
    emit(rows, columns, fmt, output, title="Roofline bound vs profiled time, per layer",
         footer=footer)


def _percent(v, _row) -> str:
    return "-" if v is None else f"{v:.0%}"


# Commands defined in their own modules register themselves on `cli` when imported.
# (one import line per module below this comment)
from . import cli_report  # noqa: E402,F401
from . import cli_search  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    cli.main()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["cli", "main"]
