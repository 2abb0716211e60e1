"""Torch modules built from the plan agree with the cost model (params, fvcore MACs)."""

import logging
import math
import warnings

import pytest
import torch
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from shufflenet_cli import analyze
from shufflenet_cli import build_model
from shufflenet_cli import list_presets
from shufflenet_cli import load_spec
from shufflenet_cli.model.nn import channel_shuffle
from shufflenet_cli.model.nn import example_input
from shufflenet_cli.model.rules import mobilenet_spec
from shufflenet_cli.model.spec import MobileNetSpec
from shufflenet_cli.model.spec import ShuffleNetSpec
from shufflenet_cli.model.spec import StageSpec
from shufflenet_cli.model.spec import validate


def fvcore_conv_fc_macs(spec):
    from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    model = build_model(spec).eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        flops = (
            FlopCountAnalysis(model, example_input(spec))
            .unsupported_ops_warnings(False)
            .uncalled_modules_warnings(False)
        )
        by_op = flops.by_operator()
    return by_op.get("conv", 0) + by_op.get("linear", 0), model


def assert_module_matches_cost_model(spec):
    a = analyze(spec)
    macs, model = fvcore_conv_fc_macs(spec)
    assert sum(p.numel() for p in model.parameters()) == a.params
    assert macs == a.macs


@pytest.mark.parametrize("preset", ["shufflenet-0.5x-g3", "mobilenet-v1-0.25"])
def test_small_preset_modules_match_cost_model_fast(preset):
    # the fast suite's check; every preset and random specs run in the slow suite
    from shufflenet_cli.model.rules import with_resolution

    assert_module_matches_cost_model(with_resolution(load_spec(preset), 96))


@pytest.mark.slow
@pytest.mark.parametrize("preset", list_presets())
def test_preset_module_matches_cost_model(preset):
    assert_module_matches_cost_model(load_spec(preset))


@st.composite
def shufflenet_specs(draw):
    """Random valid ShuffleNet specs, small enough to trace quickly."""
    n = draw(st.integers(1, 4))
    groups = draw(st.lists(st.sampled_from([1, 2, 3, 4, 6, 8]), min_size=n, max_size=n))
    if draw(st.booleans()):
        groups = [groups[0]] * n
    step = math.lcm(*groups)
    stem = step * draw(st.integers(1, 3))
    stages, cin = [], stem
    for g in groups:
        out = cin + step * draw(st.integers(1, 4))
        ratio = draw(st.sampled_from([0.25, 0.5, 0.125, 1.0, 0.3]))
        stages.append(StageSpec(out, draw(st.integers(1, 3)), g, ratio))
        cin = out
    return validate(
        ShuffleNetSpec(
            stages=tuple(stages),
            stem_channels=stem,
            resolution=draw(st.integers(2 ** (n + 2), 72)),
            num_classes=draw(st.integers(1, 20)),
            shuffle=draw(st.booleans()),
            first_pointwise_grouped=draw(st.booleans()) and stem % groups[0] == 0,
            name="random",
        )
    )


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shufflenet_specs())
def test_random_shufflenet_module_matches_cost_model(spec):
    assert_module_matches_cost_model(spec)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(st.sampled_from([0.25, 0.3, 0.5, 0.75, 1.0, 1.3]), st.integers(32, 96))
def test_random_mobilenet_module_matches_cost_model(width, resolution):
    assert_module_matches_cost_model(mobilenet_spec(width, resolution))


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def test_forward_gives_class_scores():
    spec = load_spec("shufflenet-0.25x-g3")
    with torch.inference_mode():
        out = build_model(spec).eval()(example_input(spec, batch_size=2))
    assert out.shape == (2, 1000)
    assert torch.isfinite(out).all()


def test_module_paths_follow_the_plan():
    spec = load_spec("shufflenet-1x-g3")
    model = build_model(spec)
    module_names = dict(model.named_modules())
    from shufflenet_cli.model.plan import build_plan

    conv_paths = [p.path for p in build_plan(spec).layers() if p.layer.op == "conv"]
    assert conv_paths and all(path in module_names for path in conv_paths)


def test_no_shuffle_ablation_has_same_costs_but_no_shuffle_op():
    from dataclasses import replace

    spec = load_spec("shufflenet-1x-g3")
    ablation = replace(spec, shuffle=False)
    a, b = analyze(spec), analyze(ablation)
    assert (a.params, a.macs) == (b.params, b.macs)
    assert b.memory_bytes_eager < a.memory_bytes_eager
    assert "shuffle" not in set(b.layers["kind"])
    assert isinstance(spec, ShuffleNetSpec) and not isinstance(spec, MobileNetSpec)
