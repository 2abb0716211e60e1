"""Per-op-kind profiler breakdown: attribution adds up and names the papers' op kinds."""

import pytest

from shufflenet_cli import mobilenet_spec
from shufflenet_cli import shufflenet_spec
from shufflenet_cli.measure.breakdown import breakdown_rows
from shufflenet_cli.measure.breakdown import op_breakdown

pytestmark = pytest.mark.slow  # latency, profiler, subprocess or browser: see README


def test_shufflenet_breakdown_has_every_kind_and_adds_up():
    r = op_breakdown(shufflenet_spec(3, 0.5, resolution=96), runs=2, warmup=1)
    kinds = {k["kind"] for k in r["by_kind"]}
    assert {"conv1x1", "depthwise", "bn", "shuffle", "add_concat", "pooling", "fc"} <= kinds
    assert abs(sum(k["ms"] for k in r["by_kind"]) - r["total_ms"]) < 1e-6
    assert abs(sum(s["share"] for s in r["by_stage"]) - 1) < 1e-9
    stages = {s["stage"]: s["share"] for s in r["by_stage"]}
    # stages that are single modules (the stem's max pool, global pool, FC) are ranges too
    assert {"conv1", "maxpool", "stage2", "stage3", "stage4", "globalpool", "fc"} <= set(stages)
    assert stages.get("other", 0) < 0.05  # only framework glue is left unattributed


def test_mobilenet_has_no_shuffle_and_rows_flatten():
    r = op_breakdown(mobilenet_spec(0.25, 96), runs=2, warmup=1)
    assert "shuffle" not in {k["kind"] for k in r["by_kind"]}
    rows = breakdown_rows([r])
    assert rows[0]["network"] == "mobilenet-v1-0.25-96" and "share" in rows[0]


def test_breakdown_command_puts_time_beside_macs(run_cli):
    import json

    r = run_cli(
        "breakdown", "shufflenet-0.25x-g3", "--resolution", "96", "--runs", "2", "--format", "json"
    )
    assert r.exit_code == 0, r.stderr
    rows = {row["kind"]: row for row in json.loads(r.stdout)}
    assert abs(sum(row["share"] for row in rows.values()) - 1) < 1e-9
    assert rows["conv1x1"]["macs_share"] > 0.5 and rows["pooling"]["macs_share"] == 0
    r = run_cli("breakdown", "nope")
    assert r.exit_code == 2 and "unknown preset" in r.stderr


def test_by_layer_names_every_module_and_stays_within_the_total(run_cli):
    import json

    from shufflenet_cli.model.nn import build_model

    spec = shufflenet_spec(3, 0.5, resolution=96)
    r = op_breakdown(spec, runs=2, warmup=1)
    layers = {row["layer"]: row for row in r["by_layer"]}
    modules = {
        n
        for n, m in build_model(spec).named_modules()
        if not list(m.children()) and type(m).__name__ != "ChannelShuffle"
    }
    assert {"conv1.conv", "maxpool", "stage2.unit1.gconv1", "stage2.unit1.dwconv"} <= set(layers)
    assert set(layers) <= modules
    assert layers["stage2.unit1.dwconv"]["kind"] == "depthwise"
    assert sum(row["ms"] for row in r["by_layer"]) <= r["total_ms"] + 1e-9
    out = run_cli(
        "breakdown",
        "shufflenet-0.25x-g3",
        "--resolution",
        "96",
        "--runs",
        "2",
        "--by",
        "layer",
        "--format",
        "json",
    )
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)[0]["layer"] == "conv1.conv"


def test_every_time_has_its_spread_over_runs_and_the_profile_noise_rule():
    from shufflenet_cli.measure.breakdown import spread
    from shufflenet_cli.measure.latency import NOISY_FRACTION

    r = op_breakdown(shufflenet_spec(3, 0.25, resolution=64), runs=5, warmup=1)
    assert len(r["per_run_ms"]) == 5
    assert abs(sum(r["per_run_ms"]) / 5 - r["total_ms"]) < 1e-9
    assert (r["total_spread_ms"], r["noisy"]) == spread(r["per_run_ms"])
    for row in r["by_kind"] + r["by_stage"] + r["by_layer"]:
        assert row["spread_ms"] >= 0 and isinstance(row["noisy"], bool)
    # the rule is profile's: IQR above NOISY_FRACTION of the median
    quiet = [10.0, 10.1, 10.0, 10.2, 10.1]
    busy = [10.0, 14.0, 10.0, 16.0, 12.0]
    assert spread(quiet)[1] is False and spread(busy)[1] is True
    assert spread([10.0, 10.0 + 10.0 * NOISY_FRACTION * 0.9])[1] is False
    assert spread([3.0]) == (0.0, False)


def test_breakdown_command_shows_spread_and_noise(run_cli):
    import json

    args = ("breakdown", "shufflenet-0.25x-g3", "--resolution", "64", "--runs", "4")
    rows = json.loads(run_cli(*args, "--format", "json").stdout)
    assert all({"spread_ms", "noisy", "total_spread_ms", "total_noisy"} <= set(r) for r in rows)
    text = run_cli(*args).stdout
    assert "±" in text and "IQR over 4 runs" in text and "'!' = noisy" in text
