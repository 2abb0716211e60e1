"""Names and numbers that cannot lie (issue 9).

1. A name means one architecture (``architecture_key``; rule names derived from it).
2. The paper's numbers follow the architecture, not a name or a file's ``paper:`` block.
3. Every name the tool prints parses back (show, profile --preset, compare --preset, ...).
4. The width rule reproduces the official ShuffleNet v1 implementation exactly.
5. ``fc_bias: false`` drops the classifier bias everywhere.
6. Per-stage lists agree in length, or the error names the fields and counts.
"""

import json
from dataclasses import replace

import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from shufflenet_cli import analyze
from shufflenet_cli import list_presets
from shufflenet_cli import load_spec
from shufflenet_cli import spec_from_dict
from shufflenet_cli import spec_to_dict
from shufflenet_cli.errors import UserError
from shufflenet_cli.explore.profile import network_row
from shufflenet_cli.explore.profile import resolve_networks
from shufflenet_cli.model.presets import load_preset
from shufflenet_cli.model.presets import matching_preset
from shufflenet_cli.model.presets import paper_row
from shufflenet_cli.model.rules import mobilenet_spec
from shufflenet_cli.model.rules import network_name
from shufflenet_cli.model.rules import parse_network_name
from shufflenet_cli.model.rules import shufflenet_spec
from shufflenet_cli.model.rules import spec_from_name
from shufflenet_cli.model.rules import with_resolution
from shufflenet_cli.model.spec import PaperRow
from shufflenet_cli.model.spec import ShuffleNetSpec
from shufflenet_cli.model.spec import StageSpec
from shufflenet_cli.model.spec import architecture_id
from shufflenet_cli.model.spec import architecture_key
from shufflenet_cli.model.spec import unique_networks
from tests.test_errors import assert_one_line_error

# ----------------------------------------------------------------------------- 1. identity


def test_architecture_key_ignores_labels():
    a = shufflenet_spec(groups=3)
    b = replace(a, name="mine", scale=None, rule="", paper=PaperRow(1, 2), notes=("x",))
    assert architecture_key(a) == architecture_key(b)
    assert hash(architecture_key(a)) == hash(architecture_key(b))
    assert architecture_id(a) == architecture_id(b) and len(architecture_id(a)) == 12
    # effective values: a ratio that gives the same bottleneck channels is the same network
    c = shufflenet_spec(groups=3, bottleneck_ratio=0.251)
    assert [s.bottleneck_channels for s in c.stages] == [s.bottleneck_channels for s in a.stages]
    assert architecture_key(c) == architecture_key(a)
    # shuffle and first_pointwise_grouped only count where groups > 1
    g1 = shufflenet_spec(groups=1)
    assert architecture_key(g1) == architecture_key(
        shufflenet_spec(groups=1, shuffle=False, first_pointwise_grouped=True)
    )


@pytest.mark.parametrize(
    "change",
    [
        {"stem_channels": 12},
        {"stage_channels": [216, 480, 960]},
        {"units": [4, 4, 4]},
        {"bottleneck_ratio": 0.5},
        {"resolution": 192},
        {"num_classes": 10},
        {"in_channels": 1},
        {"shuffle": False},
        {"first_pointwise_grouped": True},
        {"fc_bias": False},
    ],
)
def test_architecture_key_sees_every_field_that_changes_the_network(change):
    base = shufflenet_spec(groups=3)
    other = shufflenet_spec(groups=3, **change)
    assert architecture_key(other) != architecture_key(base)
    assert other.name != base.name  # and so does the name


