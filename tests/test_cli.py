"""The commands, through click's CliRunner and as real subprocesses."""

import json
import subprocess
import sys

import pytest

from shufflenet_cli.cli import cli

JSON_KEYS = {
    "name",
    "family",
    "groups",
    "scale",
    "stage_channels",
    "params",
    "macs",
    "macs_conv",
    "memory_bytes_eager",
    "memory_bytes_fused",
    "latency_ms",
    "latency_spread_ms",
    "latency_noisy",
    "paper_mflops",
    "paper_top1_err",
}


def test_profile_json_without_latency(run_cli):
    r = run_cli("profile", "--groups", "1,2,3,4,8", "--no-latency", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows] == [
        "shufflenet-1x-g1",
        "shufflenet-1x-g2",
        "shufflenet-1x-g3",
        "shufflenet-1x-g4",
        "shufflenet-1x-g8",
        "mobilenet-v1-0.5",
    ]
    for row in rows:
        assert JSON_KEYS <= set(row)
        assert row["latency_ms"] is None
    g3 = rows[2]
    assert g3["family"] == "shufflenet" and g3["groups"] == 3 and g3["params"] == 1_865_728
    assert g3["stage_channels"] == [240, 480, 960]
    assert g3["paper_mflops"] == 137 and g3["paper_top1_err"] == 32.6
    assert rows[-1]["family"] == "mobilenet" and rows[-1]["baseline"] is True


def test_profile_table_states_conventions(run_cli):
    r = run_cli("profile", "--groups", "3", "--no-latency")
    assert r.exit_code == 0
    assert "shufflenet-1x-g3" in r.stdout and "mobilenet-v1-0.5 (baseline)" in r.stdout
    assert "Counting: MACs = multiply-adds of conv + FC" in r.stdout


@pytest.mark.slow
def test_profile_with_latency_measures_every_row(run_cli):
    # every row gets its latency fields: the short protocol (the figures are not checked here)
    quick = ["--windows", "2", "--window-time", "0.01", "--warmup-time", "0.01"]
    args = ["--scale", "0.25", "--groups", "3", "--resolution", "96", *quick, "--format", "json"]
    r = run_cli("profile", *args)
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 2
    for row in rows:
        assert row["latency_ms"] > 0 and row["latency_spread_ms"] >= 0
        assert isinstance(row["latency_noisy"], bool)
    base = [row for row in rows if row["baseline"]][0]
    assert base["latency_rel"] == 1.0


def test_profile_baseline_none_and_width(run_cli):
    r = run_cli(
        "profile", "--groups", "3", "--no-latency", "--baseline", "none", "--format", "json"
    )
    assert [row["name"] for row in json.loads(r.stdout)] == ["shufflenet-1x-g3"]
    r = run_cli("profile", "--groups", "3", "--no-latency", "--baseline", "1.0", "--format", "json")
    assert json.loads(r.stdout)[-1]["name"] == "mobilenet-v1-1.0"


def test_profile_presets_specs_scales(run_cli, spec_file):
    path = spec_file("family: shufflenet\nname: mine\ngroups: 4\nscale: 0.5\n")
    r = run_cli(
        "profile",
        "--preset",
        "shufflenet-2x-g3",
        "--spec",
        path,
        "--no-latency",
        "--format",
        "json",
    )
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows] == ["shufflenet-2x-g3", "mine", "mobilenet-v1-0.75"]
    # a user spec with a paper row's architecture shows the paper's numbers
    assert rows[1]["paper_mflops"] == 38 and rows[1]["paper_top1_err"] == 41.6
    r = run_cli("profile", "--scale", "0.5,1", "--groups", "8", "--no-latency", "--format", "json")
    assert [row["name"] for row in json.loads(r.stdout)][:2] == [
        "shufflenet-0.5x-g8",
        "shufflenet-1x-g8",
    ]


@pytest.mark.parametrize(
    "fmt, marker", [("csv", "name,family,groups"), ("markdown", "| network | g |")]
)
def test_profile_other_formats(run_cli, fmt, marker):
    r = run_cli("profile", "--groups", "3", "--no-latency", "--format", fmt)
    assert r.exit_code == 0 and marker in r.stdout


def test_profile_output_file(run_cli, tmp_path):
    out = tmp_path / "rows.json"
    r = run_cli("profile", "--groups", "2", "--no-latency", "--format", "json", "-o", out)
    assert r.exit_code == 0 and f"wrote {out}" in r.stderr
    assert json.loads(out.read_text())[0]["name"] == "shufflenet-1x-g2"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_profile_crosscheck(run_cli):
    r = run_cli(
        "profile",
        "--preset",
        "shufflenet-1x-g3",
        "--baseline",
        "none",
        "--no-latency",
        "--crosscheck",
        "--format",
        "json",
    )
    row = json.loads(r.stdout)[0]
    assert row["fvcore_conv_fc_macs"] == row["macs"] == 137_460_672
    assert row["fvcore_macs"] > row["macs"]  # fvcore adds BN
    assert row["thop_macs"] > row["macs"] and row["thop_params"] == row["params"]


