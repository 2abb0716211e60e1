"""Whole-process time of the full `shufflenet-cli report`: ShuffleNet groups 1,2,3,4,8 x
scales 0.5,1,2 plus MobileNet v1 widths 1, 0.75, 0.5, 0.25 (19 networks), with and without
latency.

Run: python benchmarks/bench_report.py [--repeats N] [--latency-repeats M]
Targets: under 10 s with --no-latency, under 5 minutes with latency (issue 3).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = [
    sys.executable,
    "-m",
    "shufflenet_cli",
    "report",
    "--groups",
    "1,2,3,4,8",
    "--scales",
    "0.5,1,2",
    "--mobilenet-widths",
    "1,0.75,0.5,0.25",
]


def wall_time(args: list[str]) -> float:
    """Seconds one whole process takes (start-up, import, work, writing the folder, exit)."""
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    """Time the analytic and the measured report in fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs with --no-latency")
    parser.add_argument("--latency-repeats", type=int, default=1, help="runs with latency")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "report")
        analytic = [
            wall_time(COMMAND + ["--no-latency", "--out", out]) for _ in range(args.repeats)
        ]
        measured = [wall_time(COMMAND + ["--out", out]) for _ in range(args.latency_repeats)]
    for label, runs, target in (("--no-latency", analytic, 10), ("latency", measured, 300)):
        print(
            f"report, 19 networks, {label:13s} median {statistics.median(runs):6.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in runs)}); target < {target} s: "
            f"{'met' if statistics.median(runs) < target else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
