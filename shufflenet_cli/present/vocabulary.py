"""The row keys every command's JSON, CSV and data/ files use, each with its meaning and unit:
one vocabulary, documented once. ``python -m shufflenet_cli.present.vocabulary`` prints it as
the Markdown of docs/row-keys.md (a test keeps that file in step with this table).
"""

from __future__ import annotations

import re

# key -> meaning (units in the text). Grouped as the README presents them.
KEYS: dict[str, dict[str, str]] = {
    "network (profile, compare, report, search, presets)": {
        "name": "network name (one name, one architecture)",
        "family": "shufflenet or mobilenet",
        "groups": "group count (the largest per stage; null for MobileNet)",
        "scale": "width scale s (ShuffleNet) or width multiplier alpha (MobileNet)",
        "stage_channels": "output channels per stage",
        "resolution": "input height and width (pixels)",
        "params": "learnable parameters (conv, BN weight and bias, FC weight and bias)",
        "macs": "multiply-adds of conv + FC layers (the papers' 'FLOPs')",
        "macs_conv": "multiply-adds of conv layers only (ShuffleNet Table 1)",
        "memory_bytes_eager": "bytes read + written, every op its own pass (as eager runs)",
        "memory_bytes_fused": "bytes read + written with BN folded, ReLU and shuffle fused",
        "paper_mflops": "published complexity (MFLOPs = millions of multiply-adds)",
        "paper_top1_err": "published ImageNet top-1 error (%)",
        "source": "where the published numbers come from",
        "baseline": "true for the MobileNet the others are set beside",
        "batch_size": "batch size of the traffic and latency figures",
        "dtype": "element type of the traffic figures and, measured, of what the backends ran "
        "(fp32, fp16, int8)",
        "key": "architecture identifier (16 hex digits; equal for equal architectures)",
        "synflow": "synflow zero-cost proxy, log10 (a proxy computed without data, not accuracy)",
    },
    "latency (any command that measures)": {
        "latency_ms": "median of window medians on the first backend (ms)",
        "latency_spread_ms": "interquartile range of the window medians (ms); with "
        "--repeat-process, max - min between processes",
        "latency_noisy": "spread > 10% of the median, or windows still under other load",
        "latency_loaded_windows": "windows still under other processes' load after redoing",
        "latency_faults_per_call": "minor page faults per forward pass (median over windows)",
        "latency_samples_ms": "the window medians (or each process's median) (ms)",
        "latency_error": "why the backend could not run the network (null when it ran)",
        "latency_backend": "the backend the unsuffixed latency keys are about, or "
        "<runtime>@<device> for latency read with --latency-from",
        "latency_measured_on": "where it was measured: <device label>:<host>/<Ray node> on a "
        "Ray fleet (--ray), null on this machine",
        "latency_rel": "latency / the baseline's latency",
        "latency_ms_<backend>": "median on that backend (every backend measured; "
        "<runtime>@<device> for each --latency-from file) (ms)",
        "latency_spread_ms_<backend>": "its spread (ms)",
        "latency_noisy_<backend>": "its noise flag",
        "latency_error_<backend>": "why that backend could not run the network",
        "latency_rel_error_<backend>": "int8/fp16: relative error of that backend's output vs "
        "fp32 eager (null in fp32, where outputs must match eager)",
        "latency_predicted_ms": "latency predicted from this machine's calibration (`calibrate`) "
        "on the first backend (ms)",
        "latency_predicted_ms_<backend>": "predicted latency on that backend (ms)",
    },
    "latency prediction (calibrate)": {
        "backend": "backend calibrated",
        "threads": "intra-op threads of the calibration",
        "kernels": "kernels (unit shapes) with a measured time",
        "networks": "networks timed whole for the fit (calibration) or validated",
        "terms": "per-network terms kept by the fit",
        "scale": "factor on the summed kernel times",
        "per_streamed_mb_us": "cost per MB of a network's weights beyond streamed_over_mb (us)",
        "streamed_over_mb": "the cache size the fit chose: weights beyond it are read from "
        "farther away on each run (MB; null when the fit left the term out)",
        "per_layout_element_ns": "cost per element of layout conversion (NCHW <-> NCHWc) a "
        "unit timed alone does and one inside a network does not (ns; zero or negative)",
        "per_network_ms": "constant per network (ms)",
        "fit_max_rel_err": "largest relative error over the fit's networks",
        "seconds": "how long calibrating took (s)",
        "torch": "torch version of the calibration",
        "onnxruntime": "ONNX Runtime version of the calibration (null for eager)",
        "cache": "the calibration's cache file",
        "prediction": "lookup (the predictor, kernels calibration lacked timed first), model "
        "(those kernels from the regression) or remeasure (no predictor: the network's second "
        "measurement, a reference for the timing noise)",
        "within_5": "share of networks predicted within 5% of measured (quiet time)",
        "within_10": "share of networks predicted within 10% of measured (quiet time)",
        "rmse_ms": "root mean square error of the predictions (ms)",
        "mean_abs_rel": "mean absolute relative error",
        "spearman": "Spearman's rank correlation of predicted and measured",
        "kernels_measured": "kernels timed on demand during validation",
        "calibration_s": "how long calibrating took (s)",
        "rows": "per validated network: name, family, latency_ms (the quiet time of its first "
        "measurement: lower quartile of its windows' fastest 2-ms blocks, what the predictor "
        "predicts), latency_median_ms, "
        "latency_spread_ms, latency_remeasured_ms, latency_predicted_ms, latency_model_ms "
        "(regression for missing kernels), units",
        "latency_remeasured_ms": "the network's second measurement in the same run: the "
        "quiet time of its other windows, interleaved with the first's (ms)",
        "latency_median_ms": "median of the windows of the network's first measurement, as "
        "`profile` reports (ms)",
        "latency_model_ms": "predicted latency with missing kernels from the regression (ms)",
        "units": "unit calls in the network",
    },
    "bundle (export)": {
        "file": "the network's model file in the bundle",
        "model_bytes": "size of that file (bytes)",
        "input_shape": "the model's input, batch x channels x height x width",
        "checked_here": "the exported model's output against PyTorch's, run on this machine "
        "(ok, or why not)",
    },
    "cross-check (profile --crosscheck)": {
        "fvcore_macs": "fvcore's total (adds BN and pooling)",
        "fvcore_conv_fc_macs": "fvcore's conv + linear multiply-adds",
        "fvcore_other": "fvcore's other op counts, by op",
        "thop_macs": "thop's total",
        "thop_params": "thop's parameter count",
    },
    "comparison (compare, report pairs)": {
        "partner": "the network each row is set beside",
        "partner_<key>": "the partner's value of <key>",
        "<key>_ratio": "network / partner for <key>",
        "top1_err_diff": "network's published top-1 error minus the partner's (points)",
    },
    "time by op kind, stage or layer (breakdown, report)": {
        "network": "network name (report's breakdown table)",
        "kind": "op kind (conv1x1, depthwise, bn, relu, shuffle, pool, ...)",
        "label": "op kind in words",
        "stage": "stage (conv1, maxpool, stage2 ... globalpool, fc)",
        "layer": "module path, equal to the plan's layer path for convs and FC",
        "ms": "CPU time per forward pass under torch.profiler, mean over the runs (ms)",
        "spread_ms": "interquartile range of that time over the runs (ms)",
        "noisy": "spread > 10% of the median over the runs (profile's rule)",
        "total_ms": "the network's profiled time per forward pass (ms)",
        "total_spread_ms": "its interquartile range over the runs (ms)",
        "total_noisy": "its noise flag",
        "share": "share of the profiled time",
        "macs_share": "share of the network's multiply-adds",
        "memory_share": "share of the network's eager memory traffic",
    },
    "roofline (roofline)": {
        "backend": "backend measured",
        "traffic": "traffic view the bound uses (eager or fused)",
        "bound_ms": "lower bound: sum over layers of max(compute, memory) time (ms)",
        "compute_ms": "2 x MACs / peak, summed (ms)",
        "memory_ms": "traffic / bandwidth at each layer's working set, summed (ms)",
        "memory_bound_share": "share of the bound in memory-bound layers",
        "efficiency": "bound / measured (or profiled) time",
        "flops": "2 x MACs",
        "bytes": "traffic bytes of the view",
        "profiled_ms": "torch.profiler time inside the layer's module (ms)",
        "gflops": "attained GFLOP/s (flops / profiled time)",
    },
    "show (per layer and outline)": {
        "spec": "the explicit spec (the YAML form)",
        "outline": "Table 1's rows",
        "layers": "one row per layer",
        "op": "layer op (conv, bn, relu, shuffle, add, concat, pool, fc)",
        "unit": "unit within its stage",
        "in_shape": "input channels x height x width",
        "out_shape": "output channels x height x width",
        "kernel": "kernel size",
        "stride": "stride",
        "output_size": "output height x width",
        "repeat": "how many units of this row",
        "out_channels": "output channels",
        "bottleneck": "bottleneck channels of the unit",
    },
}

