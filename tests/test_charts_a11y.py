"""Every chart has a text alternative (issue 9, point 2): an accessible name with its key numbers
and its data as a table on request, over HTTP and from disk. Fixtures in conftest.py."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, DEMO_MODELS, VIEWPORT, PortalPage

from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import PortalOptions, build_portal

MODELS = DEMO_MODELS
SPECS = re.compile(
    r'<div class="aipo-chart" data-chart="([^"]+)">.*?<script type="application/json">(.*?)</script>',
    re.S,
)


@pytest.fixture(scope="module")
def demo_pages(repo_root: Path) -> dict[str, str]:
    portal = build_portal(WorkingTree(repo_root), PortalOptions(assets=False), AS_OF)
    return portal.pages


@pytest.fixture(scope="module")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def specs(page: str) -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in SPECS.findall(page)}


def test_every_chart_has_a_description_and_a_table(demo_pages: dict[str, str]) -> None:
    seen = 0
    for model in MODELS:
        for name, spec in specs(demo_pages[f"models/{model}.md"]).items():
            seen += 1
            assert spec["description"].endswith("."), name
            table = spec["usermeta"]["aipoTable"]
            assert table["columns"], name
            assert "url" in table or table["rows"], name
            assert spec["config"]["aria"] is False, name
    assert seen >= 10


def test_a_kpi_description_says_its_key_numbers(demo_pages: dict[str, str]) -> None:
    spec = specs(demo_pages["models/fraud-prevention.md"])["kpi-precision"]
    assert spec["description"] == (
        "Decline precision: 365 daily values from 2025-11-21 to 2026-11-20, between 0.65 and "
        "0.7732; mean of 7 days: 0.668, status WARN; warn below 0.7, breach below 0.6; original "
        "baseline 0.72, the window value 7.2% worse than it."
    )
    lower = specs(demo_pages["models/fraud-prevention.md"])["kpi-false_positive_rate"]
    assert "warn above 0.01, breach above 0.015" in lower["description"]
    assert "better than it" in lower["description"]


def test_the_risk_table_lists_every_risk(demo_pages: dict[str, str]) -> None:
    spec = specs(demo_pages["models/fraud-prevention.md"])["risks"]
    rows = spec["usermeta"]["aipoTable"]["rows"]
    assert [r[0] for r in rows] == ["R1", "R2", "R3", "R4"]
    assert all(r[4] == r[2] * r[3] for r in rows)
    assert "R4 Payment data used beyond the purpose approved in the DPIA" in spec["description"]


def test_kpi_captions_say_which_thresholds_judge_the_past(demo_pages: dict[str, str]) -> None:
    page = html.unescape(demo_pages["models/fraud-prevention.md"])
    assert "today's thresholds (from the charter), which also judge every past day" in page


# --- in the browser ------------------------------------------------------------------------------

NAMES = """() => [...document.querySelectorAll('.aipo-chart')].map(el => {
  const view = el.querySelector('.aipo-chart-view');
  const svg = view.querySelector('svg');
  return {chart: el.getAttribute('data-chart'), role: view.getAttribute('role'),
          label: view.getAttribute('aria-label'), hidden: svg && svg.getAttribute('aria-hidden'),
          table: !!el.querySelector('details.aipo-chart-data')};
})"""

TABLE = """el => {
  const rows = [...el.querySelectorAll('details.aipo-chart-data tr')];
  return rows.map(r => [...r.children].map(c => c.textContent));
}"""


def wait_drawn(page: Any) -> None:
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.aipo-chart')]"
        ".some(el => el.getAttribute('data-aipo-drawn') !== 'done')"
    )


def open_table(page: Any, chart: str) -> list[list[str]]:
    el = page.locator(f'.aipo-chart[data-chart="{chart}"]')
    el.locator("details.aipo-chart-data summary").click()
    page.wait_for_function(
        "c => document.querySelector(`.aipo-chart[data-chart='${c}'] details`)"
        ".getAttribute('data-aipo-filled') === 'done'",
        arg=chart,
    )
    return el.evaluate(TABLE)


@pytest.mark.browser
@pytest.mark.parametrize("model", MODELS)
def test_each_chart_is_one_named_image(portal: PortalPage, model: str, demo_site: Path) -> None:
    portal.goto(f"models/{model}.html")
    wait_drawn(portal.page)
    page_specs = specs((demo_site / "models" / f"{model}.html").read_text(encoding="utf-8"))
    charts = portal.page.evaluate(NAMES)
    assert charts
    for c in charts:
        assert c["role"] == "graphics-document", c
        assert c["label"] == page_specs[c["chart"]]["description"], c
        assert c["hidden"] == "true", c
        assert c["table"], c
    assert portal.page_errors == []


@pytest.mark.browser
def test_the_kpi_table_is_the_charts_csv(portal: PortalPage, demo_site: Path) -> None:
    portal.goto("models/fraud-prevention.html")
    wait_drawn(portal.page)
    rows = open_table(portal.page, "kpi-recall")
    assert rows[0] == ["Date", "Daily value", "Mean of 7 days"]
    text = (demo_site / "models" / "fraud-prevention" / "kpis.csv").read_text(encoding="utf-8")
    expected = [
        [r["date"], r["value"], r["rolling"]]
        for r in csv.DictReader(io.StringIO(text))
        if r["metric"] == "recall"
    ]
    assert rows[1:] == expected
    risks = open_table(portal.page, "risks")
    assert [r[0] for r in risks[1:]] == ["R1", "R2", "R3", "R4"]


@pytest.mark.browser
def test_tables_open_from_disk_too(chromium_browser: Any, demo_site: Path) -> None:
    context = chromium_browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((demo_site / "models" / "fraud-prevention.html").as_uri())
        wait_drawn(page)
        rows = open_table(page, "segments-false_positive_rate")
        assert rows[0] == ["Segment", "Date", "Window value"]
        segments = {r[0] for r in rows[1:]}
        assert segments == {"18-25", "26-40", "41-65", "65+"}
        assert errors == []
    finally:
        context.close()
