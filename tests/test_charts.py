"""Vega-Lite chart specs: charter text is data or a literal title, never part of an expression."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
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


def _layers(node: Any) -> Iterator[dict[str, Any]]:
    """Every unit view of a spec (a node with a mark)."""
    if isinstance(node, dict):
        if "mark" in node:
            yield node
        for v in node.values():
            yield from _layers(v)
    elif isinstance(node, list):
        for v in node:
            yield from _layers(v)


def test_drift_over_time_chart_fields_mean_one_thing():
    """Each y field is named for what it plots; a feature cell holds the statistic as ``value``
    and the p-value as ``p_value`` (as FeatureDrift and `aipo check --format json` do), and spans
    its period; the dashed rules are the drift share's limits."""
    import datetime as dt

    from aipo_site.model.charter import Tiers
    from aipo_site.model.results import DriftPoint, DriftResult, FeatureDrift, Level, Status
    from aipo_site.render.charts import drift_time_spec

    d1, d2 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    feature = FeatureDrift(
        name="amount",
        kind="numeric",
        method="ks",
        value=0.5,
        p_value=0.001,
        tiers=Tiers(warn=0.05, breach=0.01),
        status=Status.BREACH,
        reading="",
        importance=1.0,
        n_reference=100,
        n_current=100,
    )
    result = DriftResult(
        features=[feature],
        share=1.0,
        share_status=Status.BREACH,
        share_tiers=Tiers(warn=0.25, breach=0.5),
        reference_label="",
        current_label="",
        over_time=[
            DriftPoint(d1, "amount", "ks", 0.125, 0.5, Status.OK),
            DriftPoint(d2, "amount", "ks", 0.5, 0.001, Status.BREACH),
        ],
        share_over_time=[(d1, 0.0), (d2, 1.0)],
        timeline=[(d1, dt.date(2026, 11, 8), Level.OK), (d2, dt.date(2026, 11, 12), Level.BREACH)],
    )
    spec = drift_time_spec(result, [])
    ms = lambda d: float(np.datetime64(d, "ms").astype(np.int64))  # noqa: E731
    assert {view["encoding"]["y"]["field"] for view in _layers(spec)} == {
        "share",  # the drift share's line and its warn / breach rules
        "drop",  # each KPI's drop from its baseline (none here)
        "feature",  # the grid of feature tiers
    }
    ((heat, cells),) = _layers_with(spec, "feature")
    assert heat["encoding"]["x2"]["field"] == "next"
    assert cells[1] == {
        "feature": "amount",
        "period": ms(d2),
        "last": ms(dt.date(2026, 11, 12)),
        "next": ms(dt.date(2026, 11, 13)),
        "method": "ks",
        "value": 0.5,
        "p_value": 0.001,
        "status": "BREACH",
        "measure": "KS D 0.5; p = 0.001 decides the tier",
    }
    shares = [rows for _, rows in _layers_with(spec, "share")]
    assert [r["share"] for r in shares[0]] == [0.25, 0.5]  # the rules: the share's limits
    assert shares[0][0]["label"] == "drift share: WARN above 25%"
    assert [r["share"] for r in shares[1]] == [0.0, 1.0]
    compiled = json.dumps(vl_convert.vegalite_to_vega(spec))
    assert "share of inputs drifted / KPI drop from baseline" in compiled


def _layers_with(spec: Any, y_field: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [
        (view, view.get("data", {}).get("values", []))
        for view in _layers(spec)
        if view["encoding"]["y"]["field"] == y_field and view.get("data", {}).get("values")
    ]
