"""Architecture search: a space of ShuffleNet specs, screened analytically, then measured.

Pipeline (each step a function you can call alone)::

    SearchSpace (YAML or Python)
      -> candidates (grid | random | nsga2)        sample_candidates()
      -> phase 1: cost model only, no torch      screen()       (tens of thousands a second)
      -> constraints, analytic Pareto front      pareto_front()
      -> phase 2: latency / synflow proxy for the front or the top K, stored as measured
      -> final Pareto front over all objectives

A space in YAML::

    space:
      groups: [1, 2, 3, 4, 8]            # one count for every stage ...
      # stage_groups: [[2, 3], [3, 4], [3, 8]]   # ... or choices per stage
      scale: {min: 0.5, max: 1.5, step: 0.25}
      units: [[2, 4], [4, 6, 8], [2, 4]] # choices per stage
      bottleneck_ratio: [0.25, 0.5]
      stem_channels: [24]                # optional; default: the paper's stem rule
      resolution: [224]
      shuffle: [true]
    constraints: {max_mflops: 150, max_params_m: 2.5, max_memory_mb: 120, max_latency_ms: 20}
    objectives: {minimize: [macs, memory], maximize: []}   # also params, latency; synflow (max)

Objectives: ``macs`` (multiply-adds), ``params``, ``memory`` (eager memory traffic bytes),
``latency`` (measured ms), ``predicted_latency`` (ms from this machine's calibration:
screened in phase 1, measured in phase 2), ``synflow`` (zero-cost proxy, maximised; a proxy,
not accuracy).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import random
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import load_yaml
from ..measure.protocol import Protocol
from ..model import schema as S
from ..model.cost import plan_totals
from ..model.cost import totals
from ..model.plan import build_plan
from ..model.rules import shufflenet_at
from ..model.rules import shufflenet_spec
from ..model.spec import MAX_CHANNELS
from ..model.spec import MAX_RESOLUTION
from ..model.spec import MAX_UNITS
from ..model.spec import NetworkSpec
from ..model.spec import arch_id
from ..model.spec import typed_key
from ..model.specfile import MAX_GROUPS
from ..model.specfile import MAX_STAGES
from .pareto import dominates  # noqa: F401  (dominates re-exported)
from .pareto import pareto_front  # noqa: F401  (dominates re-exported)
from .pareto import pareto_ranks  # noqa: F401  (dominates re-exported)

OBJECTIVES = ("macs", "params", "memory", "latency", "predicted_latency", "synflow")
# The row key each objective (and constraint) reads: the same vocabulary as profile's rows.
OBJECTIVE_KEYS = {
    "macs": "macs",
    "params": "params",
    "memory": "memory_bytes_eager",
    "latency": "latency_ms",
    "predicted_latency": "latency_predicted_ms",
    "synflow": "synflow",
}
ANALYTIC = ("macs", "params", "memory")
# Phase 1 screens on these: the cost model's metrics and the latency predicted from this
# machine's calibration (measure.predictor: a sum of cached kernel times, no torch call).
SCREENED = (*ANALYTIC, "predicted_latency")
MEASURED = ("latency", "synflow")
CONSTRAINTS = {  # key -> (metric, factor to the metric's unit)
    "max_mflops": ("macs", 1e6),
    "max_params_m": ("params", 1e6),
    "max_memory_mb": ("memory", 1e6),
    "max_latency_ms": ("latency", 1.0),
    "max_predicted_latency_ms": ("predicted_latency", 1.0),
}
TOP_KEYS = {
    "name",
    "space",
    "constraints",
    "objectives",
    "strategy",
    "trials",
    "seed",
    "measure_top",
}


@dataclass
class SearchSpace:
    """Choices for every searched field, constraints and objectives (see the module docstring)."""

    choices: dict[str, list]
    constraints: dict[str, float] = field(default_factory=dict)
    minimize: list[str] = field(default_factory=lambda: ["macs", "memory"])
    maximize: list[str] = field(default_factory=list)
    name: str = "search"
    stages: int = 3
    defaults: dict = field(default_factory=dict)  # strategy, trials, seed, measure_top from YAML

    @property
    def objectives(self) -> list[str]:
        """All objectives, minimised first, then maximised."""
        return self.minimize + self.maximize

    @property
    def needs_torch(self) -> bool:
        """Whether phase 2 (latency or synflow) has anything to do."""
        return (
            bool(set(self.objectives) & {*MEASURED, "predicted_latency"})
            or "max_latency_ms" in self.constraints
        )

    @property
    def uses_prediction(self) -> bool:
        """Whether phase 1 needs the latency predictor (objective or constraint)."""
        return (
            "predicted_latency" in self.objectives or "max_predicted_latency_ms" in self.constraints
        )

    @property
    def measured_objectives(self) -> list[str]:
        """The final front's objectives: a predicted latency is replaced by the measured one."""
        return list(
            dict.fromkeys("latency" if o == "predicted_latency" else o for o in self.objectives)
        )

    def size(self) -> int:
        """Number of grid points (before invalid and duplicate candidates are dropped)."""
        return math.prod(
            math.prod(len(c) for c in v) if k in ("units", "stage_groups") else len(v)
            for k, v in self.choices.items()
        )

    def _axes(self) -> dict[str, list]:
        axes = {}
        for key, values in self.choices.items():
            if key == "units":
                axes[key] = [tuple(c) for c in itertools.product(*values)]
            elif key == "stage_groups":
                axes[key] = [tuple(c) for c in itertools.product(*values)]
            else:
                axes[key] = list(values)
        return axes


