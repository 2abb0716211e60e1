"""Latency predictor: kernel keys and graphs, the cache, prediction, on-demand kernels, search.

Every test keeps its calibration in a temporary folder, and XDG_CACHE_HOME points into one
too, so no test reads or writes the user's real cache. Tests that time kernels are slow.
"""

from __future__ import annotations

import json

import pytest

from shufflenet_cli.measure import predictor as P
from shufflenet_cli.measure.unit_graphs import conversions_in
from shufflenet_cli.measure.unit_graphs import layout_conversions
from shufflenet_cli.measure.unit_graphs import unit_input_shape
from shufflenet_cli.measure.unit_graphs import unit_onnx
from shufflenet_cli.model.cost import unit_cost
from shufflenet_cli.model.plan import build_plan
from shufflenet_cli.model.rules import mobilenet_spec
from shufflenet_cli.model.rules import shufflenet_spec


@pytest.fixture(autouse=True)
def no_user_cache(tmp_path, monkeypatch):
    """The user's cache folder is a temporary one for every test here."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def _synthetic(specs, backend="eager", threads=1, **terms):
    """A calibration whose kernel times come from the regression features (no timing)."""
    coef = [
        2e-6,
        3e-6,
        4e-6,
        5e-6,
        1e-6,
        1e-6,
        1e-6,
        1e-10,
        2e-10,
        3e-11,
        5e-11,
        4e-10,
        6e-11,
        1e-11,
        1e-9,
    ]
    kernels = {
        P.kernel_key(u): sum(c * f for c, f in zip(coef, P.kernel_features(u)))
        for u in P.plan_units(build_plan(s) for s in specs)
    }
    return P.Calibration(P.fingerprint(backend, threads), kernels, model=coef, **terms)


def test_kernel_key_round_trips_every_unit_of_both_families():
    for spec in (shufflenet_spec(3, 0.5, shuffle=False), mobilenet_spec(0.75, 160)):
        for block in build_plan(spec).blocks:
            assert P.unit_from_key(P.kernel_key(block.unit)) == block.unit


def test_prediction_reproduces_stored_kernel_values(tmp_path):
    spec = shufflenet_spec(8, 0.5)
    terms = {"kernels": 1.07, "streamed": 0.0, "network": 2e-4}
    calib = _synthetic([spec], terms=terms)
    P.save_calibration(calib, tmp_path)
    stored = json.loads(P.cache_path(calib.fingerprint, tmp_path).read_text())
    plan = build_plan(spec)
    kernel_sum = sum(stored["kernels"][P.kernel_key(b.unit)] * b.repeat for b in plan.blocks)
    expected = (1.07 * kernel_sum + 2e-4) * 1e3
    got = P.predict_latency(spec, "eager", 1, cache_dir=tmp_path, measure_missing=False)
    assert got == pytest.approx(expected, rel=1e-12)
    assert P.Predictor.load("eager", 1, cache_dir=tmp_path).calibrated(plan.blocks[2].unit)


def test_run_sums_follow_new_kernels_and_stay_per_predictor(tmp_path):
    """A predictor keeps each run's sum in the run's memo; kernels added later change its
    predictions, and another predictor over the same (shared) runs keeps its own."""
    spec = shufflenet_spec(3)
    P.save_calibration(_synthetic([spec], terms={"kernels": 1.0}), tmp_path)
    a = P.Predictor.load("eager", 1, cache_dir=tmp_path, measure_missing=False)
    b = P.Predictor(_synthetic([spec], terms={"kernels": 2.0}), cache_dir=tmp_path / "b")
    plan = build_plan(spec)
    before, other = a.plan_ms(plan), b.plan_ms(plan)
    assert other == pytest.approx(2 * before)
    unit = plan.blocks[0].unit
    a.add({P.kernel_key(unit): a.kernel_s(unit) + 1e-3})
    assert a.plan_ms(build_plan(spec)) == pytest.approx(before + 1.0)
    assert b.plan_ms(plan) == other


def test_uncalibrated_kernel_without_measuring_uses_the_regression(tmp_path):
    calib = _synthetic([shufflenet_spec(3)])
    P.save_calibration(calib, tmp_path)
    other = shufflenet_spec(3, 0.75)
    p = P.Predictor.load("eager", 1, cache_dir=tmp_path, measure_missing=False)
    unit = build_plan(other).blocks[2].unit
    assert not p.calibrated(unit)
    features = P.kernel_features(unit)
    assert p.unit_s(unit) == pytest.approx(sum(c * f for c, f in zip(calib.model, features)))
    p.predict_ms(other)
    assert not p.calibrated(unit)  # nothing was measured or cached


def test_stale_cache_is_never_used(tmp_path, monkeypatch):
    import torch

    calib = _synthetic([shufflenet_spec(3)])
    path = P.save_calibration(calib, tmp_path)
    assert P.load_calibration("eager", 1, tmp_path) is not None
    # another thread count: a different file, and no calibration for it
    assert P.load_calibration("eager", 2, tmp_path) is None
    # a file whose recorded fingerprint says 2 threads, under the 1-thread name
    data = json.loads(path.read_text())
    data["fingerprint"]["threads"] = 2
    path.write_text(json.dumps(data))
    assert P.load_calibration("eager", 1, tmp_path) is None
    # another torch version
    P.save_calibration(calib, tmp_path)
    monkeypatch.setattr(torch, "__version__", "0.0.1")
    assert P.load_calibration("eager", 1, tmp_path) is None
    with pytest.raises(P.UserError, match="no latency calibration"):
        P.predict_latency(shufflenet_spec(3), cache_dir=tmp_path)


def test_fit_network_terms_recovers_known_terms_and_drops_unsupported_ones():
    feats = [
        {"kernels": k, "streamed": w, "layout": e, "network": 1.0}
        for k, w, e in [
            (0.004, 0.0, 1.1e6),
            (0.009, 0.0, 1.2e6),
            (0.013, 4e7, 3.0e6),
            (0.021, 0.0, 2.5e6),
            (0.030, 0.0, 8.0e6),
            (0.017, 5e7, 2.0e6),
            (0.008, 0.0, 4.0e6),
        ]
    ]
    measured = [1.1 * f["kernels"] + 1e-4 for f in feats]
    terms = P.fit_network_terms(feats, measured)
    assert terms["kernels"] == pytest.approx(1.1, rel=1e-6)
    assert terms["network"] == pytest.approx(1e-4, rel=1e-6)
    assert terms["streamed"] == terms["layout"] == 0.0  # terms that do not help are left out
    # a pure scale: only the kernels term
    scaled = P.fit_network_terms(feats, [0.9 * f["kernels"] for f in feats])
    assert scaled == {"kernels": pytest.approx(0.9), "streamed": 0.0, "layout": 0.0, "network": 0.0}
    # a negative fixed cost is not physical: the set with it is passed over
    negative = [1.2 * f["kernels"] - 5e-4 for f in feats]
    assert P.fit_network_terms(feats, negative)["network"] == 0.0
    # ONNX Runtime's fits take off the layout conversions units alone do and the network does
    # not; not doing them never costs time, so a positive term falls back to a scale alone
    base = P.BASE_TERMS["onnxruntime"]
    fewer = [1.05 * f["kernels"] - 1.5e-10 * f["layout"] for f in feats]
    assert P.fit_network_terms(feats, fewer, base)["layout"] == pytest.approx(-1.5e-10, rel=1e-6)
    assert P.fit_network_terms(feats, fewer)["layout"] == 0.0  # not a base term of eager's
    paid = P.fit_network_terms(feats, [f["kernels"] + 2e-10 * f["layout"] for f in feats], base)
    assert paid["layout"] == 0.0 and paid["kernels"] > 0


def test_weights_beyond_a_fitted_cache_size_are_streamed():
    small, wide = shufflenet_spec(3, 0.5), shufflenet_spec(2, 2.0, resolution=112)
    over = 16 * 2**20
    weight_bytes = [
        4 * sum(unit_cost(b.unit).weights_eager * b.repeat for b in build_plan(s).blocks)
        for s in (small, wide)
    ]
    assert weight_bytes[0] < over < weight_bytes[1]
    assert [P.weight_bytes(build_plan(s)) for s in (small, wide)] == weight_bytes
    assert P.streamed_bytes(build_plan(small), over) == 0.0
    assert P.streamed_bytes(build_plan(wide), over) == weight_bytes[1] - over  # the excess
    assert P.streamed_bytes(build_plan(wide), None) == 0.0  # no size fitted: no term
    # the prediction adds the term to networks over the calibration's size only
    calib = _synthetic([small, wide], terms={"kernels": 1.0, "streamed": 2e-11})
    calib.streamed_over = over
    plain = _synthetic([small, wide], terms={"kernels": 1.0})
    with_term, without = P.Predictor(calib), P.Predictor(plain)
    assert with_term.plan_ms(build_plan(small)) == without.plan_ms(build_plan(small))
    extra = with_term.plan_ms(build_plan(wide)) - without.plan_ms(build_plan(wide))
    assert extra == pytest.approx(2e-11 * (weight_bytes[1] - over) * 1e3)
    wide_plan = build_plan(wide)
    assert with_term.network_ms(wide_plan) == pytest.approx(with_term.plan_ms(wide_plan))
    # the size survives the cache file
    assert P.Calibration.from_dict(calib.to_dict()).streamed_over == over


def test_the_fit_finds_the_cache_size_beyond_which_weights_cost_time():
    """Networks run slower than their kernels by a cost per weight byte beyond 8 MB: the fit
    picks 8 MB among the sizes it tries, and the cost; where no network pays, no term."""
    mb = 2**20
    kernels_s = [0.004, 0.009, 0.013, 0.021, 0.030, 0.017, 0.011, 0.025]
    weights = [w * mb for w in (1.5, 3.0, 6.0, 9.0, 14.0, 22.0, 30.0, 40.0)]
    feats = [{"kernels": k, "streamed": 0.0, "layout": 0.0, "network": 1.0} for k in kernels_s]
    measured = [0.95 * k + 3e-11 * max(w - 8 * mb, 0) for k, w in zip(kernels_s, weights)]
    sizes = P.streamed_over_choices(480 * mb)
    assert sizes[0] == 0.5 * mb and 8 * mb in sizes and sizes[-1] == 480 * mb
    assert P.streamed_over_choices(32 * mb)[-1] == 32 * mb  # never beyond the reported cache
    terms, over = P.fit_streamed_terms(feats, weights, measured, P.SCALE_ONLY, sizes)
    assert over == 8 * mb
    assert terms["streamed"] == pytest.approx(3e-11, rel=1e-6)
    assert terms["kernels"] == pytest.approx(0.95, rel=1e-6)
    scaled = [0.95 * k for k in kernels_s]
    terms, over = P.fit_streamed_terms(feats, weights, scaled, P.SCALE_ONLY, sizes)
    assert over is None and terms["streamed"] == 0.0


def test_screening_estimates_layout_conversions_from_unit_edges():
    spec = shufflenet_spec(3, 0.5)
    plan = build_plan(spec)
    plain = P.Predictor(_synthetic([spec], terms={"kernels": 1.0}))
    calib = _synthetic([spec], terms={"kernels": 1.0, "layout": -1e-12})
    calib.layout_share = 0.5
    estimated = P.Predictor(calib)
    edges = sum(P.unit_edges(b.unit) * b.repeat for b in plan.blocks)
    assert edges > 0
    assert plain.plan_ms(plan) - estimated.plan_ms(plan) == pytest.approx(0.5e-12 * edges * 1e3)
    # a unit is never taken below a tenth of its kernel time, however large the term
    huge = _synthetic([spec], terms={"kernels": 1.0, "layout": -1.0})
    huge.layout_share = 1.0
    assert P.Predictor(huge).plan_ms(plan) == pytest.approx(0.1 * plain.plan_ms(plan))


def test_eager_predicts_a_network_alone_without_onnxruntime(monkeypatch):
    spec = shufflenet_spec(3, 0.5)
    plan = build_plan(spec)
    plain = P.Predictor(_synthetic([spec], terms={"kernels": 1.0, "network": 1e-4}))

    def no_graphs(*a, **kw):
        raise AssertionError("eager built an ONNX Runtime graph")

    monkeypatch.setattr(P, "layout_conversions", no_graphs)
    # eager has no layout term: a network predicted alone is its screening prediction
    assert plain.network_ms(plan) == plain.plan_ms(plan)


def test_kernel_regression_is_non_negative_and_fits_additive_kernels():
    units = P.plan_units(
        build_plan(s) for s in (shufflenet_spec(g, w) for g in (1, 3, 8) for w in (0.5, 1.0))
    )
    coef = [
        1e-6,
        1e-6,
        3e-6,
        1e-6,
        1e-6,
        1e-6,
        2e-6,
        1e-10,
        0.0,
        3e-11,
        5e-11,
        4e-10,
        6e-11,
        1e-11,
        2e-9,
    ]
    kernels = {
        P.kernel_key(u): sum(c * f for c, f in zip(coef, P.kernel_features(u))) for u in units
    }
    fitted = P.fit_kernel_model(kernels)
    assert min(fitted) >= 0
    for u in units:
        est = sum(c * f for c, f in zip(fitted, P.kernel_features(u)))
        assert est == pytest.approx(kernels[P.kernel_key(u)], rel=0.02)


def test_unit_graphs_have_the_node_types_torch_exports():
    onnx = pytest.importorskip("onnx", reason="the ONNX graphs need onnx")
    import io
    import warnings

    import torch

    from shufflenet_cli.model.nn import build_unit

    units = P.plan_units(
        build_plan(s)
        for s in (
            shufflenet_spec(3, 0.25),
            shufflenet_spec(2, 0.25, shuffle=False),
            mobilenet_spec(0.25, 96),
        )
    )
    for unit in units:
        module = build_unit(unit).eval()
        x = torch.randn(unit_input_shape(unit))
        buf = io.BytesIO()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (x,),
                buf,
                dynamo=False,
                opset_version=17,
                input_names=["x"],
                output_names=["y"],
            )
        exported = [
            n.op_type
            for n in onnx.load_from_string(buf.getvalue()).graph.node
            if n.op_type not in ("Identity", "Constant")
        ]
        ours = [n.op_type for n in onnx.load_from_string(unit_onnx(unit)).graph.node]
        assert ours == exported, P.kernel_key(unit)


def test_a_plans_chain_converts_layouts_as_the_exported_network_does():
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    import torch

    from shufflenet_cli.measure.runtimes import onnx_model
    from shufflenet_cli.model.nn import build_model
    from shufflenet_cli.model.nn import example_input

    # a MobileNet (every conv blocked), ShuffleNets whose 1x1 group convs are blocked or not
    for spec in (
        mobilenet_spec(0.25, 96),
        shufflenet_spec(8, 0.25, resolution=96),
        shufflenet_spec(3, 0.5, units=[1, 2, 1], resolution=96),
    ):
        plan = build_plan(spec)
        x = example_input(spec)
        with torch.no_grad():
            exported = onnx_model(build_model(spec).eval(), x)
        ours = layout_conversions(P.plan_chain(plan))
        assert ours == conversions_in(exported, tuple(x.shape)), spec.name
        alone: dict = {}
        saved = P.layout_saved(plan, alone)
        assert set(alone) == {P.kernel_key(u) for u in P.plan_units([plan])}
        total = sum(alone[P.kernel_key(b.unit)] * b.repeat for b in plan.blocks)
        assert saved == total - ours
        assert 0 < saved <= total


def test_a_network_predicted_alone_takes_off_its_own_saved_conversions():
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    spec = shufflenet_spec(8, 0.25, resolution=96)
    plan = build_plan(spec)
    calib = _synthetic([spec], terms={"kernels": 1.0, "layout": -1e-12, "network": 1e-4})
    calib.layout_share = 0.3
    predictor = P.Predictor(calib)
    saved = P.layout_saved(plan, {})
    kernel_sum = sum(calib.kernels[P.kernel_key(b.unit)] * b.repeat for b in plan.blocks)
    expected = (kernel_sum - 1e-12 * saved + 1e-4) * 1e3
    assert predictor.network_ms(plan) == pytest.approx(expected)
    assert len(calib.layout) == len(P.plan_units([plan]))  # each unit graph counted once
    assert P.load_calibration("eager", 1).layout == calib.layout  # and kept in the cache


def test_calibration_counts_layout_and_keeps_it_in_the_cache(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    specs = [shufflenet_spec(g, 0.25, resolution=r) for g in (1, 3, 8) for r in (96, 128)]
    specs += [mobilenet_spec(0.25, 96), mobilenet_spec(0.5, 96)]
    plans = [build_plan(s) for s in specs]
    kernels = {
        P.kernel_key(u): 1e-5 * (1 + sum(P.kernel_features(u)[:4]) / 1e7)
        for u in P.plan_units(plans)
    }
    # conversions: 3 elements per unit graph alone, a chain of n units n + 2 (the network
    # skips 2 per call but for its first and last)
    monkeypatch.setattr(
        P, "layout_conversions", lambda units, threads=1: 3 if len(units) == 1 else len(units) + 2
    )

    def saved(plan):
        return 2.0 * sum(b.repeat for b in plan.blocks) - 2.0

    def fake_time_kernels(units, backend, threads=1, *, networks=(), **kw):
        windows = {}
        for spec in networks:
            plan = build_plan(spec)
            t = 1.1 * sum(kernels[P.kernel_key(b.unit)] * b.repeat for b in plan.blocks)
            t -= 1e-7 * saved(plan)
            windows[spec.name] = [P.Window(t, t)] * 3
        return {P.kernel_key(u): kernels[P.kernel_key(u)] for u in units}, windows

    monkeypatch.setattr(P, "time_kernels", fake_time_kernels)
    calib = P.calibrate("onnxruntime", 1, cache_dir=tmp_path, units=[], networks=specs)
    assert [n["layout"] for n in calib.networks] == [saved(p) for p in plans]
    assert calib.terms["layout"] == pytest.approx(-1e-7, rel=1e-6)
    assert calib.terms["kernels"] == pytest.approx(1.1, rel=1e-6)
    edges = sum(P.unit_edges(b.unit) * b.repeat for p in plans for b in p.blocks)
    assert calib.layout_share == pytest.approx(sum(saved(p) for p in plans) / edges)
    assert set(calib.layout) == {P.kernel_key(u) for u in P.plan_units(plans)}
    # both survive the cache
    loaded = P.load_calibration("onnxruntime", 1, tmp_path)
    assert loaded.layout == calib.layout and loaded.layout_share == calib.layout_share


def test_random_networks_are_valid_held_out_and_reproducible():
    a = P.random_networks(30, seed=3)
    assert [s.arch_key() for s in a] == [s.arch_key() for s in P.random_networks(30, seed=3)]
    calib = {s.arch_key() for s in P.calibration_networks()}
    assert len({s.arch_key() for s in a}) == 30 and not calib & {s.arch_key() for s in a}
    assert {s.family for s in a} == {"shufflenet", "mobilenet"}
    # the names printed in a validation are the rules' names: each parses back to its network
    from shufflenet_cli.model.rules import spec_from_name

    assert all(spec_from_name(s.name).arch_key() == s.arch_key() for s in a)


def test_accuracy_figures():
    acc = P.accuracy([1.0, 2.06, 3.5, 3.9], [1.0, 2.0, 3.0, 4.0])
    assert acc["within_5"] == 0.75 and acc["within_10"] == 0.75
    assert acc["spearman"] == pytest.approx(1.0)


def _fake_validation(tmp_path, monkeypatch) -> dict:
    """A calibration of one small network in ``tmp_path``, validation drawing it and one more
    (whose kernels are not calibrated), and timing replaced: every network's windows alternate
    between the two measurements (1st 2.0 .. 2.9 ms, 2nd 2.5 .. 3.4 ms). Returns what the
    timing was asked for. The windows are not in order, so that only the alternating split
    finds each measurement's quiet time (the first's fastest is its last window, the second's
    its first).
    """
    known, new = shufflenet_spec(3, 0.25), shufflenet_spec(3, 0.25, resolution=96)
    P.save_calibration(_synthetic([known]), tmp_path)
    monkeypatch.setattr(P, "random_networks", lambda n, seed=0: [known, new][:n])
    asked = {}

    def fake_time_kernels(units, backend, threads=1, *, networks=(), network_rounds=None, **kw):
        if networks:  # the validation's timing, not a slow kernel's second (``retime_slow``)
            asked.update(units=len(units), rounds=network_rounds, same_order=kw.get("same_order"))
        first = [2.0 + (m + 1) * 3 % 10 * 0.1 for m in range(10)]  # fastest: the last
        second = [2.5 + m * 7 % 10 * 0.1 for m in range(10)]  # fastest: the first
        windows = [P.Window(ms * 1e-3, ms * 1e-3) for pair in zip(first, second) for ms in pair]
        return {P.kernel_key(u): 1e-4 for u in units}, {s.name: windows for s in networks}

    monkeypatch.setattr(P, "time_kernels", fake_time_kernels)
    return asked


def test_validation_measures_each_network_twice_and_scores_both(tmp_path, monkeypatch):
    asked = _fake_validation(tmp_path, monkeypatch)
    v = P.validate("eager", 1, 2, cache_dir=tmp_path)
    assert asked["rounds"] == 2 * P.NETWORK_WINDOWS and asked["same_order"] == 2
    assert v["kernels_measured"] == asked["units"] > 0  # ``new``'s kernels were not calibrated
    for row in v["rows"]:
        # each measurement's quiet time: the lower quartile of its own ten windows
        assert row["latency_ms"] == pytest.approx(2.225)  # 2.0 .. 2.9
        assert row["latency_remeasured_ms"] == pytest.approx(2.725)  # 2.5 .. 3.4
        assert row["latency_median_ms"] == pytest.approx(2.45)
        assert row["latency_spread_ms"] == pytest.approx(0.45)  # IQR of the first's ten
    assert v["remeasure"]["networks"] == 2 and v["remeasure"]["within_10"] == 0.0
    assert v["remeasure"]["mean_abs_rel"] == pytest.approx(0.5 / 2.225)


def test_calibrate_validate_prints_prediction_beside_remeasure(run_cli, tmp_path, monkeypatch):
    _fake_validation(tmp_path, monkeypatch)
    monkeypatch.setattr(P, "calibrate", lambda *a, **kw: P.load_calibration("eager", 1, tmp_path))
    args = ("calibrate", "--backend", "eager", "--cache", tmp_path, "--validate", 2)
    r = run_cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["prediction"] for row in rows] == ["lookup", "model", "remeasure"]
    assert rows[2]["within_10"] == 0.0 and rows[2]["mean_abs_rel"] == pytest.approx(0.5 / 2.225)
    table = run_cli(*args).stdout
    names = ("prediction", "regression", "remeasure")
    lines = [line.split() for line in table.splitlines() if line.startswith("eager ")]
    assert [word for words in lines for word in words if word in names] == list(names)


def test_screening_adds_predicted_latency_and_constrains_it(tmp_path):
    from shufflenet_cli.explore.search import run_search
    from shufflenet_cli.explore.search import space_from_dict

    specs = [shufflenet_spec(g, s) for g in (1, 3) for s in (0.5, 1.0)]
    P.save_calibration(_synthetic(specs), tmp_path)
    predictor = P.Predictor.load("eager", 1, cache_dir=tmp_path, measure_missing=False)
    limit = sorted(predictor.predict_ms(s) for s in specs)[1] + 1e-9
    space = space_from_dict(
        {
            "space": {"groups": [1, 3], "scale": [0.5, 1.0]},
            "constraints": {"max_predicted_latency_ms": limit},
            "objectives": {"minimize": ["macs"]},
        }
    )
    result = run_search(space, cache_dir=tmp_path)
    assert len(result.screened.rows) == 2
    assert all(r["latency_predicted_ms"] <= limit for r in result.screened.rows)
    assert result.screened.removed_by == {"max_predicted_latency_ms": 2}


def test_calibrate_refuses_backends_it_cannot_predict(run_cli):
    r = run_cli("calibrate", "--backend", "compile")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "error: backend: latency prediction is calibrated for eager, onnxruntime, not 'compile'"
    ]


def test_profile_predict_without_calibration_says_what_to_run(run_cli, tmp_path):
    r = run_cli("profile", "--groups", "3", "--no-latency", "--predict", "--cache", tmp_path)
    assert r.exit_code == 2
    assert "shufflenet-cli calibrate --backend eager --threads 1" in r.stderr


def test_profile_predict_alone_needs_no_timing(run_cli, tmp_path):
    spec = shufflenet_spec(3)
    P.save_calibration(_synthetic([spec, mobilenet_spec(0.5)]), tmp_path)
    r = run_cli(
        "profile",
        "--groups",
        "3",
        "--no-latency",
        "--predict",
        "--cache",
        tmp_path,
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    expected = P.predict_latency(spec, cache_dir=tmp_path, measure_missing=False)
    assert rows[0]["latency_predicted_ms"] == pytest.approx(expected)
    assert rows[0]["latency_predicted_ms_eager"] == rows[0]["latency_predicted_ms"]
    assert rows[0]["latency_ms"] is None
    from shufflenet_cli.present.vocabulary import documented

    assert [k for row in rows for k in row if not documented(k)] == []


def test_blocks_are_short_and_a_window_keeps_its_fastest(monkeypatch):
    """Calls are grouped into the fewest (doubling) that last ``BLOCK_TIME``; a network or
    kernel is reduced to the lower quartile of its windows' fastest blocks (a fake clock:
    0.3 ms a call)."""
    from shufflenet_cli.measure import runner

    clock = [0.0]
    monkeypatch.setattr(runner.time, "perf_counter", lambda: clock[0])

    def call():
        clock[0] += 3e-4

    assert runner.short_block(call, 0.002) == 8  # 1, 2, 4 calls last under 2 ms
    blocks = runner.timed_blocks(call, 0.01, 8)
    assert len(blocks) == 5 and blocks == pytest.approx([3e-4] * 5)  # 2.4 ms each, 12 in all
    windows = [P.Window(2.0e-3, 3.0e-3), P.Window(1.5e-3, 4.0e-3), P.Window(1.8e-3, 1.9e-3)]
    assert P.quiet_time(windows) == pytest.approx(1.65e-3)  # a quarter of the way 1.5 -> 2.0
    assert P.quiet_time(windows[:1]) == 2.0e-3


def test_a_lone_fast_window_does_not_set_the_quiet_time():
    """One window in ten far faster than the rest (a moment the host's neighbours were
    idle) leaves the quiet time with the others; so do loud windows, six in ten here."""
    steady = [P.Window(1.0e-3 * (1 + 0.01 * i), 2e-3) for i in range(9)]
    fast = [P.Window(0.8e-3, 1e-3), *steady]
    assert P.quiet_time(fast) == pytest.approx(P.quiet_time(steady), rel=0.02)
    loud = [*steady[:4], *(P.Window(1.5e-3, 2e-3) for _ in range(6))]
    assert P.quiet_time(loud) == pytest.approx(P.quiet_time(steady), rel=0.02)


def test_kernels_are_timed_in_a_new_order_every_round_pair(monkeypatch):
    """Not side by side in the same order each round (one loud stretch of the host would err a
    network's kernels alike); rounds that ``same_order`` pairs keep one order."""
    from shufflenet_cli.measure import runner

    units = P.plan_units([build_plan(shufflenet_spec(3, 0.25, resolution=96))])
    names = {}

    def make(unit, threads):
        def call():
            return None

        names[call] = P.kernel_key(unit)
        return call

    class Idle:
        @staticmethod
        def sample():
            return Idle()

        def other_cores_busy(self):
            return 0.0

    timed = []
    monkeypatch.setitem(P._KERNELS, "eager", make)
    monkeypatch.setattr(P, "CpuLoad", Idle)
    monkeypatch.setattr(runner, "short_block", lambda fn, seconds: 1)
    monkeypatch.setattr(runner, "timed_blocks", lambda fn, s, n: timed.append(names[fn]) or [1e-6])
    kernels, _ = P.time_kernels(units, "eager", rounds=4, network_rounds=None, same_order=2)
    n = len(units)
    orders = [timed[n * (i + 1) : n * (i + 2)] for i in range(4)]  # after the warm-up's n
    assert all(sorted(o) == sorted(kernels) for o in orders)
    assert orders[0] == orders[1] and orders[2] == orders[3] and orders[1] != orders[2]
    assert orders[0] != list(kernels)  # not the order they came in


@pytest.mark.slow
def test_uncalibrated_kernel_is_measured_on_demand_and_cached(tmp_path):
    known, new = shufflenet_spec(3, 0.25), shufflenet_spec(3, 0.25, resolution=96)
    P.save_calibration(_synthetic([known]), tmp_path)
    p = P.Predictor.load("eager", 1, cache_dir=tmp_path)
    missing = [u for u in P.plan_units([build_plan(new)]) if not p.calibrated(u)]
    assert missing
    p.predict_ms(new)
    assert p.measured_on_demand == len(missing)
    stored = P.load_calibration("eager", 1, tmp_path).kernels
    for unit in missing:
        assert stored[P.kernel_key(unit)] > 0
    # a second prediction measures nothing more
    assert P.Predictor.load("eager", 1, cache_dir=tmp_path).ensure([build_plan(new)]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["eager", "onnxruntime"])
def test_calibration_of_a_small_space_predicts_its_own_networks(tmp_path, backend):
    if backend == "onnxruntime":
        pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    specs = [
        shufflenet_spec(3, 0.25, resolution=96),
        mobilenet_spec(0.25, 96),
        shufflenet_spec(1, 0.25, resolution=128),
        shufflenet_spec(8, 0.25, resolution=96),
    ]
    units = P.plan_units(build_plan(s) for s in specs)
    calib = P.calibrate(backend, 1, cache_dir=tmp_path, units=units, networks=specs)
    # the kernels and nothing else (ONNX Runtime's empty call is taken off them, not stored)
    assert set(calib.kernels) == {P.kernel_key(u) for u in units}
    assert all(t > 0 for t in calib.kernels.values())
    for spec, fit in zip(specs, calib.networks):
        predicted = P.predict_latency(spec, backend, cache_dir=tmp_path, measure_missing=False)
        # a loose bound: timing on a shared machine moves by tens of percent between rounds
        # (benchmarks/README.md); a wrong unit, a missing kernel or a lost term is off by more
        assert 0.5 < predicted / fit["latency_ms"] < 2.0, spec.name


def test_compare_and_report_predict_without_timing(run_cli, tmp_path):
    from shufflenet_cli.explore.compare import paper_pairs

    specs = [s for pair in paper_pairs() for s in pair]
    P.save_calibration(_synthetic(specs), tmp_path / "cache")
    r = run_cli(
        "compare", "--no-latency", "--predict", "--cache", tmp_path / "cache", "--format", "json"
    )
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)[0]
    assert row["latency_predicted_ms_ratio"] == pytest.approx(
        row["latency_predicted_ms"] / row["partner_latency_predicted_ms"]
    )
    r = run_cli(
        "report",
        "--groups",
        "3",
        "--scales",
        "1",
        "--mobilenet-widths",
        "0.5",
        "--no-latency",
        "--predict",
        "--cache",
        tmp_path / "cache",
        "--out",
        tmp_path / "rep",
    )
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "rep" / "plots" / "i.html").exists()
    networks = json.loads((tmp_path / "rep" / "data" / "networks.json").read_text())
    assert all(n["latency_predicted_ms"] > 0 for n in networks)


