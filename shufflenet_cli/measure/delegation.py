"""Delegation report: which ops of a network ran in a runtime's accelerated kernels, which fell
back, and (where the runtime's profiler says) their share of the time.

- ExecuTorch: the lowered graph tells which aten ops went into XNNPACK delegate calls and which
  stayed as portable (reference) kernels; ETDump, read by ExecuTorch's Inspector, times every
  XNNPACK operator inside the delegate and every portable op.
- ONNX Runtime: the optimized graph (after ORT's fusions: Conv+Relu -> FusedConv, QDQ pairs ->
  QLinearConv, NCHWc layout) lists the kernels that run; ORT's profiler times each node.
- ncnn: the converted graph's layer types (pnnx maps the channel shuffle to ncnn's native
  ShuffleChannel layer); the ncnn wheel has no per-layer profiler.

Times are per forward pass (median over ``runs`` profiled passes); ``share`` is of the sum of
the profiled ops, so framework overhead between ops is not in it (``total_ms`` is the
profiler's whole forward pass where it reports one).
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from ..model.spec import NetworkSpec

REPORT_BACKENDS = ("executorch", "onnxruntime", "ncnn")


def _op_name(target) -> str:
    """'aten.convolution.default' from an edge op overload (its schema left out)."""
    name = getattr(target, "__name__", None) or str(target)
    return str(name).split(":")[0].replace("<EdgeOpOverload: ", "").strip("<> ")


def executorch_ops(edge) -> dict:
    """Delegated and portable ops of a lowered ExecuTorch edge program.

    Returns ``{"delegate_calls": n, "delegated": Counter(aten op -> count),
    "portable": Counter(aten op -> count)}``.
    """
    from executorch.exir.lowered_backend_module import get_lowered_submodules

    graph_module = edge.exported_program().graph_module
    delegated: Counter = Counter()
    lowered = get_lowered_submodules(graph_module)
    for _name, module, _node in lowered:
        for node in module.original_module.graph_module.graph.nodes:
            if node.op == "call_function" and "getitem" not in str(node.target):
                delegated[_op_name(node.target)] += 1
    portable: Counter = Counter()
    for node in graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        name = _op_name(node.target)
        if "call_delegate" in name or "getitem" in name or name.startswith("<function alloc"):
            continue
        if "alloc" in name:
            continue
        portable[name] += 1
    return {"delegate_calls": len(lowered), "delegated": delegated, "portable": portable}


def _etdump_times(buffer: bytes, etrecord, x, threads: int, runs: int, folder: Path) -> dict:
    """Per-op times (ms per forward pass) from ETDump: {(where, op): (count, ms)} and total."""
    from executorch.devtools import Inspector

    from .runtimes import load_executorch
    from .runtimes import quiet_native_output

    module = load_executorch(buffer, threads, etdump=True)
    for _ in range(runs):
        module.forward([x])
    etdump, record = folder / "model.etdp", folder / "model.etrecord"
    module.write_etdump_result_to_file(str(etdump))
    etrecord.save(str(record))
    with quiet_native_output():
        frame = Inspector(etdump_path=str(etdump), etrecord=str(record)).to_dataframe()
    frame = frame[frame.event_block_name == "Execute"]
    ops: dict[tuple[str, str], list] = {}
    total = None
    for _, row in frame.iterrows():
        name, ms = row.event_name, statistics.median(row.raw)
        if name == "Method::execute":
            total = ms
            continue
        if name in ("DELEGATE_CALL", "OPERATOR_CALL"):
            continue  # envelopes of the ops below
        if row.is_delegated_op:
            key = ("XNNPACK", re.sub(r" #\d+$", "", name))
        else:
            key = ("portable", name.replace("native_call_", ""))
        entry = ops.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += ms
    return {"ops": ops, "total_ms": total}


def executorch_report(
    spec: NetworkSpec, dtype="fp32", *, threads=1, runs=10, formulation="paper"
) -> dict:
    """ExecuTorch's delegation of ``spec`` (XNNPACK partitioner) and ETDump's per-op times."""
    from ..model.nn import build_model
    from ..model.nn import example_input
    from .runtimes import lower_executorch

    model = build_model(spec, formulation=formulation).eval()
    x = example_input(spec)
    edge, program = lower_executorch(model, x, dtype, etrecord=True)
    ops = executorch_ops(edge)
    inputs = x.half() if dtype == "fp16" else x
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-etdump-") as folder:
        buffer = program.buffer
        times = _etdump_times(buffer, program.get_etrecord(), inputs, threads, runs, Path(folder))
    rows = _rows(times["ops"])
    summary = (
        f"{ops['delegate_calls']} XNNPACK delegate call(s) holding "
        f"{sum(ops['delegated'].values())} aten ops; "
        + (
            "portable (not delegated): "
            + ", ".join(f"{n} x{c}" for n, c in sorted(ops["portable"].items()))
            if ops["portable"]
            else "nothing left to portable kernels"
        )
    )
    return {
        "name": spec.name,
        "backend": "executorch",
        "dtype": dtype,
        "formulation": formulation,
        "threads": threads,
        "runs": runs,
        "total_ms": times["total_ms"],
        "delegate_calls": ops["delegate_calls"],
        "delegated_ops": dict(ops["delegated"]),
        "portable_ops": dict(ops["portable"]),
        "summary": summary,
        "ops": rows,
    }


def _rows(ops: dict) -> list[dict]:
    """Rows (where, op, count, ms, share), slowest first."""
    total = sum(ms for _c, ms in ops.values()) or float("nan")
    rows = [
        {"where": where, "op": op, "count": count, "ms": ms, "share": ms / total}
        for (where, op), (count, ms) in ops.items()
    ]
    return sorted(rows, key=lambda r: -r["ms"])


def onnxruntime_report(
    spec: NetworkSpec, dtype="fp32", *, threads=1, runs=10, formulation="paper"
) -> dict:
    """ONNX Runtime's optimized graph of ``spec`` (fused kernels) and its profiler's per-node
    times, grouped by kernel type."""
    import onnx

    from ..model.nn import build_model
    from ..model.nn import example_input
    from .runtimes import onnxruntime_model
    from .runtimes import ort_session
    from .runtimes import quiet_native_output

    model = build_model(spec, formulation=formulation).eval()
    x = example_input(spec)
    data = onnxruntime_model(model, x, dtype)
    exported = Counter(n.op_type for n in onnx.load_from_string(data).graph.node)
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-ortprof-") as folder:
        optimized = str(Path(folder) / "optimized.onnx")
        with quiet_native_output():
            session = ort_session(
                data, threads, optimized_path=optimized, profile_prefix=str(Path(folder) / "p")
            )
        feed = {"input": x.numpy()}
        session.run(None, feed)  # the first run pays one-off costs: not in the profile
        for _ in range(runs):
            session.run(None, feed)
        trace = json.loads(Path(session.end_profiling()).read_text())
        kernels = Counter(n.op_type for n in onnx.load(optimized).graph.node)
    per_node: dict[str, list[float]] = {}
    op_of: dict[str, str] = {}
    totals = []
    for event in trace:
        if event.get("cat") == "Session" and event.get("name") == "model_run":
            totals.append(event["dur"] / 1e3)
        if event.get("cat") != "Node" or not event.get("name", "").endswith("_kernel_time"):
            continue
        node = event["name"][: -len("_kernel_time")]
        op_of[node] = event.get("args", {}).get("op_name", "?")
        per_node.setdefault(node, []).append(event["dur"] / 1e3)
    ops: dict[tuple[str, str], list] = {}
    for node, durations in per_node.items():
        op = op_of[node]
        where = "ORT fused" if op not in exported else "ORT"
        entry = ops.setdefault((where, op), [0, 0.0])
        entry[0] += 1
        entry[1] += sum(durations[-runs:]) / min(runs, len(durations))
    fused = sorted(k for k in kernels if k not in exported)
    summary = f"{sum(exported.values())} exported ONNX nodes -> {sum(kernels.values())} kernels" + (
        f"; fused/rewritten kinds: {', '.join(fused)}" if fused else ""
    )
    return {
        "name": spec.name,
        "backend": "onnxruntime",
        "dtype": dtype,
        "formulation": formulation,
        "threads": threads,
        "runs": runs,
        "total_ms": statistics.median(totals[1:]) if len(totals) > 1 else None,
        "exported_ops": dict(exported),
        "kernels": dict(kernels),
        "summary": summary,
        "ops": _rows(ops),
    }


def ncnn_report(
    spec: NetworkSpec, dtype="fp32", *, threads=1, runs=10, formulation="paper"
) -> dict:
    """The ncnn layers pnnx made of ``spec`` (no per-layer times: the wheel has no profiler)."""
    from ..model.nn import build_model
    from ..model.nn import example_input
    from .runtimes import convert_ncnn

    model = build_model(spec, formulation=formulation).eval()
    x = example_input(spec)
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-ncnn-") as folder:
        param, _ = convert_ncnn(model, x, folder)
        lines = param.read_text().splitlines()[2:]  # magic number, then layer/blob counts
    layers = Counter(line.split()[0] for line in lines if line.strip())
    rows = [
        {"where": "ncnn", "op": op, "count": n, "ms": None, "share": None}
        for op, n in layers.most_common()
    ]
    return {
        "name": spec.name,
        "backend": "ncnn",
        "dtype": dtype,
        "formulation": formulation,
        "threads": threads,
        "runs": 0,
        "total_ms": None,
        "layers": dict(layers),
        "summary": f"{sum(layers.values())} ncnn layers: "
        + ", ".join(f"{op} x{n}" for op, n in layers.most_common()),
        "ops": rows,
    }


def delegation_report(
    spec: NetworkSpec,
    backend: str,
    dtype: str = "fp32",
    *,
    threads: int = 1,
    runs: int = 10,
    formulation: str = "paper",
) -> dict:
    """Where ``spec``'s ops ran on ``backend`` (one of ``REPORT_BACKENDS``) and their time.

    Returns ``{"name", "backend", "dtype", "summary", "total_ms", "ops": [{where, op, count,
    ms, share}], ...}`` with backend-specific op counts. ``UserError`` for another backend, a
    missing runtime or a dtype the runtime has no kernels for.
    """
    from ..errors import UserError
    from .backends import UNSUPPORTED
    from .backends import check_dtype
    from .latency import keep_freed_memory
    from .runtimes import RuntimeMissing

    if backend not in REPORT_BACKENDS:
        raise UserError(
            f"backend: a delegation report is for {', '.join(REPORT_BACKENDS)}, not {backend!r}"
        )
    check_dtype(dtype)
    if (backend, dtype) in UNSUPPORTED:
        raise UserError(f"{backend} {dtype}: {UNSUPPORTED[backend, dtype]}")
    report = {
        "executorch": executorch_report,
        "onnxruntime": onnxruntime_report,
        "ncnn": ncnn_report,
    }[backend]
    import torch

    keep_freed_memory()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return report(spec, dtype, threads=threads, runs=runs, formulation=formulation)
    except (RuntimeMissing, ImportError) as e:
        raise UserError(str(e)) from None
    finally:
        torch.set_num_threads(previous)


def delegation_table(
    spec: NetworkSpec, backend: str, dtype: str = "fp32", **settings
) -> tuple[list[dict], list[str]]:
    """``delegation_report`` as table rows (where, op, count, ms, share) and footer lines;
    ``settings`` as ``delegation_report``'s (threads, runs, formulation)."""
    formulation = settings.get("formulation", "paper")
    runs, threads = settings.get("runs", 10), settings.get("threads", 1)
    r = delegation_report(spec, backend, dtype, **settings)
    footer = [f"{spec.name} on {backend} ({dtype}, {formulation} formulation): {r['summary']}."]
    if r["total_ms"] is not None:
        footer.append(
            f"Profiled forward pass: {r['total_ms']:.2f} ms (median of {runs} runs, "
            f"{threads} thread(s)); shares are of the profiled ops' sum."
        )
    else:
        footer.append("No per-op times: the ncnn wheel has no layer profiler.")
    return r["ops"], footer
