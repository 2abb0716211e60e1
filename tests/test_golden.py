"""The analytic outputs equal the golden files recorded before the package was restructured.

Regenerate them (after an intended change, said in the commit) with
``python tests/golden/make_golden.py``.
"""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import make_golden  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def current():
    return make_golden.collect(Path(__file__).resolve().parent.parent)


@pytest.mark.parametrize("name", sorted(p.stem for p in make_golden.HERE.glob("*.json")))
def test_output_equals_golden(current, name):
    golden = json.loads((make_golden.HERE / f"{name}.json").read_text())
    assert json.loads(json.dumps(current[name], sort_keys=True)) == golden
