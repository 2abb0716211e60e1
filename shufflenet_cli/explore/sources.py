"""Latency from every source a command was given, as one ``Measurement``: results files
measured on other devices (``--latency-from``), then backends measured on this machine or, with
a fleet (``--ray``), on a labelled Ray node.

The sources are columns in this order; the first drives the unsuffixed ``latency_*`` keys (and
so ratios, plots and findings). A file's source is named ``<runtime>@<device label>``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError
from ..measure.imported import DeviceLatency
from ..measure.imported import imported_fields
from ..measure.imported import load_latency_files
from ..measure.measurement import Measurement
from ..measure.measurement import empty_fields
from ..measure.measurement import measure_specs
from ..measure.protocol import Protocol
from ..model.spec import NetworkSpec


def latency_files(paths: Sequence[str | Path | DeviceLatency]) -> list[DeviceLatency]:
    """Results files from paths (already-read ones pass through)."""
    read = [p for p in paths if isinstance(p, DeviceLatency)]
    return read + load_latency_files([p for p in paths if not isinstance(p, DeviceLatency)])


def measure_sources(
    specs: Sequence[NetworkSpec],
    backends: Sequence[str] = ("eager",),
    protocol: Protocol | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    latency_from: Sequence[str | Path | DeviceLatency] = (),
    fleet=None,
) -> Measurement:
    """Latency of ``specs`` from ``latency_from`` files (matched by architecture) and from
    ``backends`` (measured here, or on ``fleet``'s labelled node in one task, so the networks
    are still interleaved on one machine). ``backends`` may be empty when files are given.

    Example::

        >>> m = measure_sources(specs, [], latency_from=["pi4.json"])  # doctest: +SKIP
        >>> m.backends                                                 # doctest: +SKIP
        ['onnxruntime@pi4']
    """
    protocol = protocol or Protocol()
    files = latency_files(latency_from)
    if not files and not backends:
        raise UserError("backend: nothing to measure on (give --backend or --latency-from)")
    local = None
    if backends:
        local = _measure_here_or_on(fleet, specs, backends, protocol, progress)
    if not files:
        return local
    imported, notes = imported_fields(specs, files, protocol.batch_size)
    sources = [f.source for f in files] + (list(local.backends) if local else [])
    fields = [{**empty_fields(sources), **f} for f in imported]
    if local is not None:
        suffixed = tuple(f"_{b}" for b in local.backends)
        for row, theirs in zip(fields, local.fields):
            row.update({k: v for k, v in theirs.items() if k.endswith(suffixed)})
            if theirs.get("latency_measured_on"):
                row["latency_measured_on"] = theirs["latency_measured_on"]
        env = dict(local.environment)
        notes += local.notes
    else:
        from ..measure.environment import run_environment

        env = {**run_environment(), "latency_measured": True, "threads": protocol.threads}
    env["backend"] = ",".join(sources)
    env["devices"] = [f.describe() for f in files]
    return Measurement(fields, sources, protocol, env, notes, here=local is not None)


def _measure_here_or_on(fleet, specs, backends, protocol, progress) -> Measurement:
    """``measure_specs`` here, or as one task on the fleet (progress advanced when it returns);
    with a fleet every row and the environment record the node."""
    if fleet is None:
        return measure_specs(specs, backends, protocol, progress)
    box: list = []
    fleet.map(
        measure_specs, [(list(specs), list(backends), protocol)], lambda i, m, w: box.append((m, w))
    )
    measured, where = box[0]
    for row in measured.fields:
        row["latency_measured_on"] = where["text"]
    measured.environment["measured_on"] = where["text"]
    if progress:
        for _ in range(protocol.steps(len(specs), len(backends))):
            progress(f"measured on {where['text']}")
    return measured


__all__ = ["measure_sources", "latency_files"]
