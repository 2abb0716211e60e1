"""The report's index.html in a real headless Chromium, with no network: every plot renders
(plotly's SVG is there for each), no JavaScript error is logged, a screenshot is kept."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shufflenet_cli.explore.profile import resolve_networks
from shufflenet_cli.measure.protocol import Protocol
from shufflenet_cli.present.report import build_report, with_mobilenets

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
    finally:
        driver.quit()


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
