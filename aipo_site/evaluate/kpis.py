"""KPIs: thresholds over an aggregation window, freshness, and drop from the original baseline.

Everything is vectorised over the KPI's daily series: the rolling aggregate at every date gives both
the current value and "since when" the current status holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..fmt import fmt_date, fmt_pct, fmt_value
from ..model.charter import (
    Aggregation,
    Direction,
    DropTiers,
    Kpi,
    Thresholds,
    check_threshold_order,
)
from ..model.inputs import ModelInputs
from ..model.policy import Policy
from ..model.results import CODE_LEVEL, STATUS_ORDER, UNKNOWN, KpiResult, KpiSeries, Status
from .timeline import (
    DAY,
    Calendar,
    code_of,
    newest_at,
    run_start,
    unknown,
    window_aggregate,
)

__all__ = ["ResolvedKpi", "evaluate_kpi", "overall_series", "resolve_kpi"]


@dataclass(frozen=True)
class ResolvedKpi:
    """A charter KPI with the policy's defaults applied."""

    kpi: Kpi
    direction: Direction | None
    thresholds: Thresholds | None
    threshold_source: str | None
    policy_thresholds: Thresholds | None
    freshness_days: int
    max_drop: DropTiers


def resolve_kpi(model: ModelInputs, index: int, policy: Policy) -> ResolvedKpi:
    """Apply the policy's defaults to the charter's KPI; raise InputError when they conflict."""
    kpi = model.charter.kpis[index]
    default = policy.metrics.get(kpi.metric)
    direction = kpi.direction or (default.direction if default else None)
    policy_t = (
        Thresholds(warn=default.warn, breach=default.breach)
        if default and default.warn is not None and default.breach is not None
        else None
    )
    thresholds, source = (kpi.thresholds, "charter") if kpi.thresholds else (policy_t, "policy")
    if thresholds is None:
        source = None
    loc = ("kpis", index)
    if thresholds is not None and direction is None:
        raise model.document.error(
            (*loc, "direction"),
            f"required: the policy has no default direction for metric '{kpi.metric}' "
            "(higher_is_better or lower_is_better)",
        )
    if direction is not None and thresholds is not None and source == "charter":
        try:
            check_threshold_order(thresholds, direction)
        except ValueError as e:
            raise model.document.error((*loc, "thresholds"), str(e)) from None
    max_drop = (kpi.baseline.max_drop if kpi.baseline else None) or policy.baseline_max_drop
    freshness = kpi.freshness_days if kpi.freshness_days is not None else policy.freshness_days
    return ResolvedKpi(kpi, direction, thresholds, source, policy_t, freshness, max_drop)


