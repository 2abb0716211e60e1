"""How stable is a network's "undisturbed" latency, by how it is reduced from its timings?

Run: flock /tmp/cpu-latency.lock python benchmarks/bench_quiet_estimator.py [--backend B]
     [--rounds 80] [--networks 6]

The predictor fits and predicts the latency of an undisturbed run (``predictor.quiet_time``).
On a shared host, other tenants come and go in stretches the load check cannot see, so that
latency has to be read from the quiet stretches of a measurement. This times some held-out
networks (``random_networks(50, seed=1)``) call by call, in 0.1-s windows interleaved over
``--rounds`` rounds, and reduces the same calls in several ways:

- ``median``: median of window medians (what ``profile`` reports);
- ``fastest window``: the smallest window median (the predictor until 2026-11-30);
- ``fastest L-ms block``: calls grouped into blocks of at least L ms, the fastest block's mean
  (the predictor from 2026-11-30 uses 2-ms blocks).

For each it splits the rounds into 8 sets of every 8th round (10 rounds each at the default
80, the size of one measurement) and prints, per network, the standard deviation of the log
of the 8 estimates: how far two measurements of the same network made minutes apart can
differ. A pure-Python probe loop timed 60 times beside gives the host's mood (IQR / median).
"""

import argparse
import math
import statistics
import time

WINDOW = 0.1
SETS = 8
BLOCKS_MS = (0.0, 2.0, 5.0, 12.0)


def probe() -> str:
    """The host's mood: a fixed pure-Python loop timed 60 times, IQR / median and max / min."""
    times = []
    for _ in range(60):
        start = time.perf_counter()
        s = 0
        for i in range(200_000):
            s += i * i
        times.append(time.perf_counter() - start)
    q = statistics.quantiles(times, n=4)
    return f"probe: IQR / median {(q[2] - q[0]) / statistics.median(times):.1%}, max / min " + (
        f"{max(times) / min(times):.2f}"
    )


def fastest_block(windows: list[list[float]], block_s: float) -> float:
    """Seconds per call of the fastest block of at least ``block_s`` (within a window)."""
    best = math.inf
    for calls in windows:
        n, spent = 0, 0.0
        for t in calls:
            n, spent = n + 1, spent + t
            if spent >= block_s:
                best, n, spent = min(best, spent / n), 0, 0.0
    return best


def estimators() -> dict:
    """Name -> function of a list of windows (each a list of call seconds)."""
    out = {
        "median": lambda ws: statistics.median(statistics.median(w) for w in ws),
        "fastest window": lambda ws: min(statistics.median(w) for w in ws),
    }
    for ms in BLOCKS_MS:
        name = "fastest call" if ms == 0 else f"fastest {ms:g}-ms block"
        out[name] = lambda ws, s=ms / 1e3: fastest_block(ws, s)
    # each window's fastest 2-ms block, then a statistic over the windows: a lone window
    # faster than all the others (a moment of boost) moves the minimum, not these
    out["2nd fastest window's 2-ms"] = lambda ws: sorted(window_blocks(ws, 2e-3))[1]
    out["quartile of windows' 2-ms"] = lambda ws: _quartile(window_blocks(ws, 2e-3))
    out["median of windows' 2-ms"] = lambda ws: statistics.median(window_blocks(ws, 2e-3))
    return out


def window_blocks(windows: list[list[float]], block_s: float) -> list[float]:
    """Each window's fastest block of at least ``block_s`` (seconds per call)."""
    return [fastest_block([w], block_s) for w in windows]


def _quartile(values: list[float]) -> float:
    return statistics.quantiles(values, n=4, method="inclusive")[0]


def main() -> None:
    """Time the networks call by call and print each estimator's spread across sets."""
    import torch

    from shufflenet_cli.measure.backends import prepare
    from shufflenet_cli.measure.latency import keep_freed_memory
    from shufflenet_cli.measure.predictor import random_networks
    from shufflenet_cli.measure.runner import blocked_autorange
    from shufflenet_cli.model.nn import build_model
    from shufflenet_cli.model.nn import example_input

    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="onnxruntime", choices=("eager", "onnxruntime"))
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--networks", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()
    specs = random_networks(50, 1)
    step = max(len(specs) // args.networks, 1)
    chosen = specs[::step][: args.networks]
    calls = {}
    with torch.inference_mode():
        for spec in chosen:
            fn = prepare(build_model(spec).eval(), example_input(spec), args.backend, 1)
            blocked_autorange(fn, 0.3)
            calls[spec.name] = fn
        windows = {name: [] for name in calls}
        names = list(calls)
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                fn, times = calls[name], []
                start = now = time.perf_counter()
                while now - start < WINDOW:
                    fn()
                    after = time.perf_counter()
                    times.append(after - now)
                    now = after
                windows[name].append(times)
    print(f"{args.backend}, {args.rounds} rounds of {WINDOW:g}-s windows; {probe()}")
    print("sd of log(estimate) over 8 sets of every 8th round, per network; and its median:")
    for label, fn in estimators().items():
        sds = []
        for ws in windows.values():
            sets = [fn(ws[i::SETS]) for i in range(SETS)]
            sds.append(statistics.pstdev(math.log(x) for x in sets))
        spreads = " ".join(f"{s:.3f}" for s in sds)
        print(f"  {label:22s} {spreads}   median {statistics.median(sds):.3f}")


if __name__ == "__main__":
    main()
