"""Vega-Lite chart specs: charter text is data or a literal title, never part of an expression."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import vl_convert

from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import PortalOptions, build_portal
from tests.hostile import AS_OF, MARKER, build_hostile_repo

SPEC = re.compile(
    r'<div class="aipo-chart" data-chart="([a-z]+)[^"]*">.*?'
    r'<script type="application/json">(.*?)</script>',
    re.S,
)
# Where a compiled Vega spec holds code: signal and expression strings.
EXPRESSION_KEYS = {"signal", "expr", "test", "update", "filter"}


def expressions(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from expressions(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v, key)
    elif isinstance(node, str) and key in EXPRESSION_KEYS:
        yield node


@pytest.fixture(scope="module")
def hostile_charts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("hostile-charts")
    build_hostile_repo(root)
    portal = build_portal(WorkingTree(root), PortalOptions(assets=False), AS_OF)
    charts = []
    for src in portal.model_pages.values():
        for kind, raw in SPEC.findall(portal.pages[src]):
            # script_json escapes <, > and & as \u003c...: json.loads turns them back.
            charts.append((kind, json.loads(raw)))
    return charts


@pytest.fixture(scope="module")
def hostile_specs(hostile_charts) -> list[dict[str, Any]]:
    return [spec for _, spec in hostile_charts]


def test_hostile_fixture_has_every_chart_kind(hostile_charts):
    assert {kind for kind, _ in hostile_charts} == {"kpi", "drift", "segments", "risks"}
    assert MARKER.search(json.dumps([s for _, s in hostile_charts])), "no charter text in charts"


def test_charter_text_never_reaches_a_vega_expression(hostile_specs):
    """Vega-Lite compiles titles into ARIA description *expressions* unless aria is off; a unit
    with a backslash or a line break then broke the chart or was read as an escape."""
    for spec in hostile_specs:
        compiled = vl_convert.vegalite_to_vega(spec)
        for expr in expressions(compiled):
            assert not MARKER.search(expr), expr[:200]


def test_kpi_unit_is_the_literal_y_axis_title(hostile_specs):
    titled = [
        axis["title"]
        for spec in hostile_specs
        for axis in vl_convert.vegalite_to_vega(spec).get("axes", [])
        if isinstance(axis.get("title"), str) and MARKER.search(axis["title"])
    ]
    assert titled, "no KPI chart shows its unit as the y-axis title"


def test_spec_template_config_turns_aria_descriptions_off():
    from aipo_site.render.charts import CONFIG

    assert CONFIG["aria"] is False
