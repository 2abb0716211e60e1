"""The latency protocol: statistics, interleaving, and a real (tiny) measurement."""

import pytest

from shufflenet_cli import measure_latency
from shufflenet_cli import mobilenet_spec
from shufflenet_cli import shufflenet_spec
from shufflenet_cli.measure.latency import NOISY_FRACTION
from shufflenet_cli.measure.latency import environment
from shufflenet_cli.measure.latency import summarize_windows

pytestmark = pytest.mark.slow  # latency, profiler, subprocess or browser: see README


def test_median_of_window_medians_and_iqr():
    r = summarize_windows("x", [0.010, 0.011, 0.012, 0.013, 0.030], threads=1, batch_size=1)
    assert r.median_ms == 12.0
    assert abs(r.spread_ms - 2.0) < 1e-9  # IQR of 10, 11, 12, 13, 30 ms (inclusive) = 13 - 11
    assert r.noisy is (r.spread_ms > NOISY_FRACTION * r.median_ms)
    assert r.noisy is True


def test_steady_windows_are_not_noisy():
    r = summarize_windows("x", [0.010, 0.0101, 0.0099, 0.010], threads=1, batch_size=1)
    assert not r.noisy


def test_measure_latency_interleaves_and_reports_every_window():
    specs = [shufflenet_spec(3, 0.25, resolution=64), mobilenet_spec(0.25, 64)]
    calls = []
    results = measure_latency(
        specs, windows=3, window_time=0.01, warmup_time=0.01, progress=calls.append
    )
    assert [r.name for r in results] == [s.name for s in specs]
    for r in results:
        assert r.median_ms > 0 and len(r.window_ms) == 3 and r.threads == 1
    assert len(calls) == 2 * (3 + 1)
    # windows rotate the order: the second window starts with the second model
    window_steps = [c for c in calls if c.startswith("window 2/")]
    assert window_steps[0].endswith(specs[1].name)


def test_single_spec_gives_single_result():
    r = measure_latency(mobilenet_spec(0.25, 32), windows=2, window_time=0.01, warmup_time=0.01)
    assert r.name == "mobilenet-v1-0.25-32"


def test_environment_is_recorded():
    env = environment(1)
    assert env["threads"] == 1 and env["torch"] and env["cpu"] and env["backend"] == "eager"


def test_background_load_is_seen():
    import multiprocessing
    import time

    from shufflenet_cli.measure.latency import CpuLoad

    def spin(seconds):
        end = time.time() + seconds
        while time.time() < end:
            pass

    p = multiprocessing.Process(target=spin, args=(1.0,))
    p.start()
    time.sleep(0.2)
    busy = CpuLoad.sample()
    time.sleep(0.5)
    loaded_other = busy.other_cores_busy()
    p.join()
    assert loaded_other > 0.6  # the spinning process kept about one core busy


def test_own_cpu_time_is_not_counted_as_load(monkeypatch):
    from shufflenet_cli.measure.latency import CpuLoad

    before = CpuLoad(machine_busy_s=100.0, own_s=10.0, wall=1000.0)
    # 0.5 s of wall time: the machine was busy 0.8 s of CPU, 0.5 s of it ours
    monkeypatch.setattr(CpuLoad, "sample", classmethod(lambda cls: cls(100.8, 10.5, 1000.5)))
    assert abs(before.other_cores_busy() - 0.6) < 1e-9


def test_steady_allocator_removes_page_faults_from_timed_calls():
    """Freed activations stay in the process: a timed forward pass does not page-fault."""
    import platform

    import pytest

    from shufflenet_cli.measure.latency import allocator_policy

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the allocator policy applies to glibc only")
    assert allocator_policy().startswith("glibc")
    # 224 px: several activations exceed glibc's default 128 KiB mmap threshold
    r = measure_latency(mobilenet_spec(0.5), windows=2, window_time=0.05, warmup_time=0.05)
    # without the policy this is about 2,000 faults per call; with it, at most a few (the
    # timer's own bookkeeping in a process that earlier tests already grew)
    assert r.faults_per_call < 50
    assert environment(1)["allocator"] == allocator_policy()


def test_threads_are_restored_and_the_allocator_policy_stays():
    """Timing leaves torch's thread count as it was, and later work in the process keeps the
    steady allocator (glibc cannot go back to its adaptive defaults, and fixed defaults would
    page-fault more than a fresh process)."""
    import platform

    import torch

    from shufflenet_cli.measure.runner import minor_faults as _minor_faults
    from shufflenet_cli.model.nn import build_model
    from shufflenet_cli.model.nn import example_input

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        measure_latency(
            mobilenet_spec(0.25, 64), windows=1, window_time=0.01, warmup_time=0.01, threads=1
        )
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    if platform.libc_ver()[0] != "glibc":
        return
    spec = mobilenet_spec(0.5)
    model, x = build_model(spec).eval(), example_input(spec)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        per_call = []
        for _ in range(9):
            start = _minor_faults()
            model(x)
            per_call.append(_minor_faults() - start)
    # about 2,000 per call without the policy; the median, so that a one-off growth of the
    # heap (408 faults in one CI run) is not taken for every call's
    assert sorted(per_call)[4] < 50, per_call