MAX_CANDIDATES = 500_000  # grid size and trials (files and --trials): ~50 s and ~0.8 GB
MAX_CHOICES = 10_000  # values of one searched field (or per-stage combinations)
MAX_MEASURE_TOP = 10_000
STRATEGIES = ("grid", "random", "nsga2")


def _whole_in(lo: int, hi: int):
    return lambda v, p: S.whole(v, p, lo, hi)


def _number_in(hi: float):
    return lambda v, p: S.number(v, p, 0.0, hi)


# searched field -> (converter of one value, integer range?, one list of choices per stage?)
SPACE_FIELDS: dict[str, tuple[Callable[[Any, str], Any], bool, bool]] = {
    "groups": (_whole_in(1, MAX_GROUPS), True, False),
    "stage_groups": (_whole_in(1, MAX_GROUPS), True, True),
    "scale": (_number_in(16.0), False, False),
    "units": (_whole_in(1, MAX_UNITS), True, True),
    "bottleneck_ratio": (_number_in(4.0), False, False),
    "stem_channels": (_whole_in(1, MAX_CHANNELS), True, False),
    "resolution": (_whole_in(32, MAX_RESOLUTION), True, False),
    "shuffle": (S.boolean, False, False),
}
SPACE_KEYS = set(SPACE_FIELDS)


def _range(value: Mapping, where: str, integer: bool) -> list:
    """Expand ``{min, max, step}`` (finite numbers, at most ``MAX_CHOICES`` values)."""
    S.mapping(value, where, {"min", "max", "step"}, "range")
    for key in ("min", "max"):
        if key not in value:
            raise UserError(f"{where}: range needs {key}")
    if "step" not in value and not integer:
        raise UserError(f"{where}: a range of fractions needs a step")
    lo = S.number(value["min"], f"{where}.min", -math.inf, lo_open=False)
    hi = S.number(value["max"], f"{where}.max", -math.inf, lo_open=False)
    step = S.number(value.get("step", 1), f"{where}.step", 0.0)
    if lo > hi:
        raise UserError(f"{where}: min {lo:g} is greater than max {hi:g}")
    n = math.floor((hi - lo) / step + 1e-9) + 1
    if n > MAX_CHOICES:
        raise UserError(f"{where}: range has {n} values, more than {MAX_CHOICES}")
    return [round(lo + i * step, 10) for i in range(n)]


def _choices(value: Any, where: str, convert, integer: bool) -> list:
    """A field's choices: one value, a list of values or a range, each converted once."""
    if isinstance(value, Mapping) and convert is not S.boolean:
        values = _range(value, where, integer)
    elif isinstance(value, list):
        if not value:
            raise UserError(f"{where}: empty choices")
        values = S.listing(value, where, 1, MAX_CHOICES)
    else:
        values = [value]
    return list(dict.fromkeys(S.each(values, where, convert)))


def _objectives(value: Any, where: str) -> list[str]:
    names = [value] if isinstance(value, str) else S.listing(value, where, 0, len(OBJECTIVES))
    for name in names:
        if not isinstance(name, str) or name not in OBJECTIVES:
            raise UserError(f"{where}: {S.show(name)} is not one of {', '.join(OBJECTIVES)}")
    return list(dict.fromkeys(names))