def test_ids_hash_the_key_text_and_stay_what_stores_hold():
    """The ids are hashes of ``repr(architecture_key)``, spelled without building it; stores
    and bundles written before keep matching (the ids are pinned)."""
    from shufflenet_cli.model.spec import arch_id

    specs = [load_preset(p) for p in list_presets()]
    specs += [shufflenet_spec(groups=3, **c) for c in ({"num_classes": 10, "in_channels": 1},)]
    specs += [shufflenet_spec([1, 2, 4], 0.5, units=[1, 2, 4], shuffle=False, resolution=160)]
    specs += [shufflenet_spec(8, first_pointwise_grouped=True, fc_bias=False)]
    specs += [shufflenet_spec(3, num_stages=1, units=[2])]  # a one-stage key: ((...),)
    for spec in specs:
        assert spec.arch_text() == repr(architecture_key(spec)), spec.name
    assert arch_id(shufflenet_spec(3)) == "57922bfe24587a5e"
    assert architecture_id(shufflenet_spec(3)) == "f170c88eeb20"
    assert arch_id(specs[-3]) == "c916979126e86d1c"
    assert arch_id(mobilenet_spec(0.5)) == "ab950d4d43e45ee4"


def test_cached_stage_checks_tell_types_apart():
    """Per-stage values are checked once per distinct set, and ``True`` is not ``1``."""
    assert shufflenet_spec(3, units=[1, 2, 4]).stages[0].units == 1
    assert shufflenet_spec(3, units=(1, 2, 4)).stages[0].units == 1
    with pytest.raises(UserError, match="units"):
        shufflenet_spec(3, units=[True, 2, 4])
    with pytest.raises(UserError, match="groups"):
        shufflenet_spec([True, 2, 4])
    with pytest.raises(UserError, match="units"):
        shufflenet_spec(3, units=[{"a": 1}, 2, 4])  # does not hash: checked uncached
    from collections import namedtuple

    three = namedtuple("three", "a b c")
    assert shufflenet_spec(3, units=three(1, 8, 4)).stages[0].units == 1
    with pytest.raises(UserError, match="units"):
        shufflenet_spec(3, units=three(True, 8, 4))


def test_stage_caches_see_one_architecture_whatever_the_number_types():
    """A stage given 480.0 or a numpy 480 is the stage of 480 (same key and id, whichever is
    keyed first); a stage given ``units=True`` is not the stage of 1 and is refused even after
    that one was checked."""
    import numpy as np

    from shufflenet_cli.model.spec import arch_id
    from shufflenet_cli.model.spec import validate

    channels = ((480, 4, 3), (960, 8, 3), (1920, 4, 3))
    as_float = ShuffleNetSpec(stages=tuple(StageSpec(float(c), u, g) for c, u, g in channels))
    as_numpy = ShuffleNetSpec(stages=tuple(StageSpec(np.int64(c), u, g) for c, u, g in channels))
    plain = shufflenet_spec(3, stage_channels=[480, 960, 1920])
    assert arch_id(validate(as_float)) == arch_id(validate(as_numpy)) == arch_id(plain)
    assert as_float.arch_text() == repr(architecture_key(as_float))
    assert as_float.stages[0].out_channels == 480 and type(as_float.stages[0].out_channels) is int
    one = StageSpec(480, 1, 3)
    validate(ShuffleNetSpec(stages=(one,)))
    assert StageSpec(480, True, 3) != one
    with pytest.raises(UserError, match="units"):
        validate(ShuffleNetSpec(stages=(StageSpec(480, True, 3),)))


def test_mobilenet_key_sees_width_resolution_and_bias():
    keys = {
        architecture_key(s)
        for s in (
            mobilenet_spec(0.5),
            mobilenet_spec(0.75),
            mobilenet_spec(0.5, 160),
            mobilenet_spec(0.5, fc_bias=False),
            mobilenet_spec(0.5, num_classes=10),
        )
    }
    assert len(keys) == 5
    assert architecture_key(mobilenet_spec(0.5)) != architecture_key(shufflenet_spec(3))


def test_profile_scale_1_5_is_the_paper_network_under_its_name():
    (spec,) = resolve_networks(groups=[3], scales=[1.5])
    preset = load_preset("shufflenet-1.5x-g3")
    assert spec.name == preset.name
    assert architecture_key(spec) == architecture_key(preset)
    assert round(analyze(spec).macs / 1e6, 2) == 292.44


