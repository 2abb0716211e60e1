"""``compare``: the papers' matched-complexity pairs, partners for named networks, ratios."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from shufflenet_cli.cli import cli
from shufflenet_cli.explore.compare import PAPER_PAIRS
from shufflenet_cli.explore.compare import compare_networks
from shufflenet_cli.explore.compare import pair_row
from shufflenet_cli.explore.compare import pairs_for
from shufflenet_cli.explore.profile import resolve_networks
from shufflenet_cli.measure.latency import LatencyResult
from shufflenet_cli.measure.measurement import could_not_run
from shufflenet_cli.measure.measurement import primary_fields
from shufflenet_cli.measure.protocol import Protocol
from shufflenet_cli.model.cost import analyze
from shufflenet_cli.model.rules import mobilenet_spec
from shufflenet_cli.model.rules import shufflenet_spec

QUICK = Protocol(windows=2, window_time=0.02, warmup_time=0.02)


def _json(args):
    result = CliRunner().invoke(cli, ["compare", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_default_pairs_are_the_papers_with_ratios_from_the_cost_model():
    rows = _json(["--no-latency"])
    assert [(r["name"], r["partner"]) for r in rows] == list(PAPER_PAIRS)
    g3 = rows[2]
    a, b = analyze(shufflenet_spec(3)), analyze(mobilenet_spec(0.5))
    assert g3["macs_ratio"] == pytest.approx(a.macs / b.macs)
    assert g3["params_ratio"] == pytest.approx(a.params / b.params)
    assert g3["memory_bytes_eager_ratio"] == pytest.approx(
        a.memory_bytes_eager / b.memory_bytes_eager
    )
    # ShuffleNet paper Table 5 vs MobileNet Table 6: 32.6 vs 36.3 % top-1 error
    assert g3["top1_err_diff"] == pytest.approx(32.6 - 36.3)
    assert g3["latency_ms"] is None and g3["latency_ms_ratio"] is None


def test_named_networks_get_the_closest_mobilenet_in_macs():
    pairs = pairs_for(resolve_networks([3], [0.5, 1, 2]))
    assert [(a.name, b.name) for a, b in pairs] == [
        ("shufflenet-0.5x-g3", "mobilenet-v1-0.25"),
        ("shufflenet-1x-g3", "mobilenet-v1-0.5"),
        ("shufflenet-2x-g3", "mobilenet-v1-1.0"),
    ]


def test_baseline_option_sets_every_partner():
    rows = _json(["--groups", "1,8", "--baseline", "mobilenet-v1-0.75", "--no-latency"])
    assert {r["partner"] for r in rows} == {"mobilenet-v1-0.75"}


def test_pair_row_handles_missing_numbers():
    row = pair_row(
        {"name": "a", "params": 2, "macs": 10, "paper_top1_err": None},
        {"name": "b", "params": 4, "macs": 0, "paper_top1_err": 30.0},
    )
    assert row["params_ratio"] == 0.5
    assert row["macs_ratio"] is None  # partner 0: no ratio rather than a crash
    assert row["top1_err_diff"] is None


@pytest.mark.slow
def test_measured_latency_ratio_is_the_ratio_of_measured_medians():
    pairs = [(shufflenet_spec(3, 0.5), mobilenet_spec(0.25))]
    result = compare_networks(pairs, protocol=QUICK)
    r = result.rows[0]
    assert r["latency_ms"] > 0 and r["partner_latency_ms"] > 0
    assert r["latency_ms_ratio"] == pytest.approx(r["latency_ms"] / r["partner_latency_ms"])
    assert result.environment["threads"] == 1


@pytest.mark.slow
def test_backend_option_times_that_backend():
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            "--preset",
            "shufflenet-0.5x-g3",
            "--baseline",
            "0.25",
            "--backend",
            "channels_last",
            "--windows",
            "2",
            "--window-time",
            "0.02",
            "--warmup-time",
            "0.02",
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Latency: channels_last, 1 thread(s)" in result.output
    row = next(line for line in result.output.splitlines() if "shufflenet-0.5x-g3" in line)
    latency_cell = row.split("|")[9].replace("!", "")  # "!" flags a noisy median
    net, partner = (float(v) for v in latency_cell.split("/"))
    assert net > 0 and partner > 0


def test_network_a_backend_cannot_run_has_no_latency_and_a_reason():
    failed = LatencyResult(
        "shufflenet-1x-g3",
        float("nan"),
        float("nan"),
        False,
        backend="onnxruntime",
        error="export failed",
    )
    ok = LatencyResult("mobilenet-v1-0.5", 4.0, 0.1, False, [4.0, 4.1], backend="onnxruntime")
    row = {"name": "shufflenet-1x-g3", **primary_fields(failed, "onnxruntime")}
    partner = {"name": "mobilenet-v1-0.5", **primary_fields(ok, "onnxruntime")}
    assert row["latency_ms"] is None and row["latency_error"] == "export failed"
    assert partner["latency_ms"] == 4.0 and partner["latency_error"] is None
    assert pair_row(row, partner)["latency_ms_ratio"] is None  # no NaN ratio
    assert could_not_run([failed, ok]) == [
        "onnxruntime could not run shufflenet-1x-g3: export failed"
    ]


def test_compare_markdown_and_csv_outputs(tmp_path):
    out = tmp_path / "c.md"
    result = CliRunner().invoke(
        cli, ["compare", "--no-latency", "--format", "markdown", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert (
        "| shufflenet-1x-g8 | mobilenet-v1-0.5 |" in text and "latency" not in text.split("\n")[2]
    )
    result = CliRunner().invoke(cli, ["compare", "--no-latency", "--format", "csv"])
    assert result.output.splitlines()[0].startswith("name,partner,params,")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "nope"], "unknown preset"),
        (["--groups", "3", "--baseline", "none"], "needs a partner"),
        (["--groups", "x"], "not a positive whole number"),
        (["--windows", "0"], "--windows"),
        (["--backend", "tensorrt"], "backend: 'tensorrt' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = CliRunner().invoke(cli, ["compare", "--no-latency", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


@pytest.mark.slow
def test_several_backends_give_one_ratio_column_each():
    pairs = [(shufflenet_spec(3, 0.5), mobilenet_spec(0.25))]
    result = compare_networks(pairs, protocol=QUICK, backend=["eager", "channels_last"])
    r = result.rows[0]
    assert r["latency_ms_channels_last"] > 0 and r["partner_latency_ms_channels_last"] > 0
    assert r["latency_ms_channels_last_ratio"] == pytest.approx(
        r["latency_ms_channels_last"] / r["partner_latency_ms_channels_last"]
    )
    assert r["latency_ms_ratio"] == pytest.approx(r["latency_ms"] / r["partner_latency_ms"])
    assert result.environment["backend"] == "eager,channels_last"
    cli_result = CliRunner().invoke(
        cli,
        [
            "compare",
            "--preset",
            "shufflenet-0.5x-g3",
            "--baseline",
            "0.25",
            "--backend",
            "eager,channels_last",
            "--windows",
            "2",
            "--window-time",
            "0.02",
            "--warmup-time",
            "0.02",
            "--format",
            "markdown",
        ],
    )
    assert cli_result.exit_code == 0, cli_result.output
    assert "channels_last latency x" in cli_result.output
