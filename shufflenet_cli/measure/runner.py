#!/usr/bin/env python3
"""Measure this bundle's networks on this device with shufflenet-cli's latency protocol.

Needs Python 3.8 or newer, numpy and the bundle's runtime (onnxruntime); not PyTorch, not
shufflenet-cli::

    python measure.py --out results.json [--threads N] [--device LABEL]

Then, on the machine with shufflenet-cli: ``shufflenet-cli profile ... --latency-from
results.json``. Networks are matched by architecture, so names may differ.

The protocol (the same as shufflenet-cli's, whose settings ``manifest.json`` carries):

1. A fixed thread count for the runtime (default 1), recorded.
2. Every network is checked first: its output on a fixed input must equal the one PyTorch
   computed when the bundle was made (a runtime that computes something else is not timed).
3. Warm-up of every network before any timing.
4. The networks are interleaved in windows (A B C, B C A, C A B, ...), so drift of the device
   (another app, frequency or thermal changes) hits every network alike.
5. A window times blocks of calls like ``torch.utils.benchmark``'s ``blocked_autorange``
   (calls per block chosen so the timer's overhead is negligible, blocks until the window's
   time is spent); its median per call is one sample. The result is the median of window
   medians; the spread is their interquartile range; above the noisy fraction of the median
   the result is flagged noisy.
6. Where /proc/stat exists, a window during which other processes kept more than the load
   threshold of a core busy is measured again (a bounded number of times); if it stays
   loaded it is counted and the result flagged noisy.
7. With glibc, freed memory is kept in the process (``mallopt``), so no call page-faults
   memory the previous call released; minor page faults per call are reported.

Timing is a loop written here, not ``torch.utils.benchmark``, because the device has no
PyTorch; it follows that timer's rules (block size, median per call) so figures compare.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time

RESULTS_FORMAT = "shufflenet-cli-latency/1"
BUNDLE_FORMAT = "shufflenet-cli-bundle/1"
MANIFEST = "manifest.json"
MAX_JSON_BYTES = 16 << 20
RESULT_KEYS = (  # a result's latency fields, None when the network could not run
    "latency_ms",
    "latency_spread_ms",
    "latency_noisy",
    "latency_loaded_windows",
    "latency_faults_per_call",
    "latency_samples_ms",
)


class RunnerError(Exception):
    """A mistake in how the runner was called, or a bundle it cannot use (one line)."""


# ----------------------------------------------------------------------------- the device


def cpu_model() -> str:
    """The CPU's model name: /proc/cpuinfo's 'model name' (x86), else its 'Hardware' or
    'CPU part' lines (ARM), else what Python's platform module knows."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip().lower(), value.strip())
    except OSError:
        pass
    for key in ("model name", "hardware", "processor", "cpu part"):
        value = fields.get(key)
        if value and not value.isdigit():
            return value
    return platform.processor() or platform.machine() or "unknown CPU"


def board_model() -> str | None:
    """The board or phone: the device tree's model (Raspberry Pi and other boards), Android's
    ``ro.product.model`` (Termux), or None."""
    try:
        with open("/proc/device-tree/model", "rb") as f:
            return f.read().rstrip(b"\0\n").decode("utf-8", "replace") or None
    except OSError:
        pass
    if os.path.exists("/system/build.prop") or "ANDROID_ROOT" in os.environ:
        try:
            done = subprocess.run(
                ["getprop", "ro.product.model"], capture_output=True, text=True, timeout=5
            )
            return done.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None
    return None


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def device_description(label: str | None) -> dict:
    """What a latency figure depends on, about this device (its label defaults to the host)."""
    import numpy

    return {
        "label": label or socket.gethostname(),
        "hostname": socket.gethostname(),
        "board": board_model(),
        "cpu": cpu_model(),
        "cpu_count": usable_cores(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "allocator": allocator_policy(),
    }


# ----------------------------------------------------------------------------- load, memory


class CpuLoad:
    """Busy time of the whole machine (/proc/stat) and of this process at one moment.

    ``CpuLoad.sample()`` before a window, ``.other_cores_busy()`` after it: the average number
    of cores other processes kept busy meanwhile (0 where /proc/stat cannot be read, as on
    recent Android).
    """

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, machine_busy_s, own_s, wall):
        self.machine_busy_s, self.own_s, self.wall = machine_busy_s, own_s, wall

    @staticmethod
    def machine_busy():
        """Seconds the machine's cores spent busy since boot, or None without /proc/stat."""
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = f.readline().split()[1:]
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
        except (OSError, ValueError):
            return None
        return (user + nice + system + irq + softirq + steal) / CpuLoad.TICK

    @classmethod
    def sample(cls) -> CpuLoad:
        """The counters now."""
        t = os.times()
        return cls(cls.machine_busy(), t.user + t.system, time.perf_counter())

    def other_cores_busy(self) -> float:
        """Cores other processes kept busy since this sample (averaged over the wall time)."""
        now = CpuLoad.sample()
        if self.machine_busy_s is None or now.machine_busy_s is None:
            return 0.0
        wall = now.wall - self.wall
        other = (now.machine_busy_s - self.machine_busy_s) - (now.own_s - self.own_s)
        return max(0.0, other) / wall if wall > 0 else 0.0


