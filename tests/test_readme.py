"""The README runs: every ```python and ```bash block meant to run is run, as a user would run
it from a checkout (in a temporary folder that has the checkout's presets/ and examples/).

A block that is not meant to run has an HTML comment ``<!-- not-run: reason -->`` on the line
before it (installs, which CI does, and runs too long for a test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")


def readme_blocks(text: str) -> list[dict]:
    """Every fenced block: ``{"lang", "code", "line", "not_run"}`` (the reason, or None),
    where line is the opening fence's line number."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = NOT_RUN.search(before)
        blocks.append(
            {
                "lang": m.group(1),
                "code": "\n".join(body) + "\n",
                "line": start + 1,
                "not_run": marker.group(1) if marker else None,
            }
        )
        i += 1
    return blocks


def test_measuring_commands_get_the_quick_protocol():
    flags = measuring_flags()
    assert {"profile", "compare", "report", "roofline", "search", "breakdown"} <= set(flags)
    assert "show" not in flags
    command = "shufflenet-cli profile --groups 3 ; shufflenet-cli show x > a.yaml"
    assert quick(command, flags) == (
        f"shufflenet-cli profile {flags['profile']} --groups 3 ; shufflenet-cli show x > a.yaml"
    )


def runnable(blocks):
    return [b for b in blocks if b["lang"] in ("python", "bash") and not b["not_run"]]


def commands(code: str) -> list[str]:
    """A bash block's commands: one per line, comments and blank lines left out."""
    return [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))

# The README's commands run with the full protocol when a user types them; here each command
# that times networks gets a short one (the last value of an option wins in click), so the
# test checks that every command runs and exits cleanly, in seconds instead of minutes.
QUICK = {
    "window_time": "--windows 2 --window-time 0.01 --warmup-time 0.01",
    "runs": "--runs 2",
}
SEGMENT = re.compile(r"(shufflenet-cli\s+(\w+))")


def measuring_flags() -> dict[str, str]:
    """Subcommand -> the quick protocol's flags, for every subcommand that times networks."""
    from shufflenet_cli.cli import cli

    out = {}
    for name, command in cli.commands.items():
        params = {p.name for p in command.params}
        for key, flags in QUICK.items():
            if key in params:
                out[name] = flags
    return out


def quick(command: str, flags: dict[str, str]) -> str:
    """``command`` with the quick protocol's flags after each measuring subcommand's name.

    >>> quick("shufflenet-cli compare --format json | head", {"compare": "--windows 2"})
    'shufflenet-cli compare --windows 2 --format json | head'
    """
    return SEGMENT.sub(
        lambda m: f"{m.group(1)} {flags[m.group(2)]}" if m.group(2) in flags else m.group(1),
        command,
    )


def test_readme_blocks_are_found_and_the_skipped_ones_say_why():
    langs = [b["lang"] for b in BLOCKS]
    assert langs.count("python") >= 2 and langs.count("bash") >= 8
    skipped = [b for b in BLOCKS if b["not_run"]]
    assert all(len(b["not_run"]) > 10 for b in skipped)  # a reason, not a bare marker
    assert len(runnable(BLOCKS)) > len(skipped)  # the few that do not run
    # the block after a marker is the one skipped, not the next one
    sample = "<!-- not-run: installs packages -->\n```bash\npip x\n```\n\n```bash\nls\n```\n"
    assert [b["not_run"] for b in readme_blocks(sample)] == ["installs packages", None]


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    """A folder like a user's checkout: presets/ and examples/, the files the README's
    commands name (my-net.yaml, space.yaml), and `shufflenet-cli` on PATH running this tree."""
    d = tmp_path_factory.mktemp("readme")
    for name in ("presets", "examples"):
        (d / name).symlink_to(ROOT / name)
    bin_dir = d / ".bin"
    bin_dir.mkdir()
    exe = bin_dir / "shufflenet-cli"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m shufflenet_cli "$@"\n')
    exe.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }
    spec = subprocess.run(
        ["shufflenet-cli", "show", "shufflenet-0.5x-g8", "--format", "yaml"],
        cwd=d,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert spec.returncode == 0, spec.stderr
    (d / "my-net.yaml").write_text(spec.stdout.replace("shufflenet-0.5x-g8", "my-net"))
    (d / "space.yaml").write_text((ROOT / "presets" / "search-small.yaml").read_text())
    return d, env


@pytest.mark.slow
@pytest.mark.parametrize(
    "block", runnable(BLOCKS), ids=lambda b: f"README.md:{b['line']}-{b['lang']}"
)
def test_readme_block_runs(block, user_dir):
    cwd, env = user_dir
    if block["lang"] == "python":
        r = subprocess.run(
            [sys.executable, "-c", block["code"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        return
    flags = measuring_flags()
    for command in commands(block["code"]):
        r = subprocess.run(
            ["bash", "-o", "pipefail", "-c", quick(command, flags)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert r.returncode == 0, f"{command}\n{r.stderr[-3000:]}"
        assert "Traceback" not in r.stderr, command
