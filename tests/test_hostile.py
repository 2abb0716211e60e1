"""Hostile input and hostile file systems: nothing lost, nothing overwritten, no traceback.

One test (or a few) per class of issue 10: data loss and escape, tracebacks, hangs and memory
blow-ups, unclear or unsafe output, signals, API hygiene. Mounting a tmpfs needs root; those
tests are skipped elsewhere.
"""

import contextlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from shufflenet_cli import UserError
from shufflenet_cli import shufflenet_spec
from shufflenet_cli.files import write_atomic
from shufflenet_cli.model.specfile import spec_from_dict

ROOT = Path(__file__).resolve().parent.parent


def assert_one_line(result, *fragments, code=2):
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write_yaml(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "64k"):
    """A small tmpfs at ``path`` (skips the test where it cannot be mounted)."""
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)


SMALL_SPACE = {
    "space": {"groups": [3, 8], "scale": [0.5, 1.0]},
    "objectives": {"minimize": ["macs", "memory"]},
}


# ----------------------------------------------------------------------------- data loss, escape


@pytest.mark.parametrize("name", ["../escaped", "/tmp/abs-name", "a/b", "..", "x\\y"])
def test_a_name_that_is_a_path_is_refused(run_cli, tmp_path, name):
    spec = write_yaml(tmp_path / "s.yaml", {"groups": 3, "name": name})
    r = run_cli("report", "--spec", spec, "--no-latency", "--out", tmp_path / "r")
    if name == "..":
        assert r.exit_code == 0  # a harmless name; its layer file is a safe name
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "s.yaml"]
    else:
        assert_one_line(r, "s.yaml", "name")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_report_layer_files_are_safe_names_inside_the_report(tmp_path):
    from dataclasses import replace

    from shufflenet_cli.present.report import build_report

    spec = replace(shufflenet_spec(3), name="../../outside")  # the API does not go through files
    out = tmp_path / "deep" / "r"
    build_report([spec], out, latency=False)
    assert (out / "data" / "layers" / "outside.csv").exists()
    assert [p for p in tmp_path.rglob("*.csv") if out not in p.parents] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]


def test_two_networks_whose_names_clash_as_files_are_refused(tmp_path):
    from dataclasses import replace

    from shufflenet_cli.present.report import build_report

    a = replace(shufflenet_spec(3), name="net a")
    b = replace(shufflenet_spec(8), name="net_a")
    with pytest.raises(UserError, match="would both be written as data/layers/net_a.csv"):
        build_report([a, b], tmp_path / "r", latency=False)
    assert list(tmp_path.iterdir()) == []


def profile_json(run_cli, out):
    return run_cli("profile", "--groups", "3", "--no-latency", "--format", "json", "-o", out)


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(run_cli, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert profile_json(run_cli, link).exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())[0]["name"] == "shufflenet-1x-g3"


def test_output_to_a_fifo_is_written_in_place(run_cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    r = profile_json(run_cli, fifo)
    reader.join(timeout=30)
    assert r.exit_code == 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])[0]["name"] == "shufflenet-1x-g3"


def test_output_to_a_hard_linked_file_keeps_the_links(run_cli, tmp_path):
    a = tmp_path / "a.json"
    a.write_text("old content that is longer than nothing" * 100)
    os.link(a, tmp_path / "b.json")
    assert profile_json(run_cli, a).exit_code == 0
    assert (tmp_path / "b.json").read_text() == a.read_text()
    assert json.loads(a.read_text())[0]["name"] == "shufflenet-1x-g3"


