"""Architecture search: spaces, screening, the Pareto front, the store, the command."""

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shufflenet_cli.errors import UserError
from shufflenet_cli.explore.search import candidate_spec
from shufflenet_cli.explore.search import dominates
from shufflenet_cli.explore.search import grid_candidates
from shufflenet_cli.explore.search import pareto_front
from shufflenet_cli.explore.search import run_search
from shufflenet_cli.explore.search import screen
from shufflenet_cli.explore.search import search
from shufflenet_cli.explore.search import space_from_dict
from shufflenet_cli.model.cost import totals

ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "space": {"groups": [1, 3, 8], "scale": [0.25, 0.5, 1.0], "units": [[2, 4], [4, 8], [2]]},
    "objectives": {"minimize": ["memory"], "maximize": ["macs"]},
}


def brute_force_front(rows, minimize, maximize):
    def vec(r):
        return [r[o] for o in minimize] + [-r[o] for o in maximize]

    return [r for r in rows if not any(dominates(vec(o), vec(r)) for o in rows if o is not r)]


def test_pareto_front_equals_brute_force_on_random_points():
    rng = random.Random(3)
    for _ in range(50):
        rows = [
            {"name": str(i), "a": rng.randint(0, 20), "b": rng.randint(0, 20), "c": rng.random()}
            for i in range(60)
        ]
        got = {r["name"] for r in pareto_front(rows, ["a", "b", "c"], maximize=["c"])}
        want = {r["name"] for r in brute_force_front(rows, ["a", "b"], ["c"])}
        assert got == want


def test_search_front_equals_brute_force_on_a_small_space():
    space = space_from_dict(SMALL)
    result = run_search(space)
    rows = []
    for cand in grid_candidates(space):
        spec = candidate_spec(space, cand)
        t = totals(spec)
        rows.append({"name": spec.name, "memory_bytes_eager": t.memory_bytes_eager, "macs": t.macs})
    want = {r["name"] for r in brute_force_front(rows, ["memory_bytes_eager"], ["macs"])}
    assert {r["name"] for r in result.front} == want
    assert result.screened.evaluated == 3 * 3 * 2 * 2 * 1
    assert len(result.front) > 3  # a real trade-off, not one winner


def test_identical_architectures_are_evaluated_once_and_invalid_ones_counted():
    # ratios 0.25 and 0.251 round to the same bottleneck widths for g=3 at 1x
    space = space_from_dict(
        {"space": {"groups": [3], "bottleneck_ratio": [0.25, 0.251], "stem_channels": [24, 25]}}
    )
    s = screen(space, list(grid_candidates(space)))
    assert s.evaluated == 4 and s.duplicates == 1 and s.invalid == 2
    assert len(s.rows) == 1
    assert "does not divide" in s.first_invalid


def test_screening_builds_each_candidate_as_candidate_spec_does():
    """Screening builds one spec per set of choices other than resolution and shuffle and
    derives the rest (``rules.shufflenet_at``): every candidate's spec, name, id and error
    equal ``candidate_spec``'s, including a resolution too small for the stages and
    candidates that give resolution or shuffle as another type or not at all."""
    from shufflenet_cli.explore.search import _CandidateSpecs
    from shufflenet_cli.model.spec import arch_id

    space = space_from_dict(
        {
            "space": {
                "stage_groups": [[1, 3, 4], [2, 3, 5, 8], [3, 8]],
                "scale": [0.5, 1.0, 1.5],
                "units": [[1, 4], [2], [1, 4]],
                "resolution": [32, 64, 160],
                "shuffle": [True, False],
            }
        }
    )
    cands = list(grid_candidates(space))
    cands += [{**c, "resolution": 160.0} for c in cands[:12]]  # 160.0 is kept as given
    cands += [{k: v for k, v in c.items() if k not in ("resolution", "shuffle")} for c in cands]
    cands += [{**c, "shuffle": 1} for c in cands[:6]] + [{**c, "resolution": -8} for c in cands[:6]]
    cands += [{**c, "resolution": 16} for c in cands[:200]]  # too small for five stride-2 layers
    specs = _CandidateSpecs(space)
    kinds = {"ok": 0, "error": 0}
    for cand in cands:
        try:
            want = candidate_spec(space, cand)
        except UserError as e:
            with pytest.raises(UserError) as got:
                specs(cand)
            assert str(got.value) == str(e)
            kinds["error"] += 1
            continue
        spec = specs(cand)
        assert spec == want and spec.name == want.name and arch_id(spec) == arch_id(want)
        assert type(spec.resolution) is type(want.resolution)
        kinds["ok"] += 1
    assert kinds["ok"] > 100 and kinds["error"] > 50
    assert len(specs.built) < kinds["ok"] / 2  # most specs were derived, not built


