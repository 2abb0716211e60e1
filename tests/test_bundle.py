"""Bundles for measuring on another device: export, the standalone runner, and reading its
results back by architecture key."""

import ast
import dataclasses
import json
import statistics
import sys

import numpy as np
import pytest

from shufflenet_cli import UserError
from shufflenet_cli import analyze
from shufflenet_cli import load_spec
from shufflenet_cli.measure import runner
from shufflenet_cli.measure.bundle import export_bundle
from shufflenet_cli.measure.imported import imported_fields
from shufflenet_cli.measure.imported import load_latency_file
from shufflenet_cli.measure.imported import load_latency_files
from shufflenet_cli.measure.protocol import Protocol
from shufflenet_cli.model.rules import with_resolution
from shufflenet_cli.model.spec import arch_id

pytest.importorskip("onnxruntime", reason="bundles are tested with ONNX Runtime ([onnx] extra)")

SMALL = ["shufflenet-0.25x-g3", "mobilenet-v1-0.25"]
QUICK = ["--windows", "2", "--window-time", "0.01", "--warmup-time", "0.01", "--quiet"]


def small_specs(resolution=64):
    return [with_resolution(load_spec(n), resolution) for n in SMALL]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export_bundle(small_specs(), tmp_path_factory.mktemp("b") / "bundle")


def run_runner(folder, out, *args):
    return runner.main(["--bundle", str(folder), "--out", str(out), *QUICK, *map(str, args)])


def test_the_runner_imports_nothing_but_the_standard_library_numpy_and_the_runtime():
    tree = ast.parse(open(runner.__file__, encoding="utf-8").read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import would need the package"
            imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names)
    assert third_party == {"numpy", "onnxruntime"}


def test_a_bundle_holds_models_references_manifest_and_runner(bundle):
    files = sorted(p.name for p in bundle.folder.iterdir())
    assert files == [
        "README.txt",
        "manifest.json",
        "measure.py",
        "model-000.onnx",
        "model-000.reference.npy",
        "model-001.onnx",
        "model-001.reference.npy",
    ]
    manifest = json.loads((bundle.folder / "manifest.json").read_text())
    assert [n["name"] for n in manifest["networks"]] == [s.name for s in small_specs()]
    first = manifest["networks"][0]
    assert first["key"] == arch_id(small_specs()[0])
    assert first["input_shape"] == [1, 3, 64, 64]
    assert first["cost"]["params"] == analyze(small_specs()[0]).params
    assert first["checked_here"] == "ok"
    assert manifest["protocol"]["windows"] == 20 and manifest["protocol"]["threads"] == 1
    assert (bundle.folder / "measure.py").read_text() == open(runner.__file__).read()
    assert bundle.size_bytes == sum(p.stat().st_size for p in bundle.folder.iterdir())


def test_the_runners_summary_is_the_protocols():
    from shufflenet_cli.measure.latency import summarize_windows

    windows_s = [0.0101, 0.0099, 0.0125, 0.0100, 0.0098, 0.0150, 0.0102]
    ours = summarize_windows("x", windows_s, 1, 1)
    med, iqr = runner.median_and_iqr([w * 1e3 for w in windows_s])
    assert (med, iqr) == pytest.approx((ours.median_ms, ours.spread_ms))


def test_the_fixed_input_is_the_same_pattern_everywhere():
    a = runner.fixed_input([1, 3, 8, 8], "float32")
    assert a.shape == (1, 3, 8, 8) and a.dtype == np.float32
    assert -1 <= a.min() and a.max() < 1 and a.std() > 0.5
    # integer arithmetic, no random generator: these values are the pattern's definition
    assert a.ravel()[:3].tolist() == pytest.approx([-0.99998116, 0.23608683, -0.52784520])


def test_the_runner_measures_every_network_and_describes_the_device(bundle, tmp_path):
    out = tmp_path / "results.json"
    assert run_runner(bundle.folder, out, "--device", "bench-1") == 0
    doc = json.loads(out.read_text())
    assert doc["device"]["label"] == "bench-1"
    assert doc["device"]["runtime"].startswith("onnxruntime ")
    assert doc["protocol"]["windows"] == 2 and doc["protocol"]["load_detection"] is True
    for row in doc["results"]:
        assert row["error"] is None
        assert row["latency_ms"] > 0 and len(row["latency_samples_ms"]) == 2
        assert row["latency_ms"] == statistics.median(row["latency_samples_ms"])