def test_output_modes_follow_the_umask_or_the_old_file(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "x")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o604)
        write_atomic(kept, "new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text() == "new"
    finally:
        os.umask(old)


def test_a_foreign_sqlite_file_is_refused_before_a_byte_is_written(run_cli, tmp_path):
    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        con.execute("INSERT INTO meta VALUES ('owner', 'another program')")
    con.close()
    before = db.read_bytes()
    space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
    r = run_cli("search", space, "--store", db, "--resume")
    assert_one_line(r, "another program")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["space.yaml", "theirs.db"]


def test_a_store_is_marked_as_ours_and_resumes(run_cli, tmp_path):
    from shufflenet_cli.explore.store import APPLICATION_ID

    space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
    db = tmp_path / "run.db"
    assert run_cli("search", space, "--store", db, "--format", "json").exit_code == 0
    with contextlib.closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert run_cli("search", space, "--store", db, "--resume", "--format", "json").exit_code == 0


def test_write_specs_never_overwrites_without_force(run_cli, tmp_path):
    space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
    folder = tmp_path / "front"
    assert run_cli("search", space, "--write-specs", folder, "--format", "json").exit_code == 0
    mine = sorted(folder.iterdir())[0]
    mine.write_text("# my own notes\n")
    r = run_cli("search", space, "--write-specs", folder, "--format", "json")
    assert_one_line(r, "already exists", "--force")
    assert mine.read_text() == "# my own notes\n"
    r = run_cli("search", space, "--write-specs", folder, "--force", "--format", "json")
    assert r.exit_code == 0 and "family: shufflenet" in mine.read_text()


def test_safe_file_names_never_leave_the_folder():
    from shufflenet_cli.files import safe_file_name

    for name in ["../x", "/etc/passwd", "..", ".", "", "a/../../b", "\x1b[31mred", "é" * 300]:
        safe = safe_file_name(name, ".csv")
        assert "/" not in safe and not safe.startswith(".") and len(safe) <= 104


# ----------------------------------------------------------------------------- tracebacks


@pytest.mark.parametrize(
    "doc",
    [
        {"groups": 3, "resolution": 224.0},
        {"groups": 3, "num_classes": 10.0, "in_channels": 1.0},
        {"stages": [{"out_channels": 240.0, "units": 4.0, "groups": 3.0}]},
        {"family": "mobilenet", "width": 0.5, "resolution": 160.0, "num_classes": 10.0},
    ],
)
def test_whole_floats_are_converted_once_and_the_model_builds(doc):
    from shufflenet_cli.model.nn import build_model

    spec = spec_from_dict(doc)
    assert type(spec.resolution) is int and type(spec.num_classes) is int
    if spec.family == "shufflenet":
        assert all(type(s.units) is int and type(s.out_channels) is int for s in spec.stages)
    build_model(spec)


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("groups: 3\nunits: []\n", ["units", "0 items"]),
        ("groups: 3\nunits: null\n", ["units", "None", "whole number"]),
        ("groups: 3\nstage_channels: [240, [480], 960]\n", ["stage_channels[1]", "[480]"]),
        ("groups: 3\nstage_channels: null\n", ["stage_channels", "None"]),
        ("groups: 3\nname: [a, b]\n", ["name", "text"]),
        ("groups: 3\nname: {a: 1}\n", ["name", "text"]),
        ("groups: 3\npaper: {mflops: many}\n", ["paper.mflops", "many"]),
        ("groups: 3\npaper: {source: [1]}\n", ["paper.source"]),
        ("groups: 3\npaper: seven\n", ["paper", "seven"]),
        ("groups: 3\nscale: .nan\n", ["scale", "nan", "finite"]),
        ("groups: 3\nscale: .inf\n", ["scale", "inf", "finite"]),
        ("groups: 3\nresolution: 224.5\n", ["resolution", "224.5", "whole"]),
        ("groups: 3\n1: 2\n", ["key 1 is not text"]),
        ("stages: [{out_channels: 240, units: .nan, groups: 3}]\n", ["stages[0].units", "nan"]),
        ("stages: []\n", ["stages", "0 items"]),
        ("stages: 3\n", ["stages", "list"]),
        ("stages: [3]\n", ["stages[0]", "mapping"]),
        ("family: [shufflenet]\n", ["family"]),
        ("groups: 99999999999999999999999\n", ["groups", "absurdly large"]),
        ("groups: 3\nshuffle: 'yes'\n", ["shuffle", "true or false"]),
        ("groups: 3\nresolution: 2020-01-01\n", ["resolution", "whole number"]),
    ],
)
def test_bad_values_are_one_line_naming_file_field_and_value(run_cli, tmp_path, text, fragments):
    spec = write_yaml(tmp_path / "bad.yaml", text)
    r = run_cli("profile", "--spec", spec, "--no-latency")
    assert_one_line(r, "bad.yaml", *fragments)


