"""Our ShuffleNet module against a plain textbook implementation of the same network.

Run: python benchmarks/bench_textbook.py
Both are ShuffleNet 1x g3 (Table 1), eager PyTorch, 1 thread, batch 1, measured interleaved
in one run with the project's protocol; prints both medians and the ratio ours / textbook.
The textbook version is written here from the paper's Fig. 2, the way tutorials write it:
shuffle with permute + contiguous, ReLU modules, a Sequential per stage.
"""

import torch
from torch import nn
from torch.utils.benchmark import Timer

from shufflenet_cli import build_model
from shufflenet_cli import load_spec


class TextbookUnit(nn.Module):
    """Fig. 2 (b)/(c), written as a tutorial would."""

    def __init__(self, cin, cout, groups, stride, first_grouped):
        super().__init__()
        self.stride, self.groups = stride, groups
        mid = cout // 4
        out = cout - cin if stride == 2 else cout
        self.compress = nn.Sequential(
            nn.Conv2d(cin, mid, 1, groups=groups if first_grouped else 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(),
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid)
        )
        self.expand = nn.Sequential(
            nn.Conv2d(mid, out, 1, groups=groups, bias=False), nn.BatchNorm2d(out)
        )
        self.relu = nn.ReLU()

    def shuffle(self, x):
        n, c, h, w = x.size()
        x = x.view(n, self.groups, c // self.groups, h, w).permute(0, 2, 1, 3, 4).contiguous()
        return x.view(n, c, h, w)

    def forward(self, x):
        y = self.expand(self.depthwise(self.shuffle(self.compress(x))))
        if self.stride == 2:
            return self.relu(torch.cat([nn.functional.avg_pool2d(x, 3, 2, 1), y], 1))
        return self.relu(x + y)


class TextbookShuffleNet(nn.Module):
    """ShuffleNet v1 1x g3: stem, three stages, global pool, FC."""

    def __init__(self, groups=3, channels=(240, 480, 960), units=(4, 8, 4)):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 24, 3, 2, 1, bias=False),
            nn.BatchNorm2d(24),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        layers, cin = [], 24
        for i, (c, n) in enumerate(zip(channels, units)):
            for k in range(n):
                layers.append(
                    TextbookUnit(
                        cin, c, groups, 2 if k == 0 else 1, first_grouped=not (i == 0 and k == 0)
                    )
                )
                cin = c
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, 1000)

    def forward(self, x):
        return self.fc(self.stages(self.stem(x)).mean((2, 3)))


def main() -> None:
    """Interleaved windows of both models; print medians and the ratio."""
    torch.set_num_threads(1)
    ours = build_model(load_spec("shufflenet-1x-g3")).eval()
    book = TextbookShuffleNet().eval()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in book.parameters())
    x = torch.randn(1, 3, 224, 224)
    timers = {
        "ours": Timer("m(x)", globals={"m": ours, "x": x}, num_threads=1),
        "textbook": Timer("m(x)", globals={"m": book, "x": x}, num_threads=1),
    }
    samples = {k: [] for k in timers}
    with torch.inference_mode():
        for t in timers.values():
            t.blocked_autorange(min_run_time=0.5)
        for w in range(15):
            for k in list(timers) if w % 2 == 0 else list(timers)[::-1]:
                samples[k].append(timers[k].blocked_autorange(min_run_time=0.2).median * 1e3)
    med = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    print(
        f"ours {med['ours']:.2f} ms, textbook {med['textbook']:.2f} ms, "
        f"ratio ours / textbook {med['ours'] / med['textbook']:.3f}"
    )


if __name__ == "__main__":
    main()
