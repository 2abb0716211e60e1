"""The latency protocol as one value: how many threads, what batch, how many interleaved
windows of how long, how much warm-up, how many fresh processes.

The CLI builds one ``Protocol`` from its options; every command that measures passes it on, so
the settings, the progress-step count and the footer that states them exist once.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from ..errors import UserError
from ..model.formulations import FORMULATION_NAMES

NOISY_FRACTION = 0.10  # a result whose spread exceeds this share of its median is noisy
LOAD_THRESHOLD = 0.25  # other processes' CPU use during a window, in cores
MAX_REDO = 2  # a window under load is measured again at most this many times
DEFAULT_WINDOWS = 20
DEFAULT_WINDOW_TIME = 0.1  # seconds per model per window
DEFAULT_WARMUP_TIME = 0.3  # seconds per model before the first window
MAX_THREADS = 256

# What the '!' beside a latency means (the protocol flags a result noisy for either reason).
NOISY_NOTE = (
    f"'!' = noisy (IQR > {NOISY_FRACTION:.0%} of median, or windows still under other "
    "processes' load after being redone)."
)


@dataclass(frozen=True)
class Protocol:
    """Settings of one latency measurement, checked when made.

    Example::

        >>> p = Protocol(threads=1, windows=10)
        >>> p.steps(networks=3)         # progress steps: warm-up + windows, per network
        33
    """

    threads: int = 1
    batch_size: int = 1
    windows: int = DEFAULT_WINDOWS
    window_time: float = DEFAULT_WINDOW_TIME
    warmup_time: float = DEFAULT_WARMUP_TIME
    repeat_process: int = 1  # > 1: the whole measurement in that many fresh processes
    dtype: str = "fp32"  # what the backends run: int8 / fp16 where they have the kernels
    formulation: str = "paper"  # how ShuffleNet's shuffle and shortcut are written (model.nn)

    def __post_init__(self) -> None:
        for name in ("threads", "batch_size", "windows", "repeat_process"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"{name}: {value!r} must be a positive whole number")
        if self.threads > MAX_THREADS:
            raise UserError(f"threads: {self.threads} is absurd (at most {MAX_THREADS})")
        for name in ("window_time", "warmup_time"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise UserError(f"{name}: {value!r} must be a positive number of seconds")
            if value > 600:
                raise UserError(f"{name}: {value!r} s is too long (at most 600)")
        if self.dtype not in ("fp32", "int8", "fp16"):
            raise UserError(f"dtype: {self.dtype!r} is not one of fp32, int8, fp16")
        if self.formulation not in FORMULATION_NAMES:
            raise UserError(
                f"formulation: {self.formulation!r} is not one of {', '.join(FORMULATION_NAMES)}"
            )

    @classmethod
    def make(cls, **settings) -> Protocol:
        """A protocol from keyword settings where None means the default (as CLI options give)."""
        return cls(**{k: v for k, v in settings.items() if v is not None})

    def settings(self, *names: str) -> dict:
        """Some settings as keyword arguments (``p.settings("threads", "dtype")``)."""
        return {n: getattr(self, n) for n in names}

    def with_(self, **changes) -> Protocol:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def steps(self, networks: int, backends: int = 1) -> int:
        """Progress steps a measurement of ``networks`` on ``backends`` reports."""
        per_backend = (
            self.repeat_process if self.repeat_process > 1 else networks * (self.windows + 1)
        )
        return per_backend * backends

    def describe(self) -> str:
        """The protocol in words, for footers."""
        if self.repeat_process > 1:
            return (
                f"median of {self.repeat_process} fresh processes' medians, +/- max - min "
                f"between processes; '!' = noisy (spread > {NOISY_FRACTION:.0%} of median)"
            )
        return (
            f"{self.windows} interleaved windows of {self.window_time:g} s after "
            f"{self.warmup_time:g} s warm-up; median of window medians, +/- IQR; " + NOISY_NOTE
        )

    def footer(self, env: dict) -> str:
        """The one latency footer line: where, how, and what '!' means."""
        return (
            f"Latency: {env['backend']}, {self.threads} thread(s), batch {self.batch_size}, "
            + (f"{self.dtype}, " if self.dtype != "fp32" else "")
            + (f"{self.formulation} formulation, " if self.formulation != "paper" else "")
            + f"torch {env['torch']}, "
            + "".join(f"{k} {v}, " for k, v in env.get("runtimes", {}).items())
            + f"CPU {env['cpu']}, allocator: {env['allocator']}; "
            + self.describe()
            + (
                " [x%] beside an int8/fp16 latency = relative error of its output vs fp32 "
                "eager (generated inputs, calibrated on 8 others)."
                if self.dtype != "fp32"
                else ""
            )
        )


__all__ = [
    "Protocol",
    "NOISY_FRACTION",
    "NOISY_NOTE",
    "LOAD_THRESHOLD",
    "MAX_REDO",
    "DEFAULT_WINDOWS",
    "DEFAULT_WINDOW_TIME",
    "DEFAULT_WARMUP_TIME",
]