@pytest.mark.parametrize(
    "space, fragment",
    [
        ({"space": {"scale": {"min": 0.5, "max": float("nan"), "step": 0.25}}}, "finite"),
        ({"space": {"scale": {"min": 0.5, "max": float("inf"), "step": 0.25}}}, "finite"),
        ({"space": {"scale": {"min": 0.5, "max": 1, "step": 0}}}, "step"),
        ({"space": {"groups": [3]}, "constraints": {"max_mflops": float("nan")}}, "finite"),
        ({"space": {"groups": [3]}, "constraints": {"max_mflops": "lots"}}, "number"),
        ({"space": {"groups": [3.5]}}, "whole"),
        ({"space": {"units": 4}}, "per stage"),
        ({"space": {"units": [[2, 4], "x", [2]]}}, "space.units[1]"),
        ({"space": {"groups": [3]}, "name": "a\nb"}, "printable"),
        ({"space": {"groups": [3]}, "objectives": {"minimize": [[1]]}}, "not one of"),
        ({"space": {"groups": [3]}, "seed": -1}, "seed"),
        ({"space": {"groups": [3]}, "trials": 10**12}, "trials"),
    ],
)
def test_bad_spaces_are_one_line(run_cli, tmp_path, space, fragment):
    path = write_yaml(tmp_path / "space.yaml", space)
    assert_one_line(run_cli("search", path), "space.yaml", fragment)


def test_a_store_with_a_foreign_meta_table_is_refused(run_cli, tmp_path):
    db = tmp_path / "x.db"
    with contextlib.closing(sqlite3.connect(db)) as con:
        con.execute("CREATE TABLE meta (a, b, c)")
        con.commit()
    space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
    assert_one_line(run_cli("search", space, "--store", db, "--resume"), "another program")


def test_a_read_only_store_is_one_line(run_cli, tmp_path):
    space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
    with tmpfs(tmp_path / "mnt", "1m") as mnt:
        db = mnt / "run.db"
        assert run_cli("search", space, "--store", db, "--format", "json").exit_code == 0
        remount_read_only(mnt)
        r = run_cli("search", space, "--store", db, "--resume", "--format", "json")
        assert_one_line(r, "read-only")


def test_a_full_disk_keeps_the_old_output_and_the_old_report(run_cli, tmp_path):
    with tmpfs(tmp_path / "mnt", "64k") as mnt:
        out = mnt / "rows.json"
        out.write_text("old rows")
        (mnt / "filler").write_bytes(b"x" * (60 * 1024))
        r = run_cli(
            "profile", "--groups", "1,2,3,4,8", "--no-latency", "--format", "json", "-o", out
        )
        assert_one_line(r, "No space left on device", "old file is kept")
        assert out.read_text() == "old rows"
        assert sorted(p.name for p in mnt.iterdir()) == ["filler", "rows.json"]
        (mnt / "filler").unlink()
        (mnt / "r").mkdir()
        (mnt / "r" / ".shufflenet-report").write_text("old report\n")
        r = run_cli("report", "--groups", "3", "--no-latency", "--out", mnt / "r")
        assert_one_line(r, "No space left on device")
        assert (mnt / "r" / ".shufflenet-report").read_text() == "old report\n"
        assert sorted(p.name for p in mnt.iterdir()) == ["r", "rows.json"]


def test_a_full_disk_on_stdout_is_one_line(run_process):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "shufflenet_cli", "profile", "--groups", "3", "--no-latency"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "error: cannot write output: No space left on device"
    ]


def test_activations_above_the_address_space_limit_are_refused():
    import resource

    limit = 3 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "shufflenet_cli", "profile", "--groups", "3"]
        + ["--baseline", "none", "--resolution", "4000"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
    )
    assert done.returncode == 2, done.stderr[-500:]
    assert "address-space limit" in done.stderr and "Traceback" not in done.stderr


def test_two_networks_with_one_name_in_a_report_are_refused(run_cli, tmp_path):
    a = write_yaml(tmp_path / "a.yaml", {"groups": 3, "scale": 0.75, "name": "same"})
    b = write_yaml(tmp_path / "b.yaml", {"groups": 8, "scale": 0.75, "name": "same"})
    r = run_cli("report", "--spec", a, "--spec", b, "--no-latency", "--out", tmp_path / "r")
    assert_one_line(r, "'same'", "two")


