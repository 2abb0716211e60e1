"""The report's index.html in a real headless Chromium, with no network: every plot renders
(plotly's SVG is there for each), no JavaScript error is logged, a screenshot is kept."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shufflenet_cli.explore.profile import resolve_networks
from shufflenet_cli.measure.protocol import Protocol
from shufflenet_cli.present.report import build_report
from shufflenet_cli.present.report import with_mobilenets

webdriver = pytest.importorskip("selenium.webdriver")

pytestmark = pytest.mark.slow  # latency, profiler, subprocess or browser: see README

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _driver():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        # no network at all: every host fails to resolve, no proxy can be reached
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


@pytest.fixture(scope="module")
def measured_report(tmp_path_factory):
    """A small report with (briefly) measured latency, so every plot has data."""
    out = tmp_path_factory.mktemp("rep") / "report"
    specs = with_mobilenets(resolve_networks([3, 8], [0.5, 1]), [0.5, 0.25])
    quick = Protocol(windows=2, window_time=0.02, warmup_time=0.02)
    build_report(specs, out, protocol=quick, breakdown_runs=2)
    return out


def _check_page(index: Path, screenshot: Path) -> None:
    text = index.read_text(encoding="utf-8")
    # nothing is fetched from the web: scripts are local, plotly is shipped beside the page
    assert not re.search(r"<script[^>]+src=\"https?:", text)
    assert '<script src="plotly.min.js"></script>' in text
    assert (index.parent / "plotly.min.js").stat().st_size > 1_000_000
    plot_ids = re.findall(r'id="(plot-[a-h]-fig)"', text)
    assert len(plot_ids) == 8
    driver = _driver()
    try:
        driver.get(index.resolve().as_uri())
        driver.set_script_timeout(30)
        # wait until plotly has drawn every plot (or give up after 20 s)
        missing = driver.execute_async_script(
            """
            const ids = arguments[0], done = arguments[arguments.length - 1];
            const t0 = Date.now();
            (function poll() {
              const miss = ids.filter(id => {
                const el = document.getElementById(id);
                return !(el && el.querySelector('svg.main-svg'));
              });
              if (!miss.length || Date.now() - t0 > 20000) done(miss); else setTimeout(poll, 100);
            })();""",
            plot_ids,
        )
        assert missing == [], f"plots without an SVG: {missing}"
        assert driver.execute_script("return typeof Plotly") == "object"
        ARTIFACTS.mkdir(exist_ok=True)
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, min(int(height) + 100, 16000))
        assert driver.save_screenshot(str(screenshot))
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
        # nothing the page shows reads "None" (the environment says what applies instead)
        assert not re.search(r"\bNone\b", driver.execute_script("return document.body.innerText"))
        # the group sweep: every y axis (costs left, published error right) has distinct ticks
        ticks = driver.execute_script(TICKS_JS, "plot-g-fig")
        drawn = {axis: labels for axis, labels in ticks.items() if labels}
        # four panels, two y axes each (the latency panel's are empty when not measured)
        assert len(drawn) >= (8 if "Latency measured" in text else 6), ticks
        for axis, labels in drawn.items():
            assert len(labels) >= 2 and len(set(labels)) == len(labels), (axis, labels)
        ranges = driver.execute_script(RANGES_JS, "plot-g-fig")
        for axis, (lo, hi) in ranges.items():
            assert lo <= 0 or hi - lo >= 5, (axis, lo, hi)  # costs from zero; error >= 5 points
    finally:
        driver.quit()


# every y axis of a plot: the tick labels plotly drew
TICKS_JS = """
const gd = document.getElementById(arguments[0]), out = {};
for (const name of Object.keys(gd._fullLayout).filter(k => /^yaxis\\d*$/.test(k))) {
  const ax = gd._fullLayout[name];
  const labels = gd.querySelectorAll('g.' + ax._id + 'tick text');
  out[name] = Array.from(labels).map(t => t.textContent).filter(t => t.length);
}
return out;"""
RANGES_JS = """
const gd = document.getElementById(arguments[0]), out = {};
for (const name of Object.keys(gd._fullLayout).filter(k => /^yaxis\\d*$/.test(k)))
  out[name] = gd._fullLayout[name].range;
