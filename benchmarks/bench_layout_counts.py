"""ONNX Runtime: how many of its units' layout conversions a network skips, and whether pairs tell.

Run: python benchmarks/bench_layout_counts.py [--held-out N] [--seed S]

For the calibration networks and N held-out networks (``random_networks(N, S)``, as
``calibrate --validate`` draws them), counts the elements ONNX Runtime converts between the
plain and the blocked (NCHWc) layout (``measure.unit_graphs.layout_conversions``): each unit's
graph alone (summed over the unit calls), the whole chain, and the sum over neighbouring pairs
of what a pair skips. Prints per network the share of the units' conversions the network
skips and the share of that the pairs find, then the range of both. Nothing is timed.
"""

import argparse


def main() -> None:
    """Print, per network, skipped / alone and pairs / skipped."""
    from shufflenet_cli.measure.predictor import calibration_networks
    from shufflenet_cli.measure.predictor import kernel_key
    from shufflenet_cli.measure.predictor import layout_saved
    from shufflenet_cli.measure.predictor import plan_chain
    from shufflenet_cli.measure.predictor import random_networks
    from shufflenet_cli.measure.unit_graphs import layout_conversions
    from shufflenet_cli.model.plan import build_plan

    parser = argparse.ArgumentParser()
    parser.add_argument("--held-out", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    alone: dict[str, int] = {}  # kernel_key -> conversions of the unit graph alone
    pair_counts: dict[tuple[str, str], int] = {}

    def pair_skips(a, b) -> int:
        key = (kernel_key(a), kernel_key(b))
        if key not in pair_counts:
            pair_counts[key] = layout_conversions([a, b])
        return alone[key[0]] + alone[key[1]] - pair_counts[key]

    specs = calibration_networks() + random_networks(args.held_out, args.seed)
    skipped_shares, pair_shares = [], []
    print(f"{'network':50s} {'alone':>9s} {'network':>9s} {'skipped':>8s} {'pairs find':>10s}")
    for spec in specs:
        plan = build_plan(spec)
        skipped = int(layout_saved(plan, alone))  # fills ``alone`` for the plan's units
        chain = plan_chain(plan)
        total = sum(alone[kernel_key(u)] for u in chain)
        pairs = sum(pair_skips(a, b) for a, b in zip(chain, chain[1:]))
        share = skipped / total if total else 0.0
        found = pairs / skipped if skipped else 1.0
        skipped_shares.append(share)
        pair_shares.append(found)
        print(f"{spec.name:50s} {total:9d} {total - skipped:9d} {share:8.0%} {found:10.0%}")
    print(
        f"{len(specs)} networks: skipped {min(skipped_shares):.0%}-{max(skipped_shares):.0%} "
        f"of their units' conversions; pairs of neighbours find "
        f"{min(pair_shares):.0%}-{max(pair_shares):.0%} of what the network skips"
    )


if __name__ == "__main__":
    main()
