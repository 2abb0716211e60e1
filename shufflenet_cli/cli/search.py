"""The ``search`` command: a thin layer over ``explore.search_run``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UserError
from ..files import write_atomic
from ..present.columns import front_columns
from .app import cli
from .options import emit
from .options import fleet_options
from .options import options
from .options import output_options
from .options import progress_bar
from .options import protocol_options


@cli.command()
@click.argument("space_file", metavar="SPACE.yaml", type=click.Path())
@options("strategy", "trials", "seed", "measure_top", "store", "resume")
@protocol_options(batch=False, repeat=False)
@options("force", "write_specs", "plot", "cache_dir")
@fleet_options
@output_options()
def search(
    space_file,
    strategy,
    trials,
    seed,
    measure_top,
    store,
    resume,
    latency,
    backends,
    protocol,
    force,
    write_specs,
    plot,
    fleet,
    cache_dir,
    fmt,
    output,
) -> None:
    """Search a space of ShuffleNets for the designs that trade cost best (a Pareto front).

    SPACE.yaml is a space file or the name of a shipped space (search-small, search-large,
    search-latency; listed by `shufflenet-cli presets`). Phase 1 screens every candidate with
    the analytic cost model (no torch); phase 2 measures latency and the synflow proxy only for
    the analytic front (or --measure-top K), and keeps each measurement in --store as soon as
    it is made, so an interrupted search resumes with --resume without measuring anything
    twice. A search measures on one backend (a front needs one latency). With the objective
    predicted_latency (or the constraint max_predicted_latency_ms) phase 1 also screens with
    latency predicted from this machine's calibration for --backend (`shufflenet-cli
    calibrate`), and phase 2 measures the predicted front.

    \b
    Examples:
      shufflenet-cli search search-small
      shufflenet-cli search space.yaml --strategy random --trials 20000 --seed 1
      shufflenet-cli search space.yaml --write-specs front/ --plot front.html
      shufflenet-cli search space.yaml --store run.db --resume
      shufflenet-cli search search-latency --ray head:6379 --device xeon
    """
    from ..explore.search_run import run_space_file
    from ..explore.search_run import write_front_specs
    from ..files import check_output_path
    from ..measure.backends import check_backend_name

    if len(backends) > 1:
        raise UserError("backend: a search measures on one backend (a front needs one latency)")
    backend = check_backend_name(backends[0] if backends else "eager")
    for path in (plot, output):
        if path:
            check_output_path(path)
    bar, _ = progress_bar(1, "search")
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total, step="")
        bar.update(tasks[phase], completed=done, total=total)

    bar.remove_task(bar.task_ids[0])
    with bar:
        drawing = dict(strategy=strategy, trials=trials, seed=seed, measure_top=measure_top)
        measuring = dict(latency=latency, protocol=protocol, backend=backend, fleet=fleet)
        run = run_space_file(
            space_file,
            store=store,
            resume=resume,
            **drawing,
            **measuring,
            progress=progress,
            cache_dir=cache_dir,
        )
    footer = list(run.footer)
    if write_specs:
        paths = write_front_specs(run.result, write_specs, force=force)
        footer.append(f"Front specs written to {Path(write_specs) / '*.yaml'} ({len(paths)}).")
    if plot:
        from ..present.plots import pareto_figure

        write_atomic(plot, pareto_figure(run.result).to_html(include_plotlyjs=True))
        footer.append(f"Pareto plot written to {plot}.")
    columns = front_columns(run.result.front)
    emit(
        run.front_rows(),
        columns,
        fmt,
        output,
        title=f"Pareto front: {run.result.space.name}",
        footer=footer,
    )
