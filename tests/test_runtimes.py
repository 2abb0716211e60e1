"""Deployment runtimes (ExecuTorch + XNNPACK, ncnn, ONNX Runtime int8), the delegation report
and the 'deploy' formulation. Tests needing a runtime skip with a reason when its optional
extra is absent; lowering and quantizing take seconds to a minute, so those are slow."""

import pytest
import torch

from shufflenet_cli import load_spec
from shufflenet_cli.errors import UserError
from shufflenet_cli.measure.backends import UNSUPPORTED
from shufflenet_cli.measure.backends import BackendError
from shufflenet_cli.measure.backends import prepare_checked
from shufflenet_cli.measure.protocol import Protocol
from shufflenet_cli.measure.runtimes import relative_error
from shufflenet_cli.model.nn import AvgPoolAsDepthwiseConv
from shufflenet_cli.model.nn import ZeroPaddedAvgPool2d
from shufflenet_cli.model.nn import build_model
from shufflenet_cli.model.nn import example_input
from shufflenet_cli.model.rules import with_resolution
from shufflenet_cli.present.columns import backend_cell
from shufflenet_cli.present.columns import latency_cell


def small(name: str, resolution: int = 64):
    return with_resolution(load_spec(name), resolution)


# The ExecuTorch tests lower a ShuffleNet (export, pt2e quantization, XNNPACK partitioning),
# which takes time in proportion to its units: the shallow preset has the paper's three stages,
# each a stride-2 unit (the padded average-pool shortcut) then stride-1 units, like 1x g3, in
# half the units (2, 4, 2), so what is delegated and what falls back is the same, in half the time.
SHALLOW = "shufflenet-0.5x-shallow-g3"


def pair(spec, formulation: str):
    """The spec's module in ``formulation`` with the weights of its 'paper' module."""
    torch.manual_seed(0)
    paper = build_model(spec).eval()
    other = build_model(spec, formulation=formulation).eval()
    other.load_state_dict(paper.state_dict())
    return paper, other


# fast: no runtime needed ------------------------------------------------------------------------


def test_zero_padded_pool_and_the_fixed_depthwise_conv_equal_the_padded_pool():
    x = torch.randn(2, 12, 15, 15)
    pool = torch.nn.AvgPool2d(3, 2, 1)(x)
    assert torch.allclose(ZeroPaddedAvgPool2d(3, 2, 1)(x), pool)
    assert torch.allclose(AvgPoolAsDepthwiseConv(12, 3, 2, 1)(x), pool, atol=1e-6)


@pytest.mark.parametrize("formulation", ["deploy", "deploy-conv"])
@pytest.mark.parametrize("name", ["shufflenet-1x-g3", "shufflenet-1x-g8", "mobilenet-v1-0.5"])
def test_deploy_formulations_compute_the_same_network(name, formulation):
    spec = small(name)
    paper, deploy = pair(spec, formulation)
    x = example_input(spec)
    with torch.inference_mode():
        assert torch.allclose(paper(x), deploy(x), rtol=1e-5, atol=1e-6)
    assert sum(p.numel() for p in paper.parameters()) == sum(p.numel() for p in deploy.parameters())


def test_unknown_formulation_and_dtype_are_user_errors():
    with pytest.raises(UserError, match="formulation"):
        build_model(load_spec("shufflenet-1x-g3"), formulation="fast")
    with pytest.raises(UserError, match="dtype"):
        Protocol(dtype="int4")
    with pytest.raises(UserError, match="formulation"):
        Protocol(formulation="fast")


@pytest.mark.parametrize("backend", ["eager", "torchscript", "ncnn"])
def test_a_backend_without_int8_kernels_says_so_instead_of_timing_fp32(backend):
    spec = small("mobilenet-v1-0.25", 32)
    model = build_model(spec).eval()
    with pytest.raises(BackendError, match="^no int8"):
        prepare_checked(model, example_input(spec), backend, dtype="int8")
    assert all(len(reason) < 130 for reason in UNSUPPORTED.values())