# glibc's mallopt parameters (malloc.h): keep freed memory, never mmap a block
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_KEEP = {_M_TRIM_THRESHOLD: 2**31 - 1, _M_TOP_PAD: 64 << 20, _M_MMAP_MAX: 0}


def _mallopt():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return None


def allocator_policy() -> str:
    """How the protocol sets the C allocator on this device."""
    return (
        "glibc, freed memory kept (mallopt)"
        if _mallopt() is not None
        else "system default (not glibc)"
    )


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory in this process (True when applied)."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    for param, value in _KEEP.items():
        mallopt(param, value)
    return True


def minor_faults() -> int:
    """Minor page faults of this process so far (0 where getrusage is missing)."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


# ----------------------------------------------------------------------------- timing


def _timeit(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def block_size(fn, min_run_time: float) -> int:
    """Calls per timed block: grown tenfold until the timer's own overhead is at most 1e-4 of
    a block and a block lasts min_run_time / 1000 (``torch.utils.benchmark``'s rule)."""
    overhead = statistics.median(_timeit(fn, 0) for _ in range(5))
    number = 1
    while True:
        taken = _timeit(fn, number)
        if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time:
            return number
        if number * 10 > 2147483647:
            return number
        number *= 10


def short_block(fn, seconds: float) -> int:
    """The fewest calls (doubling from one) whose block lasts at least ``seconds``: blocks
    short enough to fall inside a quiet stretch of a shared host (``timed_blocks``)."""
    number = 1
    while _timeit(fn, number) < seconds and number < 2**30:
        number *= 2
    return number


def timed_blocks(fn, min_run_time: float, number: int) -> list[float]:
    """Seconds per call of each block of ``number`` calls, blocks until ``min_run_time`` is
    spent (at least one block)."""
    total, per_call = 0.0, []
    while total < min_run_time:
        spent = _timeit(fn, number)
        per_call.append(spent / number)
        total += spent
    return per_call


def blocked_autorange(fn, min_run_time: float, number: int | None = None) -> tuple[float, int]:
    """Time blocks of calls until ``min_run_time`` is spent: (median seconds per call, calls).
    ``number``: calls per block, when known from an earlier window (else ``block_size``,
    which costs about 1 + 10 + 100 calls more: much of a short window)."""
    number = number or block_size(fn, min_run_time)
    per_call = timed_blocks(fn, min_run_time, number)
    return statistics.median(per_call), number * len(per_call)


def interleaved_windows(
    fns: dict,
    windows: int,
    window_time: float,
    max_redo: int,
    load_threshold: float,
    clock=blocked_autorange,
    after=None,
) -> tuple[dict, dict, dict]:
    """The protocol's timed part: ``windows`` rounds over ``fns`` (key -> callable), the order
    rotated each round so no network always follows the same one; a window during which other
    cores were busier than ``load_threshold`` is timed again, up to ``max_redo`` times.
    ``clock(fn, seconds)`` gives (median seconds per call, calls); ``after(window, key)`` is
    called after each window. Returns per key: window medians (s), minor page faults per
    call, and how many windows stayed loaded."""
    samples = {i: [] for i in fns}
    faults = {i: [] for i in fns}
    loaded = {i: 0 for i in fns}
    order = list(fns)
    for w in range(windows):
        for k in range(len(order)):
            i = order[(w + k) % len(order)]
            for _attempt in range(max_redo + 1):
                before, faults_before = CpuLoad.sample(), minor_faults()
                median_s, calls = clock(fns[i], window_time)
                busy = before.other_cores_busy() > load_threshold
                if not busy:
                    break
            samples[i].append(median_s)
            faults[i].append((minor_faults() - faults_before) / max(calls, 1))
            loaded[i] += busy
            if after:
                after(w, i)
    return samples, faults, loaded


def median_and_iqr(samples_ms) -> tuple[float, float]:
    """Median and interquartile range (inclusive quartiles; 0 for one sample)."""
    med = statistics.median(samples_ms)
    if len(samples_ms) < 2:
        return med, 0.0
    q = statistics.quantiles(samples_ms, n=4, method="inclusive")
    return med, q[2] - q[0]


# ----------------------------------------------------------------------------- runtimes


def fixed_input(shape, dtype: str):
    """The bundle's input: a fixed pseudo-random pattern in [-1, 1) from integer arithmetic,
    identical on every machine and numpy version (no random generator's stream involved)."""
    import numpy as np

    n = 1
    for d in shape:
        n *= int(d)
    i = np.arange(n, dtype=np.uint64)
    bits = (i * np.uint64(2654435761) + np.uint64(40503)) % np.uint64(1 << 32)
    x = bits.astype(np.float64) / float(1 << 32) * 2.0 - 1.0
    return x.reshape([int(d) for d in shape]).astype(dtype)


def _onnxruntime(path: str, x, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    feed = {name: x}
    return lambda: session.run(None, feed)[0]


RUNTIMES = {"onnxruntime": ("onnxruntime", _onnxruntime)}  # runtime -> (module, prepare)


def runtime_version(runtime: str) -> str:
    """'onnxruntime 1.18.0': the runtime's module and version (ImportError if missing)."""
    module = __import__(RUNTIMES[runtime][0])
    return f"{runtime} {getattr(module, '__version__', 'unknown version')}"


# ----------------------------------------------------------------------------- the protocol


def load_manifest(folder: str) -> dict:
    """The bundle's manifest (RunnerError if missing, too large or not one)."""
    path = os.path.join(folder, MANIFEST)
    try:
        if os.path.getsize(path) > MAX_JSON_BYTES:
            raise RunnerError(f"{path} is larger than {MAX_JSON_BYTES >> 20} MiB")
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except OSError as e:
        raise RunnerError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise RunnerError(f"{path} is not JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise RunnerError(f"{path} is not a shufflenet-cli bundle manifest")
    return manifest


def prepare(folder: str, net: dict, runtime: str, threads: int, rtol: float, atol: float):
    """A zero-argument forward pass of one network, checked against the bundle's reference
    output; raises RuntimeError with the reason when the runtime cannot run it or disagrees."""
    import numpy as np

    x = fixed_input(net["input_shape"], net["input_dtype"])
    try:
        fn = RUNTIMES[runtime][1](os.path.join(folder, net["file"]), x, threads)
        out = np.asarray(fn())
    except Exception as e:  # noqa: BLE001 - any runtime failure is a reason, not a crash
        raise RuntimeError(
            f"{runtime} failed: {type(e).__name__}: {(str(e).splitlines() or [''])[0]}"
        ) from None
    ref = np.load(os.path.join(folder, net["reference_output"]), allow_pickle=False)
    if out.shape != ref.shape:
        raise RuntimeError(
            f"{runtime} output shape {list(out.shape)} differs from PyTorch's {list(ref.shape)}"
        )
    out = out.astype(ref.dtype)
    if not np.allclose(out, ref, rtol=rtol, atol=atol):
        raise RuntimeError(
            f"{runtime} output differs from PyTorch's (max abs diff "
            f"{float(np.abs(out - ref).max()):.3g})"
        )
    return fn


def measure_bundle(folder: str, manifest: dict, threads: int, progress=None, protocol=None) -> list:
    """Run the protocol over every network of the bundle; one result dict per network."""
    p = dict(manifest["protocol"], **(protocol or {}))
    runtime = manifest["runtime"]
    keep_freed_memory()
    nets = manifest["networks"]
    fns, errors = {}, {}
    for i, net in enumerate(nets):
        try:
            fns[i] = prepare(folder, net, runtime, threads, p["rtol"], p["atol"])
        except RuntimeError as e:
            errors[i] = str(e)
    for i, fn in fns.items():
        blocked_autorange(fn, p["warmup_time"])
        if progress:
            progress(f"warm-up {nets[i]['name']}")
    timed = [0]

    def after(w, _i):
        timed[0] += 1
        if progress and timed[0] % len(fns) == 0:  # once per round
            progress(f"window {w + 1}/{p['windows']}")

    samples, faults, loaded = interleaved_windows(
        fns, p["windows"], p["window_time"], p["max_redo"], p["load_threshold"], after=after
    )
    results = []
    for i, net in enumerate(nets):
        row = {
            "name": net["name"],
            "key": net["key"],
            "input_shape": net["input_shape"],
            "dtype": net["dtype"],
            "batch_size": net["input_shape"][0],
            "threads": threads,
        }
        if i in errors:
            row.update(dict.fromkeys(RESULT_KEYS), error=errors[i])
        else:
            window_ms = [t * 1e3 for t in samples[i]]
            med, spread = median_and_iqr(window_ms)
            row.update(
                latency_ms=med,
                latency_spread_ms=spread,
                latency_noisy=spread > p["noisy_fraction"] * med or loaded[i] > 0,
                latency_loaded_windows=loaded[i],
                latency_faults_per_call=statistics.median(faults[i]),
                latency_samples_ms=window_ms,
                error=None,
            )
        results.append(row)
    return results


def write_json_atomic(path: str, doc: dict) -> None:
    """Write JSON to a temp file beside ``path``, then rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def parse_args(argv):
    """The runner's command line."""
    parser = argparse.ArgumentParser(
        description="Measure this bundle's networks with shufflenet-cli's latency protocol."
    )
    parser.add_argument("--out", required=True, help="results JSON to write")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="runtime threads (default: the bundle's, 1 unless set at export)",
    )
    parser.add_argument("--device", help="a label for this device (default: its host name)")
    parser.add_argument("--windows", type=int, help="interleaved windows (default: bundle's)")
    parser.add_argument("--window-time", type=float, help="seconds per window and network")
    parser.add_argument("--warmup-time", type=float, help="warm-up seconds per network")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--bundle", help="the bundle's folder (default: this file's)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Measure, write the results JSON, print a short table; 2 on a usage or bundle error."""
    args = parse_args(argv)
    folder = args.bundle or os.path.dirname(os.path.abspath(__file__))
    try:
        manifest = load_manifest(folder)
        threads = args.threads if args.threads is not None else manifest["protocol"]["threads"]
        overrides = {
            k: v
            for k, v in (
                ("windows", args.windows),
                ("window_time", args.window_time),
                ("warmup_time", args.warmup_time),
            )
            if v is not None
        }
        for key, value in [("threads", threads)] + list(overrides.items()):
            if not value > 0:
                raise RunnerError(f"--{key.replace('_', '-')}: {value} must be positive")
        out_dir = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(out_dir) or os.path.isdir(args.out):
            raise RunnerError(f"--out: {args.out} is not a file in an existing folder")
        if manifest.get("runtime") not in RUNTIMES:
            raise RunnerError(f"this runner does not know the runtime {manifest.get('runtime')!r}")
        try:
            version = runtime_version(manifest["runtime"])
        except ImportError:
            raise RunnerError(
                f"this bundle needs {manifest['runtime']}: pip install "
                f"{RUNTIMES[manifest['runtime']][0]}"
            ) from None
    except RunnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def progress(step: str) -> None:
        if not args.quiet:
            print(f"  {step}", file=sys.stderr, flush=True)

    started = time.time()
    try:
        results = measure_bundle(folder, manifest, threads, progress, overrides)
    except KeyboardInterrupt:
        print("error: interrupted (nothing written)", file=sys.stderr)
        return 130
    protocol = dict(manifest["protocol"], threads=threads, **overrides)
    protocol["load_detection"] = CpuLoad.machine_busy() is not None
    device = device_description(args.device)
    device["runtime"] = version
    doc = {
        "format": RESULTS_FORMAT,
        "bundle": manifest["bundle_id"],
        "runtime": manifest["runtime"],
        "device": device,
        "protocol": protocol,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    write_json_atomic(args.out, doc)
    width = max(len(r["name"]) for r in results)
    for r in results:
        figure = (
            (
                f"{r['latency_ms']:.2f} +/- {r['latency_spread_ms']:.2f} ms"
                + (" !" if r["latency_noisy"] else "")
            )
            if r["error"] is None
            else f"n/a: {r['error']}"
        )
        print(f"{r['name']:<{width}}  {figure}")
    print(f"{device['label']}: {version}, {threads} thread(s); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
