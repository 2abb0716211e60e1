"""ONNX Runtime: a unit timed alone against two copies of it chained in one graph.

Run: python benchmarks/bench_unit_chains.py NETWORK [NETWORK ...]   (rule names, e.g.
mobilenet-v1-0.5-200 shufflenet-0.9x-g3-u3.6.1-b0.33-248)

The predictor times each unit's ONNX graph alone (``measure.predictor``). Inside a network a
unit pays no session call, often skips the layout conversions its graph alone does at its edges
(which ones, the predictor counts: ``measure.unit_graphs``), and finds other units' weights, not
its own, in cache. For every unit of the networks whose output has its input's shape, this times
the unit alone (T1) and two copies of it chained (T2, other weights) in interleaved rounds,
fastest window each, and prints 2*T1 - T2: what a unit alone pays that a unit inside a chain
does not (positive), or the reverse (negative: the second copy found the cache less warm).
"""

import argparse

import numpy as np


def _chained(unit) -> bytes:
    """Two copies of ``unit``'s graph (other weights), the first's output the second's input."""
    import onnx
    from onnx import compose

    from shufflenet_cli.measure.unit_graphs import unit_onnx

    first = onnx.load_from_string(unit_onnx(unit, 0))
    second = compose.add_prefix(onnx.load_from_string(unit_onnx(unit, 1)), "b_")
    return compose.merge_models(first, second, io_map=[("y", "b_x")]).SerializeToString()


def main() -> None:
    """Print T1, T2 and 2*T1 - T2 per unit shape, and per network their sums."""
    import onnxruntime as ort

    from shufflenet_cli.measure.predictor import KERNEL_ROUNDS
    from shufflenet_cli.measure.predictor import KERNEL_WINDOW
    from shufflenet_cli.measure.predictor import _bound_session
    from shufflenet_cli.measure.predictor import kernel_key
    from shufflenet_cli.measure.runner import block_size
    from shufflenet_cli.measure.runner import blocked_autorange
    from shufflenet_cli.measure.unit_graphs import unit_input_shape
    from shufflenet_cli.measure.unit_graphs import unit_onnx
    from shufflenet_cli.model.plan import build_plan
    from shufflenet_cli.model.rules import spec_from_name

    parser = argparse.ArgumentParser()
    parser.add_argument("networks", nargs="+")
    args = parser.parse_args()
    ort.set_default_logger_severity(3)  # the merged graph's shape notes are expected
    timers = []  # (network, kernel key, [alone, chained], calls per window)
    for name in args.networks:
        seen = set()
        for block in build_plan(spec_from_name(name)).blocks:
            unit, key = block.unit, kernel_key(block.unit)
            if unit.kind not in ("shufflenet_unit", "dw_separable") or key in seen:
                continue
            seen.add(key)
            if unit.stride != 1 or unit.in_channels != unit.out_channels:
                continue  # the unit changes the shape: it cannot be chained to itself
            x = np.random.default_rng(0).standard_normal(unit_input_shape(unit), np.float32)
            calls = [
                _bound_session(unit_onnx(unit, 0), x, 1),
                _bound_session(_chained(unit), x, 1, output="b_y"),
            ]
            timers.append((name, key, calls, [block_size(f, KERNEL_WINDOW) for f in calls]))
    best = [[float("inf"), float("inf")] for _ in timers]
    for _round in range(KERNEL_ROUNDS):
        for i, (_n, _k, calls, numbers) in enumerate(timers):
            for j in (0, 1):
                t = blocked_autorange(calls[j], KERNEL_WINDOW, numbers[j])[0]
                best[i][j] = min(best[i][j], t)
    sums: dict = {}
    print(f"{'unit':58s} {'T1 us':>8s} {'T2 us':>8s} {'2T1-T2':>8s}")
    for (name, key, _c, _n), (t1, t2) in zip(timers, best):
        edge = 2 * t1 - t2
        print(f"{key[:58]:58s} {t1 * 1e6:8.1f} {t2 * 1e6:8.1f} {edge * 1e6:8.1f} {edge / t1:+5.0%}")
        s = sums.setdefault(name, [0.0, 0.0])
        s[0] += t1
        s[1] += edge
    for name, (t1, edge) in sums.items():
        print(f"{name}: chainable units {t1 * 1e6:.0f} us alone, 2T1-T2 {edge / t1:+.1%}")


if __name__ == "__main__":
    main()
