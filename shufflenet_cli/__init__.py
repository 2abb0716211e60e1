"""shufflenet-cli: an architecture explorer for ShuffleNet v1 and MobileNet v1.

The pipeline, one module a step: spec (``spec``) -> layer plan (``plan``) -> analytic cost
(``cost``) or torch module (``nn``) -> latency (``latency``), tables (``tables``).

Python API::

    >>> from shufflenet_cli import shufflenet_spec, analyze
    >>> a = analyze(shufflenet_spec(groups=8))
    >>> a.params
    2434768

Torch is imported only by ``build_model`` and ``measure_latency`` (lazily), so analytic use
starts fast.
"""

from .errors import UserError
from .model.cost import Analysis
from .model.cost import analyze
from .model.cost import totals
from .model.plan import build_plan
from .model.presets import list_presets
from .model.presets import load_spec
from .model.rules import mobilenet_spec
from .model.rules import shufflenet_spec
from .model.spec import MobileNetSpec
from .model.spec import PaperRow
from .model.spec import ShuffleNetSpec
from .model.spec import StageSpec
from .model.spec import architecture_key
from .model.spec import spec_to_dict
from .model.specfile import spec_from_dict

__version__ = "0.1.0"


def build_model(spec, batch_size: int = 1):
    """The torch module of a spec (see ``shufflenet_cli.nn.build_model``)."""
    from .model.nn import build_model as _build

    return _build(spec, batch_size)


def measure_latency(specs, **kwargs):
    """Measure CPU latency with the interleaved protocol (see ``shufflenet_cli.latency``)."""
    from .measure.latency import measure_latency as _measure

    return _measure(specs, **kwargs)


def predict_latency(spec, backend: str = "eager", threads: int = 1, **kwargs):
    """Predicted latency (ms) from this machine's calibration (see
    ``shufflenet_cli.measure.predictor.predict_latency``)."""
    from .measure.predictor import predict_latency as _predict

    return _predict(spec, backend, threads, **kwargs)


__all__ = [
    "Analysis",
    "MobileNetSpec",
    "PaperRow",
    "ShuffleNetSpec",
    "StageSpec",
    "UserError",
    "analyze",
    "architecture_key",
    "build_model",
    "build_plan",
    "list_presets",
    "load_spec",
    "measure_latency",
    "mobilenet_spec",
    "predict_latency",
    "shufflenet_spec",
    "spec_from_dict",
    "spec_to_dict",
    "totals",
]