def test_spec_file_without_name_is_named_by_what_differs(tmp_path):
    path = tmp_path / "g8.yaml"
    path.write_text("groups: 8\nunits: [4, 4, 4]\n")
    spec = load_spec(str(path))
    assert spec.name == "shufflenet-1x-g8-u4.4.4"
    real = load_spec("shufflenet-1x-g8")
    names = [s.name for s in resolve_networks(presets=["shufflenet-1x-g8"], spec_files=[path])]
    assert names == ["shufflenet-1x-g8", "shufflenet-1x-g8-u4.4.4"]
    assert architecture_key(real) != architecture_key(spec)


def test_explicit_stages_without_name_get_the_rule_name():
    data = spec_to_dict(shufflenet_spec(groups=3, scale=0.5))
    del data["name"]
    assert "stages" in data
    assert spec_from_dict(data).name == "shufflenet-0.5x-g3"
    data["stages"][1]["units"] = 6
    assert spec_from_dict(data).name == "shufflenet-0.5x-g3-u4.6.4"


@pytest.mark.parametrize("preset", list_presets())
def test_every_preset_name_is_the_rule_name_of_its_architecture(preset):
    spec = load_preset(preset)
    assert network_name(spec) == preset
    assert architecture_key(spec_from_name(preset)) == architecture_key(spec)


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0, 1.5, 2.0])
def test_rule_network_gets_a_preset_name_only_with_its_architecture(groups, scale):
    spec = shufflenet_spec(groups, scale)
    for name in list_presets("shufflenet-*"):
        same = architecture_key(load_preset(name)) == architecture_key(spec)
        assert (spec.name == name) == same, (spec.name, name)


def test_presets_are_distinct_architectures():
    keys = [architecture_key(load_preset(n)) for n in list_presets()]
    assert len(set(keys)) == len(keys)


@st.composite
def any_shufflenet(draw):
    n = draw(st.integers(1, 4))
    g = draw(st.sampled_from([1, 2, 3, 4, 8]))
    groups = (
        [g] * n if draw(st.booleans()) else [draw(st.sampled_from([1, 2, 4])) for _ in range(n)]
    )
    kw = {
        "units": [draw(st.integers(1, 9)) for _ in range(n)],
        "num_stages": n,
        "resolution": draw(st.sampled_from([224, 160, 97])),
        "num_classes": draw(st.sampled_from([1000, 10])),
        "shuffle": draw(st.booleans()),
        "first_pointwise_grouped": draw(st.booleans()),
        "fc_bias": draw(st.booleans()),
        "bottleneck_ratio": draw(st.sampled_from([0.25, 0.5, 0.3, 1.0])),
    }
    if kw["first_pointwise_grouped"]:
        kw["stem_channels"] = 24 * max(groups)
    if draw(st.booleans()):
        kw["in_channels"] = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 0.33]))
    try:
        return shufflenet_spec(groups, scale, **kw)
    except UserError:
        return shufflenet_spec(3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_shufflenet(), any_shufflenet())
def test_names_parse_back_and_two_architectures_never_share_a_name(a, b):
    for s in (a, b):
        assert architecture_key(spec_from_name(s.name)) == architecture_key(s), s.name
    if architecture_key(a) != architecture_key(b):
        assert a.name != b.name


def test_explicit_spec_name_parses_back_whatever_its_channels():
    spec = ShuffleNetSpec(
        stages=(StageSpec(150, 2, 3, 0.3), StageSpec(303, 3, 3, 0.5)),
        stem_channels=27,
        resolution=96,
    )
    name = network_name(spec)
    assert architecture_key(spec_from_name(name)) == architecture_key(spec)
    # groups beyond the complexity rule: every channel count is spelled out
    huge = ShuffleNetSpec(stages=(StageSpec(2048, 1, 512),), stem_channels=512, resolution=64)
    assert network_name(huge) == "shufflenet-1x-g512-u1-c2048-64"
    assert architecture_key(spec_from_name(network_name(huge))) == architecture_key(huge)


