"""The one path from a measurement to row fields: every command that shows latency (profile,
compare, report, roofline, search) calls ``measure_specs`` and gets the same keys.

Row keys (per network; documented once, in ``present/vocabulary.py``):

* ``latency_ms``, ``latency_spread_ms``, ``latency_noisy``, ``latency_loaded_windows``,
  ``latency_faults_per_call``, ``latency_samples_ms``, ``latency_error``, ``latency_backend``:
  the first backend measured (the one ratios, plots and findings use);
* ``latency_ms_<backend>``, ``latency_spread_ms_<backend>``, ``latency_noisy_<backend>``,
  ``latency_error_<backend>``, ``latency_rel_error_<backend>``: every backend, the first
  included, so a script can read any backend the same way (``latency_rel_error_<backend>``:
  relative error of an int8/fp16 output vs fp32 eager; None in fp32, where outputs must match).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from ..model.spec import NetworkSpec
from .protocol import NOISY_FRACTION
from .protocol import Protocol
from .runner import RESULT_KEYS

TIMING = ("threads", "batch_size", "dtype", "formulation")  # what every timing run is given
PRIMARY_KEYS = (*RESULT_KEYS, "latency_error", "latency_backend")
PER_BACKEND_KEYS = (
    "latency_ms",
    "latency_spread_ms",
    "latency_noisy",
    "latency_error",
    "latency_rel_error",
)


@dataclass
class Measurement:
    """Latency row fields per network (input order), the run's environment and footer lines."""

    fields: list[dict]
    backends: list[str]
    protocol: Protocol
    environment: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # one line per network a backend could not run
    here: bool = True  # False when every figure was read from results files (--latency-from)

    def footer(self) -> list[str]:
        """Each results file's device line, the protocol's line for what was measured by this
        run (and the Ray node it ran on), then what could not be measured."""
        env = self.environment
        lines = list(env.get("devices", []))
        if self.here:  # the protocol line names only the backends measured by this run
            here = ",".join(b for b in self.backends if "@" not in b)
            lines.append(self.protocol.footer({**env, "backend": here or env.get("backend")}))
            if env.get("measured_on"):
                lines.append(f"Measured on the Ray node {env['measured_on']} (--ray).")
        return [*lines, *self.notes]


def empty_fields(backends: Sequence[str] = ()) -> dict:
    """The latency keys of a row that was not measured (all None)."""
    out = dict.fromkeys(PRIMARY_KEYS)
    for b in backends:
        out.update({f"{k}_{b}": None for k in PER_BACKEND_KEYS})
    return out


def result_fields(result, backend: str) -> dict:
    """The per-backend keys of one ``LatencyResult`` (None where the backend could not run)."""
    ok = result.error is None
    return {
        f"latency_ms_{backend}": result.median_ms if ok else None,
        f"latency_spread_ms_{backend}": result.spread_ms if ok else None,
        f"latency_noisy_{backend}": result.noisy if ok else None,
        f"latency_error_{backend}": result.error,
        f"latency_rel_error_{backend}": result.rel_error if ok else None,
    }


def primary_fields(result, backend: str) -> dict:
    """The unsuffixed keys from the first backend's ``LatencyResult``."""
    ok = result.error is None
    return {
        "latency_ms": result.median_ms if ok else None,
        "latency_spread_ms": result.spread_ms if ok else None,
        "latency_noisy": result.noisy if ok else None,
        "latency_loaded_windows": result.loaded_windows if ok else None,
        "latency_faults_per_call": result.faults_per_call if ok else None,
        # window medians, or with repeat_process each process's median
        "latency_samples_ms": result.window_ms if ok else None,
        "latency_error": result.error,
        "latency_backend": backend,
    }


def could_not_run(results: Sequence) -> list[str]:
    """One line per network a backend could not run, saying why."""
    return [f"{r.backend} could not run {r.name}: {r.error}" for r in results if r.error]


def measure_specs(
    specs: Sequence[NetworkSpec],
    backends: Sequence[str] = ("eager",),
    protocol: Protocol | None = None,
    progress: Callable[[str], None] | None = None,
) -> Measurement:
    """Measure ``specs`` on every backend with ``protocol``; one interleaved run per backend
    (or ``protocol.repeat_process`` fresh processes). Returns row fields in input order.

    Example::

        >>> from shufflenet_cli import load_spec
        >>> m = measure_specs([load_spec("shufflenet-1x-g3"), load_spec("mobilenet-v1-0.5")])
        >>> ratio = m.fields[0]["latency_ms"] / m.fields[1]["latency_ms"]
    """
    from ..model.cost import check_fits_in_memory
    from .backends import check_backend_name
    from .latency import environment
    from .latency import measure_latency

    protocol = protocol or Protocol()
    backends = [check_backend_name(b) for b in dict.fromkeys(backends)] or ["eager"]
    for s in specs:
        check_fits_in_memory(s, protocol.batch_size)
    fields = [empty_fields(backends) for _ in specs]
    notes: list[str] = []
    for k, backend in enumerate(backends):
        if protocol.repeat_process > 1:
            results = _across_processes(specs, protocol, backend, progress)
        else:
            timing = protocol.settings(*TIMING, "windows", "window_time", "warmup_time")
            results = measure_latency(list(specs), progress=progress, backend=backend, **timing)
        for row, r in zip(fields, results):
            row.update(result_fields(r, backend))
            if k == 0:
                row.update(primary_fields(r, backend))
        notes += could_not_run(results)
    env = environment(protocol.threads, ",".join(backends))
    if protocol.dtype != "fp32" or protocol.formulation != "paper":
        env.update(dtype=protocol.dtype, formulation=protocol.formulation)
    runtimes = [b for b in backends if b in ("onnxruntime", "executorch", "ncnn")]
    if runtimes:
        from .runtimes import runtime_versions

        env["runtimes"] = runtime_versions()
    return Measurement(fields, list(backends), protocol, env, notes)


def _across_processes(specs, protocol: Protocol, backend: str, progress):
    """LatencyResults from fresh processes: median of medians, max - min spread."""
    from .latency import LatencyResult
    from .latency import measure_in_fresh_processes

    runs = protocol.repeat_process
    timing = protocol.settings(*TIMING, "windows", "window_time", "warmup_time")
    per_spec = measure_in_fresh_processes(specs, runs, backend=backend, progress=progress, **timing)
    out = []
    for spec, values in zip(specs, per_spec):
        common = dict(threads=protocol.threads, batch_size=protocol.batch_size, backend=backend)
        if any(v is None for v in values):
            error = f"{backend} could not run it"
            out.append(LatencyResult(spec.name, math.nan, math.nan, False, error=error, **common))
            continue
        med = statistics.median(values)
        spread = max(values) - min(values)
        noisy = spread > NOISY_FRACTION * med
        out.append(LatencyResult(spec.name, med, spread, noisy, list(values), **common))
    return out


__all__ = ["Measurement", "measure_specs", "empty_fields", "PRIMARY_KEYS", "PER_BACKEND_KEYS"]
