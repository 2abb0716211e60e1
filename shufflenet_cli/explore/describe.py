"""One network described (Table 1's outline, its layers, totals) and the presets listed: the
data behind ``show`` and ``presets``."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from ..errors import UserError
from ..model.cost import CONVENTIONS
from ..model.cost import analyze
from ..model.cost import totals
from ..model.plan import outline
from ..model.spec import NetworkSpec
from ..model.spec import spec_to_dict


@dataclass
class NetworkDescription:
    """A network in Table 1's layout (``outline``), layer by layer (``layers``) and in totals."""

    spec: NetworkSpec
    outline: list[dict]
    layers: list[dict]
    totals: dict
    footer: list[str] = field(default_factory=list)

    def document(self) -> dict:
        """The JSON document ``show --format json`` prints."""
        return {
            "spec": spec_to_dict(self.spec),
            **self.totals,
            "outline": self.outline,
            "layers": self.layers,
        }


def describe_network(
    spec: NetworkSpec, batch_size: int = 1, dtype: str = "fp32", layers: bool = True
) -> NetworkDescription:
    """Outline, per-layer costs (when ``layers``), totals and the counting footer of ``spec``."""
    a = analyze(spec, batch_size, dtype)
    head = {
        "stage": "image",
        "output_size": f"{spec.resolution}x{spec.resolution}",
        "out_channels": spec.in_channels,
        "kernel": "",
        "repeat": None,
    }
    sums = {
        "params": a.params,
        "macs": a.macs,
        "macs_conv": a.macs_conv,
        "memory_bytes_eager": a.memory_bytes_eager,
        "memory_bytes_fused": a.memory_bytes_fused,
    }
    line = (
        f"{spec.name}: params {a.params:,}; MACs {a.macs / 1e6:.2f} M (conv-only "
        f"{a.macs_conv / 1e6:.2f} M); memory traffic {a.memory_bytes_eager / 1e6:.1f} MB "
        f"eager, {a.memory_bytes_fused / 1e6:.1f} MB fused ({dtype}, batch {batch_size})"
    )
    footer = [line] + ([f"Channels: {spec.rule}."] if spec.rule else [])
    footer += list(spec.notes)  # a given name or paper: block that was another architecture's
    footer.append(f"Counting: {CONVENTIONS}.")
    rows = a.layers.to_dict("records") if layers else []
    return NetworkDescription(spec, [head, *outline(a.plan)], rows, sums, footer)


def preset_rows(pattern: str = "*") -> list[dict]:
    """The presets matching ``pattern`` with our counts beside the published numbers."""
    from ..model.presets import list_presets
    from ..model.presets import load_preset

    rows = []
    for name in list_presets(pattern):
        spec = load_preset(name)
        t = totals(spec)
        paper = spec.paper
        rows.append(
            {
                "name": name,
                "family": spec.family,
                "groups": spec.groups,
                "stage_channels": list(spec.stage_channels),
                "resolution": spec.resolution,
                "params": t.params,
                "macs": t.macs,
                "macs_conv": t.macs_conv,
                "paper_mflops": paper.mflops if paper else None,
                "paper_top1_err": paper.top1_err if paper else None,
                "source": paper.source if paper else "",
            }
        )
    if not rows:
        raise UserError(f"pattern: no preset matches {pattern!r}")
    return rows


__all__ = ["NetworkDescription", "describe_network", "preset_rows"]
