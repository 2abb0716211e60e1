"""Profiling: networks in, one row per network out (cost model + latency + paper numbers).

This is what ``shufflenet-cli profile`` runs; it is plain Python so scripts can call it too::

    >>> from shufflenet_cli.explore.profile import resolve_networks, profile_networks
    >>> specs = resolve_networks(groups=[1, 3, 8])
    >>> result = profile_networks(specs, latency=False)
    >>> [r["name"] for r in result.rows]
    ['shufflenet-1x-g1', 'shufflenet-1x-g3', 'shufflenet-1x-g8', 'mobilenet-v1-0.5']
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from ..errors import UserError
from ..measure.protocol import Protocol
from ..model.cost import CONVENTIONS
from ..model.cost import analyze
from ..model.presets import load_spec
from ..model.presets import paper_row
from ..model.rules import mobilenet_spec
from ..model.rules import shufflenet_spec
from ..model.rules import with_resolution
from ..model.spec import TABLE1_STAGE2_CHANNELS
from ..model.spec import MobileNetSpec
from ..model.spec import NetworkSpec
from ..model.spec import unique_networks
from .sources import measure_sources

MOBILENET_WIDTHS = (1.0, 0.75, 0.5, 0.25)


def resolve_networks(
    groups: Sequence[int] = (),
    scales: Sequence[float] = (),
    presets: Sequence[str] = (),
    spec_files: Sequence[str] = (),
    resolution: int | None = None,
) -> list[NetworkSpec]:
    """The networks a profile asks for: ShuffleNets for every (scale, groups) pair, then
    presets, then spec files; all at ``resolution`` when given. Duplicates are dropped.

    With no groups, presets or files at all, groups default to Table 1's 1, 2, 3, 4, 8.
    """
    specs: list[NetworkSpec] = []
    if not groups and (scales or not (presets or spec_files)):
        groups = sorted(TABLE1_STAGE2_CHANNELS)
    for s in scales or [1.0]:
        for g in groups:
            specs.append(shufflenet_spec(g, s))
    specs += [load_spec(p) for p in presets]
    specs += [load_spec(f) for f in spec_files]
    if resolution is not None:
        specs = [with_resolution(s, resolution) for s in specs]
    return unique_networks(specs)  # one name, one architecture (else a one-line error)


def choose_baseline(
    specs: Sequence[NetworkSpec], baseline: str | None = "auto", resolution: int | None = None
) -> NetworkSpec | None:
    """The MobileNet v1 to compare against.

    ``'auto'``: a MobileNet already among ``specs`` if there is one, else the width of
    1.0 / 0.75 / 0.5 / 0.25 closest in MACs (log scale) to the median of the ShuffleNets.
    ``'none'`` (or None): no baseline. Otherwise a preset name, a YAML path or a width ('0.5').
    """
    if baseline is None or baseline == "none":
        return None
    res = resolution or 224
    if baseline != "auto":
        try:
            width = float(baseline)
        except ValueError:
            spec = load_spec(baseline)
            return with_resolution(spec, resolution) if resolution else spec
        return _at(mobilenet_spec(width), res)
    given = [s for s in specs if isinstance(s, MobileNetSpec)]
    others = [s for s in specs if not isinstance(s, MobileNetSpec)]
    if not others:
        return given[0] if given else None
    target = statistics.median(analyze(s).macs for s in others)
    candidates = given or [_at(mobilenet_spec(w), res) for w in MOBILENET_WIDTHS]
    return min(candidates, key=lambda s: abs(math.log(analyze(s).macs / target)))


def _at(spec: NetworkSpec, resolution: int) -> NetworkSpec:
    return spec if resolution == 224 else with_resolution(spec, resolution)


@dataclass
class ProfileResult:
    """Rows (one dict per network), the baseline's name, and the environment of the run."""

    rows: list[dict]
    baseline: str | None
    environment: dict = field(default_factory=dict)
    footer: list[str] = field(default_factory=list)

    def to_frame(self):
        """The rows as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(list(self.rows))


def network_row(spec: NetworkSpec, batch_size: int = 1, dtype: str = "fp32") -> dict:
    """The cost-model part of a profile row, with the paper's numbers where the architecture
    is a paper row's (``presets.paper_row``: by architecture, never by name or ``paper:``)."""
    a = analyze(spec, batch_size, dtype)
    paper = paper_row(spec)
    return {
        "name": spec.name,
        "family": spec.family,
        "groups": spec.groups,
        "scale": spec.scale if spec.family == "shufflenet" else spec.width,
        "stage_channels": list(spec.stage_channels),
        "resolution": spec.resolution,
        "params": a.params,
        "macs": a.macs,
        "macs_conv": a.macs_conv,
        "memory_bytes_eager": a.memory_bytes_eager,
        "memory_bytes_fused": a.memory_bytes_fused,
        "latency_ms": None,
        "latency_spread_ms": None,
        "latency_noisy": None,
        "latency_rel": None,
        "paper_mflops": paper.mflops if paper else None,
        "paper_top1_err": paper.top1_err if paper else None,
        "baseline": False,
        "batch_size": batch_size,
        "dtype": dtype,
    }