return out;"""


def _open(driver, page: Path, plot_id: str) -> None:
    """Load ``page`` and wait until the plot ``plot_id`` has drawn its SVG."""
    driver.get(page.resolve().as_uri())
    driver.set_script_timeout(30)
    drawn = driver.execute_async_script(
        """
        const id = arguments[0], done = arguments[arguments.length - 1], t0 = Date.now();
        (function poll() {
          const el = document.getElementById(id);
          if (el && el.querySelector('svg.main-svg')) done(true);
          else if (Date.now() - t0 > 20000) done(false); else setTimeout(poll, 100);
        })();""",
        plot_id,
    )
    assert drawn, f"{plot_id} did not draw"


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver")
def test_roofline_points_are_labelled_with_their_network(tmp_path):
    from shufflenet_cli.present.plots import roofline_figure

    calib = {"peak_gflops": 50.0, "bandwidth_gbs": {"16384": 80.0, "67108864": 10.0}}
    # two networks at the very same place must still read as two networks
    points = [
        {
            "name": n,
            "backend": "eager",
            "flops": 3e8,
            "bytes": 6e7,
            "latency_ms": 12.0,
            "bound_ms": 6.0,
        }
        for n in ("shufflenet-1x-g3", "shufflenet-1x-g8")
    ]
    page = tmp_path / "roofline.html"
    roofline_figure(points, calib).write_html(page, include_plotlyjs=True, div_id="roof")
    driver = _driver()
    try:
        _open(driver, page, "roof")
        labels = driver.execute_script(
            "return Array.from(document.querySelectorAll('#roof g.textpoint text'))"
            ".map(t => t.textContent)"
        )
        symbols = driver.execute_script(
            "return Array.from(document.querySelectorAll('#roof .scatterlayer path.point'))"
            ".map(p => p.getAttribute('d'))"
        )
    finally:
        driver.quit()
    assert sorted(labels) == ["shufflenet-1x-g3", "shufflenet-1x-g8"]
    assert len(set(symbols)) == len(symbols) == 2  # and two different markers


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver")
def test_search_front_legend_entries_all_have_visible_points(tmp_path):
    from shufflenet_cli.explore.search import run_search
    from shufflenet_cli.explore.search import space_from_dict
    from shufflenet_cli.present.plots import pareto_figure

    space = space_from_dict(
        {
            "space": {
                "groups": [1, 3, 8],
                "scale": [0.25, 0.5, 1.0],
                "units": [[2, 4], [4, 8], [2]],
            },
            "objectives": {"minimize": ["memory"], "maximize": ["macs"]},
        }
    )
    page = tmp_path / "front.html"
    pareto_figure(run_search(space)).write_html(page, include_plotlyjs=True, div_id="front")
    driver = _driver()
    try:
        _open(driver, page, "front")
        legend = driver.execute_script(
            "return Array.from(document.querySelectorAll('#front .legendtext'))"
            ".map(t => t.textContent)"
        )
        drawn = driver.execute_script(
            "return Array.from(document.querySelectorAll('#front .scatterlayer .trace'))"
            ".map(t => t.querySelectorAll('path.point').length)"
        )
    finally:
        driver.quit()
    assert any("dominated" in name for name in legend) and "Pareto front" in legend
    assert len(drawn) == len(legend) and all(n > 0 for n in drawn), (legend, drawn)


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver")
def test_measured_report_renders_every_plot_offline(measured_report):
    _check_page(measured_report / "index.html", ARTIFACTS / "report-measured.png")
    assert (ARTIFACTS / "report-measured.png").stat().st_size > 10_000


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver")
def test_analytic_report_renders_with_latency_plots_saying_not_measured(tmp_path):
    out = tmp_path / "analytic"
    build_report(with_mobilenets(resolve_networks([1, 3], [1])), out, latency=False)
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "not measured" in text
    _check_page(out / "index.html", ARTIFACTS / "report-no-latency.png")
