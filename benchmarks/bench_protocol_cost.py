"""What the latency protocol costs: seconds to measure one network on one backend.

Run: python benchmarks/bench_protocol_cost.py [--with-compile]
Times `measure_latency([spec], backend=b)` at the defaults (build, backend preparation and its
check against eager, warm-up, 20 windows of 0.1 s) for ShuffleNet 1x g3 and MobileNet 0.5.
"""

import sys
import time

from shufflenet_cli import load_spec, measure_latency
from shufflenet_cli.backends import BACKENDS


def main() -> None:
    """Print a table of seconds per network and backend."""
    backends = [b for b in BACKENDS if b != "compile" or "--with-compile" in sys.argv]
    print("| network | " + " | ".join(backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for name in ("shufflenet-1x-g3", "mobilenet-v1-0.5"):
        cells = []
        for backend in backends:
            t0 = time.perf_counter()
            measure_latency([load_spec(name)], backend=backend)
            cells.append(f"{time.perf_counter() - t0:.1f} s")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
