"""One search run from a space file and the user's options: settings merged with the space's
defaults, the store opened (and checked to hold this search), both phases run, the footer
written in profile's words, and the front's specs written out. The ``search`` command is a thin
layer over ``run_space_file``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from ..measure.protocol import Protocol
from .search import SearchResult
from .search import SearchSpace
from .search import candidate_spec
from .search import load_space
from .search import run_search

PROXY_NOTE = "synflow is a zero-cost proxy computed without data, not an accuracy."


@dataclass
class SearchRun:
    """A finished search: the result, the settings it ran with, its wall time and footer."""

    result: SearchResult
    settings: dict
    elapsed_s: float
    footer: list[str] = field(default_factory=list)

    def front_rows(self) -> list[dict]:
        """The front's rows, ready to render (the internal candidate dict left out)."""
        return [{k: v for k, v in r.items() if k != "candidate"} for r in self.result.front]


def plural(n: int, word: str) -> str:
    """'1 design', '2 designs'."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def without_latency(space: SearchSpace) -> SearchSpace:
    """The space with the latency objective and constraint left out (``--no-latency``)."""
    constraints = {k: v for k, v in space.constraints.items() if k != "max_latency_ms"}
    minimize = [o for o in space.minimize if o not in ("latency", "predicted_latency")] or ["macs"]
    return replace(space, constraints=constraints, minimize=minimize)


def run_settings(space: SearchSpace, **given) -> dict:
    """The run's strategy, trials, seed and measure_top: what was given, else the space's
    defaults, else grid, 1000 trials, seed 0 and the analytic front."""
    d = space.defaults
    strategy = given.get("strategy") or d.get("strategy", "grid")
    trials = given.get("trials") or d.get("trials", 1000)
    seed = given.get("seed") if given.get("seed") is not None else d.get("seed", 0)
    measure_top = given.get("measure_top")
    if measure_top is None:
        measure_top = d.get("measure_top")
    return {"strategy": strategy, "trials": trials, "seed": seed, "measure_top": measure_top}


def run_space_file(
    space_file: str,
    *,
    strategy: str | None = None,
    trials: int | None = None,
    seed: int | None = None,
    measure_top: int | None = None,
    store: str | None = None,
    resume: bool = False,
    latency: bool = True,
    protocol: Protocol | None = None,
    backend: str = "eager",
    progress: Callable[[str, int, int], None] | None = None,
    fleet=None,
    cache_dir: str | None = None,
) -> SearchRun:
    """Load ``space_file`` (a path or a shipped space's name), run the search and describe it.

    With a ``fleet`` (``explore.fleet.Fleet``) phase 2 runs on its labelled Ray nodes; the
    fleet is joined before the store is opened, so a missing label leaves no store behind."""
    from .store import ResultStore

    if resume and not store:
        raise UserError("resume: --resume needs --store FILE")
    space = load_space(space_file)
    if not latency:
        space = without_latency(space)
    settings = run_settings(
        space, strategy=strategy, trials=trials, seed=seed, measure_top=measure_top
    )
    if fleet is not None and space.needs_torch:
        fleet.connect()
    result_store = None
    if store:
        fingerprint = {
            "space": space_settings(space),
            "strategy": settings["strategy"],
            "seed": settings["seed"],
            "trials": settings["trials"] if settings["strategy"] != "grid" else None,
            "backend": backend,
        }
        result_store = ResultStore(store, fingerprint, resume=resume)
    t0 = time.perf_counter()
    try:
        result = run_search(
            space,
            store=result_store,
            protocol=protocol,
            backend=backend,
            progress=progress,
            fleet=fleet,
            cache_dir=cache_dir,
            **settings,
        )
    finally:
        if result_store is not None:
            result_store.close()
    run = SearchRun(result, settings, time.perf_counter() - t0)
    run.footer = search_footer(run, protocol or Protocol(), backend, latency)
    return run


def search_footer(run: SearchRun, protocol: Protocol, backend: str, latency: bool) -> list[str]:
    """What was screened, dropped and measured, in words (and how latency was measured)."""
    s, space, st = run.result.screened, run.result.space, run.settings
    removed = ", ".join(f"{k} ({v})" for k, v in s.removed_by.items())
    lines = [
        f"Screened {plural(s.evaluated, 'candidate')} ({st['strategy']}, seed {st['seed']}; "
        f"whole search {run.elapsed_s:.1f} s): {s.invalid} invalid, "
        f"{plural(s.duplicates, 'duplicate architecture')}, {len(s.rows)} meet the analytic "
        "constraints" + (f"; removed by {removed}" if removed else "") + ".",
        f"Objectives: minimise {', '.join(space.minimize) or '-'}"
        + (f"; maximise {', '.join(space.maximize)}" if space.maximize else "")
        + f". Pareto front: {plural(len(run.result.front), 'design')}; measured in phase 2: "
        f"{len(run.result.measured)}.",
    ]
    if any(r.get("latency_ms") is not None for r in run.result.measured):
        lines.append(
            f"Latency: {backend}, {protocol.threads} thread(s), batch {protocol.batch_size}; "
            f"{PHASE2_NOTE}; " + protocol.describe()
        )
    nodes = sorted({r["latency_measured_on"] for r in run.result.measured
                    if r.get("latency_measured_on")})  # fmt: skip
    if nodes:
        lines.append(f"Phase 2 measured on {plural(len(nodes), 'Ray node')}: {', '.join(nodes)}.")
    p = run.result.prediction
    if p and "spearman" in p:
        lines.append(
            f"Phase 1 screened with latency predicted for {backend} (`shufflenet-cli "
            f"calibrate`); on the {p['measured']} candidates phase 2 measured, prediction "
            f"ranked them with Spearman rho {p['spearman']:.3f} and was within 10% for "
            f"{p['within_10']:.0%}."
        )
    if not latency:
        lines.append("Latency not measured (--no-latency): latency objectives and limits off.")
    if "synflow" in space.objectives:
        lines.append(PROXY_NOTE)
    return lines


PHASE2_NOTE = "candidates measured in interleaved batches of 4"


def write_front_specs(result: SearchResult, folder: str, force: bool = False) -> list[Path]:
    """Write each front member's explicit spec as ``folder/<name>.yaml``; returns the paths.

    Names become safe file names (``files.safe_file_name``); two that give one file are an
    error, and an existing file is refused unless ``force`` (it may be the user's), all checked
    before the first file is written."""
    import yaml

    from ..files import write_named_files
    from ..model.spec import spec_to_dict

    specs = [candidate_spec(result.space, row["candidate"]) for row in result.front]
    files = [(s.name, yaml.safe_dump(spec_to_dict(s), sort_keys=False)) for s in specs]
    return write_named_files(folder, files, ".yaml", force=force, what="write-specs")


def space_settings(space: SearchSpace) -> dict:
    """What of a space makes two searches the same (part of the store's fingerprint): its
    parsed choices, constraints and objectives (the file is read once, bounded)."""
    return {
        "choices": space.choices,
        "constraints": space.constraints,
        "minimize": space.minimize,
        "maximize": space.maximize,
        "stages": space.stages,
    }


__all__ = ["SearchRun", "run_space_file", "run_settings", "write_front_specs", "search_footer"]
