"""Phase-1 screening rate of this checkout against another one, side by side.

Run: python benchmarks/bench_screening_ab.py OTHER_CHECKOUT [--pairs N] [--predict BACKEND
--cache DIR]

OTHER_CHECKOUT is another copy of the project (for example ``git worktree add /tmp/old REV``).
The script starts ``2 x N`` fresh processes, alternating between the other checkout and this
one, each pinned to one core where the OS allows. Each process screens the grid of
presets/search-large.yaml three times (with --predict, with latency predicted from that
backend's calibration in DIR) and reports its first screen (what one ``search`` does: caches
cold) and the better of the other two (warm). Printed: every process's rates, then each
checkout's median and the ratio of the medians. A shared host moves single processes' rates
by tens of percent, so only the medians of many alternating processes compare.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import shufflenet_cli
from shufflenet_cli.explore.search import grid_candidates, load_space, screen
assert shufflenet_cli.__file__.startswith(sys.argv[1]), shufflenet_cli.__file__
space = load_space(sys.argv[2])
cands = list(grid_candidates(space))
predictor = None
if sys.argv[3]:
    from shufflenet_cli.measure.predictor import Predictor
    predictor = Predictor.load(sys.argv[3], 1, cache_dir=sys.argv[4] or None, measure_missing=False)
rates = []
for _ in range(3):
    t0 = time.perf_counter()
    screen(space, cands, predictor=predictor)
    rates.append(len(cands) / (time.perf_counter() - t0))
print(json.dumps({"fresh": rates[0], "warm": max(rates[1:])}))
"""


def _run(checkout: Path, args) -> dict:
    """One fresh process's screening rates in ``checkout``."""
    cmd = [
        sys.executable,
        "-c",
        CHILD,
        str(checkout),
        str(ROOT / "presets" / "search-large.yaml"),
        args.predict or "",
        args.cache or "",
    ]
    if hasattr(os, "sched_setaffinity"):  # one core, as the target says
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print each process's rates, the medians per checkout and their ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="another checkout of the project")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--predict", choices=["eager", "onnxruntime"])
    parser.add_argument("--cache")
    args = parser.parse_args()
    other = args.other.resolve()
    if not (other / "shufflenet_cli" / "__init__.py").is_file():
        parser.error(f"{other}: not a checkout of the project (no shufflenet_cli/)")
    runs: dict[str, list[dict]] = {"other": [], "this": []}
    for i in range(args.pairs):
        for label, checkout in (("other", other), ("this", ROOT)):
            r = _run(checkout, args)
            runs[label].append(r)
            print(f"pair {i + 1} {label:5s} fresh {r['fresh']:8,.0f}/s  warm {r['warm']:8,.0f}/s")
    for kind in ("fresh", "warm"):
        med = {k: statistics.median(r[kind] for r in v) for k, v in runs.items()}
        print(
            f"{kind}: this {med['this']:,.0f}/s, other {med['other']:,.0f}/s (medians of "
            f"{args.pairs}); ratio {med['this'] / med['other']:.2f}"
        )


if __name__ == "__main__":
    main()
