"""Vega-Lite chart specs, built with Altair once per kind and filled per model.

Altair's ``to_dict()`` costs ~38 ms per chart with inline data (TOOLCHAIN.md), which would dominate a
1,000-model build. So each kind of chart is built with Altair once, with named placeholders for its
data, scale domain and time-axis ticks, and every KPI gets a cheap deep copy with the placeholders
filled. The templates are memoised on disk too (:func:`_template`): importing Altair alone costs
~1.5 s of CPU, which a build finding the memo never pays. The KPI series are not inlined: each
model gets one small CSV next to its page that all its charts load by URL, and the charts filter
it by metric.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomic
from ..fingerprint import package_fingerprint
from ..fmt import fmt_pct, fmt_value
from ..model.charter import Direction, Risk
from ..model.results import DriftResult, FeatureDrift, KpiResult, SegmentResult, ThresholdChange
from .assets import user_cache_dir

__all__ = [
    "drift_measure_text",
    "drift_overlay_spec",
    "drift_time_spec",
    "kpi_chart_spec",
    "risk_chart_spec",
    "segment_chart_spec",
    "segments_csv",
    "series_csv",
    "stale_rows",
    "trend_spec",
]

WARN_COLOR = "#f0a202"
BREACH_COLOR = "#d62828"
LINE_COLOR = "#1f5fa8"
BASELINE_COLOR = "#555555"
STALE_COLOR = "#8a8a8a"
STALE_TEXT = "#555555"
_PLACEHOLDER = "__aipo__"
# aria: false. Vega-Lite writes each mark's ARIA description as a Vega *expression* that quotes
# the axis titles (a KPI's unit, charter text) with only '"' escaped: a backslash or a line break
# in a unit broke the chart or was read as an escape. Without the generated descriptions no
# charter text reaches an expression; the figure caption next to each chart describes it.
CONFIG: dict[str, Any] = {"view": {"stroke": None}, "axis": {"labelFontSize": 11}, "aria": False}


# Time axes: ticks at calendar boundaries (whole months, weeks or days) with a format at the same
# granularity, chosen from the domain's span, so no two ticks can read the same ("Sep 2026" four
# times on a weekly series). The templates hold placeholders; time_axis() gives their values.
_TIME_FORMAT = f"{_PLACEHOLDER}xformat"
_TIME_TICKS = f"{_PLACEHOLDER}xticks"
_DAY_MS = 86_400_000.0
# Pixels between a continuous y scale's data range and the plot's edges.
_Y_PAD = 8


def _time_axis_kwargs() -> dict[str, Any]:
    return {"format": _TIME_FORMAT, "labelAngle": 0, "labelOverlap": "greedy"}


def _tick_placeholders(node: Any) -> Any:
    """Give every time axis (the one with the format placeholder) a tick-count placeholder."""
    if isinstance(node, dict):
        if node.get("format") == _TIME_FORMAT:
            node["tickCount"] = _TIME_TICKS
        for v in node.values():
            _tick_placeholders(v)
    elif isinstance(node, list):
        for v in node:
            _tick_placeholders(v)
    return node


def time_axis(lo_ms: float, hi_ms: float) -> dict[str, Any]:
    """Placeholder values for a time axis spanning lo..hi (ms): a tick interval and its format."""
    days = max((hi_ms - lo_ms) / _DAY_MS, 0.0)
    if days >= 80:
        months = days / 30.44
        step = next((s for s in (1, 2, 3, 6, 12, 24) if months / s <= 6), 48)
        if step >= 12:
            return {"xformat": "%Y", "xticks": {"interval": "year", "step": step // 12}}
        return {"xformat": "%b %Y", "xticks": {"interval": "month", "step": step}}
    if days >= 14:
        step = 1 if days / 7 <= 6 else 2
        return {"xformat": "%-d %b", "xticks": {"interval": "week", "step": step}}
    step = next((s for s in (1, 2, 3, 7) if days / s <= 7), 7)
    return {"xformat": "%-d %b", "xticks": {"interval": "day", "step": step}}


def _template_json(chart: Any, config: dict[str, Any]) -> str:
    spec = _tick_placeholders(chart.to_dict(validate=True))
    spec.pop("$schema", None)
    spec["config"] = config
    return json.dumps(spec, sort_keys=True)


# Each chart kind's Altair builder: the template as JSON text (see _template).
_BUILDERS: dict[str, Callable[[], str]] = {}


def _builds(kind: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the decorated function as the Altair builder of ``kind``'s template."""

    def register(build: Callable[[], str]) -> Callable[[], str]:
        _BUILDERS[kind] = build
        return build

    return register


def _memo_path(kind: str) -> Path | None:
    """The per-user file memoising ``kind``'s template across processes, or None when there is
    none. Its name changes whenever the template could: with the installed Altair's version
    (read without importing Altair) and a hash of aipo's own files, which hold the builders."""
    try:
        altair = metadata.version("altair")
        return user_cache_dir() / f"chart-{kind}-altair-{altair}-{package_fingerprint()[:24]}.json"
    except (OSError, RuntimeError, metadata.PackageNotFoundError):  # no home, unreadable package
        return None