def space_from_dict(data: Mapping[str, Any], source: str = "space") -> SearchSpace:
    """Build and check a search space from its dict (YAML) form.

    Every field is checked and converted once (``model.schema``); a ``UserError`` starts with
    ``source`` and names the field and the value. Ranges and constraints must be finite;
    a field has at most ``MAX_CHOICES`` values; ``trials`` at most ``MAX_CANDIDATES``.
    """
    try:
        return _space_from_dict(data, source)
    except UserError as e:
        raise S.with_source(source, e) from None


def _space_from_dict(data: Any, source: str) -> SearchSpace:
    if not isinstance(data, Mapping):
        raise UserError(
            f"expected a mapping with space, constraints, objectives, got {S.show(data)}"
        )
    S.mapping(data, "", TOP_KEYS)
    raw = data.get("space")
    if not isinstance(raw, Mapping) or not raw:
        raise UserError("space: must be a non-empty mapping of choices")
    S.mapping(raw, "space", SPACE_KEYS)
    if "groups" in raw and "stage_groups" in raw:
        raise UserError("space: give groups or stage_groups, not both")
    choices: dict[str, list] = {}
    n_stages = None
    for key, value in raw.items():
        where = f"space.{key}"
        convert, integer, per_stage = SPACE_FIELDS[key]
        if not per_stage:
            choices[key] = _choices(value, where, convert, integer)
            continue
        if not isinstance(value, list) or not value:
            raise UserError(f"{where}: expected one list of choices per stage")
        stages = [
            _choices(v, f"{where}[{i}]", convert, integer)
            for i, v in enumerate(S.listing(value, where, 1, MAX_STAGES))
        ]
        if n_stages is not None and len(stages) != n_stages:
            raise UserError(f"{where}: {len(stages)} stages, but another field has {n_stages}")
        combinations = math.prod(len(c) for c in stages)
        if combinations > MAX_CHOICES:
            raise UserError(
                f"{where}: {combinations} combinations over the stages, more than {MAX_CHOICES}"
            )
        n_stages = len(stages)
        choices[key] = stages
    if "groups" not in choices and "stage_groups" not in choices:
        choices["groups"] = [3]
    constraints = data.get("constraints") or {}
    S.mapping(constraints, "constraints", set(CONSTRAINTS), "constraint")
    limits = {k: S.number(v, f"constraints.{k}", 0.0) for k, v in constraints.items()}
    obj = data.get("objectives") or {"minimize": ["macs", "memory"]}
    S.mapping(obj, "objectives", {"minimize", "maximize"})
    minimize = _objectives(obj.get("minimize") or [], "objectives.minimize")
    maximize = _objectives(obj.get("maximize") or [], "objectives.maximize")
    both = set(minimize) & set(maximize)
    if both:
        raise UserError(f"objectives: {sorted(both)[0]} is both minimised and maximised")
    if "synflow" in minimize:
        raise UserError("objectives.minimize: synflow is a proxy for accuracy; maximize it")
    if not minimize + maximize:
        raise UserError("objectives: name at least one objective")
    top = {
        "strategy": lambda v, p: S.choice(v, p, STRATEGIES),
        "trials": _whole_in(1, MAX_CANDIDATES),
        "seed": _whole_in(0, 2**32 - 1),
        "measure_top": _whole_in(0, MAX_MEASURE_TOP),
    }
    defaults = {k: conv(data[k], k) for k, conv in top.items() if k in data}
    name = S.name(data["name"], "name") if data.get("name") is not None else None
    return SearchSpace(
        choices,
        limits,
        minimize,
        maximize,
        name or source,
        n_stages or 3,
        defaults,
    )


SPACE_PREFIX = "search-"


def shipped_spaces() -> dict[str, Path]:
    """The search spaces installed with the package (``search-small``, ...), by name."""
    from ..model.presets import presets_dir

    return {p.stem: p for p in sorted(presets_dir().glob(f"{SPACE_PREFIX}*.yaml"))}