def test_relative_error():
    a = torch.tensor([3.0, 4.0])
    assert relative_error(a, a) == 0
    assert relative_error(a * 1.1, a) == pytest.approx(0.1)


def test_cells_show_the_reason_and_the_int8_error():
    row = {
        "latency_ms_executorch": 2.0,
        "latency_spread_ms_executorch": 0.1,
        "latency_noisy_executorch": False,
        "latency_rel_error_executorch": 0.0123,
        "latency_error_eager": "no int8: PyTorch CPU runs ...",
    }
    assert backend_cell("executorch")(None, row) == "2.00 ± 0.10 [1.2%]"
    assert backend_cell("eager")(None, row).startswith("n/a: no int8")
    assert latency_cell(None, {"latency_error": "no int8: x"}) == "n/a: no int8: x"


def test_footer_states_dtype_formulation_and_runtime_versions():
    env = {
        "backend": "executorch",
        "torch": "2.13.0",
        "cpu": "CPU",
        "allocator": "glibc",
        "runtimes": {"executorch": "1.5.1"},
    }
    text = Protocol(dtype="int8", formulation="deploy").footer(env)
    assert "int8" in text and "deploy formulation" in text and "executorch 1.5.1" in text
    assert "relative error" in text
    assert "int8" not in Protocol().footer({**env, "runtimes": {}})


def test_breakdown_refuses_a_dtype_on_eager_and_a_report_for_eager(run_cli):
    r = run_cli("breakdown", "shufflenet-1x-g3", "--dtype", "int8")
    assert r.exit_code == 2 and "--backend" in r.stderr
    from shufflenet_cli.measure.delegation import delegation_report

    with pytest.raises(UserError, match="delegation report"):
        delegation_report(load_spec("shufflenet-1x-g3"), "eager")


# ExecuTorch ------------------------------------------------------------------------------------


def _executorch():
    return pytest.importorskip(
        "executorch.exir", reason="ExecuTorch not installed (pip install '.[executorch]')"
    )


def _run_lowered(model, x, dtype="fp32"):
    """Lower once; the ops it delegated and its output on ``x``."""
    from shufflenet_cli.measure.delegation import executorch_ops
    from shufflenet_cli.measure.runtimes import load_executorch
    from shufflenet_cli.measure.runtimes import lower_executorch

    edge, program = lower_executorch(model, x, dtype)
    buffer = program.buffer
    out = load_executorch(buffer).forward([x])[0]
    return executorch_ops(edge), out


@pytest.mark.slow
def test_executorch_matches_eager_and_the_deploy_formulation_delegates_everything():
    _executorch()
    spec = small(SHALLOW)
    x = example_input(spec)
    found = {}
    for formulation in ("paper", "deploy"):
        model = pair(spec, formulation)[1]
        found[formulation], out = _run_lowered(model, x)
        with torch.inference_mode():
            assert torch.allclose(out, model(x), rtol=1e-3, atol=1e-4), formulation
    # the paper's padded average pool (the stride-2 shortcut) falls back to a portable kernel
    ((op, count),) = found["paper"]["portable"].items()
    assert "avg_pool2d" in op and count == 3
    assert found["paper"]["delegate_calls"] == 4
    # written as zero pad + unpadded pool, every op runs inside one XNNPACK delegate call
    assert not found["deploy"]["portable"] and found["deploy"]["delegate_calls"] == 1


@pytest.mark.slow
def test_executorch_int8_is_quantized_and_close_to_fp32():
    _executorch()
    from shufflenet_cli.measure.runtimes import INT8_MAX_RELATIVE_ERROR

    spec = small("mobilenet-v1-0.25")
    model, x = build_model(spec).eval(), example_input(spec)
    ops, out = _run_lowered(model, x, "int8")
    with torch.inference_mode():
        error = relative_error(out, model(x))
    assert 0 < error < INT8_MAX_RELATIVE_ERROR  # quantized: close, not equal
    assert any("quantize" in op for op in ops["delegated"])  # XNNPACK runs the int8 graph
    assert not ops["portable"]


