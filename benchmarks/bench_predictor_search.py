"""Latency search with and without predicted latency in phase 1 (same space, same budget).

Run: python benchmarks/bench_predictor_search.py [--backend eager] [--cache DIR]
(after ``shufflenet-cli calibrate --backend B``).

Today's search (presets/search-latency.yaml: minimise latency and MACs, ``measure_top`` 12)
screens with the cost model alone, so phase 2 measures the 12 best analytic candidates. The
predicted search is the same space and budget with ``predicted_latency`` in place of
``latency`` in phase 1: phase 2 measures the 12 best by predicted latency and MACs. Both final
fronts are over measured latency and MACs. To compare them on equal terms, every member of
both fronts is then measured again in one interleaved run, and each front's hypervolume
(reference point: 1.1 x the worst latency and MACs of the union) is computed from those
shared measurements: larger is better.
"""

import argparse
import copy
import time
from pathlib import Path

from shufflenet_cli.explore.search import candidate_spec
from shufflenet_cli.explore.search import load_space
from shufflenet_cli.explore.search import pareto_front
from shufflenet_cli.explore.search import run_search
from shufflenet_cli.measure.latency import measure_latency

ROOT = Path(__file__).resolve().parent.parent


def hypervolume(points, ref) -> float:
    """Area dominated by 2-D points (both minimised) up to the reference point."""
    pts = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, best_y = 0.0, ref[1]
    for i, (x, y) in enumerate(pts):
        nxt = pts[i + 1][0] if i + 1 < len(pts) else ref[0]
        best_y = min(best_y, y)
        area += (nxt - x) * (ref[1] - best_y)
    return area


def main() -> None:
    """Run both searches, remeasure both fronts together, print them side by side."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="eager")
    parser.add_argument("--cache")
    args = parser.parse_args()
    today = load_space(str(ROOT / "presets" / "search-latency.yaml"))
    predicted = copy.deepcopy(today)
    predicted.minimize = ["predicted_latency" if o == "latency" else o for o in today.minimize]
    kwargs = dict(backend=args.backend, cache_dir=args.cache)
    fronts = {}
    for label, space in (("analytic phase 1 (today)", today), ("predicted phase 1", predicted)):
        t0 = time.perf_counter()
        result = run_search(space, **kwargs)
        fronts[label] = result
        print(
            f"{label}: {len(result.measured)} measured, front of {len(result.front)} "
            f"in {time.perf_counter() - t0:.0f} s"
            + (
                f"; prediction on the measured: Spearman {result.prediction['spearman']:.3f}, "
                f"{result.prediction['within_10']:.0%} within 10%"
                if result.prediction and "spearman" in result.prediction
                else ""
            )
        )
    union = {}
    for result in fronts.values():
        for r in result.front:
            union.setdefault(r["key"], r)
    specs = [candidate_spec(today, r["candidate"]) for r in union.values()]
    remeasured = measure_latency(specs, backend=args.backend)
    latency = {k: m.median_ms for k, m in zip(union, remeasured)}
    ref = (
        1.1 * max(latency.values()),
        1.1 * max(r["macs"] for r in union.values()) / 1e6,
    )
    print(f"\nboth fronts remeasured together ({args.backend}, 1 thread); hypervolume ref {ref}")
    for label, result in fronts.items():
        rows = [dict(r, latency_ms=latency[r["key"]]) for r in result.front]
        front = pareto_front(rows, ["latency_ms", "macs"])
        hv = hypervolume([(r["latency_ms"], r["macs"] / 1e6) for r in front], ref)
        print(f"\n{label}: hypervolume {hv:.1f} (ms x MMACs), {len(front)} on the remeasured front")
        print("| candidate | latency (ms) | predicted (ms) | MACs (M) |")
        print("|---|---:|---:|---:|")
        for r in sorted(rows, key=lambda r: r["latency_ms"]):
            pred = r.get("latency_predicted_ms")
            print(
                f"| {r['name']} | {r['latency_ms']:.2f} | "
                f"{'-' if pred is None else f'{pred:.2f}'} | {r['macs'] / 1e6:.1f} |"
            )


if __name__ == "__main__":
    main()
