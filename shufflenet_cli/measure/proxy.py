"""Zero-cost accuracy proxy: synflow (Tanaka et al. 2020; used as a NAS proxy by Abdelfattah et
al., ICLR 2021). A PROXY computed without data, never an accuracy: use it to rank candidates of
one search space, not to compare with published top-1 errors.
"""

from __future__ import annotations

import math

from ..model.spec import NetworkSpec


def synflow(spec: NetworkSpec, seed: int = 0) -> float:
    """log10 of the synflow score of the network's initialisation.

    Synflow: make every parameter positive (|theta|), feed an all-ones input in float64, and
    sum |theta * dR/dtheta| where R is the sum of the outputs. BN runs in eval mode with its
    initial statistics, so it is an affine map. Deterministic for a given ``seed``; the
    caller's RNG state and grad mode are left as they were.
    """
    import torch

    with torch.random.fork_rng(devices=[]), torch.inference_mode(False), torch.enable_grad():
        torch.manual_seed(seed)
        return _synflow(spec)


def _synflow(spec: NetworkSpec) -> float:
    import torch

    from ..model.nn import build_model

    model = build_model(spec).eval().double()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    x = torch.ones(1, spec.in_channels, spec.resolution, spec.resolution, dtype=torch.float64)
    model.zero_grad()
    model(x).sum().backward()
    with torch.no_grad():
        score = sum(
            float((p * p.grad).abs().sum()) for p in model.parameters() if p.grad is not None
        )
    return math.log10(score) if score > 0 else float("-inf")
