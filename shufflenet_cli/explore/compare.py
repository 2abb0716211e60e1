"""Matched-complexity comparisons: each network beside a partner, every cost as a ratio.

By default the papers' pairs (ShuffleNet paper, Table 5: ShuffleNet vs MobileNet at about the
same multiply-adds). Any networks can be compared instead; each gets as partner the MobileNet v1
chosen like ``profile``'s baseline (by default the width closest in MACs).

    >>> from shufflenet_cli.explore.compare import compare_networks, paper_pairs
    >>> result = compare_networks(paper_pairs(), latency=False)
    >>> [(r["name"], r["partner"]) for r in result.rows][:2]
    [('shufflenet-2x-g3', 'mobilenet-v1-1.0'), ('shufflenet-1.5x-g3', 'mobilenet-v1-0.75')]
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from ..errors import UserError
from ..measure.protocol import Protocol
from ..model.spec import NetworkSpec
from ..model.spec import unique_networks
from .profile import add_predictions
from .profile import choose_baseline
from .profile import network_row
from .sources import measure_sources

# ShuffleNet paper, Table 5: the matched-complexity pairs (ShuffleNet preset, MobileNet preset).
PAPER_PAIRS = (
    ("shufflenet-2x-g3", "mobilenet-v1-1.0"),
    ("shufflenet-1.5x-g3", "mobilenet-v1-0.75"),
    ("shufflenet-1x-g3", "mobilenet-v1-0.5"),
    ("shufflenet-1x-g8", "mobilenet-v1-0.5"),
    ("shufflenet-0.5x-g4", "mobilenet-v1-0.25"),
)

# The metrics shown as "network / partner" ratios.
RATIO_METRICS = ("params", "macs", "memory_bytes_eager", "memory_bytes_fused", "latency_ms")


def paper_pairs() -> list[tuple[NetworkSpec, NetworkSpec]]:
    """The papers' matched-complexity pairs as specs (loaded from the presets)."""
    from ..model.presets import load_spec

    return [(load_spec(a), load_spec(b)) for a, b in PAPER_PAIRS]


def pairs_for(
    specs: Sequence[NetworkSpec], baseline: str | None = "auto", resolution: int | None = None
) -> list[tuple[NetworkSpec, NetworkSpec]]:
    """Each network paired with its MobileNet partner (``profile``'s baseline rule, per network).

    ``baseline='auto'`` picks, for each network on its own, the MobileNet v1 width closest in
    MACs; a preset name, YAML path or width gives every network the same partner.
    """
    if not specs:
        raise UserError("networks: nothing to compare (give --groups, --preset or --spec)")
    if baseline is None or baseline == "none":
        raise UserError("baseline: compare needs a partner for each network (not 'none')")
    pairs = []
    for s in specs:
        partner = choose_baseline([s], baseline, resolution or s.resolution)
        pairs.append((s, partner))
    return pairs


def pairs_to_compare(networks: dict, baseline: str | None = "auto") -> list[tuple]:
    """The pairs ``compare`` sets side by side: the papers' pairs when ``networks`` (the keyword
    arguments of ``profile.resolve_networks``) names none, else each network with its partner.
    """
    from ..model.rules import with_resolution
    from .profile import resolve_networks

    resolution = networks.get("resolution")
    if any(networks.get(k) for k in ("groups", "scales", "presets", "spec_files")):
        return pairs_for(resolve_networks(**networks), baseline, resolution)
    pairs = paper_pairs()
    if resolution:
        pairs = [(with_resolution(a, resolution), with_resolution(b, resolution)) for a, b in pairs]
    return pairs


@dataclass
class CompareResult:
    """One row per pair (network's numbers, partner's numbers, ratios) and the environment."""

    rows: list[dict]
    environment: dict = field(default_factory=dict)
    footer: list[str] = field(default_factory=list)


def paper_pair_networks(specs: Sequence[NetworkSpec]) -> list[NetworkSpec]:
    """The networks of ``specs`` that belong to one of the paper's pairs (``PAPER_PAIRS``)."""
    names = {name for pair in PAPER_PAIRS for name in pair}
    return [s for s in specs if s.name in names]


def runtime_ratios(rows_by_dtype: dict[str, Sequence[dict]], backends: Sequence[str]) -> list[dict]:
    """The paper pairs' ShuffleNet / MobileNet latency ratio per runtime and dtype: one row per
    (pair, backend, dtype) from rows measured at each dtype (their ``latency_ms_<backend>``
    keys). Where a runtime could not run either network the ratio is None and
    ``latency_error`` says why (e.g. no int8 kernels). Below 1, the ShuffleNet is faster.
    """
    out = []
    for dtype, rows in rows_by_dtype.items():
        by_name = {r["name"]: r for r in rows}
        for a, b in PAPER_PAIRS:
            if a not in by_name or b not in by_name:
                continue
            net, partner = by_name[a], by_name[b]
            for backend in backends:
                x, y = net.get(f"latency_ms_{backend}"), partner.get(f"latency_ms_{backend}")
                error = net.get(f"latency_error_{backend}") or partner.get(
                    f"latency_error_{backend}"
                )
                noisy = net.get(f"latency_noisy_{backend}") or partner.get(
                    f"latency_noisy_{backend}"
                )
                out.append(
                    {
                        "name": a,
                        "partner": b,
                        "backend": backend,
                        "dtype": dtype,
                        "latency_ms": x,
                        "partner_latency_ms": y,
                        "latency_ms_ratio": x / y if x is not None and y else None,
                        "latency_noisy": bool(noisy) if x is not None and y else None,
                        "latency_error": error,
                    }
                )
    return out


