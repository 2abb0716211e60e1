"""The papers' numbers, computed by the cost model (expected values from REFERENCE.md)."""

import pytest

from shufflenet_cli import analyze
from shufflenet_cli import load_spec
from shufflenet_cli import mobilenet_spec
from shufflenet_cli import shufflenet_spec
from shufflenet_cli.model.cost import layer_cost
from shufflenet_cli.model.plan import build_plan

# g: (Table 1 complexity, conv + FC MACs in M to 2 decimals, exact params)
SHUFFLENET_1X = {
    1: (143, 143.08, 1_531_936),
    2: (140, 140.84, 1_733_848),
    3: (137, 137.46, 1_865_728),
    4: (133, 134.34, 1_968_344),
    8: (137, 138.37, 2_434_768),
}


@pytest.mark.parametrize("groups", sorted(SHUFFLENET_1X))
def test_shufflenet_1x_conv_only_macs_round_to_table1(groups):
    table1, _, _ = SHUFFLENET_1X[groups]
    assert round(analyze(shufflenet_spec(groups)).macs_conv / 1e6) == table1


@pytest.mark.parametrize("groups", sorted(SHUFFLENET_1X))
def test_shufflenet_1x_conv_plus_fc_macs(groups):
    _, macs, _ = SHUFFLENET_1X[groups]
    assert round(analyze(shufflenet_spec(groups)).macs / 1e6, 2) == macs


@pytest.mark.parametrize("groups", sorted(SHUFFLENET_1X))
def test_shufflenet_1x_params_exact(groups):
    assert analyze(shufflenet_spec(groups)).params == SHUFFLENET_1X[groups][2]


@pytest.mark.parametrize("preset, mflops", [("shufflenet-1.5x-g3", 292), ("shufflenet-2x-g3", 524)])
def test_wide_shufflenets_match_table5(preset, mflops):
    assert round(analyze(load_spec(preset)).macs / 1e6) == mflops


def test_table1_channels_double_per_stage():
    for g, c in {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}.items():
        assert shufflenet_spec(g).stage_channels == (c, 2 * c, 4 * c)


# (stem, stages, conv + FC MACs in M, params) from the documented scaling rule
HALF_WIDTH = {
    1: (12, (72, 144, 288), 38.52, 534_484),
    2: (12, (104, 200, 400), 38.91, 644_320),
    3: (12, (120, 240, 480), 37.59, 718_324),
    4: (12, (144, 272, 544), 37.94, 778_592),
    8: (16, (192, 384, 768), 40.47, 1_011_448),
}


@pytest.mark.parametrize("groups", sorted(HALF_WIDTH))
def test_half_width_rule(groups):
    stem, stages, macs, params = HALF_WIDTH[groups]
    spec = shufflenet_spec(groups, 0.5)
    a = analyze(spec)
    assert (spec.stem_channels, spec.stage_channels) == (stem, stages)
    assert round(a.macs / 1e6, 2) == macs
    assert a.params == params


QUARTER_WIDTH = {1: (6, 11.00), 2: (6, 11.96), 3: (6, 11.01), 4: (8, 13.02), 8: (8, 12.43)}


@pytest.mark.parametrize("groups", sorted(QUARTER_WIDTH))
def test_quarter_width_rule(groups):
    stem, macs = QUARTER_WIDTH[groups]
    spec = shufflenet_spec(groups, 0.25)
    assert spec.stem_channels == stem
    assert round(analyze(spec).macs / 1e6, 2) == macs


MOBILENET = {  # width: (Table 6 M mult-adds, exact count, Table 6 M params, exact params)
    1.0: (569, 568.74, 4.2, 4_231_976),
    0.75: (325, 325.40, 2.6, 2_585_560),
    0.5: (149, 149.50, 1.3, 1_331_592),
    0.25: (41, 41.03, 0.5, 470_072),
}


@pytest.mark.parametrize("width", sorted(MOBILENET))
def test_mobilenet_table6(width):
    mflops, exact, params_m, params = MOBILENET[width]
    a = analyze(mobilenet_spec(width))
    assert round(a.macs / 1e6) == mflops
    assert round(a.macs / 1e6, 2) == exact
    assert round(a.params / 1e6, 1) == params_m
    assert a.params == params


@pytest.mark.parametrize("resolution, mflops", [(192, 418), (160, 290), (128, 186)])
def test_mobilenet_table7_resolution(resolution, mflops):
    # Table 7 prints 290 for 160x160 where the count is 290.68: within 1 M, not rounded.
    assert abs(analyze(mobilenet_spec(1.0, resolution)).macs / 1e6 - mflops) < 1


def _all_presets():
    from shufflenet_cli import list_presets

    return list_presets()


@pytest.mark.parametrize("preset", _all_presets())
def test_pointwise_conv_traffic_is_shufflenet_v2_mac(preset):
    """Every 1x1 conv's eager traffic = hw(c1 + c2) + c1*c2/g elements (ShuffleNet V2, G1/G2)."""
    plan = build_plan(load_spec(preset))
    seen = 0
    for placed in plan.layers():
        layer = placed.layer
        if layer.kind != "conv1x1":
            continue
        c1, h, w = layer.in_shape
        c2 = layer.out_shape[0]
        cost = layer_cost(layer)
        assert cost.act_eager + cost.weights_eager == h * w * (c1 + c2) + c1 * c2 // layer.groups
        seen += 1
    assert seen > 10


def test_traffic_scales_with_dtype_and_batch():
    spec = shufflenet_spec(3)
    fp32 = analyze(spec)
    fp16 = analyze(spec, dtype="fp16")
    assert fp16.memory_bytes_eager * 2 == fp32.memory_bytes_eager
    batch4 = analyze(spec, batch_size=4)
    # activations scale with the batch, weights do not
    assert fp32.memory_bytes_eager < batch4.memory_bytes_eager < 4 * fp32.memory_bytes_eager


def test_fused_view_moves_less_than_eager():
    for spec in (shufflenet_spec(3), mobilenet_spec(1.0)):
        a = analyze(spec)
        assert 0 < a.memory_bytes_fused < a.memory_bytes_eager


def test_rollups_add_up_to_totals():
    a = analyze(shufflenet_spec(8))
    for view in (a.by_stage(), a.by_kind()):
        assert view["params"].sum() == a.params
        assert view["macs"].sum() == a.macs
        assert view["memory_bytes_eager"].sum() == a.memory_bytes_eager
    stages = list(a.by_stage()["stage"])
    assert stages == ["conv1", "maxpool", "stage2", "stage3", "stage4", "globalpool", "fc"]
    kinds = set(a.by_kind()["kind"])
    assert {
        "conv1x1",
        "depthwise",
        "dense_conv",
        "fc",
        "bn",
        "activation",
        "shuffle",
        "add_concat",
        "pooling",
    } == kinds