def resolve_space_path(path: str) -> Path:
    """A space file's path: the file itself when it exists, else the shipped space of that
    name (``search-small``, ``small``, ``presets/search-small.yaml`` all work from anywhere).
    An unknown name is an error that suggests the closest shipped names."""
    import difflib

    given = Path(path)
    if given.exists():
        return given
    shipped = shipped_spaces()
    stem = given.name[: -len(".yaml")] if given.name.endswith(".yaml") else given.name
    for name in (stem, SPACE_PREFIX + stem):
        if name in shipped:
            return shipped[name]
    close = difflib.get_close_matches(stem, list(shipped), n=3, cutoff=0.3)
    hint = f"; shipped spaces: {', '.join(close or shipped)}" if shipped else ""
    raise UserError(f"space: {path} does not exist (no such file or shipped space){hint}")


def load_space(path: str) -> SearchSpace:
    """Read a search space YAML file or a shipped space by name (``UserError`` for missing or
    malformed files)."""
    resolved = resolve_space_path(path)
    data = load_yaml(resolved, "space")  # bounded reading, as specs and presets
    if data is None:
        raise UserError(f"space: {path} is empty")
    return space_from_dict(data, source=str(path))


def space_rows() -> list[dict]:
    """One row per shipped search space: name, objectives, constraints and grid size."""
    rows = []
    for name, path in shipped_spaces().items():
        space = load_space(str(path))
        size = space.size()
        rows.append(
            {
                "name": name,
                "minimize": ", ".join(space.minimize),
                "maximize": ", ".join(space.maximize),
                "constraints": ", ".join(f"{k} {v:g}" for k, v in space.constraints.items()),
                "grid_size": size,
            }
        )
    return rows


def check_candidate_count(space: SearchSpace, strategy: str, trials: int) -> None:
    """Refuse a grid or a number of trials above ``MAX_CANDIDATES``, with the way out."""
    if strategy == "grid":
        n = space.size()
        if n > MAX_CANDIDATES:
            raise UserError(
                f"space: the grid has {n:,} candidates, more than {MAX_CANDIDATES:,}; sample it "
                "with --strategy random or --strategy nsga2 (--trials N), or narrow the space"
            )
    elif (
        isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= MAX_CANDIDATES
    ):
        raise UserError(f"trials: {trials!r} must be a whole number from 1 to {MAX_CANDIDATES:,}")


# ----------------------------------------------------------------------------- candidates


Candidate = dict  # one value per searched key


def candidate_spec(space: SearchSpace, cand: Candidate) -> NetworkSpec:
    """The spec of one candidate (``UserError`` if the combination is invalid)."""
    groups = cand["stage_groups"] if "stage_groups" in cand else cand.get("groups", 3)
    kw: dict[str, Any] = {}
    if "units" in cand:
        kw["units"] = cand["units"]
    elif space.stages != 3:
        kw["units"] = [4] * space.stages
    if space.stages != 3:
        kw["num_stages"] = space.stages  # per-stage lists agree with it (rules checks)
    for key in ("bottleneck_ratio", "stem_channels", "resolution", "shuffle"):
        if key in cand:
            kw[key] = cand[key]
    # named by the rules (rules.network_name): the name spells the architecture and parses back
    return shufflenet_spec(groups, cand.get("scale", 1.0), **kw)


def candidate_name(cand: Candidate) -> str:
    """A short label of a candidate's choices (s1x-g3-u4.8.4-b0.25-r224), for error messages."""
    parts = [f"s{cand.get('scale', 1.0):g}x"]
    if "stage_groups" in cand:
        parts.append("g" + ".".join(map(str, cand["stage_groups"])))
    else:
        parts.append(f"g{cand.get('groups', 3)}")
    if "units" in cand:
        parts.append("u" + ".".join(map(str, cand["units"])))
    for key, tag in (("bottleneck_ratio", "b"), ("stem_channels", "stem"), ("resolution", "r")):
        if key in cand:
            parts.append(f"{tag}{cand[key]:g}")
    if cand.get("shuffle") is False:
        parts.append("noshuffle")
    return "-".join(parts)


def grid_candidates(space: SearchSpace) -> Iterable[Candidate]:
    """Every combination of the space's choices, in a fixed order."""
    axes = space._axes()
    keys = list(axes)
    for values in itertools.product(*(axes[k] for k in keys)):
        yield dict(zip(keys, values))


def random_candidates(space: SearchSpace, trials: int, seed: int) -> Iterable[Candidate]:
    """``trials`` independent uniform draws (same seed, same candidates)."""
    rng = random.Random(seed)
    axes = space._axes()
    for _ in range(trials):
        yield {k: rng.choice(v) for k, v in axes.items()}


# ----------------------------------------------------------------------------- phase 1


