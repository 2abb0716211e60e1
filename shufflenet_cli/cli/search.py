"""The ``search`` command: a thin layer over ``shufflenet_cli.search``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import UserError
from ..files import write_atomic
from ..present.tables import Column, decimals, millions
from .app import cli
from .options import emit, output_options

FRONT_COLUMNS = [
    Column("name", "candidate", justify="left"),
    Column("groups", "g"),
    Column("stage_channels", "stage channels"),
    Column("resolution", "res"),
    Column("params", "params (M)", millions(3)),
    Column("macs", "MACs (M)", millions(2)),
    Column("memory", "traffic eager (MB)", millions(1)),
    Column("latency", "latency (ms)", decimals(2)),
    Column("synflow", "synflow proxy (log10)", decimals(2)),
]


@cli.command()
@click.argument("space_file", metavar="SPACE.yaml", type=click.Path())
@click.option(
    "--strategy",
    type=click.Choice(["grid", "random", "nsga2"]),
    help="How candidates are drawn from the space (default: the space's, else grid).",
)
@click.option(
    "--trials",
    type=click.IntRange(1, 10_000_000),
    help="Candidates to draw for random and nsga2 (default: the space's, else 1000).",
)
@click.option("--seed", type=int, help="Random seed: same seed, same candidates (default 0).")
@click.option(
    "--measure-top",
    type=click.IntRange(0, 10_000),
    help="Phase 2 measures this many candidates, best analytic Pareto ranks first "
    "(default: the analytic front, at most 32).",
)
@click.option("--store", type=click.Path(), help="SQLite file keeping every evaluated candidate.")
@click.option("--resume", is_flag=True, help="Continue the search kept in --store.")
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Torch threads while measuring latency.",
)
@click.option(
    "--windows",
    type=click.IntRange(1, 100),
    default=20,
    show_default=True,
    help="Latency windows per candidate (the protocol's interleaved windows).",
)
@click.option(
    "--window-time",
    type=click.FloatRange(0.001, 60),
    default=0.1,
    show_default=True,
    help="Seconds per latency window.",
)
@click.option(
    "--backend",
    default="eager",
    show_default=True,
    help="Backend for phase-2 latency: eager, channels_last, torchscript, compile, onnxruntime.",
)
@click.option(
    "--write-specs",
    type=click.Path(file_okay=False),
    help="Write each front member's spec as YAML into this folder (for --spec).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Write the Pareto plot (HTML that opens offline) to this file.",
)
@output_options()
def search(
    space_file,
    strategy,
    trials,
    seed,
    measure_top,
    store,
    resume,
    threads,
    windows,
    window_time,
    backend,
    write_specs,
    plot,
    fmt,
    output,
) -> None:
    """Search a space of ShuffleNets for the designs that trade cost best (a Pareto front).

    Phase 1 screens every candidate with the analytic cost model (no torch); phase 2 measures
    latency and the synflow proxy only for the analytic front (or --measure-top K), and keeps
    each measurement in --store as soon as it is made, so an interrupted search resumes with
    --resume without measuring anything twice.

    \b
    Examples:
      shufflenet-cli search presets/search-small.yaml
      shufflenet-cli search space.yaml --strategy random --trials 20000 --seed 1
      shufflenet-cli search space.yaml --store run.db --write-specs front/ --plot front.html
      shufflenet-cli search space.yaml --store run.db --resume
    """
    from ..explore.search import load_space, run_search
    from ..explore.store import ResultStore
    from ..files import check_output_path
    from ..measure.backends import check_backend_name

    check_backend_name(backend)
    if resume and not store:
        raise UserError("resume: --resume needs --store FILE")
    for path in (plot, output):
        if path:
            check_output_path(path)
    if write_specs and Path(write_specs).exists() and not Path(write_specs).is_dir():
        raise UserError(f"write-specs: {write_specs} is a file, not a folder")
    space = load_space(space_file)
    strategy = strategy or space.defaults.get("strategy", "grid")
    trials = trials or space.defaults.get("trials", 1000)
    seed = seed if seed is not None else space.defaults.get("seed", 0)
    if measure_top is None:
        measure_top = space.defaults.get("measure_top")
    result_store = None
    if store:
        settings = {
            "space": space_file_text(space_file),
            "strategy": strategy,
            "seed": seed,
            "trials": trials if strategy != "grid" else None,
            "backend": backend,
        }
        result_store = ResultStore(store, settings, resume=resume)
    from .options import progress_bar

    bar, _ = progress_bar(1, "search")
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total, step="")
        bar.update(tasks[phase], completed=done, total=total)

    bar.remove_task(bar.task_ids[0])
    t0 = time.perf_counter()
    try:
        with bar:
            result = run_search(
                space,
                strategy=strategy,
                trials=trials,
                seed=seed,
                measure_top=measure_top,
                store=result_store,
                threads=threads,
                latency_kwargs={"windows": windows, "window_time": window_time, "backend": backend},
                progress=progress,
            )
    finally:
        if result_store is not None:
            result_store.close()
    elapsed = time.perf_counter() - t0
    s = result.screened
    columns = [
        c
        for c in FRONT_COLUMNS
        if c.key not in ("latency", "synflow")
        or any(r.get(c.key) is not None for r in result.front)
    ]
    footer = [
        f"Screened {s.evaluated} candidates ({strategy}, seed {seed}; whole search "
        f"{elapsed:.1f} s): "
        f"{s.invalid} invalid, {s.duplicates} duplicate architectures, "
        f"{len(s.rows)} meet the analytic constraints"
        + (
            f"; removed by {', '.join(f'{k} ({v})' for k, v in s.removed_by.items())}"
            if s.removed_by
            else ""
        )
        + ".",
        f"Objectives: minimise {', '.join(space.minimize) or '-'}"
        + (f"; maximise {', '.join(space.maximize)}" if space.maximize else "")
        + f". Pareto front: {len(result.front)} designs; measured in phase 2: "
        f"{len(result.measured)}.",
    ]
    if "synflow" in space.objectives:
        footer.append("synflow is a zero-cost proxy computed without data, not an accuracy.")
    if write_specs:
        written = write_front_specs(result, write_specs)
        footer.append(f"Front specs written to {write_specs}/ ({written} files, for --spec).")
    if plot:
        from ..present.plots import pareto_figure

        fig = pareto_figure(result)
        write_atomic(plot, fig.to_html(include_plotlyjs=True, full_html=True))
        footer.append(f"Pareto plot written to {plot}.")
    emit(
        [{k: v for k, v in r.items() if k != "candidate"} for r in result.front],
        columns,
        fmt,
        output,
        title=f"Pareto front: {space.name}",
        footer=footer,
    )


def space_file_text(path: str) -> str:
    """The space file's text (part of the store's fingerprint)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return path


def write_front_specs(result, folder: str) -> int:
    """Write each front member's explicit spec as ``folder/NAME.yaml``; returns the count."""
    import yaml

    from ..explore.search import candidate_spec
    from ..model.spec import spec_to_dict

    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"write-specs: cannot create {folder}: {e.strerror}") from None
    for row in result.front:
        spec = candidate_spec(result.space, row["candidate"])
        write_atomic(out / f"{spec.name}.yaml", yaml.safe_dump(spec_to_dict(spec), sort_keys=False))
    return len(result.front)
