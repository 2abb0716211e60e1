"""Options shared by commands, declared once (pip-tools' habit), and the one way to emit rows."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import click

from ..files import write_atomic
from ..present.tables import FORMATS, render


def _list_of(convert: Callable, what: str) -> Callable:
    def parse(ctx, param, value):
        if value is None or value == ():
            return []
        parts = []
        for chunk in value if isinstance(value, tuple) else (value,):
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
            default="table",
            show_default=True,
            help="Output format.",
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


def emit_sections(sections, fmt: str, output: str | None, *, footer: Sequence[str] = ()) -> None:
    """Several titled tables (``(title, rows, columns)``) as one table or Markdown text."""
    from ..present.tables import markdown_table

    if fmt == "markdown":
        text = "\n".join(markdown_table(rows, cols, title=title) for title, rows, cols in sections)
        text += "\n" + "\n".join(f"{line}  " for line in footer) + "\n"
        write_text(text, output)
        return
    console = _console(output)
    for title, rows, cols in sections:
        render(rows, cols, "table", title=title, console=console)
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


def progress_bar(total: int, description: str):
    """A rich progress bar on stderr; returns (context manager, advance callback)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


def network_options(
    default_groups: str | None = None, default_scales: str | None = None
) -> Callable:
    """--groups/--scale/--preset/--spec/--resolution: which networks a command works on.

    One definition for every command; ``report`` gives other defaults (its sweep). The old
    spelling ``--scales`` is kept as a hidden alias.
    """

    def decorate(f):
        f = click.option(
            "--resolution",
            type=click.IntRange(1, 8192),
            help="Input size for every network (default: each spec's own, 224).",
        )(f)
        f = click.option(
            "--spec",
            "spec_files",
            multiple=True,
            type=click.Path(),
            help="A YAML spec file (repeatable).",
        )(f)
        f = click.option(
            "--preset",
            "presets",
            multiple=True,
            help="A preset or rule name (repeatable); see `shufflenet-cli presets`.",
        )(f)
        f = click.option(
            "--scale",
            "--scales",
            "scales",
            callback=_list_of(_scale, "a positive number"),
            default=default_scales,
            show_default=default_scales is not None,
            help="Width scales, comma-separated (e.g. 0.5,1,2)."
            + ("" if default_scales else " Default 1."),
        )(f)
        f = click.option(
            "--groups",
            callback=_groups_list,
            default=default_groups,
            show_default=default_groups is not None,
            help="Group counts, comma-separated (e.g. 1,2,3,4,8). Table 1's channels "
            "for 1,2,3,4,8; other counts by the complexity rule.",
        )(f)
        return f

    return decorate


def baseline_option(help_text: str) -> Callable:
    """--baseline: the MobileNet v1 each network is set beside."""
    return click.option("--baseline", default="auto", show_default=True, help=help_text)


def protocol_options(batch: bool = True, repeat: bool = True, latency: bool = True) -> Callable:
    """The latency protocol's options, declared once: --latency/--no-latency, --threads,
    --batch-size, --windows, --window-time, --warmup-time, --repeat-process and --backend.
    The command receives ``protocol`` (a ``measure.protocol.Protocol``), ``backends`` (a list)
    and, when ``latency``, ``latency`` (bool)."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            from ..measure.protocol import Protocol

            settings = {
                k: kwargs.pop(k, None)
                for k in (
                    "threads",
                    "batch_size",
                    "windows",
                    "window_time",
                    "warmup_time",
                    "repeat_process",
                )
            }
            kwargs["protocol"] = Protocol.make(**settings)
            return f(*args, **kwargs)

        g = wrapper
        if repeat:
            g = click.option(
                "--repeat-process",
                type=click.IntRange(1, 100),
                default=None,
                help="Repeat the measurement in N fresh processes; report the median and the "
                "spread (max - min) between processes.",
            )(g)
        g = click.option(
            "--warmup-time",
            type=click.FloatRange(0.001, 60),
            default=None,
            help="Seconds of warm-up per network (default: the protocol's 0.3).",
        )(g)
        g = click.option(
            "--window-time",
            type=click.FloatRange(0.001, 60),
            default=None,
            help="Seconds per network per window (default: the protocol's 0.1).",
        )(g)
        g = click.option(
            "--windows",
            type=click.IntRange(1, 1000),
            default=None,
            help="Interleaved timing windows (default: the protocol's 20).",
        )(g)
        if batch:
            g = click.option(
                "--batch-size",
                type=click.IntRange(1, 4096),
                default=None,
                help="Batch size for latency and activation traffic (default 1).",
            )(g)
        g = click.option(
            "--threads",
            type=click.IntRange(1, 256),
            default=None,
            help="Torch intra-op threads while timing (default 1).",
        )(g)
        g = backends_option(g)
        if latency:
            g = click.option(
                "--latency/--no-latency",
                default=True,
                show_default=True,
                help="Measure CPU latency (--no-latency is analytic only and never imports torch).",
            )(g)
        return g

    return decorate


backends_option = click.option(
    "--backend",
    "backends",
    default="eager",
    show_default=True,
    callback=_list_of(str, "a backend"),
    help="Inference backends, comma-separated (eager, channels_last, torchscript, compile, "
    "onnxruntime): the first fills the latency column and drives ratios, each other adds a "
    "column. Each network's output is first checked against eager.",
)
