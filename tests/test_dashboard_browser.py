"""Browser tests of the dashboard's units table, risk map and URL filters (issue 9, point 5), in
headless Chromium on the demo portal served over HTTP and opened from disk (file://).

- every count of the status-by-business-unit table opens the dashboard filtered to as many
  models as it says, of that unit and status, with the filters shown as active;
- a hand-written ``?status=...&unit=...&text=...`` filters the table; one that matches nothing
  shows the empty-result message; hostile values stay text;
- changing a filter rewrites the URL (no new history entry), and reloading keeps the filters;
- a risk on the risk map opens its model's page at the Risks section.

URLs are read from the built pages (or tried in both layouts: ``dashboard.html`` and
``dashboard/``), so the tests hold with and without folder-style URLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from conftest import VIEWPORT, PortalPage

pytestmark = pytest.mark.browser

SHOWN = """() => [...document.querySelectorAll('.aipo-dashboard tbody tr')]
  .filter(r => !r.hidden).map(r => ({model: r.dataset.model, status: r.dataset.status,
                                     unit: r.dataset.unit}))"""
ALL_ROWS = SHOWN.replace(".filter(r => !r.hidden)", "")
PRESSED = """() => [...document.querySelectorAll('[data-aipo-filter]')]
  .filter(b => b.getAttribute('aria-pressed') === 'true').map(b => b.dataset.aipoFilter)"""


def open_dashboard(portal: PortalPage, query: str = "") -> str:
    """Open the dashboard in whichever URL layout the site has; its path (no query)."""
    for path in ("dashboard.html", "dashboard/"):
        response = portal.page.goto(portal.url(path) + query, wait_until="load")
        if response is not None and response.status == 200:
            portal.page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
            return path
    pytest.fail("the demo has no dashboard at dashboard.html or dashboard/", pytrace=False)


def state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
          search: location.search,
          unit: document.querySelector('.aipo-unit-filter').value,
          text: document.querySelector('.aipo-filter-input').value,
          empty: !document.querySelector('.aipo-empty-filter').hidden,
          summary: document.querySelector('.aipo-filter-summary').textContent,
          history: history.length,
        })"""
    )


def params(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.evaluate("location.href")).query)


def test_unit_counts_open_the_filtered_view(portal: PortalPage) -> None:
    path = open_dashboard(portal)
    page = portal.page
    rows = page.evaluate(ALL_ROWS)
    links = page.eval_on_selector_all(
        ".aipo-units-table a",
        "links => links.map(a => ({href: a.getAttribute('href'), n: Number(a.textContent)}))",
    )
    assert len(links) >= 4 + 3, links  # a total per unit (3 in the demo), per status, overall
    for link in links:
        query = parse_qs(urlsplit(link["href"]).query)
        status = query.get("status", [""])[0]
        unit = query.get("unit", [""])[0]
        expected = sorted(
            r["model"]
            for r in rows
            if (not status or r["status"] == status) and (not unit or r["unit"] == unit)
        )
        assert len(expected) == link["n"], f"{link} counts {link['n']}, the table has {expected}"
        page.goto(urljoin(portal.url(path), link["href"]), wait_until="load")
        page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
        shown = sorted(r["model"] for r in page.evaluate(SHOWN))
        assert shown == expected, link
        assert page.evaluate(PRESSED) == [status], link
        now = state(page)
        assert now["unit"] == unit
        assert not now["empty"]
        if status or unit:
            assert f"Showing {link['n']} of {len(rows)} models" in now["summary"]
    # The click itself: BREACH in the unit of a BREACH model.
    open_dashboard(portal)
    breach = page.locator(".aipo-units-table tbody a[data-status='BREACH']").first
    label = breach.get_attribute("aria-label")
    breach.click()
    page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
    query = params(page)
    assert query["status"] == ["BREACH"] and label == f"1 BREACH in {query['unit'][0]}"
    assert [r["unit"] for r in page.evaluate(SHOWN)] == query["unit"]
    assert page.evaluate("location.hash") == "#models"
    assert not portal.page_errors and not portal.console_errors


def test_a_hand_written_url_filters(portal: PortalPage) -> None:
    open_dashboard(portal)
    page = portal.page
    rows = page.evaluate(ALL_ROWS)
    target = next(r for r in rows if r["status"] == "WARN")
    unit = target["unit"]
    # Lower case works too; spaces may be "+" or "%20".
    open_dashboard(portal, "?status=warn&unit=" + unit.replace(" ", "+"))
    assert [r["model"] for r in page.evaluate(SHOWN)] == [
        r["model"] for r in rows if r["status"] == "WARN" and r["unit"] == unit
    ]
    assert page.evaluate(PRESSED) == ["WARN"]
    assert state(page)["unit"] == unit
    assert page.get_attribute(".aipo-count-warn", "aria-pressed") == "true"
    assert page.get_attribute(".aipo-count-all", "aria-pressed") == "false"

    # A text filter from the URL fills the box.
    open_dashboard(portal, f"?text={target['model']}")
    assert [r["model"] for r in page.evaluate(SHOWN)] == [target["model"]]
    assert state(page)["text"] == target["model"]
    assert page.evaluate(PRESSED) == [""]

    # Nothing matches: the message says so.
    other = next(r["unit"] for r in rows if r["unit"] != unit)
    open_dashboard(portal, f"?status=WARN&unit={other}")
    if not any(r["status"] == "WARN" and r["unit"] == other for r in rows):
        assert page.evaluate(SHOWN) == []
        assert state(page)["empty"]
        assert page.is_visible(".aipo-empty-filter")