@dataclass
class ScreenResult:
    """Phase 1's outcome: feasible rows, and counts of what was dropped and why."""

    rows: list[dict]
    evaluated: int = 0
    invalid: int = 0
    duplicates: int = 0
    removed_by: dict[str, int] = field(default_factory=dict)
    first_invalid: str = ""


def analytic_row(spec: NetworkSpec, plan=None) -> dict:
    """The analytic metrics of a candidate, in profile's vocabulary (fp32, batch 1).

    ``plan``: the spec's plan when the caller built it already (then it is not rebuilt).
    """
    t = totals(spec) if plan is None else plan_totals(plan)
    return {
        "name": spec.name,
        "params": t.params,
        "macs": t.macs,
        "macs_conv": t.macs_conv,
        "memory_bytes_eager": t.memory_bytes_eager,
        "memory_bytes_fused": t.memory_bytes_fused,
        "stage_channels": list(spec.stage_channels),
        "groups": spec.groups,
        "resolution": spec.resolution,
        "latency_ms": None,
        "latency_spread_ms": None,
        "latency_noisy": None,
        "synflow": None,
    }


def violated(space: SearchSpace, row: Mapping) -> list[str]:
    """Names of the constraints ``row`` breaks (measured ones only once measured)."""
    out = []
    for key, limit in space.constraints.items():
        metric, unit = CONSTRAINTS[key]
        value = row.get(OBJECTIVE_KEYS[metric])
        if value is not None and value / unit > limit:
            out.append(key)
    return out


def screen(
    space: SearchSpace,
    candidates: Iterable[Candidate],
    progress: Callable[[int], None] | None = None,
    predictor=None,
) -> ScreenResult:
    """Phase 1: cost model for every candidate; drop invalid, duplicate and infeasible ones.

    Identical architectures (same ``arch_key``) are evaluated once. With a ``predictor``
    (``measure.predictor.Predictor``), every row also gets ``latency_predicted_ms``: a sum
    over the plan's blocks of cached per-unit values, so screening stays closed-form.
    """
    with _no_cycle_collection():
        return _screen(space, candidates, progress, predictor)


@contextlib.contextmanager
def _no_cycle_collection():
    """Pause Python's cycle collector (reference counting still frees everything): screening
    makes objects without cycles by the hundred thousand, and the collector's passes over an
    ever larger heap cost a fresh process a fifth of its screening time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _CandidateSpecs:
    """``candidate_spec`` for one screen, each set of choices other than the resolution and
    the shuffle switch built once: a grid holds every such set at each resolution, shuffle on
    and off, and ``rules.shufflenet_at`` makes those from it for a fraction of the cost (the
    same spec, checked the same way). Invalid sets are not kept: each of their candidates
    takes ``candidate_spec``, which says what is wrong with it."""

    VARYING = ("resolution", "shuffle")

    def __init__(self, space: SearchSpace):
        self.space = space
        self.built: dict[tuple, NetworkSpec] = {}

    def __call__(self, cand: Candidate) -> NetworkSpec:
        """The spec of ``cand`` (``UserError`` if the combination is invalid)."""
        varying = self.VARYING
        try:  # typed: True is not 1, 2.0 is not 2; the varying keys by name (given or not)
            key = tuple([k if k in varying else (k, typed_key(v)) for k, v in cand.items()])
            base = self.built.get(key)
        except TypeError:  # a value that does not hash: the checks say what is wrong
            return candidate_spec(self.space, cand)
        if base is None:
            spec = self.built[key] = candidate_spec(self.space, cand)
            return spec
        return shufflenet_at(
            base, cand.get("resolution", base.resolution), cand.get("shuffle", base.shuffle)
        )


def _screen(space, candidates, progress, predictor) -> ScreenResult:
    """``screen``'s loop."""
    result = ScreenResult([])
    seen: set = set()
    specs = _CandidateSpecs(space)
    for cand in candidates:
        result.evaluated += 1
        if progress and result.evaluated % 512 == 0:  # every 512th, whatever becomes of it
            progress(512)
        try:
            spec = specs(cand)
        except UserError as e:
            result.invalid += 1
            result.first_invalid = result.first_invalid or f"{candidate_name(cand)}: {e}"
            continue
        key = arch_id(spec)  # a hash of arch_key: equal for equal architectures only
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        if predictor is None:
            row = analytic_row(spec)
        else:
            plan = build_plan(spec)
            row = analytic_row(spec, plan)
            row["latency_predicted_ms"] = predictor.plan_ms(plan)
        row["candidate"] = cand
        row["key"] = key
        broken = violated(space, row)
        for name in broken:
            result.removed_by[name] = result.removed_by.get(name, 0) + 1
        if not broken:
            result.rows.append(row)
    return result


