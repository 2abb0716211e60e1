"""``calibrate``: time this machine's kernels once, so latency can be predicted."""

from __future__ import annotations

from .app import cli
from .options import emit
from .options import options
from .options import output_options
from .options import progress_bar


@cli.command()
@options(
    "backends",
    "threads",
    "cache_dir",
    "recalibrate",
    "validate_n",
    "seed",
    recalibrate=dict(help="Time every kernel again instead of reusing the cache."),
)
@output_options()
def calibrate(backends, threads, cache_dir, recalibrate, validate_n, seed, fmt, output) -> None:
    """Calibrate the latency predictor of a backend on this machine (cached).

    Times every kernel (stem, pools, ShuffleNet unit, depthwise-separable block, FC, each
    shape) of the default space alone, and a few whole networks in the same rounds to fit the
    per-network terms, and caches the result per machine, backend, thread count and library
    versions. `profile --predict`, `compare --predict`, `report --predict` and searches with
    `predicted_latency` read it. With --validate N it then predicts and measures N random
    networks calibration did not use: share within 5% and 10%, RMSE, Spearman, beside the
    same figures for a second measurement of each network (a reference for the noise).

    \b
    Examples:
      shufflenet-cli calibrate --backend eager,onnxruntime
      shufflenet-cli calibrate --backend onnxruntime --validate 50
      shufflenet-cli calibrate --recalibrate --cache /tmp/calib
    """
    from ..measure.predictor import calibrate_and_validate
    from ..measure.predictor import check_predictable
    from ..present.columns import CALIBRATION_COLUMNS
    from ..present.columns import VALIDATION_COLUMNS

    backends = [check_predictable(b) for b in backends] or ["eager"]
    threads = threads or 1
    seed = seed or 0
    bar, _ = progress_bar(1, "calibrating")
    task = bar.task_ids[0]

    def progress(done: int, total: int, step: str) -> None:
        bar.update(task, total=total, completed=done, step=step)

    with bar:
        rows, validation = calibrate_and_validate(
            backends,
            threads,
            cache_dir=cache_dir,
            recalibrate=recalibrate,
            validate_n=validate_n,
            seed=seed,
            progress=progress,
        )
    if not validate_n:
        emit(rows, CALIBRATION_COLUMNS, fmt, output, title="latency calibration")
        return
    footer = [
        f"{r['backend']}: {r['kernels']} kernels calibrated in {r['seconds']:.0f} s, cached in "
        f"{r['cache']}."
        for r in rows
    ] + [
        f"{validate_n} random networks (seed {seed}), none a calibration network, measured "
        "twice with the latency protocol's windows (alternating); the quiet time of the "
        "first measurement (lower quartile of its windows' fastest 2-ms blocks) is compared "
        "with the prediction (an undisturbed run's latency). "
        "'prediction': kernels the calibration lacked were timed on demand first (as profile "
        "--predict does); 'regression': estimated (as search screening does); 'remeasure': "
        "no predictor, each network's second measurement scored the same way: how well two "
        "measurements agree, a reference for the timing noise (not a bound: it carries two "
        "measurements' noise)."
    ]
    emit(validation, VALIDATION_COLUMNS, fmt, output, title="held-out accuracy", footer=footer)
