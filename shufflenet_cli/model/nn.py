"""Torch modules built from the layer plan: network > stage > unit.

Every module is made from a ``plan.Unit``, so the parameter count equals the cost model's and
the module paths equal the plan's layer paths (``stage3.unit2.gconv1``), which is how profiler
time is attributed back to plan rows.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .cost import check_fits_in_memory
from .formulations import FORMULATIONS  # noqa: F401  (re-exported)
from .formulations import check_formulation  # noqa: F401  (re-exported)
from .plan import PlanBlock
from .plan import Unit
from .plan import build_plan
from .spec import NetworkSpec


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Channel shuffle (ShuffleNet Sec. 3.1): (N, g*n, H, W) -> view (g, n) -> transpose -> flatten.

    After it, each group of the next group conv sees channels from every group of the last one.
    """
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def channel_shuffle_flat(x: torch.Tensor, groups: int) -> torch.Tensor:
    """The same channel shuffle with height and width flattened into one axis: a 4-D
    (N, g, n, H*W) permute instead of the 5-D transpose; equal output, fewer and simpler
    layout changes for runtimes that convert to NHWC (XNNPACK)."""
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h * w).permute(0, 2, 1, 3).reshape(n, c, h, w)


class ZeroPaddedAvgPool2d(nn.AvgPool2d):
    """``AvgPool2d(k, s, p)`` with ``count_include_pad=True`` written as an explicit zero pad
    followed by an unpadded average pool: the same numbers (both divide by k*k), but an op that
    XNNPACK's partitioner accepts (it leaves padded average pools to ExecuTorch's portable
    kernels)."""

    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__(kernel_size, stride, 0)
        self.pad = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero-pad every side by ``pad``, then average over ``kernel_size`` windows."""
        return super().forward(F.pad(x, (self.pad,) * 4))


class AvgPoolAsDepthwiseConv(nn.Module):
    """``AvgPool2d(k, s, p)`` with ``count_include_pad=True`` written as a depthwise conv with
    fixed weights 1/(k*k) and zero padding ``p``: the same numbers, and an op every runtime
    runs and quantizes like the unit's own depthwise conv (XNNPACK cannot build the int8 zero
    pad of ``ZeroPaddedAvgPool2d``). The weights are a buffer, not parameters: nothing learned
    is added."""

    def __init__(self, channels: int, kernel_size: int, stride: int, padding: int):
        super().__init__()
        k = kernel_size
        weight = torch.full((channels, 1, k, k), 1.0 / (k * k))
        self.register_buffer("weight", weight, persistent=False)  # state dicts stay equal
        self.stride, self.padding, self.channels = stride, padding, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average over each zero-padded k x k window, one channel at a time."""
        return F.conv2d(x, self.weight, None, self.stride, self.padding, 1, self.channels)


class ConvBNReLU(nn.Sequential):
    """The stem: 3x3 conv (stride 2, no bias) -> BN -> ReLU."""

    def __init__(self, unit: Unit):
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(unit.in_channels, unit.out_channels, 3, unit.stride, 1, bias=False),
                bn=nn.BatchNorm2d(unit.out_channels),
                relu=nn.ReLU(inplace=True),
            )
        )


