"""How well independent calibrations of one backend agree, kernel by kernel.

Run: python benchmarks/bench_kernel_agreement.py BACKEND DIR DIR [DIR ...]
(each DIR a ``calibrate --cache DIR`` folder holding one calibration of BACKEND, for instance
successive ``calibrate --recalibrate --validate`` runs)

For every kernel all the calibrations timed, the spread of its times (log of max / min over
the runs); printed per unit kind and size (fastest time under 50 us, under 300 us, above),
with the share of kernels whose times differ by more than 10%, and for each pair of runs the
standard deviation of the log ratio. Nothing is timed: it reads the caches. A predictor can be
no better than its kernels agree with themselves from one run to the next.
"""

import argparse
import itertools
import json
import math
import statistics
from pathlib import Path


def _load(backend: str, folder: str) -> dict[str, float]:
    """The kernel table of the one calibration of ``backend`` in ``folder``."""
    files = sorted(Path(folder).glob(f"{backend}-*.json"))
    if len(files) != 1:
        raise SystemExit(f"{folder}: expected one {backend} calibration, found {len(files)}")
    return json.loads(files[0].read_text(encoding="utf-8"))["kernels"]


def _size(seconds: float) -> str:
    if seconds < 50e-6:
        return "under 50 us"
    return "under 300 us" if seconds < 300e-6 else "300 us and more"


def main() -> None:
    """Print kernel spread across calibrations, by kind and size, and per pair of runs."""
    parser = argparse.ArgumentParser()
    parser.add_argument("backend")
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    if len(args.folders) < 2:
        raise SystemExit("give at least two calibration folders")
    runs = {f: _load(args.backend, f) for f in args.folders}
    common = set.intersection(*(set(k) for k in runs.values()))
    groups: dict[tuple[str, str], list[float]] = {}
    for key in common:
        times = [k[key] for k in runs.values()]
        spread = math.log(max(times) / min(times))
        groups.setdefault((key.split(":")[0], _size(min(times))), []).append(spread)
        groups.setdefault(("all", ""), []).append(spread)
    print(f"{len(common)} kernels in all {len(runs)} calibrations; spread = log(max / min)")
    print(f"{'kind':16s} {'size':16s} {'kernels':>7s} {'median spread':>13s} {'over 10%':>8s}")
    for (kind, size), spreads in sorted(groups.items()):
        over = sum(s > math.log(1.1) for s in spreads) / len(spreads)
        print(
            f"{kind:16s} {size:16s} {len(spreads):7d} {statistics.median(spreads):13.3f} "
            f"{over:8.0%}"
        )
    for a, b in itertools.combinations(args.folders, 2):
        ratios = [math.log(runs[a][k] / runs[b][k]) for k in common]
        over = sum(abs(r) > math.log(1.1) for r in ratios) / len(ratios)
        print(
            f"{a} vs {b}: sd of log ratio {statistics.pstdev(ratios):.3f}, "
            f"{over:.0%} of kernels differ by more than 10%"
        )


if __name__ == "__main__":
    main()
