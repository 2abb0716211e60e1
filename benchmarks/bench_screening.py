"""Phase-1 screening rate of the search (analytic cost model, one core), beside fvcore.

Run: python benchmarks/bench_screening.py [--predict eager|onnxruntime] [--cache DIR]
Screens the whole grid of presets/search-large.yaml, then times fvcore's FlopCountAnalysis on a
few of the same candidates, and prints both rates and their ratio. With --predict, the grid is
first screened with latency predicted from that backend's calibration (``calibrate`` first):
every candidate gets ``predicted_latency``, kernels the calibration lacks come from its
regression. Each rate is given for the first screen in the process (what one search does: its
caches start empty) and warm, the best of three more screens.
"""

import argparse
import time
from pathlib import Path

from shufflenet_cli.explore.search import grid_candidates
from shufflenet_cli.explore.search import load_space
from shufflenet_cli.explore.search import screen

ROOT = Path(__file__).resolve().parent.parent


ROUNDS = 3  # warm screens after the first; the best is kept (a shared host's load only slows)


def _rate(space, cands, predictor) -> float:
    """Candidates/s of one phase-1 screen of ``cands``."""
    t0 = time.perf_counter()
    screen(space, cands, predictor=predictor)
    return len(cands) / (time.perf_counter() - t0)


def main() -> None:
    """Print candidates/s for our screening and for fvcore on the same space."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--predict", choices=["eager", "onnxruntime"])
    parser.add_argument("--cache")
    args = parser.parse_args()
    space = load_space(str(ROOT / "presets" / "search-large.yaml"))
    cands = list(grid_candidates(space))
    if args.predict:
        from shufflenet_cli.measure.predictor import Predictor

        predictor = Predictor.load(args.predict, 1, cache_dir=args.cache, measure_missing=False)
        # the first screen of a process is what a search does (caches cold); again, warm
        rates = [_rate(space, cands, predictor) for _ in range(1 + ROUNDS)]
        seen = predictor.seen_units()
        calibrated = sum(predictor.calibrated(u) for u in seen)
        print(
            f"phase 1 (cost model + predicted latency, {args.predict}): {rates[0]:,.0f} "
            f"candidates/s in a fresh process, {max(rates[1:]):,.0f}/s warm (best of "
            f"{ROUNDS}); {len(seen)} distinct kernels, {calibrated} calibrated, "
            f"{len(seen) - calibrated} from the regression"
        )
    t0 = time.perf_counter()
    result = screen(space, cands)
    ours = len(cands) / (time.perf_counter() - t0)
    print(
        f"grid: {len(cands)} candidates ({result.invalid} invalid, {result.duplicates} "
        f"duplicates, {len(result.rows)} feasible)"
    )
    rates = [ours] + [_rate(space, cands, None) for _ in range(ROUNDS)]
    first = "after the predicted screens" if args.predict else "in a fresh process"
    print(
        f"phase 1 (cost model): {ours:,.0f} candidates/s {first}, {max(rates[1:]):,.0f}/s "
        f"warm (best of {ROUNDS})"
    )

    import logging
    import warnings

    import torch
    from fvcore.nn import FlopCountAnalysis

    from shufflenet_cli.model.nn import build_model
    from shufflenet_cli.model.nn import example_input

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    sample = result.rows[:: max(1, len(result.rows) // 10)][:10]
    from shufflenet_cli.explore.search import candidate_spec

    t0 = time.perf_counter()
    for row in sample:
        spec = candidate_spec(space, row["candidate"])
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            FlopCountAnalysis(
                build_model(spec).eval(), example_input(spec)
            ).unsupported_ops_warnings(False).total()
    theirs = len(sample) / (time.perf_counter() - t0)
    print(
        f"fvcore (build + trace + count): {theirs:,.1f} candidates/s ({1000 / theirs:.0f} ms each)"
    )
    print(f"ratio: {ours / theirs:,.0f}x")


if __name__ == "__main__":
    main()
