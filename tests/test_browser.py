"""Browser tests: the built portal opened in headless Chromium (Playwright, Debian's chromium).

The demo is built once per session with a real `mkdocs build --strict` and served from
127.0.0.1 (fixtures in conftest.py). A second repository, a copy of the demo whose
fraud-prevention charter carries script-injection payloads, checks that nothing from a charter
can run in the portal.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, OpenPortal, PortalPage, SiteServer, build_site

pytestmark = pytest.mark.browser

# What the demo data reproduces (as of 2026-11-20): two models in BREACH, one in WARN.
EXPECTED_STATUS = {
    "supply-chain-forecast": "BREACH",
    "customer-churn": "BREACH",
    "fraud-prevention": "WARN",
}
# Vega-Embed draws asynchronously from a 0.9 MB bundle; be generous on slow machines.
CHART_TIMEOUT_MS = 45_000

ROWS = ".aipo-dashboard table tbody tr[data-status][data-model]"

ALL_CHARTS_SETTLED = """() => {
  const charts = [...document.querySelectorAll('.aipo-chart')];
  return charts.length > 0 && charts.every(
    (el) => ['done', 'error'].includes(el.getAttribute('data-aipo-drawn')));
}"""


def wait_for_charts(portal: PortalPage) -> list[dict[str, Any]]:
    """Wait until every chart has been drawn (or failed); return one record per chart."""
    page = portal.page
    page.wait_for_function(ALL_CHARTS_SETTLED, timeout=CHART_TIMEOUT_MS)
    return page.eval_on_selector_all(
        ".aipo-chart",
        """els => els.map(el => {
          const svg = el.querySelector('.aipo-chart-view svg');
          const box = svg ? svg.getBoundingClientRect() : null;
          return {
            chart: el.getAttribute('data-chart'),
            drawn: el.getAttribute('data-aipo-drawn'),
            svg: !!svg,
            width: box ? box.width : 0,
            height: box ? box.height : 0,
            marks: el.querySelectorAll('.aipo-chart-view svg .mark-line, '
              + '.aipo-chart-view svg .mark-rect, .aipo-chart-view svg .mark-text').length,
            error: (el.querySelector('.aipo-chart-error') || {}).textContent || '',
          };
        })""",
    )


def assert_charts_drawn(portal: PortalPage) -> list[dict[str, Any]]:
    charts = wait_for_charts(portal)
    assert charts, "the page has no .aipo-chart"
    for chart in charts:
        assert chart["drawn"] == "done", f"chart {chart['chart']} not drawn: {chart}"
        assert chart["svg"], f"chart {chart['chart']} has no <svg>"
        assert chart["width"] > 100 and chart["height"] > 100, f"chart {chart['chart']}: {chart}"
        assert chart["marks"] > 0, f"chart {chart['chart']} drew no marks"
    return charts


def open_dashboard(portal: PortalPage) -> Any:
    portal.goto("dashboard.html")
    # aipo.js marks the table once its sort and filter handlers are attached.
    portal.page.wait_for_selector(".aipo-dashboard table[data-aipo-ready]", state="attached")
    return portal.page


def visible_models(page: Any) -> list[str]:
    return [
        row.get_attribute("data-model") for row in page.locator(ROWS).filter(visible=True).all()
    ]


def row_order(page: Any) -> list[str]:
    return page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.model)")


def count_of(page: Any, label: str) -> int:
    button = page.locator(f'.aipo-counts [data-aipo-filter="{label}"]')
    return int(button.locator(".aipo-count-n").inner_text().strip())


# --- 1. The portfolio dashboard -----------------------------------------------------------------


def test_dashboard_counts_match_rows(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    assert page.locator(ROWS).count() == 3
    statuses = dict(
        zip(
            row_order(page),
            page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.status)"),
            strict=True,
        )
    )
    assert statuses == EXPECTED_STATUS
    assert count_of(page, "") == 3
    assert count_of(page, "BREACH") == 2
    assert count_of(page, "WARN") == 1
    assert count_of(page, "OK") == 0
    assert visible_models(page) == row_order(page)


def test_dashboard_status_filter(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    breach = page.locator('.aipo-counts [data-aipo-filter="BREACH"]')
    breach.click()
    assert breach.get_attribute("aria-pressed") == "true"
    shown = visible_models(page)
    assert sorted(shown) == ["customer-churn", "supply-chain-forecast"]
    assert page.locator(f"{ROWS}[hidden]").count() == 1
    assert page.locator(".aipo-empty-filter").is_hidden()

    page.locator('.aipo-counts [data-aipo-filter="OK"]').click()
    assert visible_models(page) == []
    assert page.locator(".aipo-empty-filter").is_visible()

    page.locator('.aipo-counts [data-aipo-filter=""]').click()
    assert breach.get_attribute("aria-pressed") == "false"
    assert len(visible_models(page)) == 3
    assert page.locator(".aipo-empty-filter").is_hidden()


def test_dashboard_text_filter(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    box = page.locator(".aipo-filter-input")
    box.click()
    box.press_sequentially("fraud")
    page.wait_for_function(
        f"document.querySelectorAll('{ROWS}:not([hidden])').length === 1", timeout=5_000
    )
    assert visible_models(page) == ["fraud-prevention"]

    # The text filter combines with the status filter: fraud-prevention is WARN, not BREACH.
    page.locator('.aipo-counts [data-aipo-filter="BREACH"]').click()
    assert visible_models(page) == []
    assert page.locator(".aipo-empty-filter").is_visible()

    box.fill("")  # fill() fires the input event the filter listens to
    assert sorted(visible_models(page)) == ["customer-churn", "supply-chain-forecast"]


def test_dashboard_sort_by_name_and_status(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    before = row_order(page)
    names = dict(
        zip(
            before,
            page.eval_on_selector_all(
                f"{ROWS} td:first-child", "cells => cells.map(c => c.dataset.value)"
            ),
            strict=True,
        )
    )
    by_name = sorted(before, key=lambda model: names[model].casefold())

    header = page.locator(".aipo-dashboard thead th", has_text="Model")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = row_order(page)
    assert ascending == by_name
    assert ascending != before, "sorting by name did not change the row order"

    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert row_order(page) == list(reversed(ascending))

    # Numeric sort: the only WARN model comes first ascending, last descending.
    status = page.locator(".aipo-dashboard thead th", has_text="Status")
    status.click()
    assert header.get_attribute("aria-sort") == "none"
    assert status.get_attribute("aria-sort") == "ascending"
    assert row_order(page)[0] == "fraud-prevention"
    status.click()
    assert row_order(page)[-1] == "fraud-prevention"


# --- 2. Model pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", sorted(EXPECTED_STATUS))
def test_model_page(portal: PortalPage, model_id: str) -> None:
    page = open_dashboard(portal)
    dashboard_status = page.locator(f'{ROWS}[data-model="{model_id}"]').get_attribute("data-status")
    assert dashboard_status == EXPECTED_STATUS[model_id]

    portal.goto(f"models/{model_id}.html")
    assert_charts_drawn(portal)
    kpi_charts = page.locator('.aipo-chart[data-chart^="kpi-"]').count()
    assert kpi_charts >= 1, "no KPI chart on the model page"

    hero = page.locator(".aipo-hero")
    assert hero.get_attribute("data-aipo-status") == dashboard_status
    assert hero.locator(".aipo-hero-status .aipo-pill").inner_text().strip() == dashboard_status

    active = page.locator(".aipo-ladder li.aipo-active")
    assert active.count() == 1, "exactly one escalation level must be highlighted"
    assert active.get_attribute("aria-current") == "step"
    inactive = page.locator(".aipo-ladder li:not(.aipo-active)").first
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.outlineStyle]; }"
    assert active.evaluate(style) != inactive.evaluate(style), "active level is not highlighted"
    # The hero names the same escalation level as the highlighted step of the ladder.
    active_name = active.locator("strong").first.inner_text().strip()
    hero_escalation = hero.locator("dd strong", has_text=active_name)
    assert hero_escalation.count() == 1, f"hero does not name the active level {active_name!r}"

    # The status badge image in the hero loaded.
    badge = hero.locator(".aipo-badge img")
    assert badge.evaluate("img => img.complete && img.naturalWidth > 0")


# --- 3. No console errors, nothing fetched from other hosts --------------------------------------

PAGES = [
    "",
    "dashboard.html",
    "models/fraud-prevention.html",
    "models/customer-churn.html",
    "models/supply-chain-forecast.html",
    "reference/charter.html",
    "regulation.html",
]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.strip("/") or "home")
def test_page_is_clean_and_offline(portal: PortalPage, path: str) -> None:
    portal.goto(path)
    if portal.page.locator(".aipo-chart").count():
        assert_charts_drawn(portal)
    # Let late requests (search index, images, the search worker) finish.
    portal.page.wait_for_load_state("networkidle")
    assert portal.requests, "no request was recorded"
    assert portal.console_errors == []
    assert portal.page_errors == []
    assert portal.failures == []
    assert portal.foreign_requests() == []


# --- 4. Badges ----------------------------------------------------------------------------------


def fetch(server: SiteServer, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return response.status, response.headers.get_content_type(), response.read()


@pytest.mark.parametrize("model_id", sorted(EXPECTED_STATUS))
def test_badges(demo_server: SiteServer, model_id: str) -> None:
    status, ctype, body = fetch(demo_server, f"badges/{model_id}.svg")
    assert status == 200
    assert ctype == "image/svg+xml"
    svg = ET.fromstring(body)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert EXPECTED_STATUS[model_id] in "".join(svg.itertext())

    status, ctype, body = fetch(demo_server, f"badges/{model_id}.json")
    assert status == 200
    endpoint = json.loads(body)
    assert endpoint["schemaVersion"] == 1
    assert endpoint["message"] == EXPECTED_STATUS[model_id]
    assert endpoint["label"] and endpoint["color"]


# --- 5. Navigating from the dashboard -----------------------------------------------------------


def test_dashboard_link_opens_model_page_with_charts(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    page.locator(f'{ROWS}[data-model="customer-churn"] td:first-child a').click()
    page.wait_for_url("**/models/customer-churn.html")
    assert page.locator(".aipo-hero").get_attribute("data-aipo-status") == "BREACH"
    assert_charts_drawn(portal)
    assert portal.page_errors == []


# --- 6. Charter text cannot inject script --------------------------------------------------------

XSS_MODEL = "fraud-prevention"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
MD_LINK = "[click](javascript:window.__xss=1)"
JS_URL = "javascript:window.__xss=1"
XSS_NAME = f"Fraud </title>{SCRIPT}{IMG} {MD_LINK}"
XSS_OWNER = f"Owner {SCRIPT}{IMG}"


def poison_charter(path: Path) -> None:
    charter = yaml.safe_load(path.read_text(encoding="utf-8"))
    charter["name"] = XSS_NAME
    charter["summary"] = (
        f'Summary {SCRIPT} {IMG} {MD_LINK} <a href="{JS_URL}">raw</a> '
        f"<svg onload=window.__xss=1></svg> [data](data:text/html,{SCRIPT})"
    )
    charter["notes"] = f"Notes {SCRIPT} {IMG} {MD_LINK}"
    charter["business_unit"] = f"Payments {IMG}"
    for who in ("owner", "incident_owner"):  # a key of the people directory: make it a mapping
        if isinstance(charter[who], str):
            charter[who] = {"person": charter[who]}
    charter["owner"]["name"] = XSS_OWNER
    charter["owner"]["role"] = f"Role {IMG}"
    charter["owner"]["email"] = "x'><img/src=x/onerror=window.__xss=1>@example.com"
    charter["incident_owner"]["on_call"] = f"Pager {SCRIPT}"
    charter["kpis"][0]["name"] = f"Recall {SCRIPT}{IMG}"
    charter["risks"][0]["title"] = f"Risk title {IMG}"
    charter["risks"][0]["business"] = f"Risk {SCRIPT} {IMG} {MD_LINK}"
    charter["risks"][0]["technical"] = f"Technical {SCRIPT}"
    source = charter["data_sources"][0]
    source["name"] = f"Stream {IMG}"
    source["contract"] = JS_URL
    source["authorisation"]["url"] = JS_URL
    source["authorisation"]["record"] = f"DPIA {SCRIPT}"
    charter["escalation"][0]["name"] = f"L1 {IMG}"
    charter["decision_rights"][0]["decision"] = f"Go/no-go {SCRIPT}"
    charter["onboarding"][0]["item"] = f"Item {IMG}"
    path.write_text(yaml.safe_dump(charter, sort_keys=False, allow_unicode=True), "utf-8")


@pytest.fixture(scope="session")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A copy of the demo whose fraud-prevention charter carries injection payloads."""
    repo = tmp_path_factory.mktemp("xss-repo")
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    shutil.copytree(ROOT / "content", repo / "content")
    shutil.copytree(ROOT / "metrics", repo / "metrics")
    poison_charter(repo / "content" / "models" / f"{XSS_MODEL}.yaml")
    # A risk acceptance names its risk by title: it follows the poisoned title.
    for record in (repo / "content" / "decisions").glob("*.yaml"):
        data = yaml.safe_load(record.read_text(encoding="utf-8"))
        if data["model"] == XSS_MODEL and data.get("risk"):
            data["risk"] = f"Risk title {IMG}"
            record.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    server = SiteServer(build_site(repo, tmp_path_factory.mktemp("xss-site")))
    yield server
    server.close()