# <backend>: a backend measured here, or <runtime>@<device label> read with --latency-from
_PER_BACKEND = re.compile(
    r"^latency_(ms|spread_ms|noisy|error|rel_error|predicted_ms)_([a-z][a-z0-9_]*(@[\w.-]+)?)$"
)
_DERIVED = (re.compile(r"^partner_(.+)$"), re.compile(r"^(.+)_ratio$"))


def documented(key: str) -> bool:
    """True when ``key`` is in the vocabulary (directly or through a <backend>, partner_ or
    _ratio pattern)."""
    flat = {k for group in KEYS.values() for k in group}
    if key in flat:
        return True
    m = _PER_BACKEND.match(key)
    if m and f"latency_{m.group(1)}_<backend>" in flat:
        return True
    for pattern in _DERIVED:
        m = pattern.match(key)
        if m and documented(m.group(1)):
            return True
    return False


def markdown() -> str:
    """The vocabulary as Markdown (what docs/row-keys.md holds)."""
    lines = [
        "# Row keys",
        "",
        "Every command's JSON and CSV rows and the report's data/ files use these keys "
        "(generated from `shufflenet_cli/present/vocabulary.py`; a test checks that every "
        "command uses only these).",
    ]
    for group, keys in KEYS.items():
        lines += ["", f"## {group}", "", "| key | meaning |", "|---|---|"]
        lines += [f"| `{k}` | {v} |" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
