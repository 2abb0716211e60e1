"""Tables fit a terminal: the columns that fit its width, a row never wrapped, --wide and
--columns, plain text when piped, and -o's format from its suffix."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios

import pytest

from shufflenet_cli.errors import UserError
from shufflenet_cli.present.columns import PROFILE_COLUMNS
from shufflenet_cli.present.tables import ESSENTIAL
from shufflenet_cli.present.tables import WIDE
from shufflenet_cli.present.tables import Column
from shufflenet_cli.present.tables import fit_columns
from shufflenet_cli.present.tables import infer_format
from shufflenet_cli.present.tables import plain_table
from shufflenet_cli.present.tables import select_columns

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = set("┏┓┗┛┃━┳┻╋┡┩╇│─┼└┘┌┐├┤┬┴")


def run_in_terminal(args, columns: int, timeout: float = 120) -> tuple[int, list[str]]:
    """Run `python -m shufflenet_cli ARGS` in a pseudo-terminal ``columns`` wide; returns the
    exit code and the lines it shows (ANSI styles removed)."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "shufflenet_cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], timeout)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        code = proc.wait(timeout=timeout)
    text = ANSI.sub("", out.decode("utf-8")).replace("\r\n", "\n")
    return code, text.split("\n")


@pytest.mark.slow  # a subprocess in a pseudo-terminal
@pytest.mark.parametrize("width", [80, 120])
def test_profile_fits_the_terminal_and_never_splits_a_value(run_cli, width):
    args = ["profile", "--groups", "1,2,3,4,8", "--no-latency"]
    code, lines = run_in_terminal(args, width)
    assert code == 0, "\n".join(lines)
    too_long = [line for line in lines if len(line) > width]
    assert too_long == []
    rows = json.loads(run_cli(*args, "--format", "json").stdout)
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == len(rows)  # one line per row: nothing wrapped onto a second line
    for row, line in zip(rows, body):
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert cells[0].startswith(row["name"])
        assert f"{row['macs'] / 1e6:.2f}" in cells and f"{row['params'] / 1e6:.3f}" in cells
        assert not any(c.endswith("…") for c in cells)  # no value shortened either
    header = "\n".join(lines[: lines.index(next(ln for ln in lines if ln.startswith("┡")))])
    assert "network" in header and "MACs" in header
    # what is not shown is said, with the way to see it
    if width == 80:
        assert any("Not shown:" in line for line in lines)
        assert any("--wide" in line for line in lines)


@pytest.mark.slow  # a subprocess in a pseudo-terminal
def test_wide_and_columns_in_a_terminal(run_cli):
    args = ["profile", "--groups", "3,8", "--no-latency"]
    _, wide = run_in_terminal([*args, "--wide"], 200)
    assert any("conv" in line and "paper" in line for line in wide)  # the WIDE columns too
    _, chosen = run_in_terminal([*args, "--columns", "name,macs_conv,stage_channels"], 80)
    body = [line for line in chosen if line.startswith("│")]
    assert len(body) == 3 and "240,480,960" in body[0] and "136.50" in body[0]
    assert not any("Not shown" in line for line in chosen)


def test_piped_table_is_plain_aligned_text(run_cli):
    r = run_cli("profile", "--groups", "3,8", "--no-latency")
    assert r.exit_code == 0
    assert not BOX & set(r.stdout)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("network") and "paper MFLOPs" in lines[0]  # every column
    assert lines[1].split()[0] == "shufflenet-1x-g3"
    # right-justified numbers line up under their header
    end = lines[0].index("MACs (M)") + len("MACs (M)")
    assert lines[1][:end].endswith("137.46") and lines[2][:end].endswith("138.37")


def test_output_suffix_chooses_the_format_and_a_contradiction_is_refused(run_cli, tmp_path):
    for name, check in [
        ("rows.csv", lambda t: t.startswith("name,family,groups")),
        ("rows.json", lambda t: json.loads(t)[0]["groups"] == 3),
        ("rows.md", lambda t: t.startswith("| network |")),
        ("rows.txt", lambda t: t.startswith("network") and not BOX & set(t)),
    ]:
        out = tmp_path / name
        r = run_cli("profile", "--groups", "3", "--no-latency", "-o", out)
        assert r.exit_code == 0, r.stderr
        assert check(out.read_text()), name
    bad = run_cli(
        "profile", "--groups", "3", "--no-latency", "-o", tmp_path / "x.csv", "--format", "json"
    )
    assert bad.exit_code == 2 and "x.csv" in bad.stderr and "--format" in bad.stderr
    assert not (tmp_path / "x.csv").exists()