# ----------------------------------------------------------------------------- nsga2


def nsga2_candidates(space: SearchSpace, trials: int, seed: int) -> list[Candidate]:
    """Candidates proposed by Optuna's NSGA-II sampler on the analytic objectives.

    Each trial's objectives come from the cost model (no torch); infeasible or invalid
    candidates are reported as pruned so the sampler learns to avoid them.
    """
    try:
        import optuna
    except ImportError:
        raise UserError(
            "strategy: nsga2 needs optuna: pip install 'shufflenet-cli[search]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    analytic = [o for o in space.objectives if o in ANALYTIC] or ["macs", "memory"]
    axes = space._axes()
    sampler = optuna.samplers.NSGAIISampler(seed=seed)
    directions = ["maximize" if o in space.maximize else "minimize" for o in analytic]
    study = optuna.create_study(directions=directions, sampler=sampler)
    out: list[Candidate] = []
    for _ in range(trials):
        trial = study.ask()
        cand = {k: v[trial.suggest_int(k, 0, len(v) - 1)] for k, v in axes.items()}
        out.append(cand)
        try:
            row = analytic_row(candidate_spec(space, cand))
        except UserError:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        if violated(space, row):
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        study.tell(trial, [row[OBJECTIVE_KEYS[o]] for o in analytic])
    return out


def sample_candidates(
    space: SearchSpace, strategy: str = "grid", trials: int = 1000, seed: int = 0
) -> Iterable[Candidate]:
    """Candidates by strategy: 'grid' (all), 'random' (``trials`` draws), 'nsga2' (Optuna).

    A grid or ``trials`` above ``MAX_CANDIDATES`` is refused (``check_candidate_count``).
    """
    check_candidate_count(space, strategy, trials)
    if strategy == "grid":
        return grid_candidates(space)
    if strategy == "random":
        return random_candidates(space, trials, seed)
    if strategy == "nsga2":
        return nsga2_candidates(space, trials, seed)
    raise UserError(f"strategy: {strategy!r} is not one of grid, random, nsga2")


# ----------------------------------------------------------------------------- the search


@dataclass
class SearchResult:
    """Everything a search found: screened rows, the front, counts, and what was measured."""

    space: SearchSpace
    screened: ScreenResult
    front: list[dict]
    measured: list[dict]
    strategy: str
    seed: int
    prediction: dict | None = None  # how predicted latency ranked the measured candidates

    def to_frame(self, which: str = "front"):
        """'front', 'measured' or 'screened' rows as a pandas DataFrame."""
        import pandas as pd

        rows = {"front": self.front, "measured": self.measured, "screened": self.screened.rows}[
            which
        ]
        return pd.DataFrame([{k: v for k, v in r.items() if k != "candidate"} for r in rows])


def no_candidate_message(space: SearchSpace, s: ScreenResult) -> str:
    """'no candidate meets the constraints' with the constraint that removed the most."""
    if s.removed_by:
        worst = max(s.removed_by, key=s.removed_by.get)
        return (
            f"constraints: no candidate meets the constraints; {worst} = "
            f"{space.constraints[worst]:g} removed the most ({s.removed_by[worst]} of "
            f"{s.evaluated - s.invalid - s.duplicates} valid candidates)"
        )
    if s.invalid and s.invalid == s.evaluated:
        return f"space: every candidate is invalid (first: {s.first_invalid})"
    return "space: no candidate to evaluate"


def run_search(
    space: SearchSpace,
    *,
    strategy: str = "grid",
    trials: int = 1000,
    seed: int = 0,
    measure_top: int | None = None,
    store=None,
    protocol: Protocol | None = None,
    backend: str = "eager",
    progress: Callable[[str, int, int], None] | None = None,
    fleet=None,
    predictor=None,
    cache_dir: str | None = None,
) -> SearchResult:
    """Run both phases and return the result (a ``store`` makes it resumable).

    With a ``fleet`` (``explore.fleet.Fleet``), phase 2's batches are measured in parallel
    on its labelled nodes; the store stays on this machine.

    ``measure_top``: how many phase-1 candidates phase 2 measures, best Pareto ranks first
    (default: the whole analytic front, at most 32). ``progress(phase, done, total)``.
    Each phase-2 measurement is written to the store as soon as it is made; measurements
    already in the store are reused, never repeated.

    A space with ``predicted_latency`` (objective) or ``max_predicted_latency_ms`` screens
    with this machine's calibration for ``backend`` (``predictor``, else loaded from
    ``cache_dir`` or the user's cache; in phase 1 kernels it lacks come from its regression,
    never from measuring). Phase 2 then measures the predicted front, the final front is over
    measured latency, and ``result.prediction`` says how well prediction ranked it.
    """
    if space.uses_prediction and predictor is None:
        from ..measure.predictor import Predictor

        threads = (protocol or Protocol()).threads
        predictor = Predictor.load(backend, threads, cache_dir=cache_dir, measure_missing=False)
    cands = list(sample_candidates(space, strategy, trials, seed))
    total = len(cands)
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress("screening", min(done[0], total), total)

    screened = screen(space, cands, tick, predictor if space.uses_prediction else None)
    if progress:
        progress("screening", total, total)
    if store is not None:
        store.save_screened(screened.rows)
    if not screened.rows:
        raise UserError(no_candidate_message(space, screened))
    if not space.needs_torch:
        return SearchResult(space, screened, space_front(space, screened.rows), [], strategy, seed)
    chosen = phase2_candidates(space, screened.rows, measure_top)
    measure_phase2(
        space,
        chosen,
        store=store,
        protocol=protocol,
        backend=backend,
        progress=progress,
        fleet=fleet,
    )
    feasible = [r for r in chosen if not violated(space, r)]
    if not feasible:
        raise UserError(
            no_candidate_message(
                space,
                ScreenResult(
                    [],
                    len(chosen),
                    0,
                    0,
                    {
                        k: sum(1 for r in chosen if k in violated(space, r))
                        for k in space.constraints
                    },
                ),
            )
        )
    objectives = objective_keys(space.measured_objectives)
    front = pareto_front(feasible, objectives, objective_keys(space.maximize))
    result = SearchResult(space, screened, front, chosen, strategy, seed)
    if "predicted_latency" in space.objectives:
        result.prediction = prediction_ranking(chosen)
    return result


def prediction_ranking(measured: Sequence[dict]) -> dict:
    """How well predicted latency ranked the candidates phase 2 measured: how many were
    measured, Spearman's rho of predicted and measured latency, the share within 10%."""
    from ..measure.predictor import accuracy

    rows = [
        r
        for r in measured
        if r.get("latency_ms") is not None and r.get("latency_predicted_ms") is not None
    ]
    out: dict = {"measured": len(rows)}
    if len(rows) >= 2:
        acc = accuracy([r["latency_predicted_ms"] for r in rows], [r["latency_ms"] for r in rows])
        out.update(spearman=acc["spearman"], within_10=acc["within_10"])
    return out


def objective_keys(names: Sequence[str]) -> list[str]:
    """Row keys of objective names (``memory`` -> ``memory_bytes_eager``, ...)."""
    return [OBJECTIVE_KEYS[n] for n in names]


def space_front(space: SearchSpace, rows: Sequence[dict]) -> list[dict]:
    """The Pareto front of ``rows`` under the space's objectives and directions."""
    return pareto_front(rows, objective_keys(space.objectives), objective_keys(space.maximize))


def phase2_candidates(space: SearchSpace, rows: list[dict], measure_top: int | None) -> list[dict]:
    """Which screened rows phase 2 measures.

    All objectives minimised (latency with MACs, params, memory): the best analytic Pareto
    ranks first, ``measure_top`` of them (default: the analytic front, at most 32). With a
    maximised objective (synflow), small networks are not better by default, so ``measure_top``
    (default 32) rows spread evenly over the range of the first analytic objective (MACs).
    """
    analytic = [o for o in space.objectives if o in SCREENED] or ["macs", "memory"]
    if space.maximize:
        k = 32 if measure_top is None else measure_top
        ordered = sorted(rows, key=lambda r: (r[OBJECTIVE_KEYS[analytic[0]]], r["name"]))
        if k >= len(ordered):
            return ordered
        if k <= 1:
            return ordered[:k]
        return [ordered[round(i * (len(ordered) - 1) / (k - 1))] for i in range(k)]
    keys = objective_keys(analytic)
    limit = measure_top if measure_top is not None else min(32, len(pareto_front(rows, keys)))
    chosen: list[dict] = []
    for rank in pareto_ranks(rows, keys):
        chosen += rank
        if len(chosen) >= limit:
            break
    return chosen[:limit]


PHASE2_BATCH = 4  # candidates measured together (interleaved), then stored


def measure_phase2(
    space: SearchSpace,
    rows: list[dict],
    *,
    store=None,
    protocol: Protocol | None = None,
    backend: str = "eager",
    progress=None,
    fleet=None,
) -> None:
    """Latency and/or synflow for ``rows`` (in place), reusing and filling the store.

    Latency comes from ``measure.measurement.measure_specs`` (``PHASE2_BATCH`` candidates
    interleaved at a time), so rows carry the same ``latency_*`` keys as profile's. With a
    ``fleet`` (``explore.fleet.Fleet``) every batch is a Ray task and the batches run in
    parallel, one per labelled node; rows record ``latency_measured_on``. The batches are the
    same as on one machine, and each is stored as soon as it comes back."""
    wants_latency = (
        bool({"latency", "predicted_latency"} & set(space.objectives))
        or "max_latency_ms" in space.constraints
    )
    wants_synflow = "synflow" in space.objectives
    todo = []
    for r in rows:
        old = store.measurement(r["key"]) if store is not None else None
        if old is not None:
            r.update(old)
        if (wants_latency and r.get("latency_ms") is None) or (
            wants_synflow and r.get("synflow") is None
        ):
            todo.append(r)
    done = [len(rows) - len(todo)]
    if progress:
        progress("measuring", done[0], len(rows))
    batches = [todo[i : i + PHASE2_BATCH] for i in range(0, len(todo), PHASE2_BATCH)]
    jobs = [
        ([candidate_spec(space, r["candidate"]) for r in b], wants_latency, wants_synflow,
         protocol, backend)
        for b in batches
    ]  # fmt: skip

    def finished(i: int, values: list[dict], where: dict | None) -> None:
        for r, v in zip(batches[i], values):
            r.update(v, latency_measured_on=where["text"] if where else None)
            if store is not None:
                store.save_measurement(r)
        done[0] += len(batches[i])
        if progress:
            progress("measuring", done[0], len(rows))

    if fleet is None:
        for i, job in enumerate(jobs):
            finished(i, evaluate_batch(*job), None)
    else:
        fleet.map(evaluate_batch, jobs, finished)


def evaluate_batch(
    specs: Sequence[NetworkSpec],
    wants_latency: bool,
    wants_synflow: bool,
    protocol: Protocol | None = None,
    backend: str = "eager",
) -> list[dict]:
    """Phase 2 for one batch, on whichever machine runs it: per spec, the unsuffixed
    ``latency_*`` keys (the batch measured interleaved) and/or ``synflow``. A network the
    backend cannot run has no latency, so it cannot be on a front that needs one;
    ``latency_error`` says why."""
    values: list[dict] = [{} for _ in specs]
    if wants_latency:
        from ..measure.measurement import measure_specs

        measured = measure_specs(list(specs), [backend], protocol)
        for v, fields in zip(values, measured.fields):
            v.update({k: x for k, x in fields.items() if not k.endswith(f"_{backend}")})
    if wants_synflow:
        from ..measure.proxy import synflow

        for v, spec in zip(values, specs):
            v["synflow"] = synflow(spec)
    return values


def search(space: SearchSpace | Mapping | str, **kwargs) -> pd.DataFrame:  # noqa: F821
    """Run a search and return its Pareto front as a pandas DataFrame.

    ``space``: a ``SearchSpace``, its dict form, or a YAML path. Keyword arguments as
    ``run_search`` (strategy, trials, seed, measure_top, store, protocol, backend).

    Example::

        >>> from shufflenet_cli.explore.search import search
        >>> front = search({"space": {"groups": [1, 3, 8], "scale": [0.5, 1.0]},
        ...                 "objectives": {"minimize": ["macs", "memory"]}})
        >>> list(front["name"])[:1]
        ['shufflenet-0.5x-g1']
    """
    if isinstance(space, str):
        space = load_space(space)
    elif isinstance(space, Mapping):
        space = space_from_dict(space)
    return run_search(space, **kwargs).to_frame("front")
