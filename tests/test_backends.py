"""Every backend computes what eager PyTorch computes, on every preset; failures are reasons."""

import pytest
import torch

from shufflenet_cli import list_presets
from shufflenet_cli import load_spec
from shufflenet_cli import measure_latency
from shufflenet_cli import mobilenet_spec
from shufflenet_cli.measure.backends import BACKENDS
from shufflenet_cli.measure.backends import BackendError
from shufflenet_cli.measure.backends import prepare
from shufflenet_cli.model.nn import build_model
from shufflenet_cli.model.nn import example_input
from shufflenet_cli.model.rules import with_resolution

pytestmark = pytest.mark.slow  # latency, profiler, subprocess or browser: see README

# the deployment runtimes (optional extras, slow to lower) are tested in test_runtimes.py
FAST_BACKENDS = [b for b in BACKENDS if b not in ("compile", "executorch", "ncnn")]


def presets_by_architecture_at(resolution: int) -> list[list[str]]:
    """Every preset, grouped by the network it builds at ``resolution``: presets that differ
    only in input size (MobileNet 1.0 at 224, 192, 160, 128) are one network there."""
    groups: dict[tuple, list[str]] = {}
    for name in list_presets():
        groups.setdefault(with_resolution(load_spec(name), resolution).arch_key(), []).append(name)
    return list(groups.values())


# every preset's architecture at 96x96 (enough for its five stride-2 layers), each network once
# (its id names every preset that builds it)
@pytest.mark.parametrize("presets", presets_by_architecture_at(96), ids="+".join)
def test_backends_match_eager_on_every_preset(presets):
    spec = with_resolution(load_spec(presets[0]), 96)
    model = build_model(spec).eval()
    x = example_input(spec)
    with torch.inference_mode():
        reference = model(x)
    for backend in FAST_BACKENDS:
        fn = prepare(model, x, backend)  # raises BackendError if outputs differ
        with torch.inference_mode():
            out = fn()
        assert torch.allclose(
            out.to(reference.dtype).contiguous(), reference, rtol=1e-3, atol=1e-4
        ), backend


def test_torch_compile_matches_eager_on_a_small_preset():
    # torch.compile takes tens of seconds per network here, so one small preset is tested
    spec = with_resolution(load_spec("shufflenet-0.25x-g3"), 64)
    model = build_model(spec).eval()
    prepare(model, example_input(spec), "compile")


def test_a_wrong_backend_output_is_refused(monkeypatch):
    import shufflenet_cli.measure.backends as backends

    monkeypatch.setitem(
        backends._PREPARE, "torchscript", lambda model, x, threads: lambda: model(x) + 1.0
    )
    spec = mobilenet_spec(0.25, 64)
    with pytest.raises(BackendError, match="differs from eager"):
        prepare(build_model(spec).eval(), example_input(spec), "torchscript")


def test_a_failing_backend_is_a_reason_and_the_rest_go_on(monkeypatch):
    import shufflenet_cli.measure.backends as backends

    real = backends._PREPARE["onnxruntime"]

    def fail_for_mobilenet(model, x, threads, *rest):
        if model.network_name.startswith("mobilenet"):
            raise RuntimeError("unsupported op")
        return real(model, x, threads, *rest)

    monkeypatch.setitem(backends._PREPARE, "onnxruntime", fail_for_mobilenet)
    specs = [with_resolution(load_spec("shufflenet-0.25x-g3"), 64), mobilenet_spec(0.25, 64)]
    ok, failed = measure_latency(
        specs, backend="onnxruntime", windows=2, window_time=0.01, warmup_time=0.01
    )
    assert ok.error is None and ok.median_ms > 0 and ok.backend == "onnxruntime"
    assert "unsupported op" in failed.error and failed.median_ms != failed.median_ms  # NaN


def test_profile_backend_columns(run_cli):
    import json

    r = run_cli(
        "profile",
        "--scale",
        "0.25",
        "--groups",
        "3",
        "--resolution",
        "64",
        "--backend",
        "eager,torchscript",
        "--format",
        "json",
        # the columns are the point here, not the figures: the short protocol
        *("--windows", "2", "--window-time", "0.01", "--warmup-time", "0.01"),
    )
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    for row in rows:
        assert row["latency_backend"] == "eager"
        assert row["latency_ms"] == row["latency_ms_eager"]
        assert row["latency_ms_torchscript"] > 0
