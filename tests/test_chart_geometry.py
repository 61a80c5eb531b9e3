"""Charts that never mislead, read from the drawn SVG in headless Chromium: tick labels, mark
geometry and marks per series (issue 9, point 2). Fixtures in conftest.py; helpers from
test_browser.py."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PortalPage
from test_browser import EXPECTED_STATUS, assert_charts_drawn

pytestmark = pytest.mark.browser

MODEL_PAGES = [f"models/{m}.html" for m in sorted(EXPECTED_STATUS)]

# Every axis of every chart: its orientation (from where its domain line runs), its tick label
# texts, and the plot group it belongs to. Vega draws an axis as a group with role-axis.
AXES = """el => [...el.querySelectorAll('.aipo-chart-view svg g.role-axis')].map(axis => {
  const labels = [...axis.querySelectorAll('g.role-axis-label text')]
    .filter(t => t.getAttribute('opacity') !== '0' && t.style.opacity !== '0')
    .map(t => t.textContent);
  const domain = axis.querySelector('g.role-axis-domain line, g.role-axis-domain path');
  let orient = '?';
  if (domain) {
    const b = domain.getBBox();
    orient = b.width >= b.height ? 'x' : 'y';
  }
  return {orient, labels};
})"""


def chart_axes(portal: PortalPage, selector: str = ".aipo-chart") -> dict[str, list[dict]]:
    out = {}
    for el in portal.page.locator(selector).all():
        out[el.get_attribute("data-chart") or "?"] = el.evaluate(AXES)
    return out


@pytest.mark.parametrize("path", [*MODEL_PAGES, "dashboard.html"], ids=lambda p: p.strip("/"))
def test_time_axes_never_repeat_a_label(portal: PortalPage, path: str) -> None:
    portal.goto(path)
    assert_charts_drawn(portal)
    axes = chart_axes(portal)
    x_axes = 0
    for chart, chart_axes_ in axes.items():
        for axis in chart_axes_:
            labels = axis["labels"]
            assert len(labels) == len(set(labels)), f"{chart}: repeated tick labels {labels}"
            if axis["orient"] == "x":
                x_axes += 1
                assert labels, f"{chart}: an x axis without labels"
    assert x_axes, f"no x axis found on {path}: {axes}"


# The drawn marks of one chart, by panel ("root", or "0", "1", ... in a vertical concat): the
# plot area, the x axis's domain line, y tick labels, and every data mark in page coordinates.
GEOMETRY = """el => {
  const svg = el.querySelector('.aipo-chart-view svg');
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const panelOf = e => { const m = /concat_(\\d+)_/.exec(e.getAttribute('class') || '');
    return m ? m[1] : 'root'; };
  const panels = {};
  const panel = key => panels[key] || (panels[key] = {
    plot: null, xdomain: null, ylabels: [], lines: [], symbols: [], rects: [], texts: [], rules: []});
  const groups = [...svg.querySelectorAll('g.role-scope')].filter(
    g => /concat_\\d+_group/.test(g.getAttribute('class')));
  const scopes = groups.length ? groups : [svg.querySelector('g.root')];
  scopes.forEach(g => {
    const p = panel(groups.length ? panelOf(g) : 'root');
    p.plot = box(g.querySelector(':scope > g > path.background'));
    g.querySelectorAll(':scope > g > g > g.role-axis').forEach(axis => {
      const line = axis.querySelector('g.role-axis-domain line, g.role-axis-domain path');
      if (!line) return;
      const b = box(line);
      if (b.right - b.left >= b.bottom - b.top) p.xdomain = b;
      else p.ylabels = [...axis.querySelectorAll('g.role-axis-label text')]
        .map(t => t.textContent);
    });
  });
  svg.querySelectorAll('g.role-mark').forEach(g => {
    const p = panel(groups.length ? panelOf(g) : 'root');
    const cls = g.getAttribute('class');
    g.querySelectorAll(':scope > path, :scope > line, :scope > text').forEach(m => {
      const b = box(m);
      if (cls.includes('mark-line')) p.lines.push({...b, stroke: m.getAttribute('stroke')});
      else if (cls.includes('mark-symbol'))
        p.symbols.push({x: (b.left + b.right) / 2, y: (b.top + b.bottom) / 2,
                        stroke: m.getAttribute('stroke'), fill: m.getAttribute('fill')});
      else if (cls.includes('mark-rect')) p.rects.push({...b, fill: m.getAttribute('fill')});
      else if (cls.includes('mark-text')) p.texts.push({...b, text: m.textContent});
      else if (cls.includes('mark-rule'))
        p.rules.push({...b, dash: m.getAttribute('stroke-dasharray') || ''});
    });
  });
  return panels;
}"""


def geometry(portal: PortalPage, chart: str) -> dict[str, Any]:
    return portal.page.locator(f'.aipo-chart[data-chart="{chart}"]').evaluate(GEOMETRY)


def percent(label: str) -> float:
    return float(label.rstrip("%").replace("−", "-"))


@pytest.mark.parametrize("model_id", ["supply-chain-forecast", "fraud-prevention"])
def test_drift_share_and_kpi_drops_have_their_own_axes(portal: PortalPage, model_id: str) -> None:
    portal.goto(f"models/{model_id}.html")
    assert_charts_drawn(portal)
    panels = geometry(portal, "drift-time")
    share, drops, cells = panels["0"], panels["1"], panels["2"]
    # The share panel: one line, 0-100 %, with the tiers' two dashed rules.
    assert len(share["lines"]) == 1
    assert percent(share["ylabels"][0]) == 0 and percent(share["ylabels"][-1]) == 100
    assert len([r for r in share["rules"] if r["dash"]]) == 2
    # The drops panel: one line per KPI with a baseline, its own axis, no dashed rule.
    assert len(drops["lines"]) >= 1 and not [r for r in drops["rules"] if r["dash"]]
    assert drops["ylabels"] != share["ylabels"]
    if model_id == "supply-chain-forecast":  # MAPE is up to ~280 % worse than its baseline
        assert max(map(percent, drops["ylabels"])) >= 250
    # Every point is drawn inside its panel's plot area.
    for p in (share, drops):
        for s in p["symbols"]:
            assert p["plot"]["top"] - 0.5 <= s["y"] <= p["plot"]["bottom"] + 0.5
    assert cells["rects"], "no drift cells"


@pytest.mark.parametrize("model_id", ["supply-chain-forecast", "fraud-prevention"])
def test_drift_points_sit_in_the_middle_of_their_period(portal: PortalPage, model_id: str) -> None:
    """The share and each KPI's outcome describe the same period and are drawn at its middle,
    above the centre of the period's cells."""
    portal.goto(f"models/{model_id}.html")
    assert_charts_drawn(portal)
    panels = geometry(portal, "drift-time")
    centres = sorted({round((r["left"] + r["right"]) / 2, 0) for r in panels["2"]["rects"]})
    share_x = sorted(round(s["x"], 0) for s in panels["0"]["symbols"])
    assert len(share_x) == len(centres)
    for x, c in zip(share_x, centres, strict=True):
        assert abs(x - c) <= 2, (share_x, centres)
    for s in panels["1"]["symbols"]:
        assert min(abs(s["x"] - c) for c in centres) <= 2, (s, centres)