def test_screen_progress_counts_every_candidate_and_restores_the_collector():
    """Progress ticks count invalid and duplicate candidates too; the cycle collector paused
    while screening is on again afterwards (and stays off if it was off)."""
    import gc

    space = space_from_dict(
        {"space": {"groups": [1, 2, 8, 3, 4, 5], "stem_channels": list(range(12, 212))}}
    )
    cands = list(grid_candidates(space))
    ticks = []
    s = screen(space, cands, ticks.append)
    assert s.invalid > 0 and sum(ticks) == len(cands) // 512 * 512
    assert gc.isenabled()
    gc.disable()
    try:
        screen(space, cands[:10])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_random_strategy_same_seed_same_candidates():
    space = space_from_dict(
        {
            "space": {
                "groups": [1, 2, 3, 4, 8],
                "scale": [0.5, 1.0, 1.5],
                "units": [[1, 2, 4], [2, 4, 8], [1, 2, 4]],
            }
        }
    )
    a = run_search(space, strategy="random", trials=50, seed=7)
    b = run_search(space, strategy="random", trials=50, seed=7)
    c = run_search(space, strategy="random", trials=50, seed=8)
    names = lambda r: sorted(x["name"] for x in r.screened.rows)  # noqa: E731
    assert names(a) == names(b) != names(c)


def test_nsga2_strategy_runs_and_is_reproducible():
    space = space_from_dict(SMALL)
    a = run_search(space, strategy="nsga2", trials=40, seed=1)
    b = run_search(space, strategy="nsga2", trials=40, seed=1)
    assert [r["name"] for r in a.front] == [r["name"] for r in b.front]
    assert a.screened.evaluated == 40


def test_python_api_returns_a_dataframe():
    df = search(SMALL)
    assert {"name", "params", "macs", "memory_bytes_eager"} <= set(df.columns)
    assert len(df) > 3


def test_constraints_no_candidate_names_the_worst():
    space = space_from_dict(
        {"space": {"groups": [1, 3]}, "constraints": {"max_mflops": 1, "max_params_m": 100}}
    )
    with pytest.raises(UserError, match="max_mflops = 1 removed the most"):
        run_search(space)


@pytest.mark.parametrize(
    "space, fragment",
    [
        ({"space": {"groups": []}}, "space.groups: empty choices"),
        ({"space": {"groups": [3], "depth": [2]}}, "space.depth: unknown key"),
        ({"space": {"groups": [3]}, "budget": 3}, "budget: unknown key"),
        ({"space": {"scale": {"min": 2, "max": 1, "step": 0.5}}}, "min 2 is greater than max 1"),
        ({"space": {"groups": [3], "stage_groups": [[3], [3], [3]]}}, "not both"),
        ({"space": {"units": [[2], [4]], "stage_groups": [[3], [3], [3]]}}, "stages"),
        ({"space": {"groups": [3]}, "constraints": {"max_flops": 3}}, "max_flops"),
        ({"space": {"groups": [3]}, "objectives": {"minimize": ["accuracy"]}}, "accuracy"),
        (
            {"space": {"groups": [3]}, "objectives": {"minimize": ["macs"], "maximize": ["macs"]}},
            "both minimised and maximised",
        ),
        ({"space": {"groups": [0]}}, "positive"),
    ],
)
def test_bad_spaces(space, fragment):
    with pytest.raises(UserError, match=None) as e:
        space_from_dict(space)
    assert fragment in str(e.value)


def write_space(tmp_path, data, name="space.yaml"):
    import yaml

    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