INJECTED = """() => {
  const found = [];
  if (typeof window.__xss !== 'undefined') found.push('window.__xss was set');
  for (const s of document.querySelectorAll('script')) {
    if (s.textContent.includes('__xss') && s.type !== 'application/json')
      found.push('script: ' + s.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.trim().toLowerCase();
      if (name.startsWith('on') && value.includes('__xss'))
        found.push(`${el.tagName} ${name}=${a.value}`);
      if (value.startsWith('javascript:') || value.startsWith('data:text/html'))
        found.push(`${el.tagName} ${name}=${a.value}`);
    }
  }
  return found;
}"""


def assert_inert(portal: PortalPage) -> None:
    found = portal.page.evaluate(INJECTED)
    assert not found, (
        "charter text injected markup into " + portal.page.url + ":\n" + "\n".join(found)
    )
    assert portal.page.locator('a[href^="javascript:" i]').count() == 0
    assert portal.page_errors == []


@pytest.mark.parametrize("path", ["", "dashboard.html", f"models/{XSS_MODEL}.html"], ids=str)
def test_charter_text_cannot_inject_script(
    open_portal: OpenPortal, xss_server: SiteServer, path: str
) -> None:
    portal = open_portal(xss_server)
    portal.goto(path)
    if portal.page.locator(".aipo-chart").count():
        assert_charts_drawn(portal)
    portal.page.wait_for_load_state("networkidle")
    assert_inert(portal)


