"""Print (issue 9, point 6): a model page prints as its one-page charter, the dashboard as a board
pack.

In Chromium with print media emulated, printed to an A4 PDF:

- every demo model page is at most two A4 pages; it shows no navigation (header with search and
  palette toggle, tabs, left navigation, table of contents, footer, back-to-top); its status,
  answers, owners, KPI table, small KPI charts (scaled, not clipped), compliance findings and
  escalation ladder are shown; every section that does not print shows its one-line summary
  instead (and on screen the summaries are hidden and the sections shown);
- the summaries say what the page's own sections hold (drifted features, charter commits);
- the dashboard prints every model's row, all columns inside their box, no filter controls, its
  table header repeated on each page (a real table with a table-header-group head), whatever
  filter the screen had;
- the PDF page counter is checked on a PDF with a known number of pages.

Without a browser: the summaries are computed from the evaluated results (render functions).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, DEMO_MODELS, ROOT, PortalPage

from aipo_site.load.source import WorkingTree
from aipo_site.model.revision import CommitInfo
from aipo_site.pipeline import PortalOptions, build_portal
from aipo_site.render.pages import Paths, render_history, render_model_page

MODELS = DEMO_MODELS
MAX_MODEL_PAGES = 2
CHART_TIMEOUT_MS = 45_000
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.aipo-chart')];
  return charts.length > 0 && charts.every((el) => el.getAttribute('data-aipo-drawn') === 'done');
}"""
# Navigation a printed page must not show (absent is fine: not every page has tabs).
NAVIGATION = [
    ".md-header",
    ".md-tabs",
    ".md-sidebar--primary",
    ".md-sidebar--secondary",
    ".md-footer",
    ".md-search",
    ".md-top",
    "[data-md-component='palette']",
]
SHOWN = "el => el.checkVisibility() && el.getBoundingClientRect().height > 0"
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_PAGE_TREE_COUNT = re.compile(rb"/Type\s*/Pages\b(?:(?!>>).)*?/Count\s+(\d+)", re.S)
_PAGE_TREE_COUNT_FIRST = re.compile(rb"/Count\s+(\d+)(?:(?!>>).)*?/Type\s*/Pages\b", re.S)


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it (no object streams): the page objects, which must
    agree with the page tree's own count (the root's, the largest)."""
    objects = len(_PAGE_OBJECT.findall(pdf))
    counts = [int(n) for n in _PAGE_TREE_COUNT.findall(pdf) + _PAGE_TREE_COUNT_FIRST.findall(pdf)]
    assert counts, "no page tree in the PDF"
    assert objects == max(counts), f"{objects} page objects, page tree says {max(counts)}"
    return objects


def site_path(site: Path, stem: str) -> str:
    """A page's path on the served site: ``stem.html`` (offline plugin, no directory URLs) or
    ``stem/`` (directory URLs)."""
    if (site / f"{stem}.html").is_file():
        return f"{stem}.html"
    assert (site / stem / "index.html").is_file(), f"no page {stem} in {site}"
    return f"{stem}/"


def open_for_print(portal: PortalPage, path: str) -> Any:
    page = portal.page
    portal.goto(path)
    page.wait_for_function(CHARTS_DRAWN, timeout=CHART_TIMEOUT_MS)
    return page


def print_pdf(page: Any) -> bytes:
    page.emulate_media(media="print")
    return page.pdf(format="A4", print_background=True)


def shown(page: Any, selector: str) -> list[bool]:
    return page.eval_on_selector_all(selector, f"els => els.map({SHOWN})")


@pytest.mark.browser
def test_pdf_page_counter(portal: PortalPage) -> None:
    page = portal.page
    page.set_content(
        "<!doctype html><html><body>"
        + "".join(f'<p style="break-before: page">page {n}</p>' for n in range(1, 4))
        + '<div style="height: 600mm">tall: two more pages</div></body></html>'
    )
    assert pdf_pages(page.pdf(format="A4")) == 5


@pytest.mark.browser
@pytest.mark.parametrize("model", MODELS)
def test_model_page_prints_as_its_charter(
    portal: PortalPage, demo_site: Path, model: str, record_property: Any
) -> None:
    page = open_for_print(portal, site_path(demo_site, f"models/{model}"))
    # On screen: the navigation is there, the sections are shown and their summaries are not.
    assert all(shown(page, ".md-header")), "no header on screen"
    assert all(shown(page, ".md-sidebar--primary")), "no navigation on screen"
    skipped = page.locator(".aipo-print-skip").count()
    assert skipped >= 8, f"only {skipped} sections are summarised in print"
    assert not any(shown(page, ".aipo-print-only")), "a print summary shows on screen"

    pdf = print_pdf(page)
    pages = pdf_pages(pdf)
    record_property("pdf_pages", pages)
    assert pages <= MAX_MODEL_PAGES, f"{model} prints on {pages} A4 pages"

    for selector in NAVIGATION:
        assert not any(shown(page, selector)), f"{selector} is printed"
    # The charter: status, the two answers, owners, KPIs with their charts, findings, ladder.
    for selector in [
        ".aipo-hero .aipo-hero-status",
        ".aipo-verdict",
        ".aipo-facts",
        "h2#kpis",
        ".aipo-kpi-table tr[data-metric]",
        ".aipo-kpi-charts .aipo-chart svg",
        "h2#compliance",
        ":is(.aipo-findings tbody tr, .aipo-ok-note)",
        "h2#escalation-ladder",
        ":is(.aipo-ladder li, #escalation-ladder + .aipo-missing)",
        ".aipo-stamp",
    ]:
        flags = shown(page, selector)
        assert flags and all(flags), f"{selector} is not printed: {flags}"
    # Every section left out prints its summary instead, and neither its heading nor its body.
    sections = page.eval_on_selector_all(
        ".aipo-print-skip",
        """els => els.map(el => {
          let summary = el.previousElementSibling;
          // aipo.js puts a "Show details" button between them (on phones; never printed).
          if (summary && summary.matches('.aipo-fold-toggle')) summary = summary.previousElementSibling;
          const heading = summary && summary.previousElementSibling;
          const visible = (x) => !!x && x.checkVisibility();
          return {
            summary: summary && summary.matches('.aipo-print-summary')
              ? summary.textContent.trim() : null,
            summaryShown: visible(summary),
            headingShown: heading && heading.tagName === 'H2' ? visible(heading) : null,
            bodyShown: visible(el),
          };
        })""",
    )
    for s in sections:
        assert s["summary"] and s["summaryShown"], f"section without a printed summary: {s}"
        assert s["headingShown"] is False, f"heading of a summarised section printed: {s}"
        assert not s["bodyShown"], f"summarised section printed in full: {s}"
    texts = " | ".join(s["summary"] for s in sections)
    for label in ["Status history:", "Risks:", "Decision rights:", "History:"]:
        assert label in texts, f"no {label} summary in {texts}"
    assert not any(shown(page, ".aipo-history-strips, .aipo-drift-table, .aipo-history"))

    # KPI charts are small and scaled to their box, never clipped.
    charts = page.eval_on_selector_all(
        ".aipo-kpi-charts .aipo-chart svg",
        """els => els.map(svg => {
          const box = svg.closest('.aipo-figure').getBoundingClientRect();
          const r = svg.getBoundingClientRect();
          const main = document.querySelector('.md-content').getBoundingClientRect();
          return {w: r.width, h: r.height, left: r.left - box.left, right: box.right - r.right,
                  drawn: parseFloat(svg.getAttribute('width')), viewBox: svg.getAttribute('viewBox'),
                  main: main.width};
        })""",
    )
    for c in charts:
        assert c["viewBox"], f"chart SVG without a viewBox cannot scale: {c}"
        assert c["left"] >= -1 and c["right"] >= -1, f"chart sticks out of its figure: {c}"
        assert c["w"] <= c["main"] / 2 + 1, f"chart not small in print: {c}"
        assert c["h"] <= 160, f"chart too tall in print: {c}"


# The drawn SVG's size, axes and legend included.
KPI_SIZES = """() => [...document.querySelectorAll('.aipo-kpi-charts .aipo-chart svg')]
  .map(svg => [+svg.getAttribute('width'), +svg.getAttribute('height')])"""


@pytest.mark.browser
def test_kpi_charts_are_drawn_at_print_size_while_printing(
    portal: PortalPage, demo_site: Path
) -> None:
    """Scaled down from the screen, a chart's labels would print at about 4 pt: the charts are
    drawn at print size on beforeprint and back at their own size on afterprint."""
    page = open_for_print(portal, site_path(demo_site, "models/fraud-prevention"))
    screen = page.evaluate(KPI_SIZES)
    assert screen and all(w > 300 for w, _ in screen), screen
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    printing = page.evaluate(KPI_SIZES)
    assert all(
        w == 300 and h < 0.6 * sh for (w, h), (_, sh) in zip(printing, screen, strict=True)
    ), printing
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate(KPI_SIZES) == screen
    print_pdf(page)  # the browser's own print events: the page is as it was after
    assert page.evaluate(KPI_SIZES) == screen


@pytest.mark.browser
def test_dark_scheme_prints_light(portal: PortalPage, demo_site: Path) -> None:
    page = portal.page
    page.emulate_media(color_scheme="dark")
    open_for_print(portal, site_path(demo_site, f"models/{MODELS[0]}"))
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    page.emulate_media(media="print", color_scheme="dark")
    colours = page.evaluate(
        """() => ({
          page: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.querySelector('.md-typeset')).color,
          quiet: getComputedStyle(document.querySelector('.aipo-hero .aipo-quiet')).color,
        })"""
    )
    assert colours["page"] == "rgb(255, 255, 255)", colours
    for name in ("text", "quiet"):
        channels = [float(x) for x in re.findall(r"[0-9.]+", colours[name])[:3]]
        assert max(channels) < 128, f"{name} text is light on the white paper: {colours}"


@pytest.mark.browser
def test_print_summaries_match_the_page(portal: PortalPage, demo_site: Path) -> None:
    """A summary says what the section it stands for holds."""
    page = open_for_print(portal, site_path(demo_site, "models/customer-churn"))
    facts = page.evaluate(
        """() => ({
          drift: document.querySelector('.aipo-print-summary[data-section="data-drift"]').textContent,
          features: document.querySelectorAll('.aipo-drift-table tbody tr').length,
          drifted: document.querySelectorAll(
            '.aipo-drift-table tbody tr:is(.aipo-row-warn, .aipo-row-breach)').length,
          history: document.querySelector('.aipo-print-summary[data-section="history"]').textContent,
          commits: document.querySelectorAll('.aipo-history tbody tr').length,
          newest: document.querySelector('.aipo-history tbody tr td')?.textContent,
        })"""
    )
    assert f"{facts['drifted']} of {facts['features']} features drifted" in facts["drift"], facts
    if facts["commits"]:
        assert f"{facts['commits']} charter commit" in facts["history"], facts
        assert f"latest {facts['newest']}" in facts["history"], facts
    else:
        assert "History:" in facts["history"], facts


@pytest.mark.browser
def test_dashboard_prints_as_a_board_pack(
    portal: PortalPage, demo_site: Path, record_property: Any
) -> None:
    page = open_for_print(portal, site_path(demo_site, "dashboard"))
    # A filter on screen does not shorten the printed table.
    page.click(".aipo-count-breach")
    pdf = print_pdf(page)
    pages = pdf_pages(pdf)
    record_property("pdf_pages", pages)
    assert pages >= 1

    for selector in NAVIGATION:
        assert not any(shown(page, selector)), f"{selector} is printed"
    for selector in [".aipo-dashboard-tools", ".aipo-filter-input"]:
        assert not any(shown(page, selector)), f"{selector} is printed"
    for selector in [".aipo-counts .aipo-count", ".aipo-trend .aipo-chart svg"]:
        flags = shown(page, selector)
        assert flags and all(flags), f"{selector} is not printed"

    table = page.eval_on_selector(
        ".aipo-dashboard",
        """wrap => {
          const table = wrap.querySelector('table');
          const article = wrap.closest('article') || document.body;
          const boxes = [];
          for (let el = table; el && el !== article.parentElement; el = el.parentElement) boxes.push(el);
          const right = wrap.getBoundingClientRect().right;
          return {
            display: getComputedStyle(table).display,
            head: getComputedStyle(table.tHead).display,
            columns: table.tHead.rows[0].cells.length,
            clipped: boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
              .map(b => `${b.tagName}.${b.className}: ${b.scrollWidth} > ${b.clientWidth}`),
            outside: [...table.querySelectorAll('th, td')]
              .filter(c => c.getBoundingClientRect().right > right + 1).map(c => c.textContent.trim()),
            rows: [...table.tBodies[0].rows].map(r => ({
              model: r.getAttribute('data-model'),
              name: r.cells[0].querySelector('strong').textContent,
              shown: r.checkVisibility() && r.getBoundingClientRect().height > 0,
              nameShown: r.cells[0].querySelector('strong').checkVisibility(),
            })),
          };
        }""",
    )
    assert table["display"] == "table", table
    assert table["head"] == "table-header-group", "the header would not repeat on each page"
    assert table["columns"] == 12
    assert not table["clipped"], f"dashboard table clipped in print: {table['clipped']}"
    assert not table["outside"], f"columns outside the printed box: {table['outside']}"
    assert sorted(r["model"] for r in table["rows"]) == MODELS
    for row in table["rows"]:
        assert row["shown"] and row["nameShown"], f"{row['name']} is not printed"
        assert row["name"] in page.inner_text("article"), row


# --- Without a browser: the summaries come from the results ------------------------------------


def _summaries(page_text: str) -> dict[str, str]:
    out = {}
    for section, body in re.findall(
        r'<p class="aipo-print-only aipo-print-summary"[^>]* data-section="([a-z-]+)">(.*?)</p>',
        page_text,
    ):
        out[section] = re.sub(r"<[^>]+>", "", body)
    return out


@pytest.fixture(scope="module")
def demo_results() -> list[Any]:
    return list(
        build_portal(WorkingTree(ROOT), PortalOptions(assets=False), AS_OF).portfolio.models
    )


def _commit(n: int) -> CommitInfo:
    when = dt.datetime(2026, 11, 20 - n, 9, 0, tzinfo=dt.UTC)
    return CommitInfo(f"{n:040x}", f"{n:07x}", when, f"Author {n}", f"Change number {n}")


def test_print_summaries_are_computed_from_results(demo_results: list[Any]) -> None:
    history = [_commit(n) for n in range(3)]
    for m in demo_results:
        block = render_history(history, m.path, limit=10)
        text, _ = render_model_page(m, Paths(), [block])
        s = _summaries(text)
        c = m.charter
        if m.drift is not None:
            levels = [f.status.level.slug for f in m.drift.features]
            drifted = levels.count("warn") + levels.count("breach")
            assert f"{drifted} of {len(levels)} feature" in s["data-drift"], s["data-drift"]
            assert (
                f"{levels.count('breach')} BREACH, {levels.count('warn')} WARN" in s["data-drift"]
            )
        open_risks = sum(1 for r in c.risks if r.status.value == "open")
        top = max(r.likelihood * r.impact for r in c.risks)
        assert f"{len(c.risks)} recorded, {open_risks} open" in s["risks"], s["risks"]
        assert f"highest likelihood × impact {top}" in s["risks"], s["risks"]
        done = sum(1 for i in c.onboarding if i.done)
        assert f"{done} of {len(c.onboarding)} items done" in s["onboarding"]
        assert f"{len(c.decision_rights)} decisions" in s["decision-rights"]
        assert f"{c.lifecycle.stage.value} since" in s["lifecycle"]
        assert "3 charter commits, latest 2026-11-20 by Author 0" in s["history"], s["history"]
        assert "Change number 0" in s["history"]

    # Change the results: the summaries follow.
    m = demo_results[0]
    one_risk = m.charter.model_copy(update={"risks": m.charter.risks[:1], "onboarding": []})
    text, _ = render_model_page(
        dataclasses.replace(m, charter=one_risk), Paths(), [render_history([], m.path, 10)]
    )
    s = _summaries(text)
    r = m.charter.risks[0]
    assert f"1 recorded, {int(r.status.value == 'open')} open" in s["risks"], s["risks"]
    assert f"highest likelihood × impact {r.likelihood * r.impact}" in s["risks"]
    assert s["onboarding"] == "Onboarding: no checklist."
    assert s["history"] == "History: no commit has changed the charter yet."
    text, _ = render_model_page(m, Paths(), [render_history(None, m.path, 10)])
    assert "not built from a git repository" in _summaries(text)["history"]
    truncated = [_commit(n) for n in range(10)]
    text, _ = render_model_page(m, Paths(), [render_history(truncated, m.path, 10)])
    assert "at least 10 charter commits" in _summaries(text)["history"]
