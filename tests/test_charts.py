"""Vega-Lite chart specs: charter text is data or a literal title, never part of an expression."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import vl_convert

from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import PortalOptions, build_portal
from aipo_site.render import charts
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


@pytest.fixture(scope="module", autouse=True)
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Chart template memos go to a folder of this module's, never the developer's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        charts._template.cache_clear()
        yield
    charts._template.cache_clear()


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


# The chart template memo (charts._template): one file per kind in $XDG_CACHE_HOME/aipo.

KINDS = {"kpi", "segments", "risks", "overlay", "drift_time", "trend"}


def _no_altair() -> str:
    raise AssertionError("built with Altair although the memo holds the template")


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder and an empty in-process memo, for one test."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    charts._template.cache_clear()
    yield home
    charts._template.cache_clear()


def test_every_chart_kind_has_a_template_builder():
    assert set(charts._BUILDERS) == KINDS


def test_memoised_template_is_the_one_altair_builds(cache_home, monkeypatch):
    for kind, build in list(charts._BUILDERS.items()):
        built = build()
        charts._template.cache_clear()
        cold = charts._template(kind)
        memo = charts._memo_path(kind)
        assert memo is not None and memo.parent == cache_home / "aipo"
        assert memo.read_bytes() == built.encode(), kind
        # A new process (here: an empty in-process memo) reads the file, without Altair.
        monkeypatch.setitem(charts._BUILDERS, kind, _no_altair)
        charts._template.cache_clear()
        warm = charts._template(kind)
        assert warm == cold == json.loads(built), kind
        assert json.dumps(warm, sort_keys=True) == built, kind
        assert charts._template(kind) is warm  # read once per process
    assert len(list((cache_home / "aipo").iterdir())) == len(KINDS)


def test_memo_name_changes_with_altair_and_aipo(cache_home, monkeypatch):
    path = charts._memo_path("kpi")
    assert path is not None and path != charts._memo_path("trend")
    with monkeypatch.context() as mp:
        mp.setattr(charts.metadata, "version", lambda name: "0.0.1")
        assert charts._memo_path("kpi") not in (None, path)
    with monkeypatch.context() as mp:
        mp.setattr(charts, "package_fingerprint", lambda: "f" * 64)
        assert charts._memo_path("kpi") not in (None, path)
    assert charts._memo_path("kpi") == path


_SPECS_WITHOUT_ALTAIR = """
import json, sys
from types import SimpleNamespace
from aipo_site.render import charts

assert "altair" not in sys.modules
risks = [SimpleNamespace(title="Drift", likelihood=2, impact=4)]
rows = [{"start": "2026-11-02", "end": "2026-11-08", "next": "2026-11-09", "status": "OK",
         "models": 3, "y0": 0, "y1": 3}]
specs = [charts.risk_chart_spec(risks), charts.trend_spec(rows)]
templates = {kind: charts._template(kind) for kind in sorted(charts._BUILDERS)}
print(json.dumps({"altair": "altair" in sys.modules, "jsonschema": "jsonschema" in sys.modules,
                  "specs": specs, "templates": templates}))
"""


def test_a_warm_memo_builds_charts_without_importing_altair(tmp_path):
    def run() -> dict[str, Any]:
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
        out = subprocess.run(
            [sys.executable, "-c", _SPECS_WITHOUT_ALTAIR],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    cold = run()  # builds the templates with Altair and memoises them
    assert cold["altair"], "the check would not see Altair imported"
    assert len(list((tmp_path / "aipo").glob("chart-*.json"))) == len(KINDS)
    warm = run()
    assert not warm["altair"] and not warm["jsonschema"]
    assert warm["specs"] == cold["specs"] and warm["templates"] == cold["templates"]
    assert set(warm["templates"]) == KINDS


@pytest.mark.parametrize(
    "garbage", [b"\xff\xfe\x00 not json {", b'{"layer": [', b"[1, 2]", b"", b"[" * 100_000]
)
def test_a_corrupt_memo_is_rebuilt(cache_home, garbage):
    path = charts._memo_path("risks")
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    built = charts._risk_template()
    assert charts._template("risks") == json.loads(built)
    assert path.read_bytes() == built.encode()  # and memoised again


def test_an_unwritable_cache_folder_still_builds(tmp_path, monkeypatch, cache_home):
    built = json.loads(charts._trend_template())
    # The cache "folder" is a file: nothing can be read or written under it.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert charts._template("trend") == built
    assert blocker.read_text() == "not a folder"
    # Writing fails (a read-only home: root ignores chmod, so the write itself is made to fail).
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    charts._template.cache_clear()

    def refuse(path: Path, data: bytes, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(charts, "write_atomic", refuse)
    assert charts._template("trend") == built
    assert not cache_home.exists()
    # No cache folder at all (no home directory).
    charts._template.cache_clear()

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(charts, "user_cache_dir", no_home)
    assert charts._template("trend") == built


def _containers(node: Any) -> Iterator[Any]:
    if isinstance(node, dict | list):
        yield node
        for v in node.values() if isinstance(node, dict) else node:
            yield from _containers(v)


class _AnyValue(dict):
    def __missing__(self, key: str) -> str:
        return f"filled {key}"


def test_fill_shares_no_container_with_the_template(cache_home):
    """The parsed templates are shared by every chart of their kind: _fill must copy them."""
    for kind in KINDS:
        template = charts._template(kind)
        before = json.dumps(template, sort_keys=True)
        spec = charts._fill(template, {}, _AnyValue())
        assert not {id(c) for c in _containers(template)} & {id(c) for c in _containers(spec)}
        for node in list(_containers(spec)):  # a caller changing its spec
            node.clear()
        assert json.dumps(template, sort_keys=True) == before, kind


def test_a_new_memo_replaces_those_of_other_versions(cache_home, monkeypatch):
    folder = cache_home / "aipo"
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "chart-kpi-altair-0.0.1-ffffffffffffffffffffffff.json"
    other_kind = folder / "chart-trend-altair-0.0.1-ffffffffffffffffffffffff.json"
    bundle = folder / "vega-bundle-0.0.1.js"
    for path in (stale, other_kind, bundle):
        path.write_text("{}")
    charts._template.cache_clear()
    charts._template("kpi")
    assert not stale.exists() and charts._memo_path("kpi").exists()
    assert other_kind.exists() and bundle.exists()  # only the kind rebuilt is tidied