def test_xss_payload_is_shown_as_text(open_portal: OpenPortal, xss_server: SiteServer) -> None:
    portal = open_portal(xss_server)
    page = open_dashboard(portal)
    row = page.locator(f'{ROWS}[data-model="{XSS_MODEL}"]')
    assert row.locator("td:first-child a").inner_text().strip() == XSS_NAME
    assert XSS_OWNER in row.inner_text()  # escaped, not dropped

    portal.goto(f"models/{XSS_MODEL}.html")
    assert page.title().startswith(XSS_NAME + " - ")
    nav = page.locator(".md-nav--primary")
    assert nav.get_by_text(XSS_NAME, exact=True).count() >= 1
    assert nav.get_by_text(f"Payments {IMG}", exact=True).count() >= 1
    heading = heading_text(page)
    assert SCRIPT in heading and IMG in heading
    assert XSS_OWNER in page.locator(".aipo-facts").inner_text()
    # A data contract with a javascript: URL is shown as text, not as a link.
    sources = page.locator(".aipo-table-wrap tbody tr", has_text="Stream <img")
    assert sources.locator("a", has_text="contract").count() == 0
    assert "contract" in sources.inner_text()
    assert_inert(portal)


def heading_text(page: Any) -> str:
    """The page's H1 as a user reads it, without Markdown's permalink anchor."""
    return page.locator("article h1").first.evaluate(
        """h => [...h.childNodes]
             .filter(n => !(n.classList && n.classList.contains('headerlink')))
             .map(n => n.textContent).join('').trim()"""
    )


