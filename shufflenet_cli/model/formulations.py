"""How ShuffleNet's channel shuffle and stride-2 shortcut pool are written in the torch module:
equivalent formulations (same outputs) that runtimes delegate and quantize differently. A
torch-free module, so the protocol and the CLI can name them without importing torch."""

from __future__ import annotations

from ..errors import UserError

FORMULATIONS = {
    "paper": "stride-2 shortcut AvgPool2d(3, 2, padding 1); 5-D view-transpose channel shuffle",
    "deploy": "stride-2 shortcut as zero pad + unpadded AvgPool2d(3, 2); 4-D permute channel "
    "shuffle (same outputs; every op delegable to XNNPACK in fp32)",
    "deploy-conv": "stride-2 shortcut as a fixed 1/9 depthwise conv (pad 1); 4-D permute "
    "channel shuffle (same outputs; delegable to XNNPACK in fp32 and int8)",
}
FORMULATION_NAMES = tuple(FORMULATIONS)


def check_formulation(name: str) -> str:
    """The name if it is one of ``FORMULATIONS``, else ``UserError``."""
    if name not in FORMULATIONS:
        raise UserError(f"formulation: {name!r} is not one of {', '.join(FORMULATIONS)}")
    return name