def test_search_command_front_specs_and_plot(run_cli, tmp_path):
    space = write_space(tmp_path, SMALL)
    specs = tmp_path / "front"
    plot = tmp_path / "front.html"
    r = run_cli("search", space, "--write-specs", specs, "--plot", plot, "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == len(list(specs.glob("*.yaml"))) > 3
    html = plot.read_text()
    assert "Pareto front" in html and "plotly" in html
    # every front spec is accepted by profile --spec and gives the same numbers
    first = sorted(specs.glob("*.yaml"))[0]
    r2 = run_cli(
        "profile", "--spec", first, "--no-latency", "--baseline", "none", "--format", "json"
    )
    prof = json.loads(r2.stdout)[0]
    match = [row for row in rows if row["name"] == prof["name"]][0]
    assert (
        prof["macs"] == match["macs"] and prof["memory_bytes_eager"] == match["memory_bytes_eager"]
    )


def test_search_command_bad_input(run_cli, tmp_path):
    from tests.test_errors import assert_one_line_error

    assert_one_line_error(run_cli("search", tmp_path / "none.yaml"), "does not exist")
    bad = write_space(tmp_path, {"space": {"groups": []}})
    assert_one_line_error(run_cli("search", bad), "empty choices")
    tight = write_space(
        tmp_path, {"space": {"groups": [3]}, "constraints": {"max_mflops": 1}}, "tight.yaml"
    )
    assert_one_line_error(run_cli("search", tight), "no candidate meets", "max_mflops")
    ok = write_space(tmp_path, SMALL, "ok.yaml")
    store = tmp_path / "run.db"
    store.write_text("not a database")
    assert_one_line_error(run_cli("search", ok, "--store", store), "already exists")
    assert store.read_text() == "not a database"  # a user's file is never overwritten
    assert_one_line_error(run_cli("search", ok, "--resume"), "--resume needs --store")


def test_search_bad_space_as_a_real_process(run_process, tmp_path):
    bad = write_space(tmp_path, {"space": {"scale": {"min": 1, "max": 0.5, "step": 0.1}}})
    r = run_process("search", bad)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "min 1 is greater than max 0.5" in r.stderr and "Traceback" not in r.stderr


def test_phase_one_does_not_import_torch(tmp_path):
    space = write_space(tmp_path, SMALL)
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom shufflenet_cli.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['search', {str(space)!r}, '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\nprint('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False")


@pytest.mark.slow
def test_synflow_objective_is_labelled_a_proxy(run_cli, tmp_path):
    space = write_space(
        tmp_path,
        {
            "space": {"groups": [1, 3], "scale": [0.25, 0.5], "resolution": [64]},
            "objectives": {"minimize": ["macs"], "maximize": ["synflow"]},
            "measure_top": 3,
        },
    )
    r = run_cli("search", space)
    assert r.exit_code == 0, r.stderr
    assert "synflow proxy" in r.stdout and "not an accuracy" in r.stdout


KILL_SPACE = {
    "space": {
        "groups": [1, 2, 3, 4, 8],
        "scale": [0.25, 0.5],
        "units": [[1, 2], [1, 2], [1]],
        "resolution": [64],
    },
    "constraints": {"max_latency_ms": 10000},
    "objectives": {"minimize": ["params", "memory"]},
    "measure_top": 12,
}


@pytest.mark.slow
def test_killed_search_resumes_without_measuring_twice(tmp_path):
    space = write_space(tmp_path, KILL_SPACE)
    args = [
        sys.executable,
        "-m",
        "shufflenet_cli",
        "search",
        str(space),
        "--windows",
        "2",
        "--window-time",
        "0.05",
        "--format",
        "json",
    ]
    # the uninterrupted reference run
    ref = subprocess.run(
        args + ["--store", str(tmp_path / "ref.db")], capture_output=True, text=True, timeout=300
    )
    assert ref.returncode == 0, ref.stderr
    want = sorted(r["name"] for r in json.loads(ref.stdout))

    store = tmp_path / "run.db"
    proc = subprocess.Popen(
        args + ["--store", str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    measured = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    measured = db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0]
            except sqlite3.DatabaseError:
                continue
            if measured >= 1:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 1 <= measured < 12, "the kill must land in the middle of phase 2"

    done = subprocess.run(
        args + ["--store", str(store), "--resume"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert sorted(r["name"] for r in json.loads(done.stdout)) == want
    with sqlite3.connect(store) as db:
        counts = [c for (c,) in db.execute("SELECT measure_count FROM measurements")]
    assert len(counts) == 12 and set(counts) == {1}


def test_search_example_runs():
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "search_example.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "shufflenet-0.25x-g1" in r.stdout and "front" in r.stdout


def test_grid_over_presets_space_files():
    from shufflenet_cli.explore.search import load_space

    for path in sorted((ROOT / "presets").glob("search-*.yaml")):
        space = load_space(str(path))
        assert space.size() > 0
        assert list(itertools.islice(grid_candidates(space), 1))


@pytest.mark.slow
def test_search_measures_with_the_chosen_backend(run_cli, tmp_path):
    space = write_space(
        tmp_path,
        {
            "space": {"groups": [1, 3], "scale": [0.25], "resolution": [64]},
            "constraints": {"max_latency_ms": 10000},
            "objectives": {"minimize": ["latency", "macs"]},
            "measure_top": 2,
        },
    )
    r = run_cli(
        "search",
        space,
        "--backend",
        "torchscript",
        "--windows",
        "2",
        "--window-time",
        "0.02",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert all(row["latency_ms"] > 0 for row in json.loads(r.stdout))
    from tests.test_errors import assert_one_line_error

    assert_one_line_error(run_cli("search", space, "--backend", "tvm"), "backend", "tvm")
