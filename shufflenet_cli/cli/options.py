"""Options shared by commands, declared once (pip-tools' habit), and the one way to emit rows."""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Sequence

import click

from ..explore.search import MAX_CANDIDATES
from ..files import write_atomic
from ..model.formulations import FORMULATION_NAMES
from ..present.tables import FORMATS
from ..present.tables import infer_format
from ..present.tables import render

_TABLE_VIEW = "shufflenet_cli.table_view"  # ctx.meta key: --wide and --columns, read by emit


def _list_of(convert: Callable, what: str) -> Callable:
    def parse(ctx, param, value):
        if value is None or value == ():
            return []
        parts = []
        for chunk in value if isinstance(value, tuple) else (value,):
            parts += [p.strip() for p in str(chunk).split(",") if p.strip()]
        if not parts:  # `--groups ''` must not silently mean the defaults
            raise click.BadParameter(f"empty; give {what}, comma-separated")
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


def _remember_view(ctx, param, value):
    ctx.meta.setdefault(_TABLE_VIEW, {})[param.name] = value


def table_view() -> dict:
    """--wide and --columns of the running command, as ``render``'s keyword arguments."""
    ctx = click.get_current_context(silent=True)
    view = ctx.meta.get(_TABLE_VIEW, {}) if ctx is not None else {}
    keys = [k.strip() for k in (view.get("columns") or "").split(",") if k.strip()]
    return {"wide": bool(view.get("wide")), "keys": keys}


_VIEW_OPTIONS = (
    (
        "--columns",
        dict(
            metavar="KEYS",
            help="Columns to show, by row key, comma-separated (e.g. name,macs,latency_ms).",
        ),
    ),
    (
        "--wide",
        dict(is_flag=True, help="Show every column in a terminal (default: the ones that fit)."),
    ),
)


def output_options(formats: Sequence[str] = FORMATS) -> Callable:
    """--format, --output, --wide and --columns, declared once for every command; the
    command receives the format inferred from -o's suffix when --format is not given."""

    def decorate(command):
        @functools.wraps(command)
        def with_format(*args, fmt, output, **kwargs):
            return command(*args, fmt=infer_format(output, fmt, formats), output=output, **kwargs)

        f = with_format
        for flag, settings in _VIEW_OPTIONS:  # read by emit from ctx.meta, not passed on
            f = click.option(flag, expose_value=False, callback=_remember_view, **settings)(f)
        f = click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False),
            help="Write to this file (atomically) instead of stdout.",
        )(f)
        f = click.option(
            "--format",
            "fmt",
            type=click.Choice(list(formats)),
            help="Output format (default: from -o's suffix .json, .csv, .md; else table).",
        )(f)
        return f

    return decorate


def emit(
    rows, columns, fmt: str, output: str | None, *, title: str = "", footer: Sequence[str] = ()
) -> None:
    """Render rows to stdout or, atomically, to ``output``."""
    if output:
        from ..files import check_output_path

        check_output_path(output)
    if fmt == "table":
        console = _console(output)
        render(rows, columns, fmt, title=title, footer=footer, console=console, **table_view())
        if not output:
            return
        text = console.export_text()
    else:
        text = render(rows, columns, fmt, title=title, footer=footer, **table_view())
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


def emit_sections(sections, fmt: str, output: str | None, *, footer: Sequence[str] = ()) -> None:
    """Several titled tables (``(title, rows, columns)``) as one table or Markdown text."""
    from ..present.tables import markdown_table

    if fmt == "markdown":
        text = "\n".join(markdown_table(rows, cols, title=title) for title, rows, cols in sections)
        text += "\n" + "\n".join(f"{line}  " for line in footer) + "\n"
        write_text(text, output)
        return
    console = _console(output)
    view = table_view()
    for i, (title, rows, cols) in enumerate(sections):  # --columns picks the last table's
        keys = view["keys"] if i == len(sections) - 1 else ()
        render(rows, cols, "table", title=title, console=console, wide=view["wide"], keys=keys)
    for line in footer:
        console.print(line, style="dim", highlight=False, markup=False)
    if output:
        write_text(console.export_text(), output)


