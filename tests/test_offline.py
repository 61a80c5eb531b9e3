"""The portal opens from disk (issue 9, point 1): the demo site built by `make portal`, loaded
from ``file://`` in headless Chromium and clicked through as a reader would, with the same
checks over HTTP where the two ways differ. Fixtures in conftest.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from conftest import DEMO_MODELS, VIEWPORT

from aipo_site.render.pages import data_script_path

MODELS = DEMO_MODELS

# Every chart's state and how many data marks (lines, points, bars, areas) it drew.
CHARTS = """() => [...document.querySelectorAll('.aipo-chart')].map(el => ({
  chart: el.getAttribute('data-chart') || '?',
  drawn: el.getAttribute('data-aipo-drawn'),
  lines: [...el.querySelectorAll('svg g.mark-line path')]
    .filter(p => (p.getAttribute('d') || '').split(/[ML]/).length > 3).length,
  error: (el.querySelector('.aipo-chart-error') || {}).textContent || null,
}))"""


class DiskPage:
    """A Playwright page on the built site opened from disk, recording what a reader would not
    see: console errors, uncaught exceptions and every request that is not a local file."""

    def __init__(self, page: Any, site: Path) -> None:
        self.page = page
        self.site = site
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("file:", "data:", "blob:"))
                else self.foreign.append(r.url)
            ),
        )

    def open(self, rel: str) -> None:
        self.page.goto((self.site / rel).as_uri(), wait_until="load")

    def here(self) -> Path:
        return Path(unquote(urlsplit(self.page.url).path))

    def charts(self) -> list[dict[str, Any]]:
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.aipo-chart')]"
            ".some(el => !el.hasAttribute('data-aipo-drawn') || "
            "el.getAttribute('data-aipo-drawn') === 'pending')"
        )
        return self.page.evaluate(CHARTS)

    def dead_links(self) -> list[str]:
        """Links on this page to a site file that does not exist (a folder is not a page)."""
        hrefs = self.page.eval_on_selector_all(
            "a[href]", "els => els.map(a => a.href).filter(h => h.startsWith('file:'))"
        )
        dead = []
        for href in hrefs:
            path = Path(unquote(urlsplit(href).path))
            if not path.is_file():
                dead.append(href)
        return dead


@pytest.fixture
def disk(chromium_browser: Any, demo_site: Path) -> Any:
    context = chromium_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(20_000)
    yield DiskPage(context.new_page(), demo_site)
    context.close()


@pytest.mark.browser
def test_clicking_through_the_portal_from_disk(disk: DiskPage) -> None:
    """Home -> dashboard -> a model page -> search -> a reference page, all from file://."""
    disk.open("index.html")
    assert disk.page.locator(".aipo-portfolio").count() == 1, "no live portfolio on the home page"
    assert disk.dead_links() == []

    disk.page.locator(".md-nav__link", has_text="Portfolio dashboard").first.click()
    disk.page.wait_for_load_state("load")
    assert disk.here() == disk.site / "dashboard.html"
    assert disk.page.locator(".aipo-dashboard table tbody tr").count() == len(MODELS)
    assert disk.dead_links() == []
    for chart in disk.charts():
        assert chart["drawn"] == "done", chart

    disk.page.locator(".aipo-dashboard table tbody tr a", has_text="fraud").first.click()
    disk.page.wait_for_load_state("load")
    assert disk.here() == disk.site / "models" / "fraud-prevention.html"
    charts = disk.charts()
    kpi_charts = [c for c in charts if c["chart"].startswith("kpi")]
    assert kpi_charts, charts
    for chart in charts:
        assert chart["drawn"] == "done", chart
    # The data reached every KPI chart: a daily line with many points, not just axes and bands.
    for chart in kpi_charts:
        assert chart["lines"] >= 1, f"{chart['chart']} drew no data line from disk"
    assert disk.dead_links() == []

    # Search from disk: Material's offline index and aipo's Web Worker shim.
    box = disk.page.locator(".md-search__input")
    box.click()
    box.press_sequentially("replenishment", delay=30)
    result = disk.page.locator(".md-search-result__item a").first
    result.wait_for()
    result.click()
    disk.page.wait_for_load_state("load")
    assert disk.here() == disk.site / "models" / "supply-chain-forecast.html"
    for chart in disk.charts():
        assert chart["drawn"] == "done", chart

    disk.page.get_by_role("link", name="Charter", exact=True).first.click()
    disk.page.wait_for_load_state("load")
    assert disk.here() == disk.site / "reference" / "charter.html"
    assert disk.dead_links() == []

    assert disk.errors == []
    assert disk.foreign == [], "the portal requested something that is not on disk"


@pytest.mark.browser
@pytest.mark.parametrize("model", MODELS)
def test_every_model_chart_draws_its_data_from_disk(disk: DiskPage, model: str) -> None:
    disk.open(f"models/{model}.html")
    charts = disk.charts()
    assert charts
    for chart in charts:
        assert chart["drawn"] == "done", chart
        if chart["chart"].startswith(("kpi", "segment")):
            assert chart["lines"] >= 1, f"{model}: {chart['chart']} drew no data from disk"
    assert disk.errors == []
    assert disk.foreign == []


