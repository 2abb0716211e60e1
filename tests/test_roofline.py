"""Roofline: the bound is a lower bound (never above a measurement), calibration is cached."""

import json

import pytest

from shufflenet_cli import list_presets, load_spec, measure_latency
from shufflenet_cli.roofline import calibrate, layer_bounds, network_bound


@pytest.fixture(scope="module")
def calib(tmp_path_factory):
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield calibrate(1, quick=True)
    finally:
        del os.environ["XDG_CACHE_HOME"]


def test_bound_never_above_measured_on_presets(calib):
    specs = [load_spec(p) for p in list_presets()]
    measured = measure_latency(specs, windows=2, window_time=0.05, warmup_time=0.05)
    for spec, lat in zip(specs, measured):
        bound = network_bound(spec, calib)
        assert 0 < bound["bound_ms"] < lat.median_ms, (spec.name, bound["bound_ms"],
                                                       lat.median_ms)


def test_layer_bounds_add_up_and_use_the_larger_limit(calib):
    spec = load_spec("shufflenet-1x-g3")
    rows = layer_bounds(spec, calib)
    total = network_bound(spec, calib)
    assert abs(sum(r["bound_s"] for r in rows) * 1e3 - total["bound_ms"]) < 1e-9
    assert all(r["bound_s"] == max(r["compute_s"], r["memory_s"]) for r in rows)
    assert total["flops"] == 2 * 137_460_672


def test_calibration_is_cached(calib, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = calibrate(1, quick=True)
    files = list((tmp_path / "shufflenet-cli").glob("roofline-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["peak_gflops"] > 0
    assert calibrate(1, quick=True) == first  # read back, not measured again


def test_roofline_command(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    plot = tmp_path / "roof.html"
    r = run_cli("roofline", "--preset", "mobilenet-v1-0.25", "--quick", "--plot", plot,
                "--format", "json")
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)[0]
    assert 0 < row["efficiency"] < 1 and row["bound_ms"] < row["measured_ms"]
    assert "Roofline" in plot.read_text()