def test_rule_name_given_to_another_architecture_is_renamed_with_a_note(tmp_path, run_cli):
    text = run_cli("show", "shufflenet-1x-g3", "--format", "yaml").stdout
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("units: 8", "units: 6"))
    spec = load_spec(str(edited))
    assert spec.name == "shufflenet-1x-g3-u4.6.4"
    assert any("'shufflenet-1x-g3' is the name of another architecture" in n for n in spec.notes)
    r = run_cli("profile", "--spec", edited, "--preset", "shufflenet-1x-g3", "--no-latency",
                "--baseline", "none", "--format", "json")  # fmt: skip
    rows = json.loads(r.stdout)
    assert [x["name"] for x in rows] == ["shufflenet-1x-g3", "shufflenet-1x-g3-u4.6.4"]
    md = run_cli("profile", "--spec", edited, "--no-latency", "--baseline", "none",
                 "--format", "markdown").stdout  # fmt: skip
    assert "is the name of another architecture" in md


def test_api_name_claiming_a_rule_name_is_corrected():
    spec = shufflenet_spec(groups=8, units=4, name="shufflenet-1x-g8")
    assert spec.name == "shufflenet-1x-g8-u4.4.4" and spec.notes
    mine = shufflenet_spec(groups=8, units=4, name="my-net")
    assert mine.name == "my-net" and not mine.notes


def test_user_duplicate_name_on_two_architectures_is_a_one_line_error(tmp_path, run_cli):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: mynet\ngroups: 3\n")
    b.write_text("name: mynet\ngroups: 8\n")
    with pytest.raises(UserError, match="'mynet' is given to two different networks"):
        unique_networks([load_spec(str(a)), load_spec(str(b))])
    r = run_cli("profile", "--spec", a, "--spec", b, "--no-latency")
    assert_one_line_error(r, "mynet", "two different networks")
    r = run_cli("compare", "--spec", a, "--spec", b, "--no-latency")
    assert_one_line_error(r, "mynet", "two different networks")
    # the same network twice under one name is simply one row
    assert len(unique_networks([load_spec(str(a)), load_spec(str(a))])) == 1


def test_with_resolution_renames_rule_names_and_marks_own_names():
    assert with_resolution(load_spec("mobilenet-v1-0.5"), 160).name == "mobilenet-v1-0.5-160"
    s = with_resolution(load_spec("shufflenet-1x-g3"), 160)
    assert s.name == "shufflenet-1x-g3-160" and s.paper is None
    assert architecture_key(spec_from_name(s.name)) == architecture_key(s)
    assert with_resolution(shufflenet_spec(3, name="mine"), 160).name == "mine@160"


# ----------------------------------------------------------------------------- 2. paper numbers


def test_paper_numbers_follow_the_architecture_not_the_file(tmp_path, run_cli):
    text = run_cli("show", "shufflenet-1x-g3", "--format", "yaml").stdout
    assert "paper:" in text
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("units: 8", "units: 6"))
    spec = load_spec(str(edited))
    assert spec.paper is None
    assert any("paper: block dropped" in n for n in spec.notes)
    row = network_row(spec)
    assert row["paper_mflops"] is None and row["paper_top1_err"] is None
    out = run_cli("profile", "--spec", edited, "--no-latency", "--baseline", "none").stdout
    assert "paper: block dropped" in out
    # the unedited file keeps the paper's numbers: its architecture is the paper's row
    same = tmp_path / "same.yaml"
    same.write_text(text)
    assert load_spec(str(same)).paper == load_preset("shufflenet-1x-g3").paper
    assert not load_spec(str(same)).notes