# Every data mark's path, per chart: the drawn geometry.
MARK_PATHS = """() => [...document.querySelectorAll('.aipo-chart')].map(el => [
  el.getAttribute('data-chart'),
  [...el.querySelectorAll('svg g.role-mark path')].map(p => p.getAttribute('d') || ''),
])"""


@pytest.mark.browser
@pytest.mark.parametrize("model", MODELS)
def test_charts_from_disk_draw_what_they_draw_over_http(
    disk: DiskPage, portal: Any, model: str
) -> None:
    """The data given inline from disk is parsed as the fetched CSV is: same dates, same values,
    so every mark is drawn at the same place (Vega-Lite re-parses shared inline data per layer,
    which turned dates into null before aipo.js parsed them as plain ISO dates)."""
    disk.open(f"models/{model}.html")
    disk.charts()
    from_disk = disk.page.evaluate(MARK_PATHS)
    portal.goto(f"models/{model}.html")
    portal.page.wait_for_function(
        "() => ![...document.querySelectorAll('.aipo-chart')]"
        ".some(el => el.getAttribute('data-aipo-drawn') !== 'done')"
    )
    over_http = portal.page.evaluate(MARK_PATHS)
    assert [c for c, _ in from_disk] == [c for c, _ in over_http]
    for (chart, disk_paths), (_, http_paths) in zip(from_disk, over_http, strict=True):
        assert any(len(d) > 200 for d in http_paths) or not chart.startswith("kpi"), chart
        assert disk_paths == http_paths, f"{model}: {chart} is drawn differently from disk"


@pytest.mark.browser
def test_a_missing_data_file_is_said_on_the_chart(disk: DiskPage, tmp_path: Path) -> None:
    """From disk, a chart whose data script is gone says so instead of drawing empty axes."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(disk.site, site)
    (site / "models" / "fraud-prevention" / "kpis.js").unlink()
    disk.site = site
    disk.open("models/fraud-prevention.html")
    charts = {c["chart"]: c for c in disk.charts()}
    failed = [c for c in charts.values() if c["drawn"] == "error"]
    assert failed, charts
    assert all("kpis.js could not be loaded" in (c["error"] or "") for c in failed), failed


@pytest.mark.browser
def test_over_http_charts_fetch_the_csv_not_the_script(portal: Any) -> None:
    """Over HTTP nothing changes: charts fetch their CSV, the data scripts are never loaded."""
    portal.goto("models/fraud-prevention.html")
    portal.page.wait_for_function(
        "() => ![...document.querySelectorAll('.aipo-chart')]"
        ".some(el => el.getAttribute('data-aipo-drawn') !== 'done')"
    )
    data = [u for u in portal.requests if "/models/fraud-prevention/" in u]
    assert any(u.endswith("/kpis.csv") for u in data), data
    assert not any(u.endswith(".js") for u in data), data
    assert not any(u.endswith("/search_index.js") for u in portal.requests)


def test_every_chart_csv_has_a_script_copy_with_the_same_text(demo_site: Path) -> None:
    csvs = sorted(demo_site.glob("models/*/*.csv"))
    assert len(csvs) >= len(MODELS)
    for csv in csvs:
        script = demo_site / data_script_path(csv.relative_to(demo_site).as_posix())
        text = script.read_text(encoding="ascii")
        match = re.fullmatch(r"aipoData\(document\.currentScript,(\".*\")\);\n", text, re.S)
        assert match, f"{script}: {text[:80]!r}"
        assert json.loads(match.group(1)) == csv.read_text(encoding="utf-8")


def test_the_site_requests_nothing_from_a_cdn(demo_site: Path) -> None:
    """Material's offline plugin adds its Web Worker shim from unpkg.com; aipo serves its own."""
    page = (demo_site / "models" / "fraud-prevention.html").read_text(encoding="utf-8")
    assert '<script src="../assets/aipo/iframe-worker.js"></script>' in page
    for html in demo_site.rglob("*.html"):
        assert not re.search(r"(src|href)=\"https?://unpkg", html.read_text(encoding="utf-8")), html
    shim = (demo_site / "assets" / "aipo" / "iframe-worker.js").read_text(encoding="utf-8")
    assert 'location.protocol==="file:"&&(window.Worker=o)' in shim
    assert (
        (demo_site / "search" / "search_index.js")
        .read_text(encoding="utf-8")
        .startswith("var __index = ")
    )


def test_a_user_chosen_worker_shim_is_kept(mini_repo: Any) -> None:
    """aipo replaces only the CDN address Material adds, never a shim the user configured."""
    from conftest import MINI_MKDOCS, run_mkdocs

    mkdocs = MINI_MKDOCS.replace("plugins:\n", "plugins:\n  - offline\n") + (
        "extra:\n  polyfills: [js/my-iframe-worker.js]\n"
    )
    root = mini_repo(mkdocs_yml=mkdocs)
    (root / "content" / "js").mkdir(parents=True, exist_ok=True)
    (root / "content" / "js" / "my-iframe-worker.js").write_text("/* mine */\n")
    result = run_mkdocs(root, site_dir=root / "site")
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert '<script src="js/my-iframe-worker.js"></script>' in page
    assert "assets/aipo/iframe-worker.js" not in page
    assert "unpkg.com" not in page
