"""Latency measurement protocol (CPU, eager PyTorch).

The protocol, and why:

1. Eval mode and ``torch.inference_mode``; batch 1 by default; a fixed thread count (default 1)
   set for the whole run and recorded: thread count changes the kernels PyTorch picks.
2. Warm-up of every model before any timing: a first call costs 1.6-3x the steady state.
3. The compared models are interleaved in windows (A B C, B C A, C A B, ...), so drift of a
   shared machine (another job starting, frequency changes) hits every model alike.
4. Each window is one ``torch.utils.benchmark.Timer.blocked_autorange`` (no hand-rolled loops);
   its median is one sample. The result is the median of window medians; the spread is their
   interquartile range (IQR).
5. A result whose IQR exceeds ``NOISY_FRACTION`` (10%) of its median is flagged noisy, in the
   table and in the JSON, rather than silently trusted.
6. Background load: /proc/stat's busy time minus this process's own CPU time, per window. A
   window during which other processes kept more than ``LOAD_THRESHOLD`` cores busy is
   measured again (up to ``MAX_REDO`` times); if it stays loaded it is kept, counted in
   ``loaded_windows`` and the result is flagged noisy.
7. A steady allocator: with glibc, freed memory is kept in the process from the first
   measurement on (``keep_freed_memory``: no mmap for large blocks, no heap trimming). glibc's
   defaults adapt its mmap threshold to the history of the process, so one process's forward
   pass reuses its activation memory while another's returns it to the OS and page-faults it
   back on every call: here, MobileNet 0.5 channels-last ran at 6.3 ms with about 1,000 minor
   page faults per call in one process and at 5.2 ms with none in another. Steady state is
   what a deployed runtime (with its own arena or a caching allocator) sees. Minor page faults
   per call are counted and reported (``faults_per_call``), so a leftover is visible; the count
   includes the few calls the timer makes to size its blocks, so it errs high by a few percent.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field

from ..model.spec import NetworkSpec
from . import runner
from .environment import cpu_model  # noqa: F401  (cpu_model re-exported)
from .environment import measured_environment  # noqa: F401  (cpu_model re-exported)
from .protocol import DEFAULT_WARMUP_TIME  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import DEFAULT_WINDOW_TIME  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import DEFAULT_WINDOWS  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import LOAD_THRESHOLD  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import MAX_REDO  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import NOISY_FRACTION  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import NOISY_NOTE  # noqa: F401  (re-exported: the protocol's constants)
from .protocol import Protocol  # noqa: F401  (re-exported: the protocol's constants)

# The load detector, allocator policy and fault counter live in the standalone runner (it is
# copied into bundles, so measure.py on a device runs the same code); re-exported here.
from .runner import CpuLoad  # noqa: F401
from .runner import allocator_policy  # noqa: F401
from .runner import interleaved_windows


@dataclass
class LatencyResult:
    """Latency of one network: median of window medians, IQR spread, noise flag, raw windows."""

    name: str
    median_ms: float
    spread_ms: float
    noisy: bool
    window_ms: list[float] = field(default_factory=list)
    threads: int = 1
    batch_size: int = 1
    backend: str = "eager"
    error: str | None = None  # why the backend could not run this network (then no figures)
    loaded_windows: int = 0  # windows still under other processes' load after being redone
    faults_per_call: float = 0.0  # minor page faults per forward pass (median over windows)
    dtype: str = "fp32"  # the precision the backend ran (int8/fp16 only on runtimes with kernels)
    check: str | None = None  # how the backend's output compared with eager PyTorch
    rel_error: float | None = None  # int8/fp16: relative error of the output vs fp32 eager
    formulation: str = "paper"  # how the module was written (model.nn.FORMULATIONS)

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        return asdict(self)


@functools.lru_cache(maxsize=1)  # once per process: the policy stays
def keep_freed_memory() -> bool:
    """Make glibc keep freed memory in this process from now on, so no call pays page faults
    for memory the previous call released; True when applied (glibc), False elsewhere.

    Called before every timing (latency, profiler breakdown, roofline calibration), so all of
    them see the same allocator. It is not undone: once any ``mallopt`` setting is made, glibc
    never returns to its adaptive thresholds, and its fixed defaults would make later work
    page-fault more than in a fresh process. The cost is that the process keeps the memory it
    has freed (the activations of the largest network measured) until it exits. (The bundle's
    standalone runner applies the same policy: ``runner.keep_freed_memory``.)
    """
    return runner.keep_freed_memory()


def environment(threads: int, backend: str = "eager") -> dict:
    """What a latency figure depends on: torch version, backend, threads, CPU, allocator."""
    return measured_environment(threads, backend, allocator_policy())


def summarize_windows(
    name: str, window_s: Sequence[float], threads: int, batch_size: int, backend: str = "eager"
) -> LatencyResult:
    """Median of window medians and IQR spread, flagged noisy above ``NOISY_FRACTION``."""
    ms = [w * 1e3 for w in window_s]
    med, spread = runner.median_and_iqr(ms)
    return LatencyResult(
        name, med, spread, spread > NOISY_FRACTION * med, ms, threads, batch_size, backend
    )


def measure_latency(
    specs: NetworkSpec | Sequence[NetworkSpec],
    *,
    threads: int = 1,
    batch_size: int = 1,
    windows: int = DEFAULT_WINDOWS,
    window_time: float = DEFAULT_WINDOW_TIME,
    warmup_time: float = DEFAULT_WARMUP_TIME,
    progress: Callable[[str], None] | None = None,
    backend: str = "eager",
    dtype: str = "fp32",
    formulation: str = "paper",
) -> LatencyResult | list[LatencyResult]:
    """Measure the CPU latency of one or several networks with the protocol above.

    Several specs are measured together, interleaved, so their ratios are fair. ``progress``
    is called with a short description after each step (``windows + 1`` steps per model).
    ``backend`` is one of ``backends.BACKENDS``; each network's output is checked against eager
    before timing, and a network the backend cannot run gets a result with ``error`` set.
    ``dtype`` 'int8' or 'fp16' times quantized / half models where the backend has those
    kernels (``backends.UNSUPPORTED`` says why not elsewhere); ``check`` records how the output
    compared. ``formulation`` is passed to ``build_model`` (``model.nn.FORMULATIONS``).
    Returns one ``LatencyResult`` for one spec, else a list in the input order.

    Example::

        >>> from shufflenet_cli import measure_latency, shufflenet_spec, mobilenet_spec
        >>> a, b = measure_latency([shufflenet_spec(groups=3), mobilenet_spec(0.5)])
        >>> ratio = a.median_ms / b.median_ms
    """
    import torch

    from ..model.nn import check_formulation
    from .backends import check_backend_name
    from .backends import check_dtype

    single = not isinstance(specs, (list, tuple))
    spec_list = [specs] if single else list(specs)
    Protocol(threads, batch_size, windows, window_time, warmup_time)  # checks the settings first
    check_backend_name(backend)
    check_dtype(dtype)
    check_formulation(formulation)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    errors: dict[int, str] = {}
    keep_freed_memory()  # the one setting kept: see README "Latency protocol"
    protocol = Protocol(threads, batch_size, windows, window_time, warmup_time)
    try:
        with torch.random.fork_rng(devices=[]):  # weights are drawn; the caller's RNG is kept
            results = _measure(spec_list, protocol, progress, backend, errors, dtype, formulation)
    finally:
        torch.set_num_threads(previous_threads)
    return results[0] if single else results


def _measure(
    spec_list, protocol: Protocol, progress, backend, errors, dtype="fp32", formulation="paper"
) -> list[LatencyResult]:
    """The body of ``measure_latency`` (threads and allocator already set)."""
    threads, batch_size, windows = protocol.threads, protocol.batch_size, protocol.windows
    window_time, warmup_time = protocol.window_time, protocol.warmup_time
    import torch
    from torch.utils.benchmark import Timer

    from ..model.nn import build_model
    from ..model.nn import example_input
    from .backends import BackendError
    from .backends import prepare_checked

    timers: dict[int, Timer] = {}
    checks: dict[int, object] = {}
    for i, spec in enumerate(spec_list):
        model = build_model(spec, batch_size, formulation).eval()
        x = example_input(spec, batch_size)
        try:
            prepared = prepare_checked(model, x, backend, threads, dtype)
        except BackendError as e:
            errors[i] = str(e)
            continue
        checks[i] = prepared
        timers[i] = Timer(
            "fn()", globals={"fn": prepared.run}, num_threads=threads, label=spec.name
        )

    def clock(timer, seconds):
        m = timer.blocked_autorange(min_run_time=seconds)
        return m.median, len(m.times) * m.number_per_run

    def after(w, i):
        if progress:
            progress(f"window {w + 1}/{windows} {spec_list[i].name}")

    with torch.inference_mode():
        for i, timer in timers.items():
            timer.blocked_autorange(min_run_time=warmup_time)
            if progress:
                progress(f"warm-up {spec_list[i].name}")
        samples, faults, loaded_count = interleaved_windows(
            timers, windows, window_time, MAX_REDO, LOAD_THRESHOLD, clock, after
        )
    results = []
    for i, s in enumerate(spec_list):
        if i in errors:
            results.append(
                LatencyResult(
                    s.name, math.nan, math.nan, False, [], threads, batch_size, backend, errors[i]
                )
            )
            if progress:  # keep the progress total honest for skipped networks
                for _ in range(windows + 1):
                    progress(f"{backend} cannot run {s.name}")
        else:
            r = summarize_windows(s.name, samples[i], threads, batch_size, backend)
            r.loaded_windows = loaded_count[i]
            r.faults_per_call = statistics.median(faults[i])
            r.noisy = r.noisy or loaded_count[i] > 0
            r.check = checks[i].check
            r.rel_error = checks[i].error if dtype != "fp32" else None
            results.append(r)
        results[-1].dtype, results[-1].formulation = dtype, formulation
    return results


def measure_in_fresh_processes(
    specs: Sequence[NetworkSpec],
    runs: int,
    *,
    threads: int = 1,
    batch_size: int = 1,
    backend: str = "eager",
    progress: Callable[[str], None] | None = None,
    dtype: str = "fp32",
    formulation: str = "paper",
    windows: int = DEFAULT_WINDOWS,
    window_time: float = DEFAULT_WINDOW_TIME,
    warmup_time: float = DEFAULT_WARMUP_TIME,
) -> list[list[float | None]]:
    """Repeat the whole measurement in ``runs`` fresh Python processes.

    Each process runs ``shufflenet-cli profile`` on the same specs (written as YAML), with the
    interleaved protocol (``windows`` of ``window_time`` s after ``warmup_time`` s). Returns,
    per spec, the median latency (ms) of each process, or None where the backend could not
    run it. Different processes land on different memory layouts, thread placements and cache
    states: the spread between them is what a user who measures once should expect.
    """
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import yaml

    from ..errors import UserError
    from ..files import write_new
    from ..model.spec import spec_to_dict

    per_spec: list[list[float | None]] = [[] for _ in specs]
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-") as folder:
        args = [
            sys.executable,
            "-m",
            "shufflenet_cli",
            "profile",
            "--baseline",
            "none",
            "--threads",
            str(threads),
            "--batch-size",
            str(batch_size),
            "--backend",
            backend,
            "--dtype",
            dtype,
            "--formulation",
            formulation,
            "--windows",
            str(windows),
            "--window-time",
            repr(float(window_time)),
            "--warmup-time",
            repr(float(warmup_time)),
            "--format",
            "json",
        ]
        for i, spec in enumerate(specs):
            path = Path(folder) / f"{i:03d}.yaml"
            write_new(path, yaml.safe_dump(spec_to_dict(spec), sort_keys=False))
            args += ["--spec", str(path)]
        for run in range(runs):
            done = subprocess.run(args, capture_output=True, text=True)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise UserError(f"repeat-process: process {run + 1} failed: {last}")
            rows = json.loads(done.stdout)
            for i, row in enumerate(rows):
                per_spec[i].append(row["latency_ms"])
            if progress:
                progress(f"process {run + 1}/{runs} ({backend})")
    return per_spec
