"""Browser tests: the light, dark and automatic colour schemes (Material's palette toggle).

Every page type of the demo is checked with axe-core (axe-playwright-python injects its bundled
axe.min.js; nothing is fetched) in the light ("default") and dark ("slate") scheme, chosen by
clicking Material's toggle as a reader would. The rule set is WCAG 2.0/2.1 A and AA on the whole
page, colour contrast and ``svg-img-alt`` included: each chart is one image named by its
description, its drawn marks hidden (tests/test_charts_a11y.py). axe does not judge SVG text, so the chart tests read the drawn SVG: axis labels
must be light on dark after a toggle, and every line and bar at >= 3:1 against the page (the
risk map's tinted cells excepted: they are a backdrop for the counts written on them).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import DEMO_MODELS, ROOT, VIEWPORT, PortalPage, SiteServer

pytestmark = pytest.mark.browser

CHART_TIMEOUT_MS = 45_000
MODELS = DEMO_MODELS
# One page of every type: home, dashboard, each model, the charter reference, a guide page.
PAGES = [
    "",
    "dashboard.html",
    *(f"models/{model}.html" for model in MODELS),
    "reference/charter.html",
    "guide/reading-the-portal.html",
    "people/index.html",
    "people/amara-okafor.html",
    "regulation.html",
    "guide/regulation.html",
    "guide/evidence.html",
]
SCHEMES = ["default", "slate"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

CHARTS_DRAWN_IN = """(scheme) => [...document.querySelectorAll('.aipo-chart')].every(
  (el) => el.getAttribute('data-aipo-drawn') === 'done'
       && el.getAttribute('data-aipo-scheme') === scheme)"""

# Colours as drawn (computed style), per kind of element, in every chart of the page.
DRAWN_COLOURS = """() => {
  const out = {labels: [], marks: []};
  document.querySelectorAll('.aipo-chart svg').forEach((svg) => {
    // The risk map's cells are a tinted backdrop for the risk counts written on them.
    const backdrop = !!svg.closest('[data-chart="risks"]');
    svg.querySelectorAll('.role-axis-label text, .role-legend-label text').forEach(
      (el) => out.labels.push(getComputedStyle(el).fill));
    svg.querySelectorAll('.mark-line path').forEach((el) => {
      if (!el.getAttribute('opacity')) out.marks.push(getComputedStyle(el).stroke);
    });
    svg.querySelectorAll('.mark-rect path, .mark-rect rect').forEach((el) => {
      const opacity = el.getAttribute('opacity') || el.getAttribute('fill-opacity');
      if (!backdrop && (!opacity || parseFloat(opacity) === 1)) {
        out.marks.push(getComputedStyle(el).fill);
      }
    });
  });
  out.background = getComputedStyle(document.querySelector('.md-main')).backgroundColor;
  out.body = getComputedStyle(document.body).backgroundColor;
  return out;
}"""


def rgb(colour: str) -> tuple[float, float, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", colour)[:3]]
    assert len(numbers) == 3, f"not an rgb() colour: {colour!r}"
    return numbers[0], numbers[1], numbers[2]


def luminance(colour: str) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def scheme_of(portal: PortalPage) -> str:
    return portal.page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def choose_scheme(portal: PortalPage, scheme: str) -> None:
    """Click Material's palette toggle (automatic -> light -> dark -> ...) until ``scheme``."""
    for _ in range(4):
        if scheme_of(portal) == scheme:
            return
        portal.page.locator("form[data-md-component=palette] label:visible").first.click()
    assert scheme_of(portal) == scheme, f"the toggle never reached the {scheme!r} scheme"


