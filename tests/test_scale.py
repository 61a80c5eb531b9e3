"""The portfolio pages at scale (issue 12, point 4): no page grows with the number of models.

In process, 1,000 classified models (benchmarks/build_speed.py's generator, 90 days of metrics
each so that the fixture takes seconds): every generated page stays under 400 KB, the pages of
the dashboard, the risk register and the regulation matrix together list every model (or risk)
exactly once, their pagers link page k to k-1 and k+1, and the dashboard's model index covers
every model in the dashboard's order. At or below ``page_size`` nothing is split.

In Chromium, a 35-model portal built with ``page_size: 10`` (4 pages): without JavaScript the
first rows and the pager work; with it the filters, the sorting and the URL filters apply to all
35 models, over HTTP and from disk (the index is a script, not a fetch); axe passes on a split
page in both schemes at 390 and 1400 px.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import html
import io
import json
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SiteServer, build_site

from aipo_site.errors import ConfigError
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.model.results import Responsibility
from aipo_site.pipeline import (
    Portal,
    PortalOptions,
    evaluate_source,
    portal_options,
    render_portal,
    standalone_page,
)
from aipo_site.render.pages import (
    Paths,
    dashboard_index,
    dashboard_index_path,
    dashboard_order,
    render_dashboard_pages,
    risk_register,
)
from aipo_site.render.paging import DEFAULT_PAGE_SIZE
from aipo_site.render.people import render_person_pages

sys.path.insert(0, str(ROOT / "benchmarks"))
import build_speed as bench
import regulation_speed

# 1,000 models: ten pages of the dashboard and the regulation matrix, thirty of the risk register.
# (2,500 took 65-90 s to evaluate and render here; page sizes do not depend on it, and
# benchmarks/scale_speed.py measures 10,000.)
MODELS = 1_000
MAX_PAGE_BYTES = 400_000
METRIC_DAYS = 90
LAYOUT = Layout(charters="docs/models", policy="docs/policy.yaml", metrics="metrics")
PATHS = Paths(docs_prefix="docs/")
COMMITTEE_PAGE = PATHS.person_page("model-risk-committee")


# A people directory as a large organisation has one: the Model Risk Committee is consulted on
# every decision of every model, so its owner page names all of them; and an incident record for
# every fourth model, so the incident log holds a few hundred.
COMMITTEE = "model-risk-committee"
INCIDENT_EVERY = 4
PEOPLE_YAML = f"""people:
  {COMMITTEE}: {{name: Model Risk Committee, kind: team, role: Second line}}
  dpo: {{name: Data Protection Officer}}
