"""ONNX graphs of plan units, alone or chained, and the layout conversions ONNX Runtime adds.

The latency predictor times each unit's graph alone on ONNX Runtime (``measure.predictor``).
ONNX Runtime's CPU provider rewrites convolutions and pools whose channels suit it into a
blocked layout (NCHWc) and inserts ``ReorderInput`` / ``ReorderOutput`` nodes where a tensor
passes between the blocked and the plain layout. A unit's graph alone converts at its edges;
the same unit inside a network often does not (the previous unit's output stays blocked), and
which conversions a network keeps depends on its units' channels and groups in ways that run
across several units (measured: a network does 0% to 100% of the conversions its units do
alone). ``layout_conversions`` counts them in the graph ONNX Runtime actually runs, so the
predictor can take off exactly what the units alone paid and the network does not.

The graphs use the node types torch's exporter writes for the project's modules (BN folded
into the conv before it, the shuffle as Reshape-Transpose-Reshape, the stride-2 shortcut a
3x3 AveragePool counting padding); a chain of a plan's units converts exactly as the exported
network does (``tests/test_predictor.py``).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..model.plan import Unit

REORDER_OPS = ("ReorderInput", "ReorderOutput")  # ONNX Runtime's layout conversion nodes


def unit_input_shape(unit: Unit) -> tuple[int, ...]:
    """The batch-1 input shape of a unit (N, C, H, W; N, C for the FC)."""
    if unit.kind == "fc":
        return (1, unit.in_channels)
    return (1, unit.in_channels, *unit.in_size)


def _output_shape(unit: Unit) -> list[int]:
    if unit.kind in ("globalpool", "fc"):
        return [1, unit.out_channels]
    return [1, unit.out_channels, *unit.out_size]


class _Graph:
    """Nodes and random initializers of a graph being written."""

    def __init__(self, seed: int):
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def init(self, values, prefix: str = "w") -> str:
        from onnx import numpy_helper

        n = self.name(prefix)
        self.inits.append(numpy_helper.from_array(values, n))
        return n

    def op(self, kind: str, inputs: list[str], **attrs) -> str:
        from onnx import helper

        y = self.name("t")
        self.nodes.append(helper.make_node(kind, inputs, [y], **attrs))
        return y

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int, groups: int) -> str:
        shape = (cout, cin // groups, k, k)
        scale = 1.0 / math.sqrt(shape[1] * k * k)
        w = self.init((self.rng.standard_normal(shape) * scale).astype("f4"))
        b = self.init((self.rng.standard_normal(cout) * 0.1).astype("f4"), "b")
        pad = k // 2
        return self.op(
            "Conv",
            [x, w, b],
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad] * 4,
            group=groups,
        )

    def const(self, values: Sequence[int]) -> str:
        import numpy as np

        return self.init(np.array(values, dtype=np.int64), "c")

    def unit(self, unit: Unit, x: str) -> str:
        """Write one unit's nodes reading ``x``; returns its output tensor's name."""
        h, w = unit.in_size
        cin, cout = unit.in_channels, unit.out_channels
        if unit.kind == "conv_bn_relu":
            return self.op("Relu", [self.conv(x, cin, cout, 3, unit.stride, 1)])
        if unit.kind == "maxpool":
            return self.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        if unit.kind == "globalpool":
            return self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1)
        if unit.kind == "fc":
            import numpy as np

            weight = self.rng.standard_normal((cout, cin)) / math.sqrt(cin)
            wname = self.init(weight.astype("f4"))
            bname = self.init(np.zeros(cout, dtype="f4"), "b")
            return self.op("Gemm", [x, wname, bname], transB=1)
        if unit.kind == "dw_separable":
            t = self.op("Relu", [self.conv(x, cin, cin, 3, unit.stride, cin)])
            return self.op("Relu", [self.conv(t, cin, cout, 1, 1, 1)])
        if unit.kind == "shufflenet_unit":
            mid, g = unit.mid_channels, unit.groups
            branch_out = cout - cin if unit.stride == 2 else cout
            t = self.op("Relu", [self.conv(x, cin, mid, 1, 1, unit.first_groups)])
            if unit.shuffle and g > 1:
                t = self.op("Reshape", [t, self.const([1, g, mid // g, h, w])])
                t = self.op("Transpose", [t], perm=[0, 2, 1, 3, 4])
                t = self.op("Reshape", [t, self.const([1, mid, h, w])])
            t = self.conv(t, mid, mid, 3, unit.stride, mid)
            t = self.conv(t, mid, branch_out, 1, 1, g)
            if unit.stride == 2:
                pooled = self.op(
                    "AveragePool",
                    [x],
                    kernel_shape=[3, 3],
                    strides=[2, 2],
                    pads=[1, 1, 1, 1],
                    count_include_pad=1,
                )
                t = self.op("Concat", [pooled, t], axis=1)
            else:
                t = self.op("Add", [t, x])
            return self.op("Relu", [t])
        raise ValueError(f"no ONNX graph for unit kind {unit.kind!r}")


def chain_onnx(units: Sequence[Unit], seed: int = 0) -> bytes:
    """The ONNX model (serialized) of ``units`` run in sequence: input "x", output "y".

    One unit is the graph the predictor times (``unit_onnx``); a plan's units in order are
    the network's graph. Weights are random (``seed``): speed does not depend on their values.
    """
    from onnx import TensorProto
    from onnx import helper

    if not units:
        raise ValueError("chain_onnx needs at least one unit")
    g = _Graph(seed)
    y = "x"
    for unit in units:
        y = g.unit(unit, y)
    for node in g.nodes:  # the last unit's output tensor is called "y"
        node.output[:] = ["y" if o == y else o for o in node.output]
    graph = helper.make_graph(
        g.nodes,
        units[0].kind if len(units) == 1 else "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(unit_input_shape(units[0])))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, _output_shape(units[-1]))],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def unit_onnx(unit: Unit, seed: int = 0) -> bytes:
    """The ONNX model (serialized) of one unit, as torch's exporter writes it in a network."""
    return chain_onnx([unit], seed)


def layout_conversions(units: Sequence[Unit], threads: int = 1) -> int:
    """Elements ONNX Runtime converts between layouts in one run of ``units`` chained
    (``chain_onnx``, ``conversions_in``)."""
    return conversions_in(chain_onnx(units), unit_input_shape(units[0]), threads)


def conversions_in(model: bytes, input_shape: Sequence[int], threads: int = 1) -> int:
    """Elements ONNX Runtime converts between layouts in one run of an ONNX model.

    The graph is optimized as the predictor's sessions are (all optimizations, CPU provider)
    and run once, on zeros, with its profiler on; the count is the output elements of its
    ``REORDER_OPS`` nodes. Nothing is timed: the profile is read for shapes only.
    """
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    with tempfile.TemporaryDirectory(prefix="shufflenet-cli-layout-") as folder:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "profile")
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        x = np.zeros(tuple(input_shape), dtype=np.float32)
        session.run(None, {session.get_inputs()[0].name: x})
        events = json.loads(Path(session.end_profiling()).read_text(encoding="utf-8"))
    total = 0
    for event in events:
        args = event.get("args", {})
        if event.get("cat") != "Node" or args.get("op_name") not in REORDER_OPS:
            continue
        if not str(event.get("name", "")).endswith("_kernel_time"):
            continue
        for shape in args.get("output_type_shape", []):
            for dims in shape.values():
                total += math.prod(dims)
    return total