@functools.cache
def _template(kind: str) -> dict[str, Any]:
    """``kind``'s chart with named placeholders, parsed once per process. Shared: never mutate
    it (:func:`_fill` copies every container).

    Importing Altair costs ~1.5 s of CPU (its jsonschema imports rfc3987-syntax, which compiles
    dozens of grammars on import) and building the six templates ~0.2 s more, in every process
    that builds them. So each template's JSON text is memoised next to the Vega bundle
    (``$XDG_CACHE_HOME/aipo``), and a build that finds it never imports Altair. A missing, corrupt
    or unreadable memo is rebuilt with Altair; one that cannot be written only costs the rebuild
    next time.
    """
    path = _memo_path(kind)
    if path is not None:
        try:
            tree = json.loads(path.read_bytes())
            if isinstance(tree, dict):
                return tree
        except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON: rebuild
            pass
    text = _BUILDERS[kind]()
    if path is not None:
        # A read-only cache folder: built in memory, as without the memo.
        with contextlib.suppress(OSError):
            write_atomic(path, text.encode("utf-8"))
            # The memos of other versions of Altair or aipo are never read again.
            for old in path.parent.glob(f"chart-{kind}-altair-*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
    return json.loads(text)


def _accessible(spec: dict[str, Any], description: str, table: dict[str, Any]) -> dict[str, Any]:
    """Give a chart its text alternative.

    ``description`` says the key numbers in words; Vega puts it on the drawn SVG as its
    accessible name. ``table`` is the chart's data, which aipo.js shows as a table on request
    (``usermeta`` is Vega-Lite's place for data its compiler ignores): either ``columns`` and
    ``rows``, or the ``url`` of the chart's CSV with the ``columns`` to show and a ``filter``
    (``{"field": ..., "equal": ...}``) selecting the chart's rows. Marks and axes are kept out
    of the accessibility tree (``config.aria``): read one by one they say less than the two.
    """
    spec["description"] = description
    spec["usermeta"] = {"aipoTable": table}
    spec.setdefault("config", {})["aria"] = False
    return spec


def _num(value: float | None, unit: str | None = None) -> str:
    return fmt_value(value, unit) if value is not None else "no value"


def _day(ms: float) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()


def kpi_description(kpi: KpiResult) -> str:
    """The key numbers of a KPI's chart, in words."""
    series = kpi.series
    assert series is not None
    first, last = (np.datetime_as_string(series.dates[[0, -1]], unit="D")).tolist()
    lo, hi = float(np.nanmin(series.values)), float(np.nanmax(series.values))
    parts = [
        f"{kpi.name}: {len(series.values)} daily values from {first} to {last}, "
        f"between {_num(lo, kpi.unit)} and {_num(hi, kpi.unit)}",
        f"{kpi.aggregation.value} of {kpi.window_days} days: {_num(kpi.value, kpi.unit)}, "
        f"status {kpi.status.value}",
    ]
    t = kpi.thresholds
    if t is not None:
        side = "above" if kpi.direction is Direction.lower_is_better else "below"
        parts.append(
            f"warn {side} {_num(t.warn, kpi.unit)}, breach {side} {_num(t.breach, kpi.unit)}"
        )
    if kpi.threshold_changes:
        parts.append(
            "thresholds changed on "
            + "; ".join(threshold_change_text(c) for c in kpi.threshold_changes)
        )
    if kpi.baseline is not None:
        drop = ""
        if kpi.drop is not None:
            worse = "worse" if kpi.drop > 0 else "better"
            drop = f", the window value {fmt_pct(abs(kpi.drop))} {worse} than it"
        parts.append(f"original baseline {_num(kpi.baseline, kpi.unit)}{drop}")
    return "; ".join(parts) + "."


def series_csv(kpis: list[KpiResult]) -> str:
    """One CSV with every KPI's daily value and rolling aggregate: metric,date,value,rolling."""
    lines = ["metric,date,value,rolling"]
    for k in kpis:
        if k.series is None:
            continue
        # Rounded to 6 decimals and written with repr: C-speed formatting, shortest text.
        dates = np.datetime_as_string(k.series.dates, unit="D").tolist()
        values = map(repr, np.round(k.series.values, 6).tolist())
        rolling = map(repr, np.round(k.series.rolling, 6).tolist())
        prefix = k.metric + ","
        lines.extend(
            prefix + row for row in map(",".join, zip(dates, values, rolling, strict=True))
        )
    return "\n".join(lines) + "\n"


def segments_csv(segments: list[SegmentResult]) -> str:
    """Each segment's window aggregate over time: metric,segment,date,value."""
    lines = ["metric,segment,date,value"]
    for result in segments:
        for segment, (dates, values) in sorted(result.series.items()):
            label = _csv_cell(segment)
            days = np.datetime_as_string(dates, unit="D")
            lines.extend(
                f"{result.check.metric},{label},{d},{v:.6g}"
                for d, v in zip(days, values, strict=True)
            )
    return "\n".join(lines) + "\n"


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@_builds("segments")
def _segment_template() -> str:
    import altair as alt  # only when no memo holds the template (_template)

    x = alt.X(
        "date:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(**_time_axis_kwargs())
    )
    # Padded so a flat line at the domain's edge is not drawn on the axis.
    y_scale = alt.Scale(zero=False, padding=_Y_PAD)
    # The check's tiers measured from the best segment's value at the evaluation date towards the
    # worst: a segment in the amber band is a WARN gap from the best, in the red band a BREACH.
    bands = (
        alt.Chart(alt.NamedData(name="bands"))
        .mark_rect(opacity=0.14)
        .encode(
            y=alt.Y("y:Q", title=None, scale=y_scale),
            y2="y2:Q",
            color=alt.Color(
                "zone:N",
                scale=alt.Scale(domain=["warn", "breach"], range=[WARN_COLOR, BREACH_COLOR]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("label:N", title="band")],
        )
    )
    lines = (
        alt.Chart(alt.NamedData(name="series"))
        .transform_filter(alt.FieldEqualPredicate(field="metric", equal=f"{_PLACEHOLDER}metric"))
        .mark_line(strokeWidth=1.8, clip=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=None, scale=y_scale),
            color=alt.Color(
                "segment:N", legend=alt.Legend(orient="bottom", title=None, direction="horizontal")
            ),
            tooltip=[
                alt.Tooltip("segment:N"),
                alt.Tooltip("date:T", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("value:Q", format=".4~g"),
            ],
        )
    )
    # The worst segment at the evaluation date: a ringed point and its name.
    worst = alt.Chart(alt.NamedData(name="worst")).encode(
        x=alt.X("date:T", scale=alt.Scale(type="utc")),
        y=alt.Y("value:Q", scale=y_scale),
    )
    worst_point = worst.mark_point(
        shape="circle", size=110, filled=False, strokeWidth=2.5, color=BASELINE_COLOR
    ).encode(tooltip=[alt.Tooltip("label:N", title="worst")])
    worst_text = worst.mark_text(
        align="right",
        baseline="bottom",
        dx=-8,
        dy=-6,
        fontSize=11,
        fontWeight="bold",
        color=BASELINE_COLOR,
    ).encode(text="label:N")
    chart = (
        alt.layer(bands, lines, worst_point, worst_text)
        .resolve_scale(color="independent")
        .properties(width="container", height=200, background="transparent")
    )
    return _template_json(chart, CONFIG)


def segment_chart_spec(result: SegmentResult, data_url: str) -> dict[str, Any] | None:
    """Each segment's windowed KPI over time, one line per segment, over the band the check
    tolerates from the best segment (at the evaluation date), with the worst segment marked."""
    if len(result.series) < 2:
        return None
    bands: list[dict[str, Any]] = []
    worst: list[dict[str, Any]] = []
    if result.worst is not None and result.best is not None:
        best, bad = result.best.value, result.worst.value
        up = bad >= best
        tiers = result.check.tiers
        edges = []
        for tier in (tiers.warn, tiers.breach):
            if result.check.gap == "ratio":
                edges.append(best * tier if up else (best / tier if tier else best))
            else:
                edges.append(best + tier if up else best - tier)
        # Beyond the warn edge the gap is WARN, beyond the breach edge BREACH (as on KPI charts);
        # the breach band runs to the farthest value drawn.
        values = [v for _, v in result.series.values() if len(v)]
        far = edges[1]
        if values:
            far = float(
                np.nanmax([np.nanmax(v) for v in values])
                if up
                else np.nanmin([np.nanmin(v) for v in values])
            )
        bands = [{"zone": "warn", "y": edges[0], "y2": edges[1], "label": "gap above warn"}]
        if (far > edges[1]) if up else (far < edges[1]):
            bands.append({"zone": "breach", "y": edges[1], "y2": far, "label": "gap above breach"})
        dates = result.series.get(result.worst.segment, (np.array([], "datetime64[D]"), None))[0]
        if len(dates):
            worst.append(
                {
                    "date": float(dates[-1].astype("datetime64[ms]").astype(np.int64)),
                    "value": _round(bad),
                    "label": f"worst: {result.worst.segment}",
                }
            )
    spec = _fill(
        _template("segments"),
        {
            "series": {
                "url": data_url,
                "format": {
                    "type": "csv",
                    "parse": {"date": "utc:'%Y-%m-%d'", "value": "number", "segment": "string"},
                },
            },
            "bands": {"values": [{**b, "y": _round(b["y"]), "y2": _round(b["y2"])} for b in bands]},
            "worst": {"values": worst},
        },
        {"metric": result.check.metric, **time_axis(*_series_span(result.series.values()))},
    )
    latest = ", ".join(
        f"{v.segment} {_num(v.value, result.unit)}"
        for v in sorted(result.values, key=lambda v: v.segment)
    )
    worst = (
        f"; worst segment {result.worst.segment}, gap {_num(result.gap, result.unit)}"
        if result.worst is not None and result.gap is not None
        else ""
    )
    return _accessible(
        spec,
        f"{result.name} by segment, {len(result.series)} segments; latest window values: "
        f"{latest}{worst}; status {result.status.value}.",
        {
            "url": data_url,
            "filter": {"field": "metric", "equal": result.check.metric},
            "columns": [["segment", "Segment"], ["date", "Date"], ["value", "Window value"]],
        },
    )


def _series_span(series: Any) -> tuple[float, float]:
    firsts = [dates[0] for dates, _ in series if len(dates)]
    lasts = [dates[-1] for dates, _ in series if len(dates)]
    if not firsts:
        return 0.0, 0.0
    to_ms = lambda d: float(d.astype("datetime64[ms]").astype(np.int64))  # noqa: E731
    return to_ms(min(firsts)), to_ms(max(lasts))


@_builds("kpi")
def _kpi_template() -> str:
    """The KPI chart, with placeholders, as JSON text, built with Altair (see _template)."""
    import altair as alt  # only when no memo holds the template (_template)

    # Every KPI chart of a model shares one time axis ending at the evaluation date, so a stale
    # series visibly stops short instead of being stretched to the same width.
    x = alt.X(
        "date:T",
        title=None,
        scale=alt.Scale(type="utc", domain=[f"{_PLACEHOLDER}xlo", f"{_PLACEHOLDER}xhi"]),
        axis=alt.Axis(**_time_axis_kwargs()),
    )
    y_scale = alt.Scale(domain=[f"{_PLACEHOLDER}ylo", f"{_PLACEHOLDER}yhi"], zero=False, nice=False)
    series = (
        alt.Chart(alt.NamedData(name="series"))
        .transform_filter(alt.FieldEqualPredicate(field="metric", equal=f"{_PLACEHOLDER}metric"))
        .encode(x=x)
    )
    bands = (
        alt.Chart(alt.NamedData(name="bands"))
        .mark_rect(opacity=0.14)
        .encode(
            y=alt.Y("y:Q", scale=y_scale, title=f"{_PLACEHOLDER}ytitle"),
            y2="y2:Q",
            color=alt.Color(
                "zone:N",
                scale=alt.Scale(domain=["warn", "breach"], range=[WARN_COLOR, BREACH_COLOR]),
                legend=None,
            ),
        )
    )
    daily = series.mark_line(strokeWidth=1, opacity=0.35, color=LINE_COLOR, clip=True).encode(
        y=alt.Y("value:Q", scale=y_scale, title=f"{_PLACEHOLDER}ytitle"),
        tooltip=[
            alt.Tooltip("date:T", title="date", format="%Y-%m-%d", formatType="utc"),
            alt.Tooltip("value:Q", title="daily", format=".4~g"),
            alt.Tooltip("rolling:Q", title="window", format=".4~g"),
        ],
    )
    rolling = series.mark_line(strokeWidth=2.5, color=LINE_COLOR, clip=True).encode(
        y=alt.Y("rolling:Q", scale=y_scale, title=f"{_PLACEHOLDER}ytitle")
    )
    rules = (
        alt.Chart(alt.NamedData(name="rules"))
        .mark_rule(strokeDash=[6, 4], strokeWidth=1.5)
        .encode(
            y=alt.Y("y:Q", scale=y_scale, title=f"{_PLACEHOLDER}ytitle"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(
                    domain=["warn", "breach", "baseline"],
                    range=[WARN_COLOR, BREACH_COLOR, BASELINE_COLOR],
                ),
                legend=alt.Legend(orient="bottom", title=None, direction="horizontal"),
            ),
            tooltip=[alt.Tooltip("label:N", title="line"), alt.Tooltip("y:Q", title="value")],
        )
    )
    # The stretch from the newest row to the evaluation date, when the series stopped early.
    x_scale = alt.Scale(type="utc", domain=[f"{_PLACEHOLDER}xlo", f"{_PLACEHOLDER}xhi"])
    # No domain here: with x2, Vega-Lite would merge this layer's domain a second time in another
    # form and log "Conflicting scale property domain"; the other layers' domain holds it.
    stale_x = alt.X(
        "from:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(**_time_axis_kwargs())
    )
    stale_band = (
        alt.Chart(alt.NamedData(name="stale"))
        .mark_rect(color=STALE_COLOR, opacity=0.22)
        .encode(
            x=stale_x,
            x2="to:T",
            tooltip=[alt.Tooltip("label:N", title="stale")],
        )
    )
    stale_text = (
        alt.Chart(alt.NamedData(name="stale"))
        .mark_text(align="right", baseline="top", dx=-4, y=4, fontSize=11, color=STALE_TEXT)
        .encode(x=alt.X("to:T", scale=x_scale), text="label:N")
    )
    # The days the charter changed the thresholds (the bands are today's): a dotted rule each.
    change_x = alt.X("date:T", scale=x_scale)
    change_rule = (
        alt.Chart(alt.NamedData(name="changes"))
        .mark_rule(color=STALE_TEXT, strokeDash=[2, 3], strokeWidth=1.5)
        .encode(x=change_x, tooltip=[alt.Tooltip("detail:N", title="thresholds changed")])
    )
    change_text = (
        alt.Chart(alt.NamedData(name="changes"))
        .mark_text(align="left", baseline="top", dx=3, y=4, fontSize=11, color=STALE_TEXT)
        .encode(x=change_x, text="label:N")
    )
    chart = (
        alt.layer(bands, stale_band, daily, rolling, rules, stale_text, change_rule, change_text)
        .resolve_scale(color="independent")
        .properties(width="container", height=220, background="transparent")
    )
    return _template_json(chart, CONFIG)


def _fill(node: Any, data: dict[str, Any], values: dict[str, Any]) -> Any:
    """A new tree of ``node`` (a parsed template) with its placeholders filled: each named data
    source ``{"name": n}`` by ``data[n]`` and each ``"__aipo__key"`` string by ``values[key]``.

    Every dict and list is a new one, so ``node`` (shared by every chart of its kind) is never
    changed, and neither by a caller changing the result; the other JSON values are immutable.
    """
    if isinstance(node, dict):
        if set(node) == {"name"} and node["name"] in data:
            return data[node["name"]]
        return {k: _fill(v, data, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, data, values) for v in node]
    if isinstance(node, str) and node.startswith(_PLACEHOLDER):
        return values[node[len(_PLACEHOLDER) :]]
    return node


def time_domain(kpis: list[KpiResult], as_of: dt.date) -> tuple[float, float]:
    """The shared x-axis of a model's KPI charts: first data day to the evaluation date (ms)."""
    firsts = [k.series.dates[0] for k in kpis if k.series is not None and len(k.series.dates)]
    start = min(firsts) if firsts else np.datetime64(as_of, "D")
    end = np.datetime64(as_of, "D")
    to_ms = lambda d: float(d.astype("datetime64[ms]").astype(np.int64))  # noqa: E731
    return to_ms(start), to_ms(end)


def kpi_chart_spec(
    kpi: KpiResult, data_url: str, x_domain: tuple[float, float] | None = None
) -> dict[str, Any] | None:
    """The time-series chart of one KPI: daily values, the window aggregate, warn/breach bands and
    the original baseline. None when the KPI has no data."""
    if kpi.series is None or not len(kpi.series.values):
        return None
    points = [float(v) for v in (kpi.series.values.min(), kpi.series.values.max())]
    marks = []
    rules = []
    t = kpi.thresholds
    if t is not None:
        points += [t.warn, t.breach]
        rules += [{"label": "warn", "y": t.warn}, {"label": "breach", "y": t.breach}]
    if kpi.baseline is not None:
        points.append(kpi.baseline)
        rules.append({"label": "baseline", "y": kpi.baseline})
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    if t is not None:
        if kpi.direction is Direction.lower_is_better:
            marks = [
                {"zone": "warn", "y": t.warn, "y2": t.breach},
                {"zone": "breach", "y": t.breach, "y2": hi},
            ]
        else:
            marks = [
                {"zone": "warn", "y": t.breach, "y2": t.warn},
                {"zone": "breach", "y": lo, "y2": t.breach},
            ]
    spec = _fill(
        _template("kpi"),
        {
            "series": {
                "url": data_url,
                "format": {
                    "type": "csv",
                    "parse": {"date": "utc:'%Y-%m-%d'", "value": "number", "rolling": "number"},
                },
            },
            "bands": {"values": marks},
            "rules": {"values": rules},
            "stale": {"values": stale_rows(kpi, x_domain)},
            "changes": {"values": change_rows(kpi, x_domain)},
        },
        {
            "ylo": _round(lo),
            "yhi": _round(hi),
            "metric": kpi.metric,
            "ytitle": kpi.unit or None,
            "xlo": x_domain[0] if x_domain else None,
            "xhi": x_domain[1] if x_domain else None,
            **time_axis(*(x_domain or _series_span([(kpi.series.dates, None)]))),
        },
    )
    if x_domain is None:
        for layer in spec["layer"]:
            layer.get("encoding", {}).get("x", {}).get("scale", {}).pop("domain", None)
    rolling = f"{kpi.aggregation.value.capitalize()} of {kpi.window_days} days"
    return _accessible(
        spec,
        kpi_description(kpi),
        {
            "url": data_url,
            "filter": {"field": "metric", "equal": kpi.metric},
            "columns": [["date", "Date"], ["value", "Daily value"], ["rolling", rolling]],
        },
    )


def threshold_change_text(change: ThresholdChange) -> str:
    """ "2026-07-01 (a1b2c3d): warn 0.8 → 0.85, breach 0.75 → 0.8"."""

    def levels(value: tuple[float, float] | None, tier: int) -> str:
        return "none" if value is None else fmt_value(value[tier])

    parts = [
        f"{name} {levels(change.before, i)} → {levels(change.after, i)}"
        for i, name in enumerate(("warn", "breach"))
        if levels(change.before, i) != levels(change.after, i)
    ]
    return f"{change.day.isoformat()} ({change.commit}): {', '.join(parts) or 'unchanged'}"


def change_rows(kpi: KpiResult, x_domain: tuple[float, float] | None) -> list[dict[str, Any]]:
    """The threshold changes inside the chart's time axis, as rows for its dotted rules."""
    rows = []
    for change in kpi.threshold_changes:
        at = _ms(change.day)
        if x_domain is not None and not x_domain[0] <= at <= x_domain[1]:
            continue
        rows.append(
            {"date": at, "label": "thresholds changed", "detail": threshold_change_text(change)}
        )
    return rows


def stale_rows(kpi: KpiResult, x_domain: tuple[float, float] | None) -> list[dict[str, Any]]:
    """The band from the newest row to the evaluation date (the x domain's end), when the series
    stops more than a day before it."""
    if kpi.series is None or not len(kpi.series.dates) or x_domain is None:
        return []
    newest = kpi.series.dates[-1]
    start = float(newest.astype("datetime64[ms]").astype(np.int64))
    if x_domain[1] - start <= _DAY_MS:
        return []
    day = np.datetime_as_string(newest, unit="D")
    return [{"from": start, "to": x_domain[1], "label": f"no data since {day}"}]


def _round(value: float) -> float:
    return float(f"{value:.6g}")


@_builds("risks")
def _risk_template() -> str:
    import altair as alt  # only when no memo holds the template (_template)

    grid = (
        alt.Chart(alt.NamedData(name="grid"))
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=alt.X("likelihood:O", title="likelihood →", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("impact:O", title="impact →", sort="descending"),
            color=alt.Color(
                "score:Q",
                scale=alt.Scale(domain=[1, 25], range=["#e8f5e9", "#fff3cd", "#f8d7da"]),
                legend=None,
            ),
        )
    )
    dots = (
        alt.Chart(alt.NamedData(name="risks"))
        .mark_text(fontSize=13, fontWeight="bold", dx=0)
        .encode(
            x=alt.X("likelihood:O"),
            y=alt.Y("impact:O", sort="descending"),
            text="label:N",
            tooltip=[
                alt.Tooltip("label:N", title="risks"),
                alt.Tooltip("titles:N", title="titles"),
                alt.Tooltip("likelihood:O"),
                alt.Tooltip("impact:O"),
            ],
        )
    )
    chart = alt.layer(grid, dots).properties(width=280, height=240, background="transparent")
    spec = chart.to_dict(validate=True)
    spec.pop("$schema", None)
    spec["config"] = {**CONFIG, "axis": {}}
    return json.dumps(spec, sort_keys=True)


def risk_chart_spec(risks: list[Risk]) -> dict[str, Any] | None:
    """Likelihood x impact matrix; each risk is its number in the risk table."""
    if not risks:
        return None
    grid = [
        {"likelihood": li, "impact": im, "score": li * im}
        for li in range(1, 6)
        for im in range(1, 6)
    ]
    # Risks that share a cell are drawn as one label ("R2 R3") so nothing overlaps.
    cells: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for i, r in enumerate(risks, start=1):
        cells.setdefault((r.likelihood, r.impact), []).append((f"R{i}", r.title))
    rows = [
        {
            "likelihood": li,
            "impact": im,
            "label": " ".join(label for label, _ in items),
            "titles": "; ".join(f"{label}: {title}" for label, title in items),
        }
        for (li, im), items in sorted(cells.items())
    ]
    spec = _fill(
        _template("risks"),
        {"grid": {"values": grid}, "risks": {"values": rows}},
        {},
    )
    listed = [
        f"R{i} {r.title} (likelihood {r.likelihood}, impact {r.impact})"
        for i, r in enumerate(risks, start=1)
    ]
    return _accessible(
        spec,
        f"Likelihood × impact of {len(risks)} risks: " + "; ".join(listed) + ".",
        {
            "columns": ["Risk", "Title", "Likelihood", "Impact", "Likelihood × impact"],
            "rows": [
                [f"R{i}", r.title, r.likelihood, r.impact, r.likelihood * r.impact]
                for i, r in enumerate(risks, start=1)
            ],
        },
    )


STATUS_COLORS = {"OK": "#2e7d32", "WARN": "#f0a202", "BREACH": "#d62828"}


@_builds("overlay")
def _overlay_template() -> str:
    import altair as alt  # only when no memo holds the template (_template)

    chart = (
        alt.Chart(alt.NamedData(name="bins"))
        .mark_bar()
        .encode(
            x=alt.X("bin:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=120)),
            xOffset=alt.XOffset("window:N", sort=["reference", "current"]),
            y=alt.Y("share:Q", title="share of rows", axis=alt.Axis(format="%")),
            color=alt.Color(
                "window:N",
                scale=alt.Scale(domain=["reference", "current"], range=["#9fb7d9", LINE_COLOR]),
                legend=alt.Legend(orient="bottom", title=None, direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("bin:N"),
                alt.Tooltip("window:N"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .properties(width="container", height=180, background="transparent")
    )
    spec = chart.to_dict(validate=True)
    spec.pop("$schema", None)
    spec["config"] = {**CONFIG, "axis": {}}
    return json.dumps(spec, sort_keys=True)


def drift_overlay_spec(feature: FeatureDrift) -> dict[str, Any] | None:
    """Reference vs current distribution of one feature on the bins its measure used."""
    h = feature.histogram
    if h is None or not h.labels:
        return None
    rows = []
    for label, ref, cur in zip(h.labels, h.reference, h.current, strict=True):
        rows.append({"bin": label, "window": "reference", "share": ref})
        rows.append({"bin": label, "window": "current", "share": cur})
    spec = _fill(_template("overlay"), {"bins": {"values": rows}}, {})
    measure = (
        drift_measure_text(feature.method, feature.value, feature.p_value)
        if feature.value is not None
        else "no measure"
    )
    return _accessible(
        spec,
        f"{feature.name}: reference and current share of values in {len(h.labels)} bins; "
        f"{measure}; status {feature.status.value}.",
        {
            "columns": ["Bin", "Reference share", "Current share"],
            "rows": [
                [label, fmt_pct(ref), fmt_pct(cur)]
                for label, ref, cur in zip(h.labels, h.reference, h.current, strict=True)
            ],
        },
    )


@_builds("drift_time")
def _drift_time_template() -> str:
    import altair as alt  # only when no memo holds the template (_template)

    scale = alt.Scale(type="utc")
    x = alt.X("period:T", title=None, scale=scale, axis=alt.Axis(**_time_axis_kwargs()))
    # Each line point sits at the middle of the period it summarises, above its cells.
    x_mid = alt.X("mid:T", title=None, scale=scale, axis=alt.Axis(**_time_axis_kwargs()))
    legend = alt.Legend(orient="bottom", title=None, direction="vertical", labelLimit=400)
    period_tips = [
        alt.Tooltip("period:T", title="from", format="%Y-%m-%d", formatType="utc"),
        alt.Tooltip("last:T", title="to", format="%Y-%m-%d", formatType="utc"),
    ]
    # Two panels with their own y axes: the share of drifted inputs is 0-100 %, a KPI's drop from
    # its baseline can be far larger; on one axis either would be squashed.
    share_y = alt.Y(
        "share:Q",
        title="share of inputs drifted",
        scale=alt.Scale(domain=[0, 1], padding=_Y_PAD),
        axis=alt.Axis(format="%", tickCount=4),
    )
    shares = (
        alt.Chart(alt.NamedData(name="shares"))
        .mark_line(point=True, strokeWidth=2, color=LINE_COLOR)
        .encode(
            x=x_mid,
            y=share_y,
            tooltip=[
                alt.Tooltip("series:N", title="line"),
                *period_tips,
                alt.Tooltip("share:Q", title="share drifted", format=".1%"),
            ],
        )
    )
    # The drift tiers' dashed lines belong to the share's panel only.
    rules = (
        alt.Chart(alt.NamedData(name="rules"))
        .mark_rule(strokeDash=[6, 4])
        .encode(
            y=share_y,
            color=alt.Color(
                "tier:N",
                scale=alt.Scale(domain=["WARN", "BREACH"], range=[WARN_COLOR, BREACH_COLOR]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("label:N", title="line")],
        )
    )
    share_panel = alt.layer(rules, shares).properties(width="container", height=130)
    drops = (
        alt.Chart(alt.NamedData(name="drops"))
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=x_mid,
            y=alt.Y(
                "drop:Q",
                title="KPI drop from baseline",
                scale=alt.Scale(zero=True, padding=_Y_PAD),
                axis=alt.Axis(format="%", tickCount=4),
            ),
            color=alt.Color("series:N", legend=legend),
            tooltip=[
                alt.Tooltip("series:N", title="line"),
                *period_tips,
                alt.Tooltip("drop:Q", title="drop from baseline", format=".1%"),
            ],
        )
        .properties(width="container", height=130)
    )
    # Each cell spans its period: from its first day to the day after its last.
    heat = (
        alt.Chart(alt.NamedData(name="cells"))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            x2="next:T",
            y=alt.Y("feature:N", title=None, sort=None),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(orient="bottom", title="feature drift", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("feature:N"),
                *period_tips,
                alt.Tooltip("measure:N", title="measured"),
                alt.Tooltip("status:N"),
            ],
        )
        .properties(width="container", height=alt.Step(18))
    )
    # One time axis for every panel, so each point sits above its period's cells.
    chart = alt.vconcat(share_panel, drops, heat, spacing=12).resolve_scale(
        color="independent", x="shared"
    )
    chart = chart.properties(background="transparent")
    return _template_json(chart, CONFIG)


def _ms(day: dt.date) -> float:
    return float(np.datetime64(day, "ms").astype(np.int64))


_STATISTIC = {
    "psi": "PSI",
    "ks": "KS D",
    "wasserstein": "Wasserstein",
    "jensen_shannon": "Jensen–Shannon",
    "chi_square": "chi-square",
}


def drift_measure_text(method: str, value: float, p_value: float | None) -> str:
    """A feature's measure in words, saying which number decides its tier: 'PSI 0.153' (the
    value) or 'KS D 0.31; p = 0.0012 decides the tier'."""
    name = _STATISTIC.get(method, method)
    if p_value is None:
        return f"{name} {value:.3g}"
    return f"{name} {value:.3g}; p = {p_value:.2g} decides the tier"


def drift_time_spec(result: DriftResult, kpis: list[KpiResult]) -> dict[str, Any] | None:
    """Drift over time, in three panels on one time axis: the share of drifted inputs per period
    (against its warn and breach levels), each KPI's drop from its baseline over the same periods
    (inputs moved? outcomes moved?), and a feature x period grid of drift tiers.

    The data fields mean what they mean everywhere else. Every row describes one period:
    ``period`` its first day, ``last`` its last, ``next`` the day after (where its cell ends) and
    ``mid`` its middle (where its line points sit). ``shares`` rows hold ``share`` (the dataset
    drift share of the period); ``drops`` rows ``drop`` (a KPI's relative drop from its baseline,
    positive = worse, of the KPI's daily values over the period combined with its aggregation),
    ``rules`` rows the share's ``warn`` / ``breach`` level as ``share``, and each ``cells`` row
    one feature in one period with ``value`` (the method's statistic or distance, as
    ``FeatureDrift.value``), ``p_value`` (``FeatureDrift.p_value``, null for distances) and
    ``status`` (the tier of the p-value for p-value methods, of the value otherwise: the cell's
    colour)."""
    if not result.share_over_time:
        return None
    ends = {start: end for start, end, _ in result.timeline}
    spans = {p: _period(p, ends.get(p, p)) for p, _ in result.share_over_time}
    shares = [
        {"series": "inputs: share of drifted features", **spans[p], "share": round(v, 6)}
        for p, v in result.share_over_time
    ]
    drops = []
    for k in kpis:
        if k.series is None or k.baseline is None or k.drop is None:
            continue
        for p, _ in result.share_over_time:
            value = _period_value(k, p, ends.get(p, p))
            if value is None:
                continue
            scale = abs(k.baseline) or 1.0
            drop = (k.baseline - value) / scale
            if k.direction is not None and k.direction.value == "lower_is_better":
                drop = (value - k.baseline) / scale
            drops.append(
                {
                    "series": f"outcome: {k.name} drop from baseline",
                    **spans[p],
                    "drop": round(float(drop), 6),
                }
            )
    rules = [
        {
            "tier": "WARN",
            "share": result.share_tiers.warn,
            "label": f"drift share: WARN above {fmt_pct(result.share_tiers.warn)}",
        },
        {
            "tier": "BREACH",
            "share": result.share_tiers.breach,
            "label": f"drift share: BREACH above {fmt_pct(result.share_tiers.breach)}",
        },
    ]
    cells = [
        {
            "feature": pt.feature,
            **_period(pt.period, ends.get(pt.period, pt.period)),
            "method": pt.method,
            "value": float(pt.value),
            "p_value": None if pt.p_value is None else float(pt.p_value),
            "status": pt.status.value,
            "measure": drift_measure_text(pt.method, pt.value, pt.p_value),
        }
        for pt in result.over_time
    ]
    first = min(spans.values(), key=lambda r: r["period"])["period"]
    last = max(spans.values(), key=lambda r: r["next"])["next"]
    spec = _fill(
        _template("drift_time"),
        {
            "shares": {"values": shares},
            "drops": {"values": drops},
            "rules": {"values": rules},
            "cells": {"values": cells},
        },
        time_axis(first, last),
    )
    newest, share = result.share_over_time[-1]
    moved = sorted({c["feature"] for c in cells if c["status"] != "OK"})
    table = [[_day(r["period"]), r["series"], fmt_pct(r["share"]), ""] for r in shares]
    table += [[_day(r["period"]), r["series"], fmt_pct(r["drop"]), ""] for r in drops]
    table += [[_day(c["period"]), c["feature"], c["measure"], c["status"]] for c in cells]
    table.sort(key=lambda row: row[0])
    return _accessible(
        spec,
        f"Drift over time, {len(shares)} periods from {_day(first)}: share of drifted "
        f"inputs in the newest period (from {newest.isoformat()}) {fmt_pct(share)} (warn above {fmt_pct(result.share_tiers.warn)}, breach above "
        f"{fmt_pct(result.share_tiers.breach)}); features not OK in some period: "
        f"{', '.join(moved) or 'none'}; {len({r['series'] for r in drops})} KPI drops shown.",
        {"columns": ["Period from", "Series", "Value", "Tier"], "rows": table},
    )


def _period(start: dt.date, last: dt.date) -> dict[str, float]:
    lo, hi = _ms(start), _ms(last + dt.timedelta(days=1))
    return {"period": lo, "last": _ms(last), "next": hi, "mid": (lo + hi) / 2}


_AGGREGATE = {
    "mean": np.mean,
    "median": np.median,
    "min": np.min,
    "max": np.max,
    "last": lambda v: v[-1],
}


def _period_value(kpi: KpiResult, start: dt.date, last: dt.date) -> float | None:
    """The KPI over one period: its daily values from start to last (both included), combined
    with its aggregation; None when it has no value in the period."""
    assert kpi.series is not None
    dates = kpi.series.dates
    lo = int(np.searchsorted(dates, np.datetime64(start, "D"), side="left"))
    hi = int(np.searchsorted(dates, np.datetime64(last, "D"), side="right"))
    values = kpi.series.values[lo:hi]
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    return float(_AGGREGATE[str(kpi.aggregation)](values))


TREND_COLORS = {"BREACH": BREACH_COLOR, "WARN": WARN_COLOR, "OK": "#2e7d32", "no status": "#b0b0b0"}


@_builds("trend")
def _trend_template() -> str:
    import altair as alt  # only when no memo holds the template (_template)

    keys = list(TREND_COLORS)
    chart = (
        alt.Chart(alt.NamedData(name="trend"))
        .mark_rect()
        .encode(
            x=alt.X(
                "start:T",
                title="week",
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(**_time_axis_kwargs()),
            ),
            x2="next:T",
            y=alt.Y("y0:Q", title="models", axis=alt.Axis(tickMinStep=1)),
            y2="y1:Q",
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=keys, range=list(TREND_COLORS.values())),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("start:T", title="from", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("end:T", title="to", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("status:N"),
                alt.Tooltip("models:Q"),
            ],
        )
        .properties(width="container", height=180, background="transparent")
    )
    return _template_json(chart, CONFIG)


def trend_spec(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Models per status per week, stacked (rows from :func:`~.strip.portfolio_trend`)."""
    if not rows:
        return None
    first = min(row["start"] for row in rows)
    last = max(row["next"] for row in rows)
    span = time_axis(_ms(dt.date.fromisoformat(first)), _ms(dt.date.fromisoformat(last)))
    spec = _fill(_template("trend"), {"trend": {"values": rows}}, span)
    newest = max(row["start"] for row in rows)
    counts = ", ".join(f"{r['models']} {r['status']}" for r in rows if r["start"] == newest)
    weeks = len({row["start"] for row in rows})
    return _accessible(
        spec,
        f"Models per status, week by week: {weeks} weeks from {first}; week of {newest}: {counts}.",
        {
            "columns": ["Week from", "Status", "Models"],
            "rows": [[r["start"], r["status"], r["models"]] for r in rows],
        },
    )
