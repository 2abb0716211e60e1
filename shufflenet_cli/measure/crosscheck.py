"""Cross-check: fvcore's and thop's counts of the built module, beside the cost model's.

They agree with us on conv and FC multiply-adds and on parameters; their totals differ by what
else they count (fvcore: BN and the global pool; thop: BN, ReLU and pools). Neither counts
memory traffic, and both count the channel shuffle as free although eager PyTorch copies it.
"""

from __future__ import annotations

import logging

from ..model.spec import NetworkSpec

CROSSCHECK_NOTE = (
    "Cross-check: fvcore and thop agree with ours on conv + FC multiply-adds and params; "
    "fvcore's total adds BN (and the global pool), thop's adds BN, ReLU and pooling per element; "
    "both count channel shuffle, add and concat as free."
)


def crosscheck_counts(spec: NetworkSpec) -> dict:
    """Fvcore's total and conv + linear MACs, fvcore's other ops, thop's MACs and params.

    Keys: ``fvcore_macs``, ``fvcore_conv_fc_macs``, ``fvcore_other``, ``thop_macs``,
    ``thop_params`` (each a model built afresh: thop leaves buffers on the module it profiles).
    The caller's RNG state, grad mode and fvcore's log level are left as they were.
    """
    import torch

    fvcore_log = logging.getLogger("fvcore")
    level = fvcore_log.level
    try:
        with torch.random.fork_rng(devices=[]):
            return _counts(spec)
    finally:
        fvcore_log.setLevel(level)


def _counts(spec: NetworkSpec) -> dict:
    import warnings

    import torch

    from ..model.nn import build_model
    from ..model.nn import example_input

    x = example_input(spec)
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("fvcore").setLevel(logging.ERROR)
        from fvcore.nn import FlopCountAnalysis

        model = build_model(spec).eval()
        with torch.no_grad():
            flops = (
                FlopCountAnalysis(model, x)
                .unsupported_ops_warnings(False)
                .uncalled_modules_warnings(False)
            )
            by_op = flops.by_operator()
            out["fvcore_macs"] = int(flops.total())
        out["fvcore_conv_fc_macs"] = int(by_op.get("conv", 0) + by_op.get("linear", 0))
        out["fvcore_other"] = {k: int(v) for k, v in by_op.items() if k not in ("conv", "linear")}
        import thop

        model = build_model(spec).eval()
        with torch.no_grad():
            macs, params = thop.profile(model, inputs=(x,), verbose=False)
        out["thop_macs"] = int(macs)
        out["thop_params"] = int(params)
    return out