def write_text(text: str, output: str | None) -> None:
    """Text to stdout, or atomically to ``output`` with a note on stderr."""
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def with_progress(steps: int, fn: Callable, *args, **kwargs):
    """``fn(*args, progress=..., **kwargs)`` under a progress bar of ``steps`` steps, or
    ``fn(*args, **kwargs)`` when there is nothing to measure (``steps`` 0)."""
    if not steps:
        return fn(*args, **kwargs)
    ctx, progress = progress_bar(steps, "measuring latency")
    with ctx:
        return fn(*args, progress=progress, **kwargs)


def progress_bar(total: int, description: str):
    """A rich progress bar on stderr; returns (context manager, advance callback)."""
    from rich.console import Console
    from rich.progress import BarColumn
    from rich.progress import MofNCompleteColumn
    from rich.progress import Progress
    from rich.progress import TextColumn
    from rich.progress import TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(description, total=total, step="")

    def advance(step: str) -> None:
        progress.update(task, advance=1, step=step)

    return progress, advance


def _groups_list(ctx, param, value):
    """--groups: an explicit empty value is a mistake, not 'the defaults'."""
    if value is not None and not str(value).strip(",").strip():
        raise click.BadParameter("give at least one group count, e.g. 1,2,3,4,8")
    return _list_of(_int, "a positive whole number")(ctx, param, value)


_WIDTHS = _list_of(_scale, "a positive number")
_DTYPES = click.Choice(["fp32", "fp16", "int8"])


def _dtype(text: str) -> str:
    if text not in _DTYPES.choices:
        raise ValueError(text)
    return text


