"""Whole-process time of `shufflenet-cli profile --groups 1,2,3,4,8`, analytic and measured.

Run: python benchmarks/bench_profile.py [--repeats N]
Prints the wall time of each run and the median; the analytic run must not import torch.
"""

import argparse
import statistics
import subprocess
import sys
import time

COMMAND = [
    sys.executable,
    "-m",
    "shufflenet_cli",
    "profile",
    "--groups",
    "1,2,3,4,8",
    "--format",
    "json",
]


def wall_time(args: list[str]) -> float:
    """Seconds one whole process takes (start-up, import, work, exit)."""
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    """Time the analytic and the measured profile, side by side, in one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    n = parser.parse_args().repeats
    analytic = [wall_time(COMMAND + ["--no-latency"]) for _ in range(n)]
    measured = [wall_time(COMMAND) for _ in range(n)]
    print(
        f"profile --groups 1,2,3,4,8 --no-latency: median {statistics.median(analytic):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in analytic)})"
    )
    print(
        f"profile --groups 1,2,3,4,8 (latency):    median {statistics.median(measured):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in measured)})"
    )
    print(
        "ratio measured / analytic: "
        f"{statistics.median(measured) / statistics.median(analytic):.0f}x"
    )


if __name__ == "__main__":
    main()
