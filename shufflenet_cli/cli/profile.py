"""``profile``: the comparison table."""

from __future__ import annotations

from ..present.columns import profile_columns
from .app import cli
from .options import emit
from .options import latency_backends
from .options import network_options
from .options import options
from .options import output_options
from .options import protocol_options
from .options import sources_options
from .options import with_progress


@cli.command()
@network_options()
@options("baseline")
@protocol_options()
@options("dtype", "crosscheck")
@sources_options
@output_options()
def profile(
    networks,
    baseline,
    latency,
    backends,
    protocol,
    dtype,
    crosscheck,
    sources,
    fmt,
    output,
) -> None:
    """Params, MACs, memory traffic and latency of ShuffleNets vs a MobileNet v1 baseline.

    \b
    Examples:
      shufflenet-cli profile --groups 1,2,3,4,8
      shufflenet-cli profile --scale 0.5,1 --groups 3,8 --no-latency
      shufflenet-cli profile --preset shufflenet-2x-g3 --baseline mobilenet-v1-1.0
      shufflenet-cli profile --spec my-net.yaml --format json -o out.json
      shufflenet-cli profile --groups 1,3,8 --latency-from pi4.json  # from a Pi
      shufflenet-cli profile --groups 1,3,8 --ray head:6379 --device xeon
      shufflenet-cli profile --groups 1,3,8 --no-latency --predict   # no timing
    """
    from ..explore.profile import profile_networks
    from ..explore.profile import resolve_networks
    from ..measure.backends import check_backend_name

    chosen = latency_backends(backends, sources["latency_from"], latency)
    backends = [check_backend_name(b) for b in chosen]
    specs = resolve_networks(**networks)
    counting = dict(baseline=baseline, dtype=dtype, crosscheck=crosscheck)
    steps = protocol.steps(len(specs) + 1, len(backends)) if latency else 0
    measuring = dict(latency=latency, protocol=protocol, backends=backends)
    result = with_progress(steps, profile_networks, specs, **measuring, **counting, **sources)
    shown = result.environment.get("backend", "").split(",") if latency else []
    columns = profile_columns(shown, crosscheck, backends if sources["predict"] else [])
    emit(result.rows, columns, fmt, output, footer=result.footer)
