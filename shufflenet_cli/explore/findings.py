"""What a set of measured networks says: Pareto fronts and how well each cost predicts latency.

Plain numbers over profile rows (dicts with ``params``, ``macs``, ``memory_bytes_eager``,
``latency_ms``...), shared by the report's plots and by the text written under them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .pareto import pareto_front

# Costs that might predict latency, with how the report names them.
PREDICTORS = {
    "macs": "MACs",
    "params": "params",
    "memory_bytes_eager": "memory traffic (eager)",
    "memory_bytes_fused": "memory traffic (fused)",
}


def measured(rows: Sequence[dict]) -> list[dict]:
    """The rows with a measured latency."""
    return [r for r in rows if r.get("latency_ms") is not None]


def latency_front(rows: Sequence[dict], capacity: str = "macs") -> list[dict]:
    """The latency Pareto front: networks no other network beats on both lower latency and
    at least as much ``capacity`` (MACs by default: the most work bought per millisecond).

    Returned in order of latency (``pareto.pareto_front``, the one front implementation).
    """
    return pareto_front(measured(rows), ["latency_ms", capacity], maximize=[capacity])


def predictor_stats(
    rows: Sequence[dict], predictors: Sequence[str] = tuple(PREDICTORS)
) -> list[dict]:
    """For each cost: Spearman rank correlation with latency, R^2 and slope of a linear fit.

    Over the rows with a measured latency; None where fewer than 3 rows were measured or the
    cost does not vary. Sorted best first (by Spearman, then R^2).
    """
    import numpy as np
    import pandas as pd

    pts = measured(rows)
    out = []
    for key in predictors:
        stat = {
            "predictor": key,
            "label": PREDICTORS.get(key, key),
            "n": len(pts),
            "spearman": None,
            "r2": None,
            "slope": None,
            "intercept": None,
        }
        if len(pts) >= 3:
            x = np.array([float(r[key]) for r in pts])
            y = np.array([float(r["latency_ms"]) for r in pts])
            if np.ptp(x) > 0 and np.ptp(y) > 0:
                # Spearman = Pearson of the ranks (average ranks for ties); no scipy needed
                stat["spearman"] = float(pd.Series(x).rank().corr(pd.Series(y).rank()))
                slope, intercept = np.polyfit(x, y, 1)
                residual = y - (slope * x + intercept)
                stat["r2"] = float(1 - (residual**2).sum() / ((y - y.mean()) ** 2).sum())
                stat["slope"], stat["intercept"] = float(slope), float(intercept)
        out.append(stat)
    out.sort(key=lambda s: (s["spearman"] is None, -(s["spearman"] or 0), -(s["r2"] or 0)))
    return out