def test_model_name_heading_is_verbatim(open_portal: OpenPortal, xss_server: SiteServer) -> None:
    portal = open_portal(xss_server)
    portal.goto(f"models/{XSS_MODEL}.html")
    assert heading_text(portal.page) == XSS_NAME


def test_links_in_hero_and_summary_are_safe(
    open_portal: OpenPortal, xss_server: SiteServer
) -> None:
    portal = open_portal(xss_server)
    portal.goto(f"models/{XSS_MODEL}.html")
    page = portal.page
    links = page.locator(".aipo-hero a, .aipo-summary a, .aipo-notes a")
    assert links.count() > 0
    for i in range(links.count()):
        link = links.nth(i)
        href = (link.get_attribute("href") or "").strip()
        scheme = href.split(":", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
        assert scheme in ("", "http", "https", "mailto"), f"unsafe link {href!r}"
        # Links without a target (sanitised payloads) and in-page links are safe to click;
        # real targets would navigate away and are covered by the scheme check above.
        if not href or href.startswith("#"):
            link.click()
    page.wait_for_timeout(200)  # give any injected handler a chance to run before checking
    assert page.url.startswith(portal.url(f"models/{XSS_MODEL}.html"))
    assert_inert(portal)


def test_search_results_cannot_inject_script(
    open_portal: OpenPortal, xss_server: SiteServer
) -> None:
    portal = open_portal(xss_server)
    page = open_dashboard(portal)
    assert_inert(portal)
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("onerror")
    page.locator(".md-search-result__item").first.wait_for()
    page.wait_for_timeout(200)  # let every result render
    assert page.locator(".md-search-result img, .md-search-result script").count() == 0
    assert_inert(portal)


# --- Status history: week strips and the portfolio trend -----------------------------------------

STRIP_WEEKS = "el => [...el.children].reduce((n, cell) => n + Number(cell.style.flexGrow), 0)"


@pytest.mark.parametrize("model_id", sorted(EXPECTED_STATUS))
def test_status_strips(portal: PortalPage, model_id: str) -> None:
    portal.goto(f"models/{model_id}.html")
    page = portal.page
    # The hero's strip is one painted element; the Status history has one row per item.
    hero = page.locator(".aipo-hero-strip .aipo-strip")
    assert hero.get_attribute("data-weeks") == "52"
    assert "linear-gradient" in hero.evaluate("el => getComputedStyle(el).backgroundImage")
    strips = page.locator(".aipo-history-strips .aipo-strip")
    assert strips.count() >= 2
    for i in range(strips.count()):
        strip = strips.nth(i)
        assert strip.evaluate(STRIP_WEEKS) == 52
        box = strip.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] >= 10
        assert strip.get_attribute("role") == "img"
        label, _, sentence = strip.get_attribute("aria-label").partition(": ")
        assert label and sentence, "a strip must say what it shows and read it in words"
    # The last week holds today, so it is at least as bad as the model's status.
    status = EXPECTED_STATUS[model_id]
    last = strips.first.locator(".aipo-cell").last  # the model's row
    allowed = {"WARN": {"aipo-cell-warn", "aipo-cell-breach"}, "BREACH": {"aipo-cell-breach"}}
    assert set(last.get_attribute("class").split()) & allowed[status]
    assert last.get_attribute("title").endswith(("WARN", "BREACH"))
    # Each cell's colour is the status it names.
    colours = page.eval_on_selector_all(
        ".aipo-history-strips .aipo-cell",
        "cells => cells.map(c => [c.className, getComputedStyle(c).backgroundColor])",
    )
    by_class: dict[str, set[str]] = {}
    for cls, colour in colours:
        by_class.setdefault(cls.split()[-1], set()).add(colour)
    assert all(len(c) == 1 for c in by_class.values()), by_class
    assert len({next(iter(c)) for c in by_class.values()}) == len(by_class)


