"""Stability of the ShuffleNet 1x g3 / MobileNet 0.5 latency ratio across fresh processes.

Run: python benchmarks/bench_latency_stability.py [--runs 5] [--backends eager,channels_last,...]
Each run is a new `shufflenet-cli profile` process (interleaved protocol, 1 thread); prints per
backend every run's ratio, each network's medians, and spread = (max - min) / median.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time


def one_run(backend: str) -> tuple[float, float, float, float, int]:
    """(ShuffleNet ms, MobileNet ms, seconds the process took, most page faults per call,
    windows still under other processes' load)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "shufflenet_cli",
            "profile",
            "--preset",
            "shufflenet-1x-g3",
            "--baseline",
            "mobilenet-v1-0.5",
            "--backend",
            backend,
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = {r["name"]: r for r in json.loads(out)}
    return (
        rows["shufflenet-1x-g3"]["latency_ms"],
        rows["mobilenet-v1-0.5"]["latency_ms"],
        time.perf_counter() - t0,
        max(r["latency_faults_per_call"] or 0.0 for r in rows.values()),
        sum(r["latency_loaded_windows"] or 0 for r in rows.values()),
    )


def spread(values: list[float]) -> float:
    """(max - min) / median."""
    return (max(values) - min(values)) / statistics.median(values)


def main() -> None:
    """Print the per-backend stability table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--backends", default="eager,channels_last,torchscript,compile,onnxruntime")
    args = p.parse_args()
    print(
        "| backend | ShuffleNet 1x g3 ms (runs) | MobileNet 0.5 ms (runs) | ratio (runs) | "
        "ratio spread | ShuffleNet spread | MobileNet spread | s per process | "
        "page faults per call | loaded windows |"
    )
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        runs = [one_run(backend) for _ in range(args.runs)]
        sn = [r[0] for r in runs]
        mb = [r[1] for r in runs]
        ratio = [a / b for a, b in zip(sn, mb)]
        fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        print(
            f"| {backend} | {fmt(sn)} | {fmt(mb)} | {fmt(ratio)} | {spread(ratio):.1%} | "
            f"{spread(sn):.1%} | {spread(mb):.1%} | "
            f"{statistics.median(r[2] for r in runs):.1f} | "
            f"{max(r[3] for r in runs):.1f} | {sum(r[4] for r in runs)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