def profile_networks(
    specs: Sequence[NetworkSpec],
    *,
    baseline: NetworkSpec | str | None = "auto",
    latency: bool = True,
    protocol: Protocol | None = None,
    dtype: str = "fp32",
    crosscheck: bool = False,
    backends: Sequence[str] = ("eager",),
    progress: Callable[[str], None] | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
    repeat_process: int | None = None,
    latency_from: Sequence = (),
    fleet=None,
    predict: bool = False,
    cache_dir: str | None = None,
) -> ProfileResult:
    """Cost model (and, with ``latency``, measured latency) for each network and the baseline.

    The baseline is measured in the same interleaved run, and every row gets
    ``latency_rel`` = its latency / the baseline's. Latency keys come from
    ``measure.measurement.measure_specs`` (the first backend unsuffixed, every backend as
    ``latency_ms_<backend>``). ``protocol`` holds threads, batch size, windows and fresh-process
    repeats; ``threads``, ``batch_size`` and ``repeat_process`` are shortcuts that override it.
    ``latency_from`` (results files of bundles measured on other devices) and ``fleet`` (a Ray
    fleet to measure on) go to ``explore.sources.measure_sources``.
    ``predict`` adds ``latency_predicted_ms`` (and ``latency_predicted_ms_<backend>``) from this
    machine's calibration (``measure.predictor``; kernels it lacks are measured first); it
    needs no ``latency``.
    """
    if not specs:
        raise UserError("networks: nothing to profile (give --groups, --preset or --spec)")
    protocol = (protocol or Protocol()).with_(
        **{
            k: v
            for k, v in (
                ("threads", threads),
                ("batch_size", batch_size),
                ("repeat_process", repeat_process),
            )
            if v is not None
        }
    )
    if isinstance(baseline, str) or baseline is None:
        resolutions = {s.resolution for s in specs}
        res = resolutions.pop() if len(resolutions) == 1 else None
        baseline = choose_baseline(specs, baseline, res)
    all_specs = list(specs)
    if baseline is not None and all(s.arch_key() != baseline.arch_key() for s in all_specs):
        all_specs.append(baseline)
    rows = [network_row(s, protocol.batch_size, dtype) for s in all_specs]
    base_index = None
    if baseline is not None:
        base_index = next(i for i, s in enumerate(all_specs) if s.arch_key() == baseline.arch_key())
        rows[base_index]["baseline"] = True
    env: dict = {"batch_size": protocol.batch_size, "dtype": dtype}
    footer = [f"Counting: {CONVENTIONS}."]
    footer += [note for s in all_specs for note in s.notes]  # renamed, paper dropped
    footer += [
        f"{s.name}: channels by rule: {s.rule}."
        for s in all_specs
        if s.family == "shufflenet" and "largest multiple" in s.rule
    ]
    if latency:
        measured = measure_sources(
            all_specs,
            backends,
            protocol.with_(dtype=dtype),
            progress,
            latency_from=latency_from,
            fleet=fleet,
        )
        base = measured.fields[base_index]["latency_ms"] if base_index is not None else None
        for row, fields in zip(rows, measured.fields):
            row.update(fields)
            ms = fields["latency_ms"]
            row["latency_rel"] = ms / base if ms is not None and base else None
        env.update(measured.environment)
        footer += measured.footer()
    if predict:
        footer.append(add_predictions(rows, all_specs, backends, protocol, cache_dir))
    if crosscheck:
        from ..measure.crosscheck import CROSSCHECK_NOTE
        from ..measure.crosscheck import crosscheck_counts

        for row, s in zip(rows, all_specs):
            row.update(crosscheck_counts(s))
        footer.append(CROSSCHECK_NOTE)
    return ProfileResult(rows, baseline.name if baseline is not None else None, env, footer)


def add_predictions(rows, specs, backends, protocol: Protocol, cache_dir=None) -> str:
    """Add predicted-latency fields to ``rows`` (one per spec); returns the footer line."""
    from ..measure.predictor import predicted_fields
    from ..measure.predictor import prediction_note

    if protocol.batch_size != 1:
        raise UserError("predict: latency prediction is calibrated at batch size 1")
    fields = predicted_fields(specs, backends, protocol.threads, cache_dir=cache_dir)
    for row, f in zip(rows, fields):
        row.update(f)
    return prediction_note(backends, protocol.threads)