"""


def write_project(root: Path, n: int, days: int = METRIC_DAYS, people: bool = False) -> None:
    """build_speed's project of ``n`` classified models, charters written as JSON (which is
    YAML, and 100x faster to write) and the last ``days`` days of each metric series; with
    ``people``, a people directory and incident records (:data:`COMMITTEE`,
    :data:`INCIDENT_EVERY`; the charters' other people stay plain names, each a warning)."""
    models = [bench.make_model(i, 7) for i in range(n)]
    bench.generate_aipo(root, [], 7)
    if people:
        (root / "content/incidents").mkdir(parents=True)
        (root / "content/people.yaml").write_text(PEOPLE_YAML, encoding="utf-8")
    for i, m in enumerate(models):
        m.charter["eu_ai_act"] = regulation_speed.classification(i)
        if people:
            for right in m.charter["decision_rights"]:
                right["consulted"] = [COMMITTEE, "dpo"]
        if people and i % INCIDENT_EVERY == 0:
            incident = {
                "model": m.id,
                "title": f"Scoring latency on {m.id}",
                "severity": "medium",
                "opened": f"2026-10-{1 + i % 28:02d}T09:00:00Z",
                "acknowledged": f"2026-10-{1 + i % 28:02d}T09:30:00Z",
                "resolved": f"2026-10-{1 + i % 28:02d}T15:00:00Z",
                "owner": COMMITTEE,
                "summary": "Timeouts for two hours; the fallback rules scored the traffic.",
            }
            path = root / f"content/incidents/{m.id}.yaml"
            path.write_text(json.dumps(incident), encoding="utf-8")
        path = root / f"docs/models/{m.id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(m.charter, default=str), encoding="utf-8")
        out = io.StringIO()
        out.write("date,metric,value\n")
        for day in range(bench.DAYS - days, bench.DAYS):
            date = (m.end - dt.timedelta(days=bench.DAYS - 1 - day)).isoformat()
            for metric, values in m.series.items():
                out.write(f"{date},{metric},{values[day]:.5g}\n")
        metrics = root / f"metrics/{m.id}/kpis.csv"
        metrics.parent.mkdir(parents=True, exist_ok=True)
        metrics.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    root = tmp_path_factory.mktemp("scale")
    write_project(root, MODELS, people=True)
    gc.disable()  # as the plugin does: millions of long-lived objects, nothing to collect
    try:
        repo, portfolio = evaluate_source(WorkingTree(root), LAYOUT, bench.AS_OF)
        assert len(portfolio.models) == MODELS
        portal = render_portal(
            repo, portfolio, PortalOptions(layout=LAYOUT, paths=PATHS, split_blocks=True)
        )
    finally:
        gc.enable()
    gc.freeze()  # the later collections of this module's tests skip them
    return portal


def paged(portal: Portal, first: str) -> list[str]:
    """The src_uris of a portfolio page's pages, in order."""
    stem = first.removesuffix(".md")
    more = [
        p
        for p in portal.pages
        if p.startswith(stem + "/") and re.fullmatch(r"\d+", p[len(stem) + 1 : -3])
    ]
    return [first, *sorted(more, key=lambda p: int(p[len(stem) + 1 : -3]))]


def test_no_page_over_400_kb(big: Portal) -> None:
    sizes = {src: len(standalone_page(big, src).encode()) for src in big.pages}
    largest = max(sizes, key=sizes.__getitem__)
    assert sizes[largest] < MAX_PAGE_BYTES, f"{largest}: {sizes[largest]:,} bytes"
    # The portfolio pages are split, not merely small.
    for first in (PATHS.dashboard, PATHS.risks, PATHS.regulation, COMMITTEE_PAGE, PATHS.incidents):
        assert len(paged(big, first)) > 2, first


def test_dashboard_pages_list_every_model_once(big: Portal) -> None:
    pages = paged(big, PATHS.dashboard)
    assert len(pages) == -(-MODELS // DEFAULT_PAGE_SIZE)
    listed = [
        m
        for src in pages
        for m in re.findall(
            r'<tr class="aipo-row-\w+"[^>]* data-model="([^"]+)"', standalone_page(big, src)
        )
    ]
    assert listed == [m.id for m in dashboard_order(big.portfolio)]
    assert set(big.paged_pages) >= set(pages[1:])
    assert PATHS.dashboard not in big.paged_pages
    # Only the first page carries the summary.
    first = standalone_page(big, pages[0])
    assert 'id="aipo-units-title"' in first and 'data-chart="trend"' in first
    assert 'id="aipo-units-title"' not in standalone_page(big, pages[1])


def test_risk_and_regulation_pages_list_everything_once(big: Portal) -> None:
    rows = [
        (m, r)
        for src in paged(big, PATHS.risks)
        for m, r in re.findall(
            r'<tr data-model="([^"]+)" data-risk="(R\d+)"', standalone_page(big, src)
        )
    ]
    expected = [(m.id, f"R{x.number}") for m, x in risk_register(big.portfolio)]
    assert rows == expected and len(rows) > MODELS
    pages = paged(big, PATHS.regulation)
    matrix = [
        m
        for src in pages
        for m in re.findall(
            r'<tr data-model="([^"]+)"><th scope="row">',
            standalone_page(big, src)
            .split('data-framework="eu-ai-act"', 1)[1]
            .split("</table>", 1)[0],
        )
    ]
    assert matrix == [m.id for m in big.portfolio.models if m.coverage is not None]
    # The voluntary standards count over the whole portfolio, once, on the first page.
    assert 'data-framework="nist-ai-rmf"' in standalone_page(big, pages[0])
    assert all('data-framework="nist-ai-rmf"' not in standalone_page(big, p) for p in pages[1:])


def test_owner_pages_list_every_model_once(big: Portal) -> None:
    pages = paged(big, COMMITTEE_PAGE)
    rows = [
        re.findall(r'<tr><td data-label="Model"><a href="([^"]+)"', standalone_page(big, src))
        for src in pages
    ]
    named = [
        resolve(src, html.unescape(href))
        for src, found in zip(pages, rows, strict=True)
        for href in found
    ]
    assert named == [PATHS.model_page(m.id) for m in big.portfolio.models]
    assert all(len(found) <= DEFAULT_PAGE_SIZE for found in rows)
    assert set(pages[1:]) <= set(big.paged_pages) and COMMITTEE_PAGE in big.person_pages
    # The directory facts are on the first page; the table goes on, and says so, on the next.
    assert "Directory key" in standalone_page(
        big, pages[0]
    ) and "Directory key" not in standalone_page(big, pages[1])
    assert (
        'Responsible, consulted, informed and other roles <span class="aipo-quiet">(continued)'
        in standalone_page(big, pages[1])
    )
    # The sections after the table are on the page it ends on.
    assert 'id="overdue"' in standalone_page(
        big, pages[-1]
    ) and 'id="overdue"' not in standalone_page(big, pages[0])


def test_owner_page_pagers_count_rows_not_models(big: Portal) -> None:
    """A model in both model tables (its owner, also consulted) is two rows of the pager."""
    models = big.portfolio.models[:60]
    p = dataclasses.replace(
        big.portfolio.people[0],
        responsibilities=tuple(
            Responsibility(m.id, m.charter.name, role, "Decision rights", accountable)
            for accountable, role in ((True, "AI Product Owner"), (False, "Consulted: x"))
            for m in models
        ),
        overdue=(),
        actions=(),
    )
    first, second = render_person_pages(p, big.portfolio, PATHS, DEFAULT_PAGE_SIZE).pages.values()
    assert "rows 1–100 of 120" in first and "rows 101–120 of 120" in second


def test_incident_log_pages_list_every_incident_once(big: Portal) -> None:
    pages = paged(big, PATHS.incidents)
    listed = [
        i
        for src in pages
        for i in re.findall(r'data-incident="([^"]+)"', standalone_page(big, src))
    ]
    expected = sorted(
        (i for m in big.portfolio.models for i in m.incidents),
        key=lambda i: (i.opened, i.path),
        reverse=True,
    )
    assert listed == [i.id for i in expected] and len(listed) == MODELS // INCIDENT_EVERY
    per_model = [
        g
        for src in pages
        for g in re.findall(
            r'<tr data-group="([^"]+)"><td data-label="Model">', standalone_page(big, src)
        )
    ]
    assert sorted(per_model) == sorted(m.id for m in big.portfolio.models if m.incidents)
    assert 'id="response-times"' in standalone_page(big, pages[0])
    assert all('id="response-times"' not in standalone_page(big, src) for src in pages[1:])


def resolve(src: str, href: str) -> str:
    """The src_uri a pager link (relative to page ``src``, folder-style URLs) points at."""
    base = posixpath.dirname(PATHS.page_url(src).rstrip("/") + "/x")
    target = posixpath.normpath(posixpath.join(base, href)).strip("/")
    return target + ".md"


@pytest.mark.parametrize(
    "first", [PATHS.dashboard, PATHS.risks, PATHS.regulation, COMMITTEE_PAGE, PATHS.incidents]
)
def test_pagers_link_their_neighbours(big: Portal, first: str) -> None:
    pages = paged(big, first)
    n = len(pages)
    for k in (1, 2, n // 2, n):
        text = standalone_page(big, pages[k - 1])
        nav = re.search(r'<nav class="aipo-pager".*?</nav>', text, re.S)
        assert nav, pages[k - 1]
        links = {
            rel: html.unescape(href)
            for href, rel in re.findall(r'href="([^"]+)" rel="(\w+)"', nav[0])
        }
        assert f"Page {k} of {n}" in nav[0]
        assert ("prev" in links) == (k > 1) and ("next" in links) == (k < n)
        if k > 1:
            assert resolve(pages[k - 1], links["prev"]) == pages[k - 2]
            assert resolve(pages[k - 1], links["first"]) == first
        if k < n:
            assert resolve(pages[k - 1], links["next"]) == pages[k]
            assert resolve(pages[k - 1], links["last"]) == pages[-1]


def test_index_covers_every_model(big: Portal) -> None:
    script = big.files[dashboard_index_path(PATHS)]
    assert script.isascii() and "<" not in script
    data = json.loads(script.removeprefix("aipoData(document.currentScript,").removesuffix(");\n"))
    order = dashboard_order(big.portfolio)
    assert [r[0] for r in data["rows"]] == [m.id for m in order]
    for r, m in zip(data["rows"], order, strict=True):
        assert data["levels"][r[2]][0] == m.status.label
        assert data["units"][r[7]] == m.charter.business_unit
        assert data["owners"][r[8]] == m.charter.owner.name
        assert data["answers"][r[4]][3] == m.performance.answer.value
    # One small row per model.
    assert len(script) / MODELS < 300, f"{len(script) / MODELS:.0f} bytes a model"
    # The dashboard pages point at it.
    for src in (PATHS.dashboard, "dashboard/2.md"):
        url = PATHS.relative(src, dashboard_index_path(PATHS))
        assert url.endswith("dashboard-index.js")
        assert f'data-aipo-index="{url}"' in standalone_page(big, src)


def test_small_portfolios_are_not_split(big: Portal) -> None:
    small = dataclasses.replace(big.portfolio, models=big.portfolio.models[:DEFAULT_PAGE_SIZE])
    out = render_dashboard_pages(small, PATHS, page_size=DEFAULT_PAGE_SIZE)
    assert list(out.pages) == [PATHS.dashboard] and not out.files
    assert "aipo-pager" not in out.first and "data-aipo-index" not in out.first
    assert len(re.findall(r'<tr class="aipo-row-', out.first)) == DEFAULT_PAGE_SIZE
    assert len(dashboard_index(small)["rows"]) == DEFAULT_PAGE_SIZE
    one_more = dataclasses.replace(
        big.portfolio, models=big.portfolio.models[: DEFAULT_PAGE_SIZE + 1]
    )
    assert len(render_dashboard_pages(one_more, PATHS, page_size=DEFAULT_PAGE_SIZE).pages) == 2


@pytest.mark.parametrize("value", [0, 9, True, "100", 2.5])
def test_page_size_must_be_a_whole_number_of_at_least_10(value: Any) -> None:
    from aipo_site.cli.settings import PLUGIN_DEFAULTS

    settings = {**PLUGIN_DEFAULTS, "page_size": value}
    with pytest.raises(ConfigError, match="page_size"):
        portal_options(settings, Layout(), directory_urls=True, docs_prefix="content/")


# --- In Chromium: a portal of 35 models in pages of 10 ------------------------------------------

SMALL = 35
PAGE = 10
ROWS = """() => [...document.querySelectorAll('.aipo-dashboard tbody tr')]
  .filter(r => !r.hidden).map(r => ({model: r.dataset.model, status: r.dataset.status,
                                     unit: r.dataset.unit}))"""


@pytest.fixture(scope="module")
def split_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("split")
    write_project(root, SMALL, days=60)
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "as_of: '2026-11-20'" in text
    config.write_text(
        text.replace("as_of: '2026-11-20'", f"as_of: '2026-11-20'\n    page_size: {PAGE}")
    )
    return build_site(root, root / "site")


@pytest.fixture(scope="module")
def split_server(split_site: Path) -> Any:
    server = SiteServer(split_site)
    yield server
    server.close()


def truth(site: Path) -> list[dict[str, str]]:
    """Every model as the pages without JavaScript list them, following the pager."""
    rows = []
    for k in range(1, -(-SMALL // PAGE) + 1):
        page = site / ("dashboard.html" if k == 1 else f"dashboard/{k}.html")
        text = page.read_text(encoding="utf-8")
        rows += [
            {"model": m, "status": s, "unit": html.unescape(u)}
            for s, u, m in re.findall(
                r'<tr class="aipo-row-\w+" data-status="(\w+)" data-unit="([^"]+)" data-model="([^"]+)"',
                text,
            )
        ]
    return rows


def index_names(site: Path) -> list[str]:
    """Every model's name, from the dashboard's model index."""
    text = (site / "dashboard-index.js").read_text(encoding="ascii")
    data = json.loads(text.removeprefix("aipoData(document.currentScript,").removesuffix(");\n"))
    return [r[1] for r in data["rows"]]


@pytest.mark.build
def test_built_pages_stay_small_and_out_of_the_nav(split_site: Path) -> None:
    rows = truth(split_site)
    assert len(rows) == SMALL and len({r["model"] for r in rows}) == SMALL
    dashboard = (split_site / "dashboard.html").read_text(encoding="utf-8")
    # Pages 2.. are reached from the pager, not listed in the nav.
    assert 'href="dashboard/2.html"' not in dashboard.split('class="md-content"', 1)[0]
    assert (split_site / "dashboard-index.js").is_file()
    assert (split_site / "risks" / "2.html").is_file() and (
        split_site / "regulation" / "4.html"
    ).is_file()


@pytest.mark.browser
@pytest.mark.build
def test_without_javascript_the_pager_reaches_every_model(
    chromium_browser: Any, split_server: SiteServer, split_site: Path
) -> None:
    context = chromium_browser.new_context(
        java_script_enabled=False, viewport={"width": 1400, "height": 1000}
    )
    try:
        page = context.new_page()
        page.goto(split_server.url + "dashboard.html")
        seen = []
        for k in range(1, 5):
            rows = page.eval_on_selector_all(
                ".aipo-dashboard tbody tr", "rs => rs.map(r => r.dataset.model)"
            )
            assert len(rows) == (PAGE if k < 4 else SMALL - 3 * PAGE)
            assert f"Page {k} of 4" in page.text_content(".aipo-pager")
            seen += rows
            if k < 4:
                page.click(".aipo-pager a[rel=next]")
        assert seen == [r["model"] for r in truth(split_site)]
        page.click(".aipo-pager a[rel=first]")
        assert page.url.endswith("/dashboard.html")
    finally:
        context.close()


def _open(browser: Any, url: str, width: int = 1400) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
    return context, page, errors


def drawn(page: Any) -> list[dict[str, str]]:
    page.wait_for_selector(".aipo-dashboard tbody[data-aipo-drawn]", state="attached")
    page.wait_for_function(
        "!document.querySelector('.aipo-dashboard table').hasAttribute('aria-busy')"
    )
    return page.evaluate(ROWS)


@pytest.mark.browser
@pytest.mark.build
@pytest.mark.parametrize("where", ["http", "file"])
def test_filters_and_sorting_apply_to_every_model(
    chromium_browser: Any, split_server: SiteServer, split_site: Path, where: str
) -> None:
    rows = truth(split_site)
    base = split_server.url if where == "http" else split_site.as_uri() + "/"
    context, page, errors = _open(chromium_browser, base + "dashboard/2.html")
    try:
        # A status: every model of that status, from all four pages, in the dashboard's order.
        counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("OK", "WARN", "BREACH")}
        status = max(counts, key=counts.__getitem__)
        expected = [r["model"] for r in rows if r["status"] == status]
        # More than a page of them, some beyond this page's rows.
        assert len(expected) > PAGE and set(expected) - {r["model"] for r in rows[PAGE : 2 * PAGE]}
        page.click(f"[data-aipo-filter='{status}']")
        shown = drawn(page)
        assert [r["model"] for r in shown] == expected[:PAGE]
        assert page.is_hidden(".aipo-pager:not(.aipo-pager-client)")
        summary = page.text_content(".aipo-filter-summary")
        assert f"Showing {len(expected)} of {SMALL} models" in summary
        page.click(".aipo-pager-client [data-rel=next]")
        assert [r["model"] for r in drawn(page)] == expected[PAGE : 2 * PAGE]
        # The keyboard stays on the pager, whose buttons were drawn again.
        assert page.evaluate("!!document.activeElement.closest('.aipo-pager-client')")
        assert f"status={status}" in page.url
        # Text: a model that only the last page lists, found from page 2.
        page.click(".aipo-count-all")
        last = rows[-1]["model"]
        page.fill(".aipo-filter-input", last)
        assert [r["model"] for r in drawn(page)] == [last]
        page.fill(".aipo-filter-input", "no model is called this")
        drawn(page)
        assert page.is_visible(".aipo-empty-filter")
        # Clear: the page's own rows and pager again.
        page.click(".aipo-filter-clear")
        assert page.evaluate(ROWS) == rows[PAGE : 2 * PAGE]
        assert page.is_visible(".aipo-pager:not(.aipo-pager-client)")
        # Sorting by name sorts all models, not this page's.
        page.click(".aipo-dashboard thead th:first-child")
        names = [n.casefold() for n in index_names(split_site)]
        drawn(page)
        shown_names = page.eval_on_selector_all(
            ".aipo-dashboard tbody tr strong", "els => els.map(e => e.textContent.toLowerCase())"
        )
        assert shown_names == sorted(names)[:PAGE]
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.build
def test_a_filtered_link_applies_on_load(
    chromium_browser: Any, split_server: SiteServer, split_site: Path
) -> None:
    rows = truth(split_site)
    unit = rows[-1]["unit"]
    from urllib.parse import quote

    context, page, errors = _open(
        chromium_browser, split_server.url + f"dashboard.html?unit={quote(unit)}#models"
    )
    try:
        assert [r["model"] for r in drawn(page)] == [r["model"] for r in rows if r["unit"] == unit][
            :PAGE
        ]
        assert page.input_value(".aipo-unit-filter") == unit
        assert not errors, errors
    finally:
        context.close()


AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.mark.browser
@pytest.mark.build
@pytest.mark.parametrize("width", [390, 1400])
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_split_pages_pass_axe(
    chromium_browser: Any, split_server: SiteServer, scheme: str, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for path in ("dashboard/2.html", "risks/2.html", "regulation/2.html"):
        context = chromium_browser.new_context(viewport={"width": width, "height": 1000})
        try:
            page = context.new_page()
            page.goto(split_server.url + path, wait_until="load")
            page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
            # Material's links fade to the scheme's colours (CSS transitions): axe must see
            # the colours they end at.
            page.wait_for_function("document.getAnimations().length === 0")
            if path.startswith("dashboard"):
                # The rows drawn from the index too.
                page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
                page.click("[data-aipo-filter='BREACH']")
                drawn(page)
            results = Axe().run(page, options=AXE_OPTIONS)
            violations = results.response["violations"]
            assert not violations, (
                path,
                scheme,
                width,
                [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations],
            )
        finally:
            context.close()
