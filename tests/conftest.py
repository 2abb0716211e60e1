"""Shared fixtures: the user's home and cache kept out of reach for the whole session, a CLI
runner that keeps stderr apart, and a spec-file writer."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from shufflenet_cli.cli import cli


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory):
    """HOME and XDG_CACHE_HOME in a temporary folder for every test (and every subprocess it
    starts): the suite never reads a user's roofline calibration nor writes into their cache."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        mp.delenv("XDG_CONFIG_HOME", raising=False)
        mp.delenv("XDG_DATA_HOME", raising=False)
        yield home


@pytest.fixture
def run_cli():
    """Invoke the CLI in-process; returns click's Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture
def run_process():
    """Run `python -m shufflenet_cli ...` as a real subprocess."""

    def run(*args, timeout=300):
        return subprocess.run(
            [sys.executable, "-m", "shufflenet_cli", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def spec_file(tmp_path):
    """Write YAML text to a file and return its path."""

    def write(text, name="net.yaml"):
        p = tmp_path / name
        p.write_text(text)
        return p

    return write