def test_status_strip_fits_a_phone(portal: PortalPage) -> None:
    portal.page.set_viewport_size({"width": 390, "height": 844})
    portal.goto("models/customer-churn.html")
    box = portal.page.locator(".aipo-hero-strip .aipo-strip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_portfolio_trend_counts_every_model_every_week(portal: PortalPage) -> None:
    page = open_dashboard(portal)
    assert_charts_drawn(portal)
    spec = json.loads(page.locator('[data-chart="trend"] script').text_content())
    rows = spec["data"]["values"]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["start"]] = totals.get(row["start"], 0) + row["models"]
    assert len(totals) == 52
    assert set(totals.values()) == {page.locator(ROWS).count()}
    # The last week is today's week: no model is OK in it in the demo.
    last = max(totals)
    assert {r["status"]: r["models"] for r in rows if r["start"] == last}.get("OK", 0) == 0


def test_home_page_opens_with_the_live_portfolio(portal: PortalPage) -> None:
    portal.goto("")
    page = portal.page
    block = page.locator("[data-aipo-portfolio]")
    counts = {
        a.locator(".aipo-count-n").inner_text() + " " + a.inner_text().split()[-1]
        for a in block.locator(".aipo-count").all()
    }
    assert counts == {"2 BREACH", "1 WARN", "0 OK"}
    rows = block.locator(".aipo-attention li")
    assert rows.count() == 3  # every demo model needs attention
    first = rows.first
    assert first.locator(".aipo-pill").first.inner_text() == "BREACH"
    first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator(".aipo-hero").get_attribute("data-aipo-status") == "BREACH"