# Every option a command may take, declared once: name -> (flags, settings), and its help in
# HELP. Commands pick them by name with ``options(...)``; a keyword there changes a setting.
_IDS = click.IntRange
OPTIONS: dict[str, tuple[tuple[str, ...], dict]] = {
    "groups": (("--groups",), dict(callback=_groups_list)),
    "scales": (("--scale", "--scales", "scales"), dict(callback=_WIDTHS)),
    "presets": (("--preset", "presets"), dict(multiple=True)),
    "spec_files": (("--spec", "spec_files"), dict(multiple=True, type=click.Path())),
    "resolution": (("--resolution",), dict(type=_IDS(1, 8192))),
    "baseline": (("--baseline",), dict(default="auto", show_default=True)),
    "mobilenet_widths": (
        ("--mobilenet-widths",),
        dict(callback=_WIDTHS, default="1,0.75,0.5,0.25"),
    ),
    "latency": (("--latency/--no-latency",), dict(default=True, show_default=True)),
    "backends": (
        ("--backend", "backends"),
        dict(default="eager", callback=_list_of(str, "a name")),
    ),
    "threads": (("--threads",), dict(type=_IDS(1, 256))),
    "batch_size": (("--batch-size",), dict(type=_IDS(1, 4096))),
    "windows": (("--windows",), dict(type=_IDS(1, 1000))),
    "window_time": (("--window-time",), dict(type=click.FloatRange(0.001, 60))),
    "warmup_time": (("--warmup-time",), dict(type=click.FloatRange(0.001, 60))),
    "repeat_process": (("--repeat-process",), dict(type=_IDS(1, 100))),
    "dtype": (("--dtype",), dict(type=_DTYPES, default="fp32", show_default=True)),
    "formulation": (("--formulation",), dict(type=click.Choice(FORMULATION_NAMES))),
    "pair_dtypes": (("--pair-dtypes",), dict(callback=_list_of(_dtype, "fp32, fp16 or int8"))),
    "breakdown_backend": (
        ("--backend", "backend"),
        dict(
            type=click.Choice(["eager", "executorch", "onnxruntime", "ncnn"]),
            default="eager",
            show_default=True,
        ),
    ),
    "crosscheck": (("--crosscheck",), dict(is_flag=True)),
    "layers": (("--layers/--no-layers",), dict(default=True, show_default=True)),
    "runs": (("--runs",), dict(type=_IDS(1, 1000), default=10, show_default=True)),
    "breakdown_by": (
        ("--by", "by"),
        dict(type=click.Choice(["kind", "stage", "layer"]), default="kind"),
    ),
    "roofline_by": (
        ("--by", "by"),
        dict(type=click.Choice(["network", "layer"]), default="network"),
    ),
    "quick": (("--quick",), dict(is_flag=True)),
    "recalibrate": (("--recalibrate",), dict(is_flag=True)),
    "plot": (("--plot",), dict(type=click.Path(dir_okay=False))),
    "breakdown": (("--breakdown",), dict(multiple=True)),
    "breakdown_runs": (("--breakdown-runs",), dict(type=_IDS(1, 1000), default=10)),
    "png": (("--png",), dict(is_flag=True)),
    "out": (("--out",), dict(default="reports/latest", show_default=True, type=click.Path())),
    "strategy": (("--strategy",), dict(type=click.Choice(["grid", "random", "nsga2"]))),
    "trials": (("--trials",), dict(type=_IDS(1, MAX_CANDIDATES))),
    "seed": (("--seed",), dict(type=int)),
    "measure_top": (("--measure-top",), dict(type=_IDS(0, 10_000))),
    "store": (("--store",), dict(type=click.Path())),
    "resume": (("--resume",), dict(is_flag=True)),
    "write_specs": (("--write-specs",), dict(type=click.Path(file_okay=False))),
    "force": (("--force",), dict(is_flag=True)),
    "latency_from": (
        ("--latency-from", "latency_from"),
        dict(multiple=True, type=click.Path(dir_okay=False)),
    ),
    "ray": (("--ray",), dict(metavar="ADDRESS")),
    "device": (("--device",), dict(metavar="LABEL")),
    "ray_wait": (("--ray-wait",), dict(type=click.FloatRange(0.1, 3600), default=30.0)),
    "predict": (("--predict",), dict(is_flag=True)),
    "validate_n": (("--validate", "validate_n"), dict(type=_IDS(0, 1000), default=0)),
    "cache_dir": (("--cache", "cache_dir"), dict(type=click.Path(file_okay=False))),
}
HELP = {
    "groups": "Group counts, comma-separated (e.g. 1,2,3,4,8); Table 1's channels for "
    "1,2,3,4,8, other counts by the complexity rule.",
    "scales": "Width scales, comma-separated (e.g. 0.5,1,2); default 1. (--scales: old spelling.)",
    "presets": "A preset or rule name (repeatable); see `shufflenet-cli presets`.",
    "spec_files": "A YAML spec file (repeatable).",
    "resolution": "Input size for every network (default: each spec's own, 224).",
    "baseline": "MobileNet v1 partner: auto (the width closest in MACs), none, a preset, a "
    "YAML file or a width such as 0.5.",
    "mobilenet_widths": "MobileNet v1 widths to include ('' for none; default 1,0.75,0.5,0.25).",
    "latency": "Measure CPU latency (--no-latency is analytic only and never imports torch).",
    "backends": "Inference backends, comma-separated (eager, channels_last, torchscript, "
    "compile, onnxruntime, executorch, ncnn; default eager): the first fills the latency "
    "column and drives ratios, each other adds a column. Outputs are first checked against eager.",
    "threads": "Torch intra-op threads (default 1).",
    "batch_size": "Batch size for latency and activation traffic (default 1).",
    "windows": "Interleaved timing windows (default: the protocol's 20).",
    "window_time": "Seconds per network per window (default: the protocol's 0.1).",
    "warmup_time": "Seconds of warm-up per network (default: the protocol's 0.3).",
    "repeat_process": "Repeat the measurement in N fresh processes; report the median and the "
    "spread (max - min) between them.",
    "dtype": "Element size for memory traffic; with latency, the precision the backends "
    "run: int8 (executorch: XNNPACK pt2e quantizer; onnxruntime: static QDQ; calibrated on "
    "generated inputs) or fp16 where a runtime has the kernels, else the cell says why.",
    "pair_dtypes": "Also time the paper's matched pairs (ShuffleNet vs the MobileNet of equal "
    "complexity) at these precisions on every backend, comma-separated (e.g. fp32,int8), for "
    "plot j: the ShuffleNet / MobileNet latency ratio per runtime and dtype.",
    "breakdown_backend": "eager: torch.profiler by op kind, stage or layer; executorch, "
    "onnxruntime, ncnn: the delegation report (which ops ran in XNNPACK or fused ORT kernels, "
    "which fell back, and the runtime profiler's time per op).",
    "formulation": "How ShuffleNet's channel shuffle and stride-2 shortcut pool are written: "
    "paper (default; 5-D view-transpose, padded AvgPool2d), deploy (4-D permute, zero pad + "
    "unpadded pool: same outputs, every op delegable to XNNPACK in fp32) or deploy-conv (4-D "
    "permute, the pool as a fixed 1/9 depthwise conv: delegable in int8 too).",
    "crosscheck": "Also show fvcore's and thop's counts of the built module.",
    "layers": "Show the per-layer breakdown after the outline.",
    "runs": "Profiled forward passes (after 3 warm-up passes).",
    "breakdown_by": "Group the measured time by op kind (default), stage, or layer (each "
    "module; shuffle, add and concat are in kind and stage only).",
    "roofline_by": "network (default): bound vs measured latency per network and backend; "
    "layer: bound vs profiled time of every conv and FC layer (eager, torch.profiler).",
    "quick": "Short calibration (fewer sizes, less timing).",
    "recalibrate": "Measure this machine's peak and bandwidth again and replace the cached "
    "calibration.",
    "plot": "Write the plot (HTML that opens offline) to this file.",
    "breakdown": "Also split this network's runtime by op kind (repeatable); ShuffleNet 1x g3 "
    "and MobileNet 0.5 always are.",
    "breakdown_runs": "Profiled inferences per breakdown (default 10).",
    "png": "Also write PNGs of the plots (needs kaleido).",
    "out": "Report folder (replaced atomically if it is an earlier report).",
    "strategy": "How candidates are drawn (default: the space's, else grid).",
    "trials": "Candidates to draw for random and nsga2 (default: the space's, else 1000; "
    f"at most {MAX_CANDIDATES:,}, as a grid).",
    "seed": "Random seed: same seed, same candidates (default 0).",
    "measure_top": "Phase 2 measures this many candidates, best analytic Pareto ranks first "
    "(default: the analytic front, at most 32).",
    "store": "SQLite file keeping every evaluated candidate.",
    "resume": "Continue the search kept in --store.",
    "write_specs": "Write each front member's spec as YAML into this folder (for --spec).",
    "force": "With --write-specs: replace spec files of the same name.",
    "latency_from": "Latency measured on another device: a results JSON of an exported "
    "bundle's measure.py (repeatable, one column each, matched by architecture). Nothing is "
    "measured here then unless --backend is given.",
    "ray": "Measure on a Ray cluster: the head's host:port, or auto (pip install "
    "'shufflenet-cli[cluster]'; docs/ray-fleet.md).",
    "device": "With --ray: measure on the nodes carrying the custom resource device:LABEL.",
    "ray_wait": "Seconds to wait for the cluster and a node with the label (default 30).",
    "predict": "Add latency_predicted_ms from this machine's calibration (`shufflenet-cli "
    "calibrate`; kernels it lacks are measured first); with --no-latency, prediction alone.",
    "validate_n": "Then predict and measure N random held-out networks and report the accuracy "
    "(share within 5% and 10%, RMSE, Spearman).",
    "cache_dir": "Folder of the latency calibration (default: the user's cache, "
    "$XDG_CACHE_HOME/shufflenet-cli/latency).",
}


