"""Model pages on a phone (issue 9, point 4): below 45em the long sections show their one-line
summary and a "Show details" button, so a 390 px page is a few screens, not twenty; the address
opens the section it points into; desktops and print are unchanged. Fixtures in conftest.py."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DEMO_MODELS, PortalPage

pytestmark = pytest.mark.browser

MODELS = DEMO_MODELS

FOLDS = """() => [...document.querySelectorAll('.aipo-fold-toggle')].map(b => {
  const body = document.getElementById(b.getAttribute('aria-controls'));
  const summary = body.previousElementSibling.previousElementSibling;
  return {section: summary.getAttribute('data-section'), expanded: b.getAttribute('aria-expanded'),
          button: b.offsetParent !== null, body: body.offsetParent !== null,
          summary: summary.offsetParent !== null, text: summary.innerText};
})"""


def height(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def at_width(portal: PortalPage, path: str, width: int) -> Any:
    portal.page.set_viewport_size({"width": width, "height": 844})
    portal.goto(path)
    portal.page.wait_for_function("() => document.body.classList.contains('aipo-folds')")
    return portal.page


@pytest.mark.parametrize("model", MODELS)
def test_a_phone_shows_summaries_and_opens_sections_on_request(
    portal: PortalPage, model: str
) -> None:
    page = at_width(portal, f"models/{model}.html", 390)
    folds = page.evaluate(FOLDS)
    assert len(folds) >= 8, folds
    for fold in folds:
        assert fold["button"] and fold["summary"] and not fold["body"], fold
        assert fold["expanded"] == "false", fold
        assert "in the portal" not in fold["text"], fold  # said in print only
    folded = height(page)
    for button in page.locator(".aipo-fold-toggle").all():
        button.click()
    opened = page.evaluate(FOLDS)
    assert all(f["body"] and f["expanded"] == "true" for f in opened), opened
    assert page.locator(".aipo-fold-toggle").first.inner_text() == "Hide details"
    unfolded = height(page)
    # Folded, the page is well under half its unfolded length.
    assert folded < 0.5 * unfolded, (folded, unfolded)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert portal.page_errors == []


def test_an_address_into_a_section_opens_it(portal: PortalPage) -> None:
    """The dashboard's risk map links to #risks: on a phone that section opens."""
    page = at_width(portal, "models/fraud-prevention.html#risks", 390)
    risks = next(f for f in page.evaluate(FOLDS) if f["section"] == "risks")
    assert risks["body"] and risks["expanded"] == "true", risks
    others = [f for f in page.evaluate(FOLDS) if f["section"] != "risks"]
    assert others and not any(f["body"] for f in others)
    page.evaluate("location.hash = '#data-drift'")
    page.wait_for_function(
        "() => document.querySelector('[aria-controls=aipo-fold-data-drift]')"
        ".getAttribute('aria-expanded') === 'true'"
    )


@pytest.mark.parametrize("width", [768, 1400])
def test_wider_screens_show_every_section(portal: PortalPage, width: int) -> None:
    page = at_width(portal, "models/fraud-prevention.html", width)
    for fold in page.evaluate(FOLDS):
        assert fold["body"] and not fold["button"] and not fold["summary"], fold


# The risk map's cells as laid out: score, likelihood, whether shown, and where (top, left).
RISKS = """() => [...document.querySelectorAll('.aipo-riskmap-table td.aipo-risk-cell')].map(td => {
  const box = td.getBoundingClientRect();
  return {score: +td.dataset.likelihood * +td.dataset.impact, likelihood: +td.dataset.likelihood,
          risks: td.querySelectorAll('li').length, shown: td.offsetParent !== null,
          top: box.top, left: box.left, right: box.right,
          where: (td.querySelector('.aipo-risk-where') || {}).offsetParent != null};
})"""


@pytest.mark.parametrize("width", [390, 1400])
def test_the_risk_map_is_one_column_on_a_phone(portal: PortalPage, width: int) -> None:
    """On a phone the grid would put the severe risks off-screen to the right: its cells with
    risks are one column, most severe first, each naming its likelihood and impact; wider
    screens show the whole 5 x 5 grid."""
    portal.page.set_viewport_size({"width": width, "height": 844})
    portal.goto("dashboard.html")
    cells = portal.page.evaluate(RISKS)
    assert len(cells) == 25
    shown = [c for c in cells if c["shown"]]
    if width == 1400:
        assert len(shown) == 25 and not any(c["where"] for c in cells)
        return
    assert shown == [c for c in cells if c["risks"]] and shown
    column = sorted(shown, key=lambda c: c["top"])
    assert [(c["score"], c["likelihood"]) for c in column] == sorted(
        ((c["score"], c["likelihood"]) for c in shown), reverse=True
    )
    assert len({round(c["left"]) for c in shown}) == 1 and max(c["right"] for c in shown) <= 390
    assert all(c["where"] for c in shown)


CARDS = """() => [...document.querySelectorAll('.aipo-reference tbody tr')].map(tr => ({
  row: getComputedStyle(tr).display,
  description: getComputedStyle(tr.children[3]).display,
  right: tr.getBoundingClientRect().right,
  head: document.querySelector('.aipo-reference thead').getBoundingClientRect().width,
}))"""


@pytest.mark.parametrize("path", ["reference/charter.html", "reference/policy.html"])
def test_reference_fields_are_cards_on_a_phone(portal: PortalPage, path: str) -> None:
    portal.page.set_viewport_size({"width": 390, "height": 844})
    portal.goto(path)
    cards = portal.page.evaluate(CARDS)
    assert len(cards) > 10
    for card in cards:
        assert card["row"] == "block" and card["description"] == "block", card
        assert card["right"] <= 390, card
        assert card["head"] <= 1, card  # the header row is for screen readers only
    portal.page.set_viewport_size({"width": 1400, "height": 900})
    assert all(c["row"] == "table-row" for c in portal.page.evaluate(CARDS))