def test_wrong_paper_numbers_on_a_paper_architecture_are_replaced(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: mine\ngroups: 8\npaper: {mflops: 1, top1_err: 1.0}\n")
    spec = load_spec(str(path))
    assert spec.paper == load_preset("shufflenet-1x-g8").paper
    assert any("replaced by the published numbers of shufflenet-1x-g8" in n for n in spec.notes)


def test_paper_row_ignores_the_spec_paper_field():
    fake = shufflenet_spec(groups=8, units=4, paper=PaperRow(mflops=140, top1_err=32.4))
    assert paper_row(fake) is None
    row = network_row(fake)
    assert row["paper_mflops"] is None and row["paper_top1_err"] is None
    # a rule-built network equal to a paper row gets its numbers, whatever it is called
    mine = shufflenet_spec(groups=8, name="mine")
    assert network_row(mine)["paper_top1_err"] == 32.4
    assert matching_preset(mine).name == "shufflenet-1x-g8"


# ----------------------------------------------------------------------------- 3. names parse back


@pytest.mark.parametrize(
    "name, stages, stem",
    [
        ("shufflenet-2x-g8", (768, 1536, 3072), 48),
        ("shufflenet-1x-g6", None, 24),
        ("shufflenet-0.75x-g3", (180, 360, 720), 18),
        ("shufflenet-1x-g8-u4.4.4", (384, 768, 1536), 24),
        ("shufflenet-1x-g3.3.8", None, 24),
        ("shufflenet-0.5x-g3-u2.6-nofcbias-160", (120, 240), 12),
    ],
)
def test_rule_names_load_as_networks(name, stages, stem):
    spec = load_spec(name)
    assert spec.name == name
    assert spec.stem_channels == stem
    if stages:
        assert spec.stage_channels == stages


def test_rule_name_of_a_preset_architecture_gives_the_preset():
    spec = load_spec("shufflenet-0.5x-g3-u2.4.2")
    assert spec.name == "shufflenet-0.5x-shallow-g3"
    assert spec.paper == load_preset("shufflenet-0.5x-shallow-g3").paper


@pytest.mark.parametrize(
    "name", ["mobilenet-v1-0.6", "mobilenet-v1-1.0-160", "mobilenet-v1-0.5-96", "mobilenet-v1-0.5"]
)
def test_mobilenet_rule_names_parse_back(name):
    spec = load_spec(name)
    assert spec.name == name and spec.family == "mobilenet"


def test_every_printed_name_is_accepted_by_show_profile_and_compare(run_cli):
    r = run_cli("profile", "--groups", "6,8", "--scale", "0.75,2", "--resolution", "160",
                "--no-latency", "--format", "json")  # fmt: skip
    names = [row["name"] for row in json.loads(r.stdout)]
    assert "shufflenet-2x-g8-160" in names and any(n.startswith("mobilenet-v1-") for n in names)
    for name in names:
        shown = run_cli("show", name, "--no-layers", "--format", "json")
        assert shown.exit_code == 0, shown.stderr
        assert json.loads(shown.stdout)["spec"]["name"] == name
    again = run_cli("profile", *sum((["--preset", n] for n in names), []), "--no-latency",
                    "--baseline", "none", "--format", "json")  # fmt: skip
    assert [row["name"] for row in json.loads(again.stdout)] == names
    c = run_cli("compare", "--preset", "shufflenet-2x-g8", "--no-latency", "--format", "json")
    assert c.exit_code == 0, c.stderr
    assert json.loads(c.stdout)[0]["name"] == "shufflenet-2x-g8"


def test_search_results_are_named_by_the_rules(tmp_path):
    from shufflenet_cli.explore.search import candidate_spec
    from shufflenet_cli.explore.search import grid_candidates
    from shufflenet_cli.explore.search import space_from_dict

    space = space_from_dict(
        {
            "space": {"groups": [3, 8], "units": [[2, 4], [4], [2]]},
            "objectives": {"minimize": ["macs"]},
        }
    )
    for cand in grid_candidates(space):
        spec = candidate_spec(space, cand)
        assert architecture_key(load_spec(spec.name)) == architecture_key(spec)


@pytest.mark.parametrize(
    "typo, closest",
    [
        ("shufflenet-1x-gg3", "shufflenet-1x-g3"),
        ("shuffienet-2x-g8", "shufflenet-2x-g8"),
        ("mobilenet-v1-0.50x", "mobilenet-v1-0.5"),
    ],
)
def test_unknown_names_suggest_the_closest(run_cli, typo, closest):
    r = run_cli("show", typo)
    assert_one_line_error(r, "unknown preset", typo)
    assert closest in r.stderr.split("closest:")[1].split(",")[0]
    assert_one_line_error(run_cli("breakdown", typo), "unknown preset", closest)
    assert_one_line_error(run_cli("roofline", "--preset", typo, "--quick"), "unknown", closest)


def test_malformed_rule_names_are_one_line_errors(run_cli):
    assert_one_line_error(run_cli("show", "shufflenet-1x-g3-zz"), "unknown name part", "'zz'")
    assert_one_line_error(run_cli("show", "shufflenet-1x-g3-u2-u3"), "given twice")
    assert_one_line_error(run_cli("show", "shufflenet-1x-g5000"), "shufflenet-1x-g5000")
    assert parse_network_name("my-own-net") is None


# ----------------------------------------------------------------------------- 4. official widths

# The official ShuffleNet v1 (Megvii ShuffleNet-Series, ShuffleNetV1/network.py), written out
# here from its description rather than from our plan: stage_out_channels per (group, size)
# = [-1, stem, stage2, stage3, stage4]; repeats 4, 8, 4; every unit's bottleneck is
# out // 4; the first unit of Stage2 has an ungrouped first 1x1 conv; stride-2 units
# concatenate a 3x3 avg pool of the input with (out - in) new channels; 7x7 avg pool;
# a classifier without bias. The shuffle (after the depthwise conv there) costs nothing.
OFFICIAL_STAGE_OUT_CHANNELS = {
    (3, "0.5x"): [-1, 12, 120, 240, 480],
    (3, "1.0x"): [-1, 24, 240, 480, 960],
    (3, "1.5x"): [-1, 24, 360, 720, 1440],
    (3, "2.0x"): [-1, 48, 480, 960, 1920],
    (8, "0.5x"): [-1, 16, 192, 384, 768],
    (8, "1.0x"): [-1, 24, 384, 768, 1536],
    (8, "1.5x"): [-1, 24, 576, 1152, 2304],
    (8, "2.0x"): [-1, 48, 768, 1536, 3072],
}
# ../shared/REFERENCE.md: the official networks' conv + FC multiply-adds and params (no FC bias)
OFFICIAL_COUNTS = {
    (3, "0.5x"): (37_589_856, 717_324),
    (3, "1.0x"): (137_460_672, 1_864_728),
    (3, "1.5x"): (292_443_552, 3_441_168),
    (3, "2.0x"): (524_045_184, 5_449_776),
    (8, "0.5x"): (40_469_760, 1_010_448),
    (8, "1.0x"): (138_365_952, 2_433_768),
    (8, "1.5x"): (290_188_800, 4_268_952),
    (8, "2.0x"): (521_942_016, 6_521_232),
}


def official_shufflenet_v1(group, model_size):
    """The official network as plain torch modules (see the comment above)."""
    import torch
    from torch import nn

    class Unit(nn.Module):
        def __init__(self, inp, oup, first_group, stride):
            super().__init__()
            mid = oup // 4
            outputs = oup - inp if stride == 2 else oup
            self.stride = stride
            self.branch = nn.Sequential(
                nn.Conv2d(inp, mid, 1, 1, 0, groups=1 if first_group else group, bias=False),
                nn.BatchNorm2d(mid),
                nn.ReLU(inplace=True),
                nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                nn.BatchNorm2d(mid),
                nn.Conv2d(mid, outputs, 1, 1, 0, groups=group, bias=False),
                nn.BatchNorm2d(outputs),
            )
            self.pool = nn.AvgPool2d(3, 2, 1) if stride == 2 else None

        def forward(self, x):
            out = self.branch(x)
            if self.pool is None:
                return torch.relu(out + x)
            return torch.relu(torch.cat((self.pool(x), out), 1))

    channels = OFFICIAL_STAGE_OUT_CHANNELS[(group, model_size)]
    layers = [
        nn.Conv2d(3, channels[1], 3, 2, 1, bias=False),
        nn.BatchNorm2d(channels[1]),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1),
    ]
    inp = channels[1]
    for stage, repeats in enumerate([4, 8, 4]):
        oup = channels[stage + 2]
        for i in range(repeats):
            layers.append(Unit(inp, oup, stage == 0 and i == 0, 2 if i == 0 else 1))
            inp = oup
    layers += [nn.AvgPool2d(7), nn.Flatten(), nn.Linear(inp, 1000, bias=False)]
    return nn.Sequential(*layers)


