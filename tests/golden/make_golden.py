"""Record the golden analytic outputs that a refactor must keep equal.

Run from the checkout: ``python tests/golden/make_golden.py`` writes ``tests/golden/*.json``.
Only analytic outputs (no latency): profile rows for every preset and a few specs, the analytic
search fronts of the shipped spaces, and the ``data/`` files of ``report --no-latency``.
``tests/test_golden.py`` recomputes them and compares.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Each case: (file stem, CLI arguments). All analytic.
PROFILE_CASES = {
    "profile_groups": ["profile", "--groups", "1,2,3,4,8", "--no-latency"],
    "profile_scales": ["profile", "--scale", "0.5,1,2", "--groups", "3,8", "--no-latency"],
    "profile_presets": [
        "profile",
        "--no-latency",
        "--baseline",
        "none",
        *sum(
            (
                ["--preset", p]
                for p in (
                    "shufflenet-0.25x-g1",
                    "shufflenet-0.25x-g2",
                    "shufflenet-0.25x-g3",
                    "shufflenet-0.25x-g4",
                    "shufflenet-0.25x-g8",
                    "shufflenet-0.5x-g1",
                    "shufflenet-0.5x-g2",
                    "shufflenet-0.5x-g3",
                    "shufflenet-0.5x-g4",
                    "shufflenet-0.5x-g8",
                    "shufflenet-1x-g1",
                    "shufflenet-1x-g2",
                    "shufflenet-1x-g3",
                    "shufflenet-1x-g4",
                    "shufflenet-1x-g8",
                    "shufflenet-1.5x-g3",
                    "shufflenet-2x-g3",
                    "shufflenet-0.5x-shallow-g3",
                    "mobilenet-v1-1.0",
                    "mobilenet-v1-0.75",
                    "mobilenet-v1-0.5",
                    "mobilenet-v1-0.25",
                    "mobilenet-v1-1.0-192",
                    "mobilenet-v1-1.0-160",
                    "mobilenet-v1-1.0-128",
                )
            ),
            [],
        ),
    ],
    "profile_odd_groups": [
        "profile",
        "--groups",
        "6,12,16",
        "--scale",
        "0.75",
        "--resolution",
        "160",
        "--no-latency",
    ],
}

# Search spaces whose objectives are analytic only (the latency space needs timing).
SEARCH_CASES = {
    "search_large": ["search", "presets/search-large.yaml"],
}

# Keys whose values depend on the run (time, machine), not on the code's arithmetic.
VOLATILE = {"date", "created", "elapsed_s", "cpu", "python", "torch", "platform", "hostname"}


def run_cli(args: list[str], cwd: Path) -> str:
    """Run the CLI in a fresh process and return its stdout (fails loudly on error)."""
    out = subprocess.run(
        [sys.executable, "-m", "shufflenet_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def scrub(obj):
    """Drop run-dependent keys so that only computed numbers and names remain."""
    if isinstance(obj, dict):
        return {k: scrub(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    return obj


def collect(repo: Path) -> dict[str, object]:
    """All golden outputs, keyed by case name."""
    result: dict[str, object] = {}
    for name, args in {**PROFILE_CASES, **SEARCH_CASES}.items():
        result[name] = scrub(json.loads(run_cli([*args, "--format", "json"], repo)))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        run_cli(["report", "--no-latency", "--out", str(out)], repo)
        data = out / "data"
        for path in sorted(data.glob("*.json")):
            if path.name == "environment.json":
                continue
            result[f"report_{path.stem}"] = scrub(json.loads(path.read_text()))
    return result


def main() -> None:
    """Write the golden files from the current checkout."""
    repo = HERE.parent.parent
    for name, value in collect(repo).items():
        (HERE / f"{name}.json").write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
        print("wrote", name)


if __name__ == "__main__":
    main()