def wait_for_charts(portal: PortalPage, scheme: str) -> None:
    if portal.page.locator(".aipo-chart").count():
        portal.page.wait_for_function(
            CHARTS_DRAWN_IN, arg="dark" if scheme == "slate" else "light", timeout=CHART_TIMEOUT_MS
        )


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        for node in violation["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"{violation['id']}: {node['target']}: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.strip("/") or "home")
def test_every_page_type_passes_axe_in_both_schemes(
    portal: PortalPage, path: str, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    portal.goto(path)
    choose_scheme(portal, scheme)
    wait_for_charts(portal, scheme)
    results = Axe().run(portal.page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, f"axe on {path or 'home'} ({scheme}):\n{format_violations(violations)}"
    assert not portal.console_errors, portal.console_errors
    assert not portal.page_errors, portal.page_errors


def test_toggle_redraws_charts_light_on_dark(portal: PortalPage) -> None:
    portal.goto(f"models/{MODELS[0]}.html")
    assert scheme_of(portal) == "default"  # automatic, and headless Chromium prefers light
    wait_for_charts(portal, "default")
    light = portal.page.evaluate(DRAWN_COLOURS)
    assert light["labels"] and light["marks"], light

    choose_scheme(portal, "slate")
    wait_for_charts(portal, "slate")
    dark = portal.page.evaluate(DRAWN_COLOURS)
    assert luminance(dark["body"]) < 0.05, f"not a dark page: {dark['body']}"

    for name, drawn in (("light", light), ("dark", dark)):
        page_bg = drawn["body"]
        for label in set(drawn["labels"]):
            assert contrast(label, page_bg) >= 4.5, f"{name}: label {label} on {page_bg}"
        for mark in set(drawn["marks"]):
            assert contrast(mark, page_bg) >= 3, f"{name}: chart mark {mark} on {page_bg}"
    # Light on dark after the toggle, dark on light before it.
    assert all(luminance(c) > 0.4 for c in dark["labels"]), set(dark["labels"])
    assert all(luminance(c) < 0.1 for c in light["labels"]), set(light["labels"])
    # The charts are transparent: the page's own background shows through.
    backgrounds = portal.page.eval_on_selector_all(
        ".aipo-chart svg > rect", "els => els.map(el => el.getAttribute('fill'))"
    )
    assert all(fill in (None, "transparent", "none") for fill in backgrounds), backgrounds

    # Back to the automatic scheme (light here): the charts are drawn again, dark on light.
    choose_scheme(portal, "default")
    wait_for_charts(portal, "default")
    again = portal.page.evaluate(DRAWN_COLOURS)
    assert set(again["labels"]) == set(light["labels"])
    assert not portal.console_errors, portal.console_errors
    assert not portal.page_errors, portal.page_errors


def test_automatic_scheme_follows_the_system_preference(
    chromium_browser: Any, demo_server: SiteServer
) -> None:
    """With no choice stored, the portal follows prefers-color-scheme, charts included."""
    context = chromium_browser.new_context(viewport=VIEWPORT, color_scheme="dark")
    try:
        portal = PortalPage(context.new_page(), demo_server)
        portal.goto("dashboard.html")
        assert scheme_of(portal) == "slate"
        wait_for_charts(portal, "slate")
        labels = portal.page.evaluate(DRAWN_COLOURS)["labels"]
        assert labels and all(luminance(c) > 0.4 for c in labels), set(labels)
        assert not portal.console_errors and not portal.page_errors
    finally:
        context.close()


def test_demo_and_scaffold_offer_three_schemes() -> None:
    """mkdocs.yml and the scaffold's template: automatic, light and dark, each with a toggle."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!ENV", lambda loader, node: None)
    template = (ROOT / "aipo_site" / "cli" / "templates" / "mkdocs.yml.j2").read_text()
    palette_block = template[template.index("  palette:") : template.index("\nplugins:")]
    for palette in (
        yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)["theme"]["palette"],
        yaml.safe_load(palette_block)["palette"],
    ):
        assert [entry.get("media") for entry in palette] == [
            "(prefers-color-scheme)",
            "(prefers-color-scheme: light)",
            "(prefers-color-scheme: dark)",
        ]
        assert [entry.get("scheme") for entry in palette] == [None, "default", "slate"]
        assert all(entry["toggle"]["icon"] and entry["toggle"]["name"] for entry in palette)