def overall_series(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per metric: (dates as datetime64[D], values), overall rows only, sorted by date."""
    if frame.empty:
        return {}
    keep = frame["segment"].to_numpy() == ""
    if not keep.any():
        return {}
    codes, names = pd.factorize(frame["metric"].to_numpy()[keep], sort=True)
    dates = frame["date"].to_numpy()[keep].astype("datetime64[D]")
    values = frame["value"].to_numpy(dtype="float64")[keep]
    order = np.lexsort((dates, codes))  # by metric, then date (stable)
    codes, dates, values = codes[order], dates[order], values[order]
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return {
        str(names[codes[lo]]): (dates[lo:hi], values[lo:hi])
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(codes)], strict=True)
    }


def rolling_aggregate(
    dates: np.ndarray, values: np.ndarray, window: int, how: Aggregation
) -> np.ndarray:
    """Aggregate of the values dated within the ``window`` days at each row's date."""
    return window_aggregate(dates, values, dates, window, how)[0]


def _classify(values: np.ndarray, t: Thresholds, direction: Direction) -> np.ndarray:
    """0 OK, 1 WARN, 2 BREACH for each value: only a value strictly beyond a threshold crosses it
    (a value exactly at the threshold is within it); NaN is 0."""
    with np.errstate(invalid="ignore"):
        if direction is Direction.higher_is_better:
            return np.where(values < t.breach, 2, np.where(values < t.warn, 1, 0))
        return np.where(values > t.breach, 2, np.where(values > t.warn, 1, 0))


def _drop(values: np.ndarray | float, baseline: float, direction: Direction) -> np.ndarray | float:
    scale = abs(baseline) if baseline != 0 else 1.0
    if direction is Direction.higher_is_better:
        return (baseline - values) / scale
    return (values - baseline) / scale


def drop_codes(drops: np.ndarray, tiers: DropTiers) -> np.ndarray:
    """0 OK, 1 WARN, 2 BREACH for relative drops: tolerated up to and including each tier."""
    with np.errstate(invalid="ignore"):
        return np.where(drops > tiers.breach, 2, np.where(drops > tiers.warn, 1, 0))


def _to_date(value: np.datetime64) -> dt.date:
    return value.astype("datetime64[D]").item()


_TIER = np.array([code_of(Status.OK), code_of(Status.WARN), code_of(Status.BREACH)], np.int8)


def evaluate_kpi(
    r: ResolvedKpi,
    series: tuple[np.ndarray, np.ndarray] | None,
    as_of: dt.date,
    metrics_folder: str,
    calendar: Calendar | None = None,
) -> KpiResult:
    """Evaluate one KPI on its overall daily series as of ``as_of``.

    The status is computed on every day of ``calendar`` (default: from the first row to
    ``as_of``) with the same rules, which gives "since" and the KPI's timeline.
    """
    kpi = r.kpi
    name = kpi.name or kpi.metric
    window = kpi.window_days
    window_start = as_of - dt.timedelta(days=window - 1)
    base = {
        "metric": kpi.metric,
        "name": name,
        "unit": kpi.unit,
        "direction": r.direction,
        "window_days": window,
        "aggregation": kpi.aggregation,
        "freshness_days": r.freshness_days,
        "thresholds": r.thresholds,
        "threshold_source": r.threshold_source,
        "baseline": kpi.baseline.value if kpi.baseline else None,
        "max_drop": r.max_drop if kpi.baseline else None,
        "window_start": window_start,
    }
    if series is not None:
        dates, values = series
        keep = dates <= np.datetime64(as_of, "D")
        dates, values = dates[keep], values[keep]
    if series is None or len(dates) == 0:
        timeline = None
        if calendar is not None:
            codes = unknown(len(calendar))
            codes[-1] = code_of(Status.NO_DATA)  # known today; no earlier status
            timeline = calendar.timeline(codes)
        return KpiResult(
            **base,
            status=Status.NO_DATA,
            value=None,
            newest=None,
            since=None,
            message=f"no data for '{kpi.metric}' in {metrics_folder}/ up to {fmt_date(as_of)}",
            timeline=timeline,
        )
    if calendar is None or calendar.start > _to_date(dates[0]):
        calendar = Calendar(_to_date(dates[0]), as_of) if calendar is None else calendar
    days = calendar.days
    agg, count = window_aggregate(dates, values, days, window, kpi.aggregation)
    newest_i = newest_at(dates, days)
    known = newest_i >= 0
    age = (days - dates[np.maximum(newest_i, 0)]) // DAY
    stale = known & (age > r.freshness_days)
    empty = count == 0

    # Threshold status (thresholds and freshness) on every day.
    if r.thresholds is not None and r.direction is not None:
        thr = _TIER[_classify(agg, r.thresholds, r.direction)]
    else:
        thr = np.full(len(days), code_of(Status.UNSET), np.int8)
    thr = np.where(stale & (thr != code_of(Status.BREACH)), code_of(Status.STALE), thr)
    thr = np.where(empty, np.where(stale, code_of(Status.STALE), code_of(Status.NO_DATA)), thr)
    thr = np.where(known, thr, UNKNOWN).astype(np.int8)

    # Baseline drop on every day; the reported status is the worse of the two.
    combined = thr
    drops = None
    if kpi.baseline is not None and r.direction is not None:
        drops = _drop(agg, kpi.baseline.value, r.direction)
        dropped = _TIER[drop_codes(drops, r.max_drop)]
        worse = CODE_LEVEL[dropped] > CODE_LEVEL[thr]
        combined = np.where(worse & ~empty, dropped, thr).astype(np.int8)

    timeline = calendar.timeline(combined)
    status = STATUS_ORDER[combined[-1]]
    threshold_status = STATUS_ORDER[thr[-1]]
    value = None if empty[-1] else float(agg[-1])
    newest = _to_date(dates[-1])
    rows = int(count[-1])
    unit = kpi.unit
    shown = fmt_value(value, unit)
    how = f"{kpi.aggregation.value} of the last {window} days"
    day0 = calendar.start

    def since_of(codes: np.ndarray) -> dt.date:
        return day0 + dt.timedelta(days=run_start(codes))

    tier = 0
    if r.thresholds is not None and r.direction is not None:
        tiers = _classify(agg, r.thresholds, r.direction)
        tier = 0 if empty[-1] else int(tiers[-1])
    if threshold_status is Status.UNSET:
        message = f"{shown}; no warn/breach thresholds are set"
    elif tier:
        crossed = r.thresholds.breach if tier == 2 else r.thresholds.warn
        side = "below" if r.direction is Direction.higher_is_better else "above"
        message = (
            f"{shown} is {side} its {'breach' if tier == 2 else 'warn'} threshold "
            f"{fmt_value(crossed, unit)} since {fmt_date(since_of(tiers))}"
        )
    else:
        message = f"{shown} is within thresholds ({how})"

    age_now = (as_of - newest).days
    if empty[-1]:
        gap = f"no rows in the {window} days from {fmt_date(window_start)} to {fmt_date(as_of)}"
        if stale[-1]:
            message = (
                f"newest data is from {fmt_date(newest)}, {age_now} days old (freshness limit "
                f"{r.freshness_days} days); {gap}"
            )
        else:
            message = f"{gap}; newest data is from {fmt_date(newest)}"
    elif stale[-1]:
        detail = (
            f"newest data is from {fmt_date(newest)}, {age_now} days old "
            f"(freshness limit {r.freshness_days} days)"
        )
        if threshold_status is Status.STALE:
            message = f"{detail}; last value {shown}"
        else:
            message = f"{message}; {detail}"

    drop = drop_status = None
    if drops is not None and not empty[-1]:
        drop = float(drops[-1])
        drop_status = STATUS_ORDER[_TIER[drop_codes(drops[-1:], r.max_drop)[0]]]
        if drop_status is not Status.OK:
            message += (
                f"; {fmt_pct(drop)} worse than its original baseline "
                f"{fmt_value(kpi.baseline.value, unit)} (tolerated up to "
                f"{fmt_pct(r.max_drop.warn)} / {fmt_pct(r.max_drop.breach)})"
            )
    since = None if status is Status.UNSET else since_of(combined)
    at_rows = (dates - np.datetime64(day0, "D")) // DAY
    return KpiResult(
        **base,
        status=status,
        threshold_status=threshold_status,
        value=value,
        newest=newest,
        since=since,
        message=message,
        drop=drop,
        drop_status=drop_status,
        rows=rows,
        series=KpiSeries(dates=dates, values=values, rolling=agg[at_rows.astype(np.intp)]),
        timeline=timeline,
    )


def check_kpi_inputs(
    model: ModelInputs, policy: Policy
) -> tuple[list[ResolvedKpi], list[InputError]]:
    """Resolve every KPI of a model, collecting conflicts as errors."""
    resolved, errors = [], []
    for i in range(len(model.charter.kpis)):
        try:
            resolved.append(resolve_kpi(model, i, policy))
        except InputError as e:
            errors.append(e)
    return resolved, errors