def count_params_and_macs(model):
    """Parameters, and conv + FC multiply-adds counted with forward hooks on a 224x224 input."""
    import torch
    from torch import nn

    macs = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs.append(output.numel() * (module.in_channels // module.groups) * kh * kw)
        else:
            macs.append(output.numel() * module.in_features)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 224, 224))
    return sum(p.numel() for p in model.parameters()), sum(macs)


@pytest.mark.parametrize("group", [3, 8])
@pytest.mark.parametrize("model_size", ["0.5x", "1.0x", "1.5x", "2.0x"])
def test_width_rule_equals_the_official_implementation(group, model_size):
    pytest.importorskip("torch", reason="the official network is built in torch")
    params, macs = count_params_and_macs(official_shufflenet_v1(group, model_size))
    assert (macs, params) == OFFICIAL_COUNTS[(group, model_size)]
    scale = float(model_size[:-1])
    ours = shufflenet_spec(groups=group, scale=scale, fc_bias=False)
    a = analyze(ours)
    assert (a.macs, a.params) == (macs, params)
    channels = OFFICIAL_STAGE_OUT_CHANNELS[(group, model_size)]
    assert (ours.stem_channels, *ours.stage_channels) == tuple(channels[1:])
    # with the bias (our default) exactly 1,000 more parameters, the same multiply-adds
    assert analyze(shufflenet_spec(groups=group, scale=scale)).params == params + 1000
    assert ours.name == f"shufflenet-{scale:g}x-g{group}-nofcbias"