def test_columns_choose_json_and_csv_fields_and_unknown_keys_are_one_line(run_cli):
    r = run_cli(
        "profile", "--groups", "3", "--no-latency", "--columns", "name,macs", "--format", "csv"
    )
    assert r.stdout.splitlines()[0] == "name,macs"
    r = run_cli("profile", "--groups", "3", "--no-latency", "--columns", "name,mac")
    assert r.exit_code == 2 and "did you mean 'macs'" in r.stderr


def test_infer_format():
    assert infer_format(None, None) == "table"
    assert infer_format("a.CSV", None) == "csv"
    assert infer_format("a.md", None) == "markdown"
    assert infer_format("a.txt", None) == "table"
    assert infer_format("a.txt", "json") == "json"
    assert infer_format("a.json", "json") == "json"
    assert infer_format("spec.yaml", None, ("table", "yaml")) == "yaml"
    with pytest.raises(UserError, match="does not write"):
        infer_format("spec.yaml", None)  # a command without YAML output
    with pytest.raises(UserError, match="names a csv file"):
        infer_format("a.csv", "markdown")


def test_fit_drops_low_priority_columns_first_and_keeps_essential_ones():
    rows = [{"name": "n" * 30, "a": 1, "b": 2, "c": 3}]
    cols = [
        Column("name", "network", priority=ESSENTIAL),
        Column("a", "aaaa aaaa"),
        Column("b", "bbbb", priority=2),
        Column("c", "cccc", priority=WIDE),
    ]
    shown, widths, hidden = fit_columns(rows, cols, 200)
    assert [c.key for c in shown] == ["name", "a", "b"] and [c.key for c in hidden] == ["c"]
    assert widths == [30, 9, 4]  # headers on one line when there is room
    shown, widths, _ = fit_columns(rows, cols, 44)
    assert [c.key for c in shown] == ["name", "a"] and widths == [30, 4]  # header wraps
    shown, _, _ = fit_columns(rows, cols, 10)
    assert [c.key for c in shown] == ["name"]  # the essential column stays
    assert [c.key for c in fit_columns(rows, cols, 200, wide=True)[0]] == ["name", "a", "b", "c"]


def test_select_and_plain_table():
    rows = [{"name": "x", "macs": 5, "extra": "e"}]
    cols = select_columns(rows, PROFILE_COLUMNS, ["macs", "extra"])
    assert [c.key for c in cols] == ["macs", "extra"]
    with pytest.raises(UserError, match="no column 'nope'"):
        select_columns(rows, PROFILE_COLUMNS, ["nope"])
    text = plain_table(rows, [Column("name", "network", justify="left"), Column("macs", "MACs")])
    assert text == "network  MACs\nx           5\n"


@pytest.mark.slow  # a subprocess in a pseudo-terminal
@pytest.mark.parametrize(
    "args",
    [
        ["presets"],
        ["compare", "--no-latency"],
        ["show", "shufflenet-1x-g3"],
        ["breakdown", "shufflenet-0.25x-g3", "--resolution", "64", "--runs", "2"],
    ],
    ids=lambda a: a[0],
)
def test_every_table_command_fits_80_columns(args):
    code, lines = run_in_terminal(args, 80)
    assert code == 0, "\n".join(lines)
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)  # nothing shortened: columns were chosen


def test_every_help_fits_80_columns():
    from click.testing import CliRunner

    from shufflenet_cli.cli import cli

    for name in ["", *cli.commands]:
        args = [name, "--help"] if name else ["--help"]
        out = CliRunner().invoke(cli, args, env={"COLUMNS": "80"}).output
        wide = [line for line in out.splitlines() if len(line) > 80]
        assert wide == [], name