def pair_row(row: dict, partner: dict) -> dict:
    """One comparison row from two ``profile.network_row``-style rows (latency optional).

    Ratios are network / partner; ``top1_err_diff`` is the network's published top-1 error
    minus the partner's (negative = the network is more accurate), in percentage points.
    """
    out = {"name": row["name"], "partner": partner["name"]}
    for key in RATIO_METRICS:
        a, b = row.get(key), partner.get(key)
        out[key] = a
        out[f"partner_{key}"] = b
        out[f"{key}_ratio"] = (a / b) if (a is not None and b) else None
    for key in [k for k in row if k.startswith("latency_ms_") and k != "latency_ms_ratio"]:
        a, b = row.get(key), partner.get(key)  # another backend's latency (latency_ms_<backend>)
        out[key], out[f"partner_{key}"] = a, b
        out[f"{key}_ratio"] = (a / b) if (a is not None and b) else None
        noisy = key.replace("latency_ms_", "latency_noisy_")
        out[noisy] = bool(row.get(noisy) or partner.get(noisy))
    if "latency_predicted_ms" in row:  # from this machine's calibration (--predict)
        a, b = row.get("latency_predicted_ms"), partner.get("latency_predicted_ms")
        out["latency_predicted_ms"], out["partner_latency_predicted_ms"] = a, b
        out["latency_predicted_ms_ratio"] = (a / b) if (a is not None and b) else None
    out["latency_noisy"] = (
        bool(row.get("latency_noisy") or partner.get("latency_noisy"))
        if row.get("latency_ms") is not None
        else None
    )
    err, perr = row.get("paper_top1_err"), partner.get("paper_top1_err")
    out["paper_top1_err"] = err
    out["partner_paper_top1_err"] = perr
    out["top1_err_diff"] = (err - perr) if (err is not None and perr is not None) else None
    return out


def compare_networks(
    pairs: Sequence[tuple[NetworkSpec, NetworkSpec]],
    *,
    latency: bool = True,
    protocol: Protocol | None = None,
    threads: int | None = None,
    backend: str | Sequence[str] = "eager",
    progress: Callable[[str], None] | None = None,
    latency_from: Sequence = (),
    fleet=None,
    predict: bool = False,
    cache_dir: str | None = None,
) -> CompareResult:
    """Cost model (and measured latency) of every pair, with network / partner ratios.

    All distinct networks of all pairs are measured in one interleaved run per backend, so
    every ratio compares models timed side by side. ``backend`` is one name or several: the
    first fills ``latency_ms`` and its ratio, each one ``latency_ms_<backend>`` and
    ``latency_ms_<backend>_ratio``. A network a backend cannot run has no latency there; the
    footer says why. ``threads`` overrides the protocol's. ``predict`` adds the first
    backend's ``latency_predicted_ms`` (this machine's calibration) and its ratio.
    """
    if not pairs:
        raise UserError("networks: nothing to compare")
    protocol = protocol or Protocol()
    if threads is not None:
        protocol = protocol.with_(threads=threads)
    specs = unique_networks(s for pair in pairs for s in pair)  # one name, one architecture
    rows = {(s.name, s.arch_key()): network_row(s) for s in specs}
    env: dict = {}
    footer = [
        "Ratios are network / partner; top-1 err diff = network's published top-1 error "
        "minus the partner's (percentage points, negative = more accurate)."
    ]
    footer += [note for s in specs for note in s.notes]  # renamed, paper dropped
    if latency:
        backends = as_backends(backend) if backend else []
        measured = measure_sources(
            specs, backends, protocol, progress, latency_from=latency_from, fleet=fleet
        )
        for row, fields in zip(rows.values(), measured.fields):
            row.update(fields)
        env = measured.environment
        footer += measured.footer()
    if predict:
        first = as_backends(backend)[:1]
        footer.append(add_predictions(list(rows.values()), specs, first, protocol, cache_dir))
    out = [pair_row(rows[(a.name, a.arch_key())], rows[(b.name, b.arch_key())]) for a, b in pairs]
    return CompareResult(out, env, footer)


def as_backends(backend: str | Sequence[str]) -> list[str]:
    """One backend name or several, checked, as a list (the first drives ratios and plots)."""
    from ..measure.backends import check_backend_name

    names = list(dict.fromkeys([backend] if isinstance(backend, str) else backend))
    if not names:
        raise UserError(
            "backend: give at least one (eager, channels_last, torchscript, compile, onnxruntime)"
        )
    return [check_backend_name(b) for b in names]
