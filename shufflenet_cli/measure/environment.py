"""What a figure depends on: the machine, the libraries, and (when latency was measured) the
backend, threads and allocator policy. Recorded once, in one shape, by every command."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def last_level_cache_bytes() -> int | None:
    """Size of CPU 0's last-level cache in bytes (Linux sysfs), or None where unknown."""
    best: tuple[int, int] | None = None
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return None
    for entry in entries:
        try:
            with open(f"{base}/{entry}/level", encoding="utf-8") as f:
                level = int(f.read())
            with open(f"{base}/{entry}/type", encoding="utf-8") as f:
                kind = f.read().strip()
            with open(f"{base}/{entry}/size", encoding="utf-8") as f:
                text = f.read().strip()
        except (OSError, ValueError):
            continue
        if kind == "Instruction" or not text:
            continue
        scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1], 1)
        try:
            size = int(text.rstrip("KMG")) * scale
        except ValueError:
            continue
        if best is None or (level, size) > best:
            best = (level, size)
    return best[1] if best else None


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def run_environment() -> dict:
    """The machine and libraries, without importing torch (analytic runs stay fast)."""
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cpu_count": cpu_count(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "shufflenet_cli": _version("shufflenet-cli"),
        "latency_measured": False,
    }


def measured_environment(threads: int, backend: str, allocator: str) -> dict:
    """``run_environment`` plus what a latency figure depends on."""
    return {
        **run_environment(),
        "latency_measured": True,
        "backend": backend,
        "threads": threads,
        "allocator": allocator,
    }


__all__ = ["cpu_model", "cpu_count", "run_environment", "measured_environment"]