class ShuffleNetUnit(nn.Module):
    """ShuffleNet unit, Fig. 2 (b) stride 1 and (c) stride 2 of Zhang et al. 2018."""

    def __init__(self, unit: Unit, formulation: str = "paper"):
        super().__init__()
        cin, mid, cout, g = unit.in_channels, unit.mid_channels, unit.out_channels, unit.groups
        self.shuffle = channel_shuffle if formulation == "paper" else channel_shuffle_flat
        self.stride = unit.stride
        self.groups = g if (unit.shuffle and g > 1) else 1  # 1: no shuffle
        branch_out = cout - cin if unit.stride == 2 else cout
        self.gconv1 = nn.Conv2d(cin, mid, 1, groups=unit.first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.dwconv = nn.Conv2d(mid, mid, 3, unit.stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.gconv2 = nn.Conv2d(mid, branch_out, 1, groups=g, bias=False)
        self.bn3 = nn.BatchNorm2d(branch_out)
        self.shortcut = None
        if unit.stride == 2 and formulation == "deploy-conv":
            self.shortcut = AvgPoolAsDepthwiseConv(cin, 3, 2, 1)
        elif unit.stride == 2:
            pool = ZeroPaddedAvgPool2d if formulation == "deploy" else nn.AvgPool2d
            self.shortcut = pool(3, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Branch (gconv, shuffle, dwconv, gconv) plus identity, or concat with the pooled input."""
        out = F.relu(self.bn1(self.gconv1(x)))
        if self.groups > 1:
            out = self.shuffle(out, self.groups)
        out = self.bn2(self.dwconv(out))
        out = self.bn3(self.gconv2(out))
        if self.shortcut is None:
            return F.relu(out + x)
        return F.relu(torch.cat((self.shortcut(x), out), 1))


class DepthwiseSeparable(nn.Module):
    """MobileNet v1 block: 3x3 depthwise -> BN -> ReLU -> 1x1 pointwise -> BN -> ReLU."""

    def __init__(self, unit: Unit):
        super().__init__()
        cin, cout = unit.in_channels, unit.out_channels
        self.dwconv = nn.Conv2d(cin, cin, 3, unit.stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pwconv = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Depthwise then pointwise, each followed by BN and ReLU."""
        x = F.relu(self.bn1(self.dwconv(x)))
        return F.relu(self.bn2(self.pwconv(x)))


class GlobalPool(nn.Module):
    """Global average pool to a (N, C) vector."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average over height and width."""
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def build_unit(unit: Unit, formulation: str = "paper") -> nn.Module:
    """The torch module of one plan unit, as the network builds it (train mode; ``.eval()``).

    The latency predictor times these alone, as kernels.
    """
    if unit.kind == "conv_bn_relu":
        return ConvBNReLU(unit)
    if unit.kind == "maxpool":
        return nn.MaxPool2d(3, unit.stride, 1)
    if unit.kind == "shufflenet_unit":
        return ShuffleNetUnit(unit, formulation)
    if unit.kind == "dw_separable":
        return DepthwiseSeparable(unit)
    if unit.kind == "globalpool":
        return GlobalPool()
    if unit.kind == "fc":
        return nn.Linear(unit.in_channels, unit.out_channels, bias=unit.bias)
    raise ValueError(f"no module for unit kind {unit.kind!r}")


class PlanNetwork(nn.Sequential):
    """A network built from a layer plan; children are the plan's stages, in order.

    Stages with numbered units (``stage2``...) are ``nn.Sequential``s of ``unit1``, ``unit2``...;
    single-op stages (``conv1``, ``maxpool``, ``globalpool``, ``fc``) are the module itself.
    """

    def __init__(self, blocks: tuple[PlanBlock, ...], name: str = "", formulation: str = "paper"):
        stages: OrderedDict[str, nn.Module] = OrderedDict()
        for block in blocks:
            if block.index == 0:
                stages[block.stage] = build_unit(block.unit, formulation)
                continue
            seq = stages.setdefault(block.stage, nn.Sequential())
            for label in block.unit_labels():
                seq.add_module(label, build_unit(block.unit, formulation))
        super().__init__(stages)
        self.network_name = name


def build_model(spec: NetworkSpec, batch_size: int = 1, formulation: str = "paper") -> PlanNetwork:
    """The torch module of a spec (train mode, as ``nn.Module``s start; call ``.eval()``).

    ``formulation`` (one of ``FORMULATIONS``) picks how ShuffleNet's channel shuffle and
    stride-2 shortcut pool are written: 'paper' as in the paper, 'deploy' as equivalent ops
    that XNNPACK delegates in fp32, 'deploy-conv' with the pool as a fixed depthwise conv that
    XNNPACK also delegates in int8. Outputs, parameters, state dicts and the cost model are the
    same for all.

    Raises ``UserError`` when a forward pass at ``batch_size`` could not fit in memory.

    Example::

        >>> from shufflenet_cli import build_model, shufflenet_spec
        >>> m = build_model(shufflenet_spec(groups=3))
        >>> sum(p.numel() for p in m.parameters())
        1865728
    """
    check_formulation(formulation)
    check_fits_in_memory(spec, batch_size)
    return PlanNetwork(build_plan(spec).blocks, spec.name, formulation)


def example_input(spec: NetworkSpec, batch_size: int = 1, seed: int = 0) -> torch.Tensor:
    """A random input of the spec's shape (fixed seed, so runs compare alike)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(
        batch_size, spec.in_channels, spec.resolution, spec.resolution, generator=gen
    )