def test_stale_kpi_is_marked_from_its_newest_row(portal: PortalPage) -> None:
    portal.goto("models/customer-churn.html")
    assert_charts_drawn(portal)
    stale = geometry(portal, "kpi-campaign_uplift")["root"]
    labels = [t for t in stale["texts"] if t["text"].startswith("no data since")]
    assert [t["text"] for t in labels] == ["no data since 2026-10-21"]
    # The threshold bands run the whole width; the stale band only the stretch without data.
    width = stale["plot"]["right"] - stale["plot"]["left"]
    band = [r for r in stale["rects"] if r["right"] - r["left"] < width / 2]
    assert len(band) == 1
    # From where the line stops to the evaluation date (the plot's right edge).
    line_end = max(line["right"] for line in stale["lines"])
    assert abs(band[0]["left"] - line_end) <= 1.5
    assert abs(band[0]["right"] - stale["plot"]["right"]) <= 1.5
    assert band[0]["bottom"] - band[0]["top"] >= 0.9 * (
        stale["plot"]["bottom"] - stale["plot"]["top"]
    )
    # A KPI with fresh data has no such band.
    fresh = geometry(portal, "kpi-auc")["root"]
    assert not [t for t in fresh["texts"] if t["text"].startswith("no data")]


@pytest.mark.parametrize("path", MODEL_PAGES, ids=lambda p: p.split("/")[1])
def test_lines_are_drawn_inside_the_plot_not_on_its_edges(portal: PortalPage, path: str) -> None:
    """A constant series at the domain's edge (the fraud model's drift share, 0 % every week)
    is drawn above the x axis, not on it."""
    portal.goto(path)
    assert_charts_drawn(portal)
    checked = 0
    for el in portal.page.locator(".aipo-chart").all():
        for key, p in el.evaluate(GEOMETRY).items():
            for line in p["lines"]:
                where = f"{el.get_attribute('data-chart')} panel {key}: {line}, plot {p['plot']}"
                assert line["top"] >= p["plot"]["top"] + 3, where
                assert line["bottom"] <= p["plot"]["bottom"] - 3, where
                if p["xdomain"]:
                    assert line["bottom"] <= p["xdomain"]["top"] - 3, where
                checked += 1
    assert checked


def test_segment_chart_shows_tolerance_and_worst_segment(portal: PortalPage) -> None:
    portal.goto("models/fraud-prevention.html")
    assert_charts_drawn(portal)
    p = geometry(portal, "segments-false_positive_rate")["root"]
    assert [t["text"] for t in p["texts"]] == ["worst: 65+"]
    assert len(p["symbols"]) == 1
    worst = p["symbols"][0]
    # The worst segment is drawn at the evaluation date (the plot's right edge) ...
    assert abs(worst["x"] - p["plot"]["right"]) <= 2
    # ... inside the amber band: its gap from the best segment is WARN (0.0068, warn 0.004).
    # The bands in their data's order: warn (amber), then breach (red) where values reach it.
    warn = p["rects"][0]
    assert warn["fill"] in ("#f0a202", "#c27800"), p["rects"]  # the spec's or the scheme's
    assert warn["top"] <= worst["y"] <= warn["bottom"]
    assert warn["right"] - warn["left"] >= 0.95 * (p["plot"]["right"] - p["plot"]["left"])
    assert len(p["lines"]) == 4  # one line per segment


@pytest.mark.parametrize("path", [*MODEL_PAGES, "dashboard.html"], ids=lambda p: p.strip("/"))
def test_charts_compile_without_warnings(portal: PortalPage, path: str) -> None:
    """Vega-Lite logs a warning when layers state one scale's domain in two forms (the stale
    band's x2 did, six times per KPI chart); a chart that warns may draw what it was not told."""
    portal.goto(path)
    assert_charts_drawn(portal)
    assert portal.console_warnings == []
