"""What the latency protocol costs: seconds to measure one network on one backend.

Run: python benchmarks/bench_protocol_cost.py [--with-compile]
Times `measure_latency([spec], backend=b)` at the defaults (build, backend preparation and its
check against eager, 0.3 s warm-up, 20 windows of 0.1 s) for ShuffleNet 1x g3 and MobileNet
0.5, in one process (the first cell also pays the lazy imports). Each cell is "total (of which
preparation)": preparation is the time until the warm-up ends, less the warm-up itself, so it
is what the backend costs (building, tracing, compiling, exporting, checking against eager)
beside the protocol's fixed 2.3 s of timing.
"""

import sys
import time

from shufflenet_cli import load_spec
from shufflenet_cli import measure_latency
from shufflenet_cli.measure.backends import BACKENDS
from shufflenet_cli.measure.latency import DEFAULT_WARMUP_TIME


def one(name: str, backend: str) -> tuple[float, float]:
    """(total seconds, preparation seconds) for one network on one backend."""
    marks = []
    t0 = time.perf_counter()
    measure_latency(
        [load_spec(name)], backend=backend, progress=lambda step: marks.append(time.perf_counter())
    )
    total = time.perf_counter() - t0
    return total, marks[0] - t0 - DEFAULT_WARMUP_TIME


def main() -> None:
    """Print a table of seconds per network and backend."""
    backends = [b for b in BACKENDS if b != "compile" or "--with-compile" in sys.argv]
    print("| network | " + " | ".join(backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for name in ("shufflenet-1x-g3", "mobilenet-v1-0.5"):
        cells = []
        for backend in backends:
            total, prep = one(name, backend)
            cells.append(f"{total:.1f} s ({prep:.1f} s)")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
