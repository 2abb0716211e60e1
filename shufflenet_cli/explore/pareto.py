"""Pareto fronts over rows: the one implementation the search, the findings and the plots use."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence


def _vector(row: Mapping, objectives: Sequence[str], maximize: Sequence[str]) -> tuple:
    return tuple(-row[o] if o in maximize else row[o] for o in objectives)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """A Pareto-dominates b (all objectives minimised): no worse anywhere, better somewhere."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def pareto_front(
    rows: Sequence[dict], objectives: Sequence[str], maximize: Sequence[str] = ()
) -> list[dict]:
    """The non-dominated rows over ``objectives`` (rows missing a value are left out).

    Objectives named in ``maximize`` are maximised, the others minimised. Sorted by the
    first objective; ties in every objective are all kept.
    """
    usable = [r for r in rows if all(r.get(o) is not None for o in objectives)]
    usable.sort(key=lambda r: _vector(r, objectives, maximize))
    front: list[dict] = []
    vectors: list[tuple] = []
    for r in usable:
        v = _vector(r, objectives, maximize)
        if not any(dominates(f, v) for f in vectors):
            front.append(r)
            vectors.append(v)
    return front


def pareto_ranks(
    rows: Sequence[dict], objectives: Sequence[str], maximize: Sequence[str] = ()
) -> list[list[dict]]:
    """Successive Pareto fronts (non-dominated sorting): rank 0 is the front."""
    rest = list(rows)
    ranks = []
    while rest:
        front = pareto_front(rest, objectives, maximize)
        ranks.append(front)
        ids = {id(r) for r in front}
        rest = [r for r in rest if id(r) not in ids]
    return ranks