def test_a_kernel_far_above_the_regression_is_timed_again_and_the_lower_time_kept(monkeypatch):
    """Only kernels over ``RETIME_OVER`` times the regression's estimate are timed again; a
    second time above the first does not replace it."""
    plan = build_plan(shufflenet_spec(3, 0.5))
    units = list(dict.fromkeys(b.unit for b in plan.blocks))
    model = [1e-6] * len(P.FEATURES)
    estimate = {P.kernel_key(u): P.regression_s(model, u) for u in units}
    first = {k: 1.5 * e for k, e in estimate.items()}  # near the regression: kept
    slow, slower = P.kernel_key(units[2]), P.kernel_key(units[3])
    first[slow] = 9 * estimate[slow]
    first[slower] = 9 * estimate[slower]
    asked = []

    def fake_time_kernels(again, backend, threads=1, **kw):
        asked.extend(P.kernel_key(u) for u in again)
        return {slow: 3 * estimate[slow], slower: 12 * estimate[slower]}, {}

    monkeypatch.setattr(P, "time_kernels", fake_time_kernels)
    out = P.retime_slow(first, units + units[:1], model, "eager")
    assert sorted(asked) == sorted([slow, slower])  # once each, the others not
    assert out[slow] == pytest.approx(3 * estimate[slow])  # the lower time
    assert out[slower] == first[slower]
    assert {k: v for k, v in out.items() if k not in (slow, slower)} == {
        k: v for k, v in first.items() if k not in (slow, slower)
    }
    assert P.retime_slow(first, units, [0.0] * len(P.FEATURES), "eager") == first  # no model
