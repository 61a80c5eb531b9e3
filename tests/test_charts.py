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
        "mid": (ms(d2) + ms(dt.date(2026, 11, 13))) / 2,  # where the period's line points sit
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
    # Two panels with their own y axes: the share (0-100 %) and the KPIs' drops.
    assert "share of inputs drifted" in compiled
    assert "KPI drop from baseline" in compiled
    assert "share of inputs drifted / KPI drop from baseline" not in compiled


def _layers_with(spec: Any, y_field: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [
        (view, view.get("data", {}).get("values", []))
        for view in _layers(spec)
        if view["encoding"]["y"]["field"] == y_field and view.get("data", {}).get("values")
    ]


def test_time_axis_ticks_at_one_granularity_from_the_span():
    """Ticks fall on calendar boundaries of one unit, formatted at that unit, so no two ticks
    of an axis can read the same (issue 9: "Sep 2026" four times on a weekly series)."""
    from aipo_site.render.charts import time_axis

    day = 86_400_000.0
    year = time_axis(0, 365 * day)
    assert year == {"xformat": "%b %Y", "xticks": {"interval": "month", "step": 2}}
    assert time_axis(0, 84 * day)["xticks"] == {"interval": "month", "step": 1}
    weeks = time_axis(0, 30 * day)
    assert weeks == {"xformat": "%-d %b", "xticks": {"interval": "week", "step": 1}}
    assert time_axis(0, 5 * day)["xticks"] == {"interval": "day", "step": 1}
    assert time_axis(0, 5 * 365 * day)["xformat"] == "%Y"


def test_drift_outcome_is_the_kpi_over_the_same_period():
    """Each period's outcome point is the KPI's daily values over that period, aggregated, not
    the KPI's window value on the period's first day (which lags by a window)."""
    import datetime as dt

    from aipo_site.model.charter import Aggregation
    from aipo_site.model.results import KpiSeries
    from aipo_site.render.charts import _period_value

    dates = np.arange(np.datetime64("2026-10-01"), np.datetime64("2026-11-01"))
    values = np.where(dates >= np.datetime64("2026-10-15"), 2.0, 1.0)

    class Kpi:
        series = KpiSeries(dates, values, np.ones_like(values))
        aggregation = Aggregation.mean

    assert _period_value(Kpi, dt.date(2026, 10, 1), dt.date(2026, 10, 14)) == 1.0
    assert _period_value(Kpi, dt.date(2026, 10, 15), dt.date(2026, 10, 21)) == 2.0
    assert _period_value(Kpi, dt.date(2026, 10, 12), dt.date(2026, 10, 17)) == 1.5
    assert _period_value(Kpi, dt.date(2026, 12, 1), dt.date(2026, 12, 7)) is None