def test_official_table_script_prints_the_same_figures():
    from benchmarks.official_widths import official_rows

    rows = official_rows()
    assert len(rows) == 8
    for r in rows:
        assert (r["ours_macs"], r["ours_params_no_fc_bias"]) == OFFICIAL_COUNTS[
            (r["groups"], f"{r['scale']:.1f}x")
        ]


def test_width_rule_keeps_the_papers_rows():
    # Table 1 (conv-only, 1x), Table 5 (1.5x and 2x g3), Table 2 widths keep their counts
    assert round(analyze(load_spec("shufflenet-1.5x-g3")).macs / 1e6) == 292
    assert round(analyze(load_spec("shufflenet-2x-g3")).macs / 1e6) == 524
    assert [round(analyze(shufflenet_spec(g)).macs_conv / 1e6) for g in (1, 2, 3, 4, 8)] == [
        143,
        140,
        137,
        133,
        137,
    ]
    assert shufflenet_spec(3, 1.5).stem_channels == 24
    assert shufflenet_spec(8, 0.5).stem_channels == 16
    assert shufflenet_spec(2, 0.5).stage_channels == (104, 200, 400)  # 100 -> multiple of 8


@pytest.mark.parametrize("groups", [1, 2, 4, 6, 12])
@pytest.mark.parametrize("scale", [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
def test_other_groups_follow_the_same_rule(groups, scale):
    spec = shufflenet_spec(groups, scale)
    one = shufflenet_spec(groups, 1.0)
    for c, c1 in zip(spec.stage_channels, one.stage_channels):
        assert c % (4 * groups) == 0 and c >= c1 * scale and c - c1 * scale < 4 * groups
    stem_base = 24 * scale if scale <= 1 else 24 * int(scale)
    assert spec.stem_channels % groups == 0
    assert stem_base <= spec.stem_channels < stem_base + groups


# ----------------------------------------------------------------------------- 5. fc_bias


@pytest.mark.parametrize(
    "make", [lambda **k: shufflenet_spec(3, **k), lambda **k: mobilenet_spec(0.5, **k)]
)
def test_fc_bias_false_drops_the_classifier_bias_everywhere(make):
    torch = pytest.importorskip("torch", reason="the module's parameters are counted")
    from shufflenet_cli import build_model
    from shufflenet_cli.model.plan import build_plan

    with_bias, without = make(), make(fc_bias=False)
    assert analyze(with_bias).params - analyze(without).params == without.num_classes
    assert analyze(with_bias).macs == analyze(without).macs
    fc = [p.layer for p in build_plan(without).layers() if p.layer.op == "fc"]
    assert fc and not fc[0].bias
    model = build_model(without)
    assert sum(p.numel() for p in model.parameters()) == analyze(without).params
    assert model.fc.bias is None and isinstance(model.fc, torch.nn.Linear)
    data = spec_to_dict(without)
    assert data["fc_bias"] is False and "fc_bias" not in spec_to_dict(with_bias)
    back = spec_from_dict(yaml.safe_load(yaml.safe_dump(data)))
    assert architecture_key(back) == architecture_key(without) != architecture_key(with_bias)
    assert without.name.endswith("-nofcbias")


def test_fc_bias_in_a_spec_file_and_bad_values(tmp_path):
    path = tmp_path / "nb.yaml"
    path.write_text("groups: 3\nfc_bias: false\n")
    assert analyze(load_spec(str(path))).params == 1_864_728
    with pytest.raises(UserError, match="fc_bias"):
        shufflenet_spec(3, fc_bias="no")


# ----------------------------------------------------------------------------- 6. per-stage lists


@pytest.mark.parametrize(
    "kwargs, fragments",
    [
        ({"units": [2, 6]}, ["units: 2 values given for 3 stages", "num_stages: 2"]),
        ({"groups": [3, 3]}, ["groups: 2 values given for 3 stages", "num_stages: 2"]),
        ({"stage_channels": [240, 480]}, ["stage_channels: 2 values", "num_stages: 2"]),
        ({"bottleneck_ratio": [0.25] * 4}, ["bottleneck_ratio: 4 values", "num_stages: 4"]),
        ({"units": [2, 6], "groups": [3, 3, 3]}, ["units: 2 values but groups has 3"]),
        ({"units": [2, 6], "num_stages": 3}, ["units: 2 values given for num_stages 3"]),
        ({"num_stages": 2}, ["units: give 2 values"]),
    ],
)
def test_per_stage_lists_must_agree(kwargs, fragments):
    groups = kwargs.pop("groups", 3)
    with pytest.raises(UserError) as e:
        shufflenet_spec(groups, **kwargs)
    for f in fragments:
        assert f in str(e.value)


def test_a_deliberate_two_or_four_stage_network_says_so():
    two = shufflenet_spec(3, units=[2, 6], num_stages=2)
    assert len(two.stages) == 2 and two.name == "shufflenet-1x-g3-u2.6"
    four = shufflenet_spec([2, 2, 4, 4], units=[1, 2, 2, 1], num_stages=4)
    assert len(four.stages) == 4
    assert architecture_key(load_spec(four.name)) == architecture_key(four)


def test_spec_files_follow_the_same_rule(tmp_path, run_cli):
    path = tmp_path / "two.yaml"
    path.write_text("groups: 3\nunits: [2, 6]\n")
    assert_one_line_error(run_cli("show", path), "units: 2 values given for 3 stages")
    path.write_text("groups: 3\nunits: [2, 6]\nnum_stages: 2\n")
    assert run_cli("show", path, "--no-layers").exit_code == 0
    explicit = spec_to_dict(shufflenet_spec(3))
    explicit["num_stages"] = 2
    with pytest.raises(UserError, match="num_stages: 2 but stages lists 3"):
        spec_from_dict(explicit)
