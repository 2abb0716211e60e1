"""A tour of the Python API: specs, the cost model, the module, latency.

Run: python examples/api_tour.py [--quick]
"""

import sys

from shufflenet_cli import analyze
from shufflenet_cli import build_model
from shufflenet_cli import load_spec
from shufflenet_cli import measure_latency
from shufflenet_cli import mobilenet_spec
from shufflenet_cli import shufflenet_spec
from shufflenet_cli.explore.profile import profile_networks


def main(quick: bool = False) -> None:
    """Reproduce Table 1, show where a network's traffic goes, time two networks."""
    print("ShuffleNet 1x, Table 1 complexity (conv-only MACs) and params:")
    for g in (1, 2, 3, 4, 8):
        a = analyze(shufflenet_spec(groups=g))
        print(
            f"  g={g}: {a.macs_conv / 1e6:6.1f} M  {a.params:>9,} params  "
            f"{a.memory_bytes_eager / 1e6:6.1f} MB traffic"
        )

    a = analyze(load_spec("shufflenet-1x-g3"))
    print("\nTraffic by op kind, ShuffleNet 1x g3 (eager, fp32):")
    kinds = a.by_kind().sort_values("memory_bytes_eager", ascending=False)
    for row in kinds.itertuples():
        print(f"  {row.label:<20} {row.memory_bytes_eager / 1e6:6.1f} MB")

    model = build_model(a.spec)
    print(
        f"\nModule params: {sum(p.numel() for p in model.parameters()):,} "
        f"(cost model: {a.params:,})"
    )

    resolution = 96 if quick else 224
    specs = [shufflenet_spec(groups=3, resolution=resolution), mobilenet_spec(0.5, resolution)]
    kw = dict(windows=2, window_time=0.02, warmup_time=0.02) if quick else {}
    sn, mb = measure_latency(specs, threads=1, **kw)
    print(
        f"\nLatency at {resolution}x{resolution}: {sn.name} {sn.median_ms:.2f} ms, "
        f"{mb.name} {mb.median_ms:.2f} ms, ratio {sn.median_ms / mb.median_ms:.2f}"
    )

    rows = profile_networks([shufflenet_spec(groups=8)], latency=False).rows
    print(f"\nprofile_networks picked baseline {rows[-1]['name']} for {rows[0]['name']}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