def test_out_dot_is_refused_and_the_folder_left_alone(run_cli, tmp_path, monkeypatch):
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert_one_line(run_cli("report", "--groups", "3", "--no-latency", "--out", "."), "current")
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_out_a_symlink_to_another_file_system(run_cli, tmp_path):
    with tmpfs(tmp_path / "mnt", "16m") as mnt:
        link = tmp_path / "report-link"
        link.symlink_to(mnt / "r")
        for _ in range(2):  # a new report, then a replaced one
            r = run_cli("report", "--groups", "3", "--no-latency", "--out", link)
            assert r.exit_code == 0, r.stderr
        assert link.is_symlink() and (mnt / "r" / "index.html").exists()
        assert sorted(p.name for p in mnt.iterdir()) == ["r"]


# ----------------------------------------------------------------------------- hangs, memory


def test_a_yaml_alias_bomb_is_refused_at_once(run_cli, tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = write_yaml(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    t0 = time.perf_counter()
    assert_one_line(run_cli("profile", "--spec", bomb, "--no-latency"), "aliases")
    assert_one_line(run_cli("search", bomb), "aliases")
    assert time.perf_counter() - t0 < 5


def test_deep_nesting_is_refused(tmp_path):
    from shufflenet_cli.files import load_yaml

    path = write_yaml(tmp_path / "deep.yaml", "a: " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(UserError, match="nested deeper"):
        load_yaml(path, "spec")


def test_a_huge_grid_is_refused_with_the_way_out(run_cli, tmp_path):
    space = {
        "space": {
            "groups": {"min": 1, "max": 64},
            "scale": {"min": 0.1, "max": 16, "step": 0.01},
            "units": [{"min": 1, "max": 20} for _ in range(3)],
            "resolution": {"min": 32, "max": 512},
        }
    }
    path = write_yaml(tmp_path / "huge.yaml", space)
    t0 = time.perf_counter()
    assert_one_line(run_cli("search", path), "--strategy random", "nsga2")
    assert time.perf_counter() - t0 < 5


def test_trials_are_capped_alike_in_files_and_flags(run_cli, tmp_path):
    from shufflenet_cli.explore.search import MAX_CANDIDATES

    path = write_yaml(tmp_path / "s.yaml", {**SMALL_SPACE, "trials": MAX_CANDIDATES + 1})
    assert_one_line(run_cli("search", path), "trials")
    ok = write_yaml(tmp_path / "ok.yaml", SMALL_SPACE)
    r = run_cli("search", ok, "--strategy", "random", "--trials", MAX_CANDIDATES + 1)
    assert_one_line(r, "--trials")


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_reading_a_device_is_capped(run_cli, source):
    t0 = time.perf_counter()
    r = run_cli("profile", "--spec", source, "--no-latency")
    assert_one_line(r, source)
    assert time.perf_counter() - t0 < 5


def test_a_large_file_is_refused_before_reading(run_cli, tmp_path):
    from shufflenet_cli.files import MAX_INPUT_BYTES

    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(MAX_INPUT_BYTES * 1000)  # sparse: a gigabyte that costs nothing
    assert_one_line(run_cli("profile", "--spec", big, "--no-latency"), "bytes")


def test_a_fifo_spec_is_read_with_the_cap(run_cli, tmp_path):
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w") as f:
            f.write("groups: 8\nname: from-a-pipe\n")

    writer = threading.Thread(target=feed)
    writer.start()
    r = run_cli("profile", "--spec", fifo, "--no-latency", "--format", "json")
    writer.join(timeout=30)
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["name"] == "from-a-pipe"


def test_two_processes_on_one_store(tmp_path):
    from shufflenet_cli.explore.store import ResultStore

    db = tmp_path / "run.db"
    held = ResultStore(db, {"a": 1})  # this process holds the store
    try:
        space = write_yaml(tmp_path / "space.yaml", SMALL_SPACE)
        done = subprocess.run(
            [sys.executable, "-m", "shufflenet_cli", "search", str(space)]
            + ["--store", str(db), "--resume"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: store: {db} is in use by another search; wait for it to finish or give "
            "another --store"
        ]
    finally:
        held.close()


# ----------------------------------------------------------------------------- unclear output


def test_empty_list_flags_are_refused(run_cli):
    assert_one_line(run_cli("profile", "--groups", "", "--no-latency"), "--groups")
    assert_one_line(run_cli("profile", "--backend", " , ", "--no-latency"), "--backend", "empty")


def test_an_error_in_one_of_several_spec_files_names_it(run_cli, tmp_path):
    good = write_yaml(tmp_path / "good.yaml", {"groups": 3})
    bad = write_yaml(tmp_path / "bad.yaml", {"groups": 3, "units": [4, 0, 4]})
    assert_one_line(run_cli("profile", "--spec", good, "--spec", bad, "--no-latency"), "bad.yaml")
    rule = write_yaml(tmp_path / "rule.yaml", {"groups": 3, "stem_channels": 25})
    assert_one_line(run_cli("profile", "--spec", good, "--spec", rule, "--no-latency"), "rule.yaml")


@pytest.mark.parametrize("name", ["\x1b[31mred\x1b[0m", "two\nlines", "tab\there", "bi\u202edi"])
def test_unprintable_names_never_reach_the_terminal(run_cli, tmp_path, name):
    spec = write_yaml(tmp_path / "n.yaml", {"groups": 3, "name": name})
    r = run_cli("profile", "--spec", spec, "--no-latency")
    assert_one_line(r, "printable")
    assert "\x1b" not in r.stderr and "\u202e" not in r.stderr


def test_a_nan_constraint_is_refused(run_cli, tmp_path):
    path = write_yaml(
        tmp_path / "s.yaml", "space: {groups: [3]}\nconstraints: {max_mflops: .nan}\n"
    )
    assert_one_line(run_cli("search", path), "constraints.max_mflops", "finite")


# ----------------------------------------------------------------------------- signals


SIGTERM_MID_REPORT = """
import os, signal, sys
from shufflenet_cli.present import report
real = report._report_md
def killed(*a, **k):
    os.kill(os.getpid(), signal.SIGTERM)
    return real(*a, **k)
report._report_md = killed
from shufflenet_cli.cli import cli
cli.main(["report", "--groups", "3", "--scales", "1", "--no-latency", "--out", sys.argv[1]])
"""


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    out = tmp_path / "r"
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_MID_REPORT, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 143, done.stderr[-300:]
    assert done.stderr.strip().splitlines()[-1] == "error: terminated"
    assert list(tmp_path.iterdir()) == []  # the temporary folder was removed


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(run_cli, tmp_path):
    from shufflenet_cli.files import TEMP_TAG

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale_dir = tmp_path / f".r{TEMP_TAG}{dead.pid}-abc"
    stale_dir.mkdir()
    (stale_dir / "index.html").write_text("half")
    stale_file = tmp_path / f".rows.json{TEMP_TAG}{dead.pid}-xyz"
    stale_file.write_text("half")
    alive = tmp_path / f".r{TEMP_TAG}{os.getpid()}-live"  # a running process's: kept
    alive.mkdir()
    assert (
        run_cli("report", "--groups", "3", "--no-latency", "--out", tmp_path / "r").exit_code == 0
    )
    assert profile_json(run_cli, tmp_path / "rows.json").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r", "rows.json", alive.name])


# ----------------------------------------------------------------------------- API hygiene


def _global_state():
    import torch

    return (
        torch.get_rng_state().clone(),
        torch.get_num_threads(),
        torch.is_grad_enabled(),
        torch.get_default_dtype(),
    )


def _same(a, b):
    return a[0].equal(b[0]) and a[1:] == b[1:]


def test_proxy_and_crosscheck_leave_the_callers_state():
    import torch

    from shufflenet_cli.measure.crosscheck import crosscheck_counts
    from shufflenet_cli.measure.proxy import synflow

    spec = shufflenet_spec(3, scale=0.25, resolution=64)
    torch.manual_seed(1234)
    before = _global_state()
    first = synflow(spec)
    crosscheck_counts(spec)
    assert _same(before, _global_state())
    with torch.no_grad():  # synflow needs gradients; the caller's mode is kept
        assert synflow(spec) == first
        assert not torch.is_grad_enabled()


@pytest.mark.slow
def test_measure_latency_leaves_the_callers_state():
    import torch

    from shufflenet_cli.measure.latency import measure_latency

    torch.manual_seed(99)
    torch.set_num_threads(2)
    before = _global_state()
    measure_latency(
        shufflenet_spec(3, scale=0.25, resolution=64),
        threads=1,
        windows=1,
        window_time=0.01,
        warmup_time=0.01,
    )
    assert _same(before, _global_state())