def test_hostile_url_values_stay_text(portal: PortalPage) -> None:
    open_dashboard(portal)
    page = portal.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    before = page.evaluate("() => document.querySelectorAll('*').length")
    hostile = '<img src=x onerror="alert(1)">'
    query = (
        "?status=%3Cb%3EBREACH%3C%2Fb%3E"
        "&unit=%3Cimg%20src%3Dx%20onerror%3D%22alert(1)%22%3E"
        "&text=%22%3E%3Cscript%3Ealert(2)%3C%2Fscript%3E"
    )
    open_dashboard(portal, query)
    page.wait_for_timeout(300)
    assert not dialogs
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"], b').length") == 0
    # One new element: the unit filter's option for a unit no model has.
    assert page.evaluate("() => document.querySelectorAll('*').length") == before + 1
    now = state(page)
    assert now["unit"] == hostile
    assert now["text"] == '"><script>alert(2)</script>'
    assert now["empty"] and page.evaluate(SHOWN) == []
    assert hostile in now["summary"] and "<B>BREACH</B>" in now["summary"]
    assert page.evaluate(PRESSED) == []
    assert not portal.page_errors


def test_changing_filters_updates_the_url(portal: PortalPage) -> None:
    open_dashboard(portal)
    page = portal.page
    rows = page.evaluate(ALL_ROWS)
    first = state(page)
    assert first["search"] == "" and first["summary"] == ""
    assert page.is_hidden(".aipo-filter-clear")

    page.click(".aipo-count-breach")
    assert params(page) == {"status": ["BREACH"]}
    unit = next(r["unit"] for r in rows if r["status"] == "BREACH")
    page.select_option(".aipo-unit-filter", unit)
    assert params(page) == {"status": ["BREACH"], "unit": [unit]}
    model = next(r["model"] for r in rows if r["status"] == "BREACH" and r["unit"] == unit)
    page.fill(".aipo-filter-input", model)
    assert params(page) == {"status": ["BREACH"], "unit": [unit], "text": [model]}
    assert [r["model"] for r in page.evaluate(SHOWN)] == [model]
    assert state(page)["history"] == first["history"], "filters must not add history entries"

    # Reloading (or sending the link) keeps the view.
    page.reload(wait_until="load")
    page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
    assert [r["model"] for r in page.evaluate(SHOWN)] == [model]
    assert page.evaluate(PRESSED) == ["BREACH"]
    assert state(page)["unit"] == unit and state(page)["text"] == model

    # Back to everything.
    page.click(".aipo-filter-clear")
    assert state(page)["search"] == ""
    assert len(page.evaluate(SHOWN)) == len(rows)
    assert page.evaluate(PRESSED) == [""]
    page.fill(".aipo-filter-input", "no model is called this")
    assert state(page)["empty"]
    assert params(page) == {"text": ["no model is called this"]}
    assert not portal.page_errors and not portal.console_errors


def test_a_risk_opens_its_model_page(portal: PortalPage) -> None:
    path = open_dashboard(portal)
    page = portal.page
    risks = page.eval_on_selector_all(
        ".aipo-riskmap-table td a",
        """links => links.map(a => ({href: a.getAttribute('href'), title: a.textContent,
            model: a.closest('li').dataset.model,
            li: Number(a.closest('td').dataset.likelihood),
            im: Number(a.closest('td').dataset.impact)}))""",
    )
    assert risks, "the demo's risk map is empty"
    # The cell's row and column headers name its likelihood and impact.
    headers = page.evaluate(
        """() => { const t = document.querySelector('.aipo-riskmap-table table');
          return {rows: [...t.tBodies[0].rows].map(r => r.cells[0].textContent),
                  cols: [...t.tHead.rows[0].cells].slice(1).map(c => c.textContent)}; }"""
    )
    assert [h.split()[0] for h in headers["rows"]] == ["5", "4", "3", "2", "1"]
    assert [h.split()[0] for h in headers["cols"]] == ["1", "2", "3", "4", "5"]
    target = risks[0]
    page.click(f".aipo-riskmap-table td a[href='{target['href']}']")
    page.wait_for_load_state("load")
    assert page.evaluate("location.hash") == "#risks"
    assert target["model"] in page.evaluate("location.pathname")
    table = page.evaluate(
        """() => { const h = document.getElementById('risks');
          let el = h.nextElementSibling;
          while (el && !el.querySelector('table')) el = el.nextElementSibling;
          return el ? el.querySelector('table').textContent : ''; }"""
    )
    assert target["title"] in table
    assert f"{target['li']} × {target['im']}" in table
    assert urljoin(portal.url(path), target["href"]).startswith(portal.server.url)


def test_filters_from_disk(chromium_browser: Any, demo_site: Path) -> None:
    """Opened from disk (file://), a filtered link applies and a change rewrites it."""
    page_file = next(
        p
        for p in (demo_site / "dashboard.html", demo_site / "dashboard" / "index.html")
        if p.is_file()
    )
    context = chromium_browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
        rows = page.evaluate(ALL_ROWS)
        breach = next(r for r in rows if r["status"] == "BREACH")
        link = page.eval_on_selector(
            f".aipo-units-table tr[data-unit='{breach['unit']}'] a[data-status='BREACH']",
            "a => a.href",
        )
        assert link.startswith("file://")
        page.goto(link, wait_until="load")
        page.wait_for_selector(".aipo-dashboard table[data-aipo-filters]")
        assert [r["unit"] for r in page.evaluate(SHOWN)] == [breach["unit"]]
        assert page.evaluate(PRESSED) == ["BREACH"]
        page.click(".aipo-count-all")
        page.fill(".aipo-filter-input", breach["model"])
        assert params(page) == {"unit": [breach["unit"]], "text": [breach["model"]]}
        assert page.evaluate("location.protocol") == "file:"
        assert not errors
    finally:
        context.close()