def options(*names: str, **changes: dict) -> Callable:
    """Decorate a command with the named options of ``OPTIONS`` (in that order in --help);
    ``changes`` maps a name to settings that differ for this command."""

    def decorate(f):
        for name in reversed(names):
            flags, settings = OPTIONS[name]
            settings = {"help": HELP[name], **settings, **changes.get(name, {})}
            f = click.option(*flags, **settings)(f)
        return f

    return decorate


NETWORK_SETTINGS = ("groups", "scales", "presets", "spec_files", "resolution")


def network_options(default_groups: str | None = None, default_scales: str | None = None):
    """--groups/--scale/--preset/--spec/--resolution: which networks a command works on; the
    command receives them as one ``networks`` dict (``resolve_networks(**networks)``).
    ``report`` gives other defaults (its sweep)."""
    groups = dict(default=default_groups, show_default=default_groups is not None)
    scales = dict(default=default_scales, show_default=default_scales is not None)

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            kwargs["networks"] = {k: kwargs.pop(k) for k in NETWORK_SETTINGS}
            return f(*args, **kwargs)

        return options(*NETWORK_SETTINGS, groups=groups, scales=scales)(wrapper)

    return decorate


PROTOCOL_SETTINGS = (
    "threads",
    "batch_size",
    "windows",
    "window_time",
    "warmup_time",
    "repeat_process",
    "formulation",
)


