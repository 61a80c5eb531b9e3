"""Owner pages in the browser: from the People index to a person, their models and back."""

from __future__ import annotations

from typing import Any

import yaml
from conftest import ROOT, PortalPage, SiteServer


def test_people_index_to_owner_page_to_model_and_back(portal: PortalPage) -> None:
    page = portal.page
    portal.goto("people/index.html")
    rows = page.locator(".aipo-people tbody tr")
    people = yaml.safe_load((ROOT / "content" / "people.yaml").read_text())["people"]
    assert rows.count() == len(people) > 20  # every entry of the demo's people directory
    names = rows.locator("td:first-child a").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    page.get_by_role("link", name="Amara Okafor", exact=True).click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/people/amara-okafor.html")
    assert page.locator("h1").inner_text() == "Amara Okafor"
    accountable = page.locator("#accountable + .aipo-table-wrap tbody tr")
    assert accountable.count() == 1
    assert "AI Product Owner" in accountable.inner_text()
    accountable.get_by_role("link", name="Card payment fraud prevention").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/models/fraud-prevention.html")
    # The decision rights name the Head of Payments Risk by key: the link leads to her page.
    rights = page.locator("table:has(th:text('Accountable'))").first
    rights.get_by_role("link", name="Elena Marsh").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/people/head-of-payments-risk.html")
    assert (
        "Accountable: Production go/no-go"
        in page.locator("#accountable ~ .aipo-table-wrap").first.inner_text()
    )
    assert portal.console_errors == [] and portal.page_errors == [] and portal.failures == []


def test_overdue_items_and_open_actions_on_owner_pages(portal: PortalPage) -> None:
    page = portal.page
    portal.goto("people/rahul-mehta.html")
    overdue = page.locator(".aipo-overdue li").all_inner_texts()
    assert any("retraining is 250 days overdue" in item for item in overdue)
    assert any("'Weekly metric review' is 130 days overdue" in item for item in overdue)
    portal.goto("people/jonas-weber.html")
    assert "Relabel the October chargeback sample" in page.locator("body").inner_text()


def test_owner_pages_are_cards_on_a_phone(chromium_browser: Any, demo_server: SiteServer) -> None:
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(demo_server.url + "people/index.html", wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the People page scrolls sideways ({width} px)"
        head = page.locator(".aipo-people thead").bounding_box()
        assert head is not None and head["height"] <= 1  # labels move into the cells
        row = page.locator(".aipo-people tbody tr").first.bounding_box()
        assert row is not None and row["width"] > 300  # one card per person, full width
    finally:
        context.close()
