"""One vocabulary: every command's JSON uses only documented row keys, and docs/row-keys.md is
the vocabulary module's own text."""

import json
from pathlib import Path

import pytest

from shufflenet_cli.present.vocabulary import documented
from shufflenet_cli.present.vocabulary import markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "row-keys.md"


def keys_of(doc) -> set[str]:
    """All keys of a JSON document's rows (nested rows of show included)."""
    out: set[str] = set()
    rows = doc if isinstance(doc, list) else [doc]
    for row in rows:
        if isinstance(row, dict):
            out |= set(row)
            for nested in ("outline", "layers"):
                if isinstance(row.get(nested), list):
                    out |= keys_of(row[nested])
    return out


def test_doc_file_is_the_vocabulary():
    assert DOC.read_text() == markdown()


def test_checker_rejects_an_unknown_key():
    assert documented("latency_ms_onnxruntime") and documented("partner_macs")
    assert documented("latency_ms_eager_ratio")
    assert not documented("memory") and not documented("latency") and not documented("bogus")


ANALYTIC = [
    ["profile", "--groups", "1,3,8", "--no-latency"],
    ["profile", "--groups", "3", "--no-latency", "--baseline", "none"],
    ["compare", "--no-latency"],
    ["presets"],
    ["search", "search-latency", "--no-latency"],
    ["show", "shufflenet-1x-g3"],
]


@pytest.mark.parametrize("args", ANALYTIC, ids=lambda a: " ".join(a[:2]))
def test_every_analytic_command_uses_documented_keys(run_cli, args):
    r = run_cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    undocumented = sorted(k for k in keys_of(json.loads(r.stdout)) if not documented(k))
    assert undocumented == []


QUICK = ["--windows", "2", "--window-time", "0.01", "--warmup-time", "0.01"]
MEASURED = [
    ["profile", "--groups", "3", "--resolution", "64", "--backend", "eager,channels_last", *QUICK],
    ["compare", "--preset", "shufflenet-0.5x-g3", "--baseline", "0.25", *QUICK],
    ["roofline", "--preset", "mobilenet-v1-0.25", "--quick", *QUICK],
    ["breakdown", "mobilenet-v1-0.25", "--runs", "2", "--resolution", "64"],
]


@pytest.mark.slow
@pytest.mark.parametrize("args", MEASURED, ids=lambda a: " ".join(a[:2]))
def test_every_measuring_command_uses_documented_keys(run_cli, args):
    r = run_cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    undocumented = sorted(k for k in keys_of(json.loads(r.stdout)) if not documented(k))
    assert undocumented == []


def test_report_data_files_use_documented_keys(run_cli, tmp_path):
    out = tmp_path / "r"
    r = run_cli("report", "--groups", "3", "--scale", "1", "--no-latency", "--out", out)
    assert r.exit_code == 0, r.stderr
    for name in ("networks", "pairs", "stages"):
        doc = json.loads((out / "data" / f"{name}.json").read_text())
        undocumented = sorted(k for k in keys_of(doc) if not documented(k))
        assert undocumented == [], name