def protocol_options(batch: bool = True, repeat: bool = True, latency: bool = True) -> Callable:
    """The latency protocol's options, declared once: --latency/--no-latency, --backend,
    --threads, --batch-size, --windows, --window-time, --warmup-time, --repeat-process.
    The command receives ``protocol`` (a ``measure.protocol.Protocol``), ``backends`` (a list)
    and, when ``latency``, ``latency`` (bool)."""
    skip = {"batch_size": not batch, "repeat_process": not repeat, "latency": not latency}
    names = [n for n in ("latency", "backends", *PROTOCOL_SETTINGS) if not skip.get(n)]

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            from ..measure.protocol import Protocol

            settings = {k: kwargs.pop(k, None) for k in PROTOCOL_SETTINGS}
            kwargs["protocol"] = Protocol.make(**settings)
            return f(*args, **kwargs)

        return options(*names)(wrapper)

    return decorate


FLEET_SETTINGS = ("ray", "device", "ray_wait")


def fleet_options(f):
    """--ray, --device, --ray-wait: measure on a Ray cluster's nodes labelled device:LABEL.
    The command receives ``fleet`` (an ``explore.fleet.Fleet``, or None)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from ..errors import UserError

        address, label, wait = (kwargs.pop(k) for k in FLEET_SETTINGS)
        if label and not address:
            raise UserError("device: --device names a Ray node label; give --ray ADDRESS too")
        if address and not label:
            raise UserError("ray: --ray needs --device LABEL (the nodes' device:LABEL resource)")
        fleet = None
        if address:
            from ..explore.fleet import Fleet

            fleet = Fleet(address, label, wait)
        return f(*args, fleet=fleet, **kwargs)

    return options(*FLEET_SETTINGS)(wrapper)


def sources_options(f):
    """Where latency comes from besides this machine's timing: --latency-from FILE, a Ray
    fleet (--ray, --device, --ray-wait) and the predictor (--predict, --cache). The command
    receives them as one ``sources`` dict (``latency_from``, ``fleet``, ``predict``,
    ``cache_dir``)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        names = ("latency_from", "fleet", "predict", "cache_dir")
        kwargs["sources"] = {k: kwargs.pop(k) for k in names}
        return f(*args, **kwargs)

    return options("latency_from")(fleet_options(options("predict", "cache_dir")(wrapper)))


def latency_backends(
    backends: Sequence[str], latency_from: Sequence[str], latency: bool = True
) -> list[str]:
    """The backends to measure here: none when results files are given and --backend was
    not (the files are the latency), else the given ones (default eager)."""
    if latency_from and not latency:
        from ..errors import UserError

        raise UserError("latency-from: --no-latency leaves out the latency --latency-from gives")
    ctx = click.get_current_context(silent=True)
    given = ctx is not None and ctx.get_parameter_source("backends") not in (
        click.core.ParameterSource.DEFAULT,
        None,
    )
    if latency_from and not given:
        return []
    return list(backends) or ["eager"]
