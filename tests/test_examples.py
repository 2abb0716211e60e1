"""The example scripts run as users would run them."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # latency, profiler, subprocess or browser: see README

ROOT = Path(__file__).resolve().parent.parent


def test_api_tour_runs():
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_tour.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "g=3:  136.5 M  1,865,728 params" in r.stdout
    assert "Module params: 1,865,728 (cost model: 1,865,728)" in r.stdout
    assert "baseline mobilenet-v1-0.5" in r.stdout