@pytest.mark.slow
def test_executorch_int8_delegates_every_op_only_with_the_pool_as_a_depthwise_conv():
    _executorch()
    from shufflenet_cli.measure.runtimes import INT8_MAX_RELATIVE_ERROR

    spec = small(SHALLOW, 32)
    paper, conv = pair(spec, "deploy-conv")
    x = example_input(spec)
    ops, out = _run_lowered(conv, x, "int8")
    with torch.inference_mode():
        assert 0 < relative_error(out, paper(x)) < INT8_MAX_RELATIVE_ERROR
    assert not ops["portable"] and ops["delegate_calls"] == 1


@pytest.mark.slow
def test_export_executorch_writes_a_program_that_runs(tmp_path):
    _executorch()
    from shufflenet_cli.measure.runtimes import export_executorch
    from shufflenet_cli.measure.runtimes import load_executorch

    spec = small("mobilenet-v1-0.25", 32)
    path = tmp_path / "m.pte"
    data = export_executorch(spec, "fp32", path)
    assert path.read_bytes() == data
    out = load_executorch(data).forward([example_input(spec)])[0]
    assert out.shape == (1, 1000)


@pytest.mark.slow
def test_executorch_report_times_delegated_and_portable_ops():
    _executorch()
    pytest.importorskip("executorch.devtools", reason="ExecuTorch devtools not installed")
    from shufflenet_cli.measure.delegation import delegation_report

    r = delegation_report(small(SHALLOW), "executorch", runs=3)
    where = {row["where"] for row in r["ops"]}
    assert where == {"XNNPACK", "portable"}
    assert any(row["op"].startswith("avg_pool2d") for row in r["ops"] if row["where"] == "portable")
    assert sum(row["share"] for row in r["ops"]) == pytest.approx(1)
    assert r["total_ms"] > 0


# ONNX Runtime int8, ncnn ---------------------------------------------------------------------


@pytest.mark.slow
def test_onnxruntime_int8_runs_qlinear_kernels():
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install '.[onnx]')")
    from shufflenet_cli.measure.delegation import delegation_report

    spec = small("shufflenet-1x-g3")
    model, x = build_model(spec).eval(), example_input(spec)
    prepared = prepare_checked(model, x, "onnxruntime", dtype="int8")
    assert 0 < prepared.error < 0.5
    r = delegation_report(spec, "onnxruntime", "int8", runs=2)
    assert "QLinearConv" in r["kernels"] and r["ops"][0]["ms"] > 0


@pytest.mark.slow
def test_ncnn_matches_eager_with_a_native_channel_shuffle():
    pytest.importorskip("ncnn", reason="ncnn not installed (pip install '.[ncnn]')")
    pytest.importorskip("pnnx", reason="pnnx not installed (pip install '.[ncnn]')")
    from shufflenet_cli.measure.delegation import delegation_report

    spec = small("shufflenet-1x-g3")
    model, x = build_model(spec).eval(), example_input(spec)
    assert prepare_checked(model, x, "ncnn").check.startswith("matches eager")
    layers = delegation_report(spec, "ncnn")["layers"]
    assert layers.get("ShuffleChannel", 0) > 0


@pytest.mark.slow
def test_measure_latency_on_executorch_records_the_check():
    _executorch()
    from shufflenet_cli import measure_latency

    r = measure_latency(
        small("mobilenet-v1-0.25", 32),
        backend="executorch",
        windows=2,
        window_time=0.01,
        warmup_time=0.01,
    )
    assert r.error is None and r.median_ms > 0 and r.check.startswith("matches eager")