def test_show_table1_layout_and_layers(run_cli):
    r = run_cli("show", "shufflenet-1x-g3")
    assert r.exit_code == 0
    assert "Table 1 layout" in r.stdout and "stage3.unit8.gconv2" in r.stdout
    r = run_cli("show", "shufflenet-1x-g3", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["params"] == 1_865_728
    stage3 = [row for row in doc["outline"] if row["stage"] == "stage3"]
    assert [(row["stride"], row["repeat"], row["output_size"]) for row in stage3] == [
        (2, 1, "14x14"),
        (1, 7, "14x14"),
    ]
    assert len(doc["layers"]) > 100


def test_show_yaml_round_trips_through_profile(run_cli, tmp_path):
    out = tmp_path / "g8.yaml"
    assert run_cli("show", "shufflenet-0.5x-g8", "--format", "yaml", "-o", out).exit_code == 0
    r = run_cli("profile", "--spec", out, "--baseline", "none", "--no-latency", "--format", "json")
    row = json.loads(r.stdout)[0]
    assert row["stage_channels"] == [192, 384, 768] and row["paper_mflops"] == 38


def test_presets_list(run_cli):
    r = run_cli("presets", "--format", "json")
    names = [row["name"] for row in json.loads(r.stdout)]
    assert len(names) == 25 and "mobilenet-v1-1.0-160" in names
    r = run_cli("presets", "*1.5x*", "--format", "json")
    assert [row["name"] for row in json.loads(r.stdout)] == ["shufflenet-1.5x-g3"]


def test_other_group_counts_state_their_rule(run_cli):
    r = run_cli("profile", "--groups", "6", "--no-latency", "--format", "json")
    row = json.loads(r.stdout)[0]
    assert row["groups"] == 6 and row["stage_channels"] == [336, 672, 1344]
    assert row["macs_conv"] <= 142_502_976  # within the g=1 network's complexity
    r = run_cli("profile", "--groups", "6", "--no-latency")
    assert "shufflenet-1x-g6: channels by rule: largest multiple of 4g=24" in r.stdout


def test_every_command_has_help(run_cli):
    for name, command in cli.commands.items():
        r = run_cli(name, "--help")
        assert r.exit_code == 0 and command.help and len(r.stdout) > 100


def test_module_entry_point_as_subprocess(run_process):
    r = run_process("profile", "--groups", "3", "--no-latency", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["macs"] == 137_460_672


def test_analytic_commands_do_not_import_torch():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom shufflenet_cli.cli import cli\n"
        "r = CliRunner().invoke(cli, ['profile', '--no-latency', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(cli, ['show', 'shufflenet-1x-g3', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_profile_repeat_process_reports_the_spread_between_processes(run_cli):
    r = run_cli(
        "profile",
        "--scale",
        "0.25",
        "--groups",
        "3",
        "--resolution",
        "64",
        "--baseline",
        "none",
        "--repeat-process",
        "2",
        "--windows",
        "3",
        "--window-time",
        "0.02",
        "--warmup-time",
        "0.02",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)[0]
    runs = row["latency_samples_ms"]
    assert len(runs) == 2 and all(v > 0 for v in runs)
    assert abs(row["latency_spread_ms"] - (max(runs) - min(runs))) < 1e-9
    assert min(runs) <= row["latency_ms"] <= max(runs)


def test_fresh_processes_get_the_whole_protocol(monkeypatch):
    """--repeat-process hands every timing setting to its processes, the window ones too."""
    import subprocess

    from shufflenet_cli.measure.latency import measure_in_fresh_processes
    from shufflenet_cli.model.rules import shufflenet_spec

    seen = []

    def fake_run(args, **kwargs):
        seen.append(args)
        return subprocess.CompletedProcess(args, 0, json.dumps([{"latency_ms": 1.5}]), "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    out = measure_in_fresh_processes(
        [shufflenet_spec(3)], 2, windows=3, window_time=0.02, warmup_time=0.05, threads=2
    )
    assert out == [[1.5, 1.5]] and len(seen) == 2
    args = seen[0]
    for flag, value in (("--windows", 3), ("--window-time", 0.02), ("--warmup-time", 0.05)):
        assert float(args[args.index(flag) + 1]) == value
    assert args[args.index("--threads") + 1] == "2"


def test_latency_at_another_dtype_is_refused_not_mislabelled(run_cli):
    r = run_cli("profile", "--groups", "3", "--dtype", "int8", "--format", "json")
    assert r.exit_code == 0 and "Traceback" not in r.stderr
    row = json.loads(r.stdout)[0]  # eager has no int8 kernels: a reason, never an fp32 figure
    assert row["latency_ms"] is None and row["latency_error"].startswith("no int8")
    ok = run_cli("profile", "--groups", "3", "--dtype", "int8", "--no-latency", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["dtype"] == "int8"


def test_bare_command_prints_usage_and_exits_0(run_process):
    r = run_process()
    assert r.returncode == 0 and r.stdout.startswith("Usage:") and r.stderr == ""


def test_shipped_space_runs_by_name_from_another_folder(run_process, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_process("search", "search-latency", "--no-latency", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["key"] and "memory_bytes_eager" in json.loads(r.stdout)[0]
    wrong = run_process("search", "search-smal")
    assert wrong.returncode == 2 and "search-small" in wrong.stderr
