"""The report folder: contents, data files, findings, atomic replacement and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from shufflenet_cli.cli import cli
from shufflenet_cli.explore.findings import latency_front
from shufflenet_cli.explore.findings import predictor_stats
from shufflenet_cli.explore.profile import resolve_networks
from shufflenet_cli.present import report as report_mod
from shufflenet_cli.present.report import MARKER
from shufflenet_cli.present.report import build_report
from shufflenet_cli.present.report import with_mobilenets
from shufflenet_cli.present.tradeoff_plots import runtime_ratio_figure


@pytest.fixture(scope="module")
def analytic_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "r"
    specs = with_mobilenets(resolve_networks([1, 3, 8], [0.5, 1]), [1.0, 0.5])
    path, notes = build_report(specs, out, latency=False)
    return path, specs, notes


def test_report_folder_has_page_tables_data_and_one_plotly(analytic_report):
    out, specs, notes = analytic_report
    assert notes == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('<script src="plotly.min.js"></script>') == 1
    assert "cdn.plot.ly" not in index and "https://cdn" not in index
    # plotly.js is shipped once: the page and the per-plot pages reference the one file
    assert len(list(out.rglob("plotly*.js"))) == 1
    for key in "abcdefgh":
        assert f'id="plot-{key}"' in index
        page = (out / "plots" / f"{key}.html").read_text(encoding="utf-8")
        assert 'src="../plotly.min.js"' in page
    assert "<h2>Environment</h2>" in index and "<b>cpu</b>" in index
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| shufflenet-1x-g3 |" in md and "(plots/a.html)" in md
    nets = pd.read_csv(out / "data" / "networks.csv")
    assert list(nets["name"]) == [s.name for s in specs]
    doc = json.loads((out / "data" / "networks.json").read_text())
    assert doc[0]["macs"] == nets["macs"][0]
    for s in specs:
        layers = pd.read_csv(out / "data" / "layers" / f"{s.name}.csv")
        assert layers["params"].sum() == nets.set_index("name").loc[s.name, "params"]
    stages = pd.read_csv(out / "data" / "stages.csv")
    assert set(stages["network"]) == {s.name for s in specs}
    pairs = json.loads((out / "data" / "pairs.json").read_text())
    assert [(p["name"], p["partner"]) for p in pairs] == [
        ("shufflenet-1x-g3", "mobilenet-v1-0.5"),
        ("shufflenet-1x-g8", "mobilenet-v1-0.5"),
    ]


def test_no_latency_report_says_not_measured(analytic_report):
    out, _specs, _notes = analytic_report
    findings = json.loads((out / "data" / "findings.json").read_text())
    for key in "acef":
        assert "not measured" in findings[key], key
    env = json.loads((out / "data" / "environment.json").read_text())
    assert env["latency_measured"] is False


def test_every_panel_of_a_no_latency_figure_keeps_its_own_axes():
    # plotly.js draws a subplot with no trace on its primary axis over its neighbour, and a
    # "not measured" note aimed at it lands elsewhere: each panel that is used needs a trace
    # on its primary axis.
    specs = with_mobilenets(resolve_networks([1, 3], [1]), [0.5])
    data = report_mod.collect_report(specs, latency=False)
    for key, _title, fig in report_mod.report_figures(data):
        layout = fig.layout.to_plotly_json()
        primary_of = {
            name.replace("axis", ""): spec.get("overlaying", name.replace("axis", ""))
            for name, spec in layout.items()
            if name.startswith("yaxis")
        }
        with_traces = {t.yaxis or "y" for t in fig.data}
        for axis in with_traces:
            assert primary_of.get(axis, axis) in with_traces, (key, axis)
        for note in fig.layout.annotations:
            if note.yref and note.yref.endswith(" domain"):
                assert note.yref.split()[0] in with_traces, (key, note.text)


def test_group_sweep_finding_is_computed_from_rows(analytic_report):
    out, _specs, _ = analytic_report
    nets = pd.read_csv(out / "data" / "networks.csv")
    at1 = nets[(nets["family"] == "shufflenet") & (nets["scale"] == 1.0)]
    ratio = at1["params"].max() / at1["params"].min()
    findings = json.loads((out / "data" / "findings.json").read_text())
    assert f"{ratio:.2f}x (1x)" in findings["g"]


def test_predictor_stats_rank_and_fit():
    rows = [
        {
            "macs": m,
            "params": p,
            "memory_bytes_eager": t,
            "memory_bytes_fused": t,
            "latency_ms": lat,
        }
        for m, p, t, lat in ((1, 5, 10, 1.0), (2, 4, 20, 2.0), (3, 3, 30, 3.0), (4, 1, 40, 4.1))
    ]
    stats = {s["predictor"]: s for s in predictor_stats(rows)}
    assert stats["macs"]["spearman"] == pytest.approx(1.0)
    assert stats["params"]["spearman"] == pytest.approx(-1.0)
    assert 0.99 < stats["memory_bytes_eager"]["r2"] <= 1.0
    assert predictor_stats(rows)[0]["spearman"] == pytest.approx(1.0)
    assert predictor_stats(rows[:2])[0]["spearman"] is None  # too few points


def test_latency_front_keeps_networks_no_other_beats():
    rows = [
        {"name": n, "macs": m, "latency_ms": t}
        for n, m, t in (
            ("a", 10, 1.0),
            ("b", 5, 2.0),
            ("c", 20, 3.0),
            ("d", 15, 4.0),
            ("e", 30, None),
        )
    ]
    assert [r["name"] for r in latency_front(rows)] == ["a", "c"]


def test_rerun_replaces_an_earlier_report_atomically(tmp_path):
    out = tmp_path / "r"
    specs = resolve_networks([3], [1])
    build_report(specs, out, latency=False)
    (out / "stale.txt").write_text("from the first run")
    build_report(specs, out, latency=False)
    assert (out / MARKER).exists() and not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temp or old folders left


def test_interrupted_report_leaves_the_old_one_whole(tmp_path, monkeypatch):
    out = tmp_path / "r"
    specs = resolve_networks([3], [1])
    build_report(specs, out, latency=False)
    before = (out / "index.html").read_text()

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report_mod, "_report_md", interrupted)  # after index.html is written
    with pytest.raises(KeyboardInterrupt):
        build_report(resolve_networks([8], [1]), out, latency=False)
    assert (out / "index.html").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


@pytest.mark.slow
def test_ctrl_c_in_a_real_process_keeps_the_old_report(tmp_path):
    import signal
    import time

    out = tmp_path / "r"
    build_report(resolve_networks([3], [1]), out, latency=False)
    before = (out / "index.html").read_text()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shufflenet_cli",
            "report",
            "--groups",
            "8",
            "--scales",
            "1",
            "--mobilenet-widths",
            "0.5",
            "--windows",
            "100",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a suite started in the background inherits SIGINT ignored; a user's shell does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3)  # torch imported, measuring
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr
    assert (out / "index.html").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_unwritable_parent_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod.os, "access", lambda *_a: False)  # root can write anywhere
    result = CliRunner().invoke(
        cli,
        ["report", "--no-latency", "--groups", "3", "--scales", "1", "--out", str(tmp_path / "r")],
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"error: out: folder {tmp_path} is not writable"


def test_interrupted_first_report_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod, "_report_md", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build_report(resolve_networks([3], [1]), tmp_path / "new", latency=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make_out, message",
    [
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is an existing file"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt" / "sub", "is a file"),
        (
            lambda p: (p / "d").mkdir() or (p / "d" / "mine.txt").write_text("x") and p / "d",
            "not a shufflenet-cli report",
        ),
    ],
)
def test_bad_out_is_one_line_and_exit_2(tmp_path, make_out, message):
    out = make_out(tmp_path)
    result = CliRunner().invoke(
        cli, ["report", "--no-latency", "--groups", "3", "--scales", "1", "--out", str(out)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_unknown_network_is_one_line_and_exit_2(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shufflenet_cli",
            "report",
            "--no-latency",
            "--preset",
            "shufflenet-nine-x",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown preset" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()


def test_report_command_writes_folder_and_png_note(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--no-latency",
            "--groups",
            "1,8",
            "--scales",
            "1",
            "--mobilenet-widths",
            "0.5",
            "--png",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists()
    try:
        import kaleido  # noqa: F401
    except ImportError:
        assert "kaleido is not installed" in result.output
        assert not list((out / "plots").glob("*.png"))
    nets = pd.read_csv(out / "data" / "networks.csv")
    assert list(nets["name"]) == ["shufflenet-1x-g1", "shufflenet-1x-g8", "mobilenet-v1-0.5"]


@pytest.mark.slow
def test_measured_report_fills_latency_backend_and_breakdown(tmp_path):
    out = tmp_path / "m"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--groups",
            "3",
            "--scales",
            "1",
            "--mobilenet-widths",
            "0.5,0.25",
            "--windows",
            "2",
            "--window-time",
            "0.02",
            "--warmup-time",
            "0.02",
            "--backend",
            "channels_last,eager",
            "--breakdown-runs",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    nets = json.loads((out / "data" / "networks.json").read_text())
    assert all(r["latency_ms"] > 0 and r["latency_error"] is None for r in nets)
    assert all(r["latency_ms_eager"] > 0 for r in nets)  # the second backend's column
    env = json.loads((out / "data" / "environment.json").read_text())
    assert env["backend"] == "channels_last,eager" and env["threads"] == 1
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "channels_last,eager backend" in page and "eager latency x" in page
    bd = pd.read_csv(out / "data" / "breakdown.csv")
    assert set(bd["network"]) == {"shufflenet-1x-g3", "mobilenet-v1-0.5"}
    g3 = bd[bd["network"] == "shufflenet-1x-g3"]
    assert g3["share"].sum() == pytest.approx(1.0, abs=1e-6)
    assert {"conv1x1", "depthwise", "shuffle"} <= set(g3["kind"])
    assert "shuffle" not in set(bd[bd["network"] == "mobilenet-v1-0.5"]["kind"])
    by_stage = pd.read_csv(out / "data" / "breakdown_stages.csv")
    g3_stages = by_stage[by_stage["network"] == "shufflenet-1x-g3"]
    assert g3_stages["share"].sum() == pytest.approx(1.0, abs=1e-6)
    assert {"maxpool", "stage2", "stage3", "stage4"} <= set(g3_stages["stage"])
    findings = json.loads((out / "data" / "findings.json").read_text())
    assert "predicts latency best" in findings["f"]


def test_spec_file_without_a_scale_joins_the_report(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text(
        "family: shufflenet\nname: mine\nstem_channels: 24\nstages:\n"
        "  - {out_channels: 240, units: 2, groups: 3}\n"
        "  - {out_channels: 480, units: 2, groups: 3}\n"
    )
    out = tmp_path / "r"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--no-latency",
            "--groups",
            "3,8",
            "--scales",
            "1",
            "--spec",
            str(spec),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    nets = pd.read_csv(out / "data" / "networks.csv")
    assert "mine" in set(nets["name"])
    assert (out / "data" / "layers" / "mine.csv").exists()


def _pair_rows(ms_shuffle, ms_mobile, backend="onnxruntime", error=None):
    return [
        {
            "name": "shufflenet-1x-g3",
            f"latency_ms_{backend}": ms_shuffle,
            f"latency_error_{backend}": error,
        },
        {"name": "mobilenet-v1-0.5", f"latency_ms_{backend}": ms_mobile},
    ]


def test_runtime_ratios_give_one_row_per_pair_runtime_and_dtype_with_the_reason():
    from shufflenet_cli.explore.compare import runtime_ratios

    fp32 = runtime_ratios({"fp32": _pair_rows(3.0, 2.0)}, ["onnxruntime"])
    int8 = runtime_ratios(
        {"int8": _pair_rows(None, None, error="no int8 kernels")}, ["onnxruntime"]
    )
    assert [(r["backend"], r["dtype"], r["latency_ms_ratio"]) for r in fp32] == [
        ("onnxruntime", "fp32", 1.5)
    ]
    assert int8[0]["latency_ms_ratio"] is None and int8[0]["latency_error"] == "no int8 kernels"
    fig = runtime_ratio_figure(fp32 + int8)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [list(b.y) for b in bars] == [[1.5], []]
    missing = [t for t in fig.data if t.type == "scatter"]
    assert "no int8 kernels" in missing[0].hovertext[0]
    from shufflenet_cli.present.columns import RUNTIME_RATIO_COLUMNS

    cells = {c.key: c.show(r) for r in int8 for c in RUNTIME_RATIO_COLUMNS}
    assert cells["latency_ms_ratio"] == "n/a: no int8 kernels"
    text = report_mod.runtime_finding(fp32 + int8)
    assert "onnxruntime fp32: 1.50x" in text and "Not run: onnxruntime int8 (no int8" in text


@pytest.mark.slow
def test_report_times_the_paper_pairs_per_runtime_and_dtype(tmp_path):
    pytest.importorskip("onnxruntime", reason="the onnxruntime extra is not installed")
    from shufflenet_cli.measure.protocol import Protocol

    specs = with_mobilenets(resolve_networks([3], [1]), [0.5])
    quick = Protocol(windows=2, window_time=0.02, warmup_time=0.02)
    out = tmp_path / "r"
    build_report(
        specs,
        out,
        protocol=quick,
        backend=["eager", "onnxruntime"],
        breakdown=[],
        pair_dtypes=["fp32", "int8"],
    )
    rows = json.loads((out / "data" / "runtime_ratios.json").read_text())
    cells = {(r["backend"], r["dtype"]): r for r in rows}
    assert set(cells) == {(b, d) for b in ("eager", "onnxruntime") for d in ("fp32", "int8")}
    assert cells["onnxruntime", "int8"]["latency_ms_ratio"] > 0  # QDQ int8 runs on ORT
    assert cells["eager", "int8"]["latency_ms_ratio"] is None
    assert cells["eager", "int8"]["latency_error"]  # eager has no int8 kernels: says so
    assert (out / "plots" / "j.html").exists()
    assert (
        "ShuffleNet / MobileNet latency per runtime and dtype" in (out / "index.html").read_text()
    )