def test_a_model_that_computes_something_else_is_not_timed(bundle, tmp_path):
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(bundle.folder, copy)
    ref = np.load(copy / "model-000.reference.npy")
    np.save(copy / "model-000.reference.npy", ref + 1.0)
    out = tmp_path / "r.json"
    assert run_runner(copy, out) == 0
    first, second = json.loads(out.read_text())["results"]
    assert "differs from PyTorch" in first["error"] and first["latency_ms"] is None
    assert second["error"] is None and second["latency_ms"] > 0


def test_runner_mistakes_are_one_line(bundle, tmp_path, capsys):
    assert runner.main(["--bundle", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    assert runner.main(["--bundle", str(bundle.folder), "--out", str(tmp_path / "no/r.json")]) == 2
    assert runner.main(["--bundle", str(bundle.folder), "--out", "x.json", "--threads", "0"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("error: ") for e in errors)
    assert "manifest.json" in errors[0] and "--out" in errors[1] and "--threads" in errors[2]


def test_results_match_networks_by_architecture_not_name(bundle, tmp_path):
    out = tmp_path / "r.json"
    run_runner(bundle.folder, out, "--device", "pi")
    files = load_latency_files([out])
    renamed = dataclasses.replace(small_specs()[1], name="my-mobilenet")
    other = with_resolution(load_spec("shufflenet-0.5x-g3"), 64)
    fields, notes = imported_fields([renamed, other], files)
    source = files[0].source
    assert source == "onnxruntime@pi"
    assert fields[0]["latency_ms"] > 0 and fields[0][f"latency_ms_{source}"] > 0
    assert fields[0]["latency_backend"] == source
    assert fields[1]["latency_ms"] is None and "not in r.json" in fields[1]["latency_error"]
    assert notes == [f"r.json has no measurement of {other.name} (matched by architecture)"]
    at_batch_2, _ = imported_fields([renamed], files, batch_size=2)
    assert "measured at batch 1, not 2" in at_batch_2[0]["latency_error"]


def test_bad_results_files_are_one_line_errors(bundle, tmp_path):
    out = tmp_path / "r.json"
    run_runner(bundle.folder, out, "--device", "pi")
    with pytest.raises(UserError, match="both hold onnxruntime@pi"):
        load_latency_files([out, out])
    bad = tmp_path / "bad.json"
    for text, message in (
        ("{", "is not JSON"),
        ('{"format": "other"}', "is not a results file"),
    ):
        bad.write_text(text)
        with pytest.raises(UserError, match=message):
            load_latency_file(bad)
    doc = json.loads(out.read_text())
    doc["results"][0]["latency_ms"] = "fast"
    bad.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"results\[0\].latency_ms: 'fast' is not a number"):
        load_latency_file(bad)
    doc = json.loads(out.read_text())
    del doc["protocol"]["window_time"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(UserError, match="protocol.window_time: None is not a number"):
        load_latency_file(bad)
    with pytest.raises(UserError, match="does not exist"):
        load_latency_file(tmp_path / "none.json")


def test_export_refuses_what_it_cannot_do(tmp_path):
    specs = small_specs()
    with pytest.raises(UserError, match="int8 needs quantization"):
        export_bundle(specs, tmp_path / "b", protocol=Protocol(dtype="int8"))
    with pytest.raises(UserError, match="export supports onnxruntime, not 'eager'"):
        export_bundle(specs, tmp_path / "b", backend="eager")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not a shufflenet-cli bundle"):
        export_bundle(specs, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "b").exists()


def test_export_replaces_an_earlier_bundle_and_exports_an_architecture_once(tmp_path):
    specs = small_specs()
    export_bundle(specs, tmp_path / "b")
    twin = dataclasses.replace(specs[0], name="twin")
    b = export_bundle([specs[0], twin], tmp_path / "b")
    assert [n["name"] for n in b.manifest["networks"]] == [specs[0].name]
    assert not (tmp_path / "b" / "model-001.onnx").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no temporary folder left


def test_an_fp16_bundle_checks_against_pytorch_with_fp16_tolerance(tmp_path):
    b = export_bundle(small_specs()[:1], tmp_path / "b", protocol=Protocol(dtype="fp16"))
    net = b.manifest["networks"][0]
    assert net["input_dtype"] == "float16" and net["dtype"] == "fp16"
    assert b.manifest["protocol"]["rtol"] == 5e-2
    assert net["checked_here"] == "ok"


@pytest.mark.slow
def test_a_bundle_run_without_torch_agrees_with_onnxruntime_here(tmp_path, run_process):
    """The whole path: export, measure.py in a fresh virtual environment that has only numpy
    and onnxruntime (no torch, no shufflenet-cli), results read back with --latency-from and
    set beside --backend onnxruntime measured here by the same protocol."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "numpy", "onnxruntime"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    for module in ("torch", "shufflenet_cli"):
        absent = subprocess.run(
            [python, "-c", f"import {module}"], capture_output=True, env=env, cwd=tmp_path
        )
        assert absent.returncode != 0, f"{module} is importable in the bare environment"

    bundle = tmp_path / "bundle"
    names = ["shufflenet-1x-g3", "mobilenet-v1-0.5"]
    made = run_process("export", *names, "--out", bundle)
    assert made.returncode == 0, made.stderr
    results = tmp_path / "results.json"
    ran = subprocess.run(
        [python, str(bundle / "measure.py"), "--out", str(results), "--device", "bare-venv"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    doc = json.loads(results.read_text())
    assert doc["device"]["label"] == "bare-venv" and doc["protocol"]["windows"] == 20

    args = ["--baseline", "none", "--backend", "onnxruntime", "--format", "json"]
    here = run_process("profile", *[a for n in names for a in ("--preset", n)], *args,
                       "--latency-from", results)  # fmt: skip
    assert here.returncode == 0, here.stderr
    rows = json.loads(here.stdout)
    assert [r["name"] for r in rows] == names
    device = "onnxruntime@bare-venv"
    for row in rows:
        assert row["latency_backend"] == device and row["latency_ms"] == row[f"latency_ms_{device}"]
        there, local = row["latency_ms"], row["latency_ms_onnxruntime"]
        # Two processes minutes apart on a shared host differ by what the host does between
        # them (25% seen, benchmarks/README.md); a wrong unit, batch or model is off by more.
        assert 0.5 < there / local < 2.0, (row["name"], there, local)
    # the ratio between the networks is what the runner must keep: each run times both
    # networks interleaved, so a host slowdown scales both
    ratio_there = rows[0]["latency_ms"] / rows[1]["latency_ms"]
    ratio_here = rows[0]["latency_ms_onnxruntime"] / rows[1]["latency_ms_onnxruntime"]
    assert abs(ratio_there / ratio_here - 1) < 0.35, (ratio_there, ratio_here)


def test_profile_and_compare_label_latency_read_from_a_device(bundle, run_cli, tmp_path):
    results = tmp_path / "r.json"
    run_runner(bundle.folder, results, "--device", "pi")
    measured = {r["key"]: r["latency_ms"] for r in json.loads(results.read_text())["results"]}
    nets = ["--preset", "shufflenet-0.25x-g3", "--preset", "mobilenet-v1-0.25"]
    common = [*nets, "--resolution", "64", "--latency-from", results]
    r = run_cli("profile", *common, "--baseline", "none", "--format", "json")
    assert r.exit_code == 0, r.stderr
    for row, spec in zip(json.loads(r.stdout), small_specs()):
        assert row["latency_backend"] == "onnxruntime@pi"
        assert row["latency_ms"] == row["latency_ms_onnxruntime@pi"] == measured[arch_id(spec)]
        assert "latency_ms_eager" not in row  # nothing measured here without --backend
    from shufflenet_cli.present.vocabulary import documented

    assert [k for row in json.loads(r.stdout) for k in row if not documented(k)] == []
    table = run_cli("profile", *common, "--baseline", "none", "--format", "markdown").stdout
    assert "onnxruntime@pi (ms)" in table and "Latency on pi (" in table
    pairs = run_cli("compare", *common, "--baseline", "0.25", "--format", "markdown").stdout
    assert "onnxruntime@pi latency x" in pairs


def test_latency_from_and_fleet_mistakes_are_one_line(run_cli, tmp_path):
    from tests.test_errors import assert_one_line_error

    nets = ["--preset", "shufflenet-0.25x-g3", "--resolution", "64"]
    assert_one_line_error(
        run_cli("profile", *nets, "--latency-from", tmp_path / "none.json"), "does not exist"
    )
    assert_one_line_error(run_cli("profile", *nets, "--device", "pi4"), "give --ray ADDRESS")
    assert_one_line_error(run_cli("compare", *nets, "--ray", "auto"), "--ray needs --device")


def test_the_export_command_writes_a_bundle_and_lists_it(run_cli, tmp_path):
    from shufflenet_cli.present.vocabulary import documented

    out = tmp_path / "bundle"
    r = run_cli(
        "export", "mobilenet-v1-0.25", "--resolution", "64", "--out", out, "--format", "json"
    )
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["file"] == "model-000.onnx" and row["checked_here"] == "ok"
    assert row["model_bytes"] == (out / "model-000.onnx").stat().st_size
    assert [k for k in row if not documented(k)] == []
    nothing = run_cli("export", "--out", tmp_path / "empty")
    assert nothing.exit_code == 2 and "nothing to export" in nothing.stderr
