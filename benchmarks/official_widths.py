"""The official ShuffleNet v1 networks beside ours: channels, multiply-adds, parameters.

The official implementation (Megvii ShuffleNet-Series, ``ShuffleNetV1/network.py``, the
paper authors' release) is rebuilt here in plain torch from its channel table and block
description (not from our plan) and counted with forward hooks; ours is
``shufflenet_spec(groups=g, scale=s, fc_bias=False)`` counted by the cost model.

    PYTHONPATH=. python benchmarks/official_widths.py        # prints the README table
"""

from __future__ import annotations

# ShuffleNetV1/network.py: stage_out_channels = [-1, stem, stage2, stage3, stage4]
OFFICIAL = {
    (3, 0.5): (12, 120, 240, 480),
    (3, 1.0): (24, 240, 480, 960),
    (3, 1.5): (24, 360, 720, 1440),
    (3, 2.0): (48, 480, 960, 1920),
    (8, 0.5): (16, 192, 384, 768),
    (8, 1.0): (24, 384, 768, 1536),
    (8, 1.5): (24, 576, 1152, 2304),
    (8, 2.0): (48, 768, 1536, 3072),
}


def official_network(groups: int, channels: tuple[int, ...]):
    """The official network: repeats 4/8/4, bottleneck out // 4, Stage2's first 1x1 conv
    ungrouped, stride-2 units concat a 3x3 avg pool, FC without bias."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, inp, oup, first, stride):
            super().__init__()
            mid, out = oup // 4, (oup - inp if stride == 2 else oup)
            self.main = nn.Sequential(
                nn.Conv2d(inp, mid, 1, groups=1 if first else groups, bias=False),
                nn.BatchNorm2d(mid),
                nn.ReLU(),
                nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                nn.BatchNorm2d(mid),
                nn.Conv2d(mid, out, 1, groups=groups, bias=False),
                nn.BatchNorm2d(out),
            )
            self.proj = nn.AvgPool2d(3, 2, 1) if stride == 2 else None

        def forward(self, x):
            y = self.main(x)
            return torch.relu(y + x if self.proj is None else torch.cat((self.proj(x), y), 1))

    stem, *stages = channels
    mods = [nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU()]
    mods.append(nn.MaxPool2d(3, 2, 1))
    inp = stem
    for s, (oup, n) in enumerate(zip(stages, (4, 8, 4))):
        for i in range(n):
            mods.append(Block(inp, oup, s == 0 and i == 0, 2 if i == 0 else 1))
            inp = oup
    mods += [nn.AvgPool2d(7), nn.Flatten(), nn.Linear(inp, 1000, bias=False)]
    return nn.Sequential(*mods)


def hook_counts(model) -> tuple[int, int]:
    """(params, conv + FC multiply-adds at 224x224) counted on the module itself."""
    import torch
    from torch import nn

    macs = []

    def hook(m, _inputs, out):
        per_output = (
            m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            if isinstance(m, nn.Conv2d)
            else m.in_features
        )
        macs.append(out.numel() * per_output)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 224, 224))
    return sum(p.numel() for p in model.parameters()), sum(macs)


def official_rows() -> list[dict]:
    """One row per official network: its channels and counts beside ours."""
    from shufflenet_cli import analyze
    from shufflenet_cli import shufflenet_spec

    rows = []
    for (g, s), channels in OFFICIAL.items():
        params, macs = hook_counts(official_network(g, channels))
        ours = shufflenet_spec(groups=g, scale=s, fc_bias=False)
        a = analyze(ours)
        rows.append(
            {
                "groups": g,
                "scale": s,
                "official_channels": channels,
                "ours_channels": (ours.stem_channels, *ours.stage_channels),
                "official_macs": macs,
                "ours_macs": a.macs,
                "official_params": params,
                "ours_params_no_fc_bias": a.params,
                "ours_params": analyze(shufflenet_spec(groups=g, scale=s)).params,
                "name": shufflenet_spec(groups=g, scale=s).name,
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    """The rows as the README's markdown table."""
    head = (
        "| network | official stem; stages | ours | official MACs | ours MACs "
        "| official params | ours, fc_bias false | ours, default |\n"
        "|---|---|---|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        oc, uc = r["official_channels"], r["ours_channels"]
        lines.append(
            f"| {r['name']} | {oc[0]}; {', '.join(map(str, oc[1:]))} "
            f"| {'same' if oc == uc else f'{uc[0]}; ' + ', '.join(map(str, uc[1:]))} "
            f"| {r['official_macs']:,} | {r['ours_macs']:,} | {r['official_params']:,} "
            f"| {r['ours_params_no_fc_bias']:,} | {r['ours_params']:,} |"
        )
    return head + "\n".join(lines)


if __name__ == "__main__":
    print(markdown(official_rows()))
