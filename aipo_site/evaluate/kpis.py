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
from ..load.repository import ModelInputs
from ..model.charter import (
    Aggregation,
    Direction,
    DropTiers,
    Kpi,
    Thresholds,
    check_threshold_order,
)
from ..model.policy import Policy
from ..model.results import KpiResult, KpiSeries, Status

__all__ = ["ResolvedKpi", "evaluate_kpi", "overall_series", "resolve_kpi"]

DAY = np.timedelta64(1, "D")


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
    overall = frame[frame["segment"] == ""]
    if overall.empty:
        return {}
    overall = overall.sort_values(["metric", "date"], kind="stable")
    metrics = overall["metric"].to_numpy()
    dates = overall["date"].to_numpy().astype("datetime64[D]")
    values = overall["value"].to_numpy(dtype="float64")
    cuts = np.flatnonzero(metrics[1:] != metrics[:-1]) + 1
    out = {}
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(metrics)], strict=True):
        out[str(metrics[lo])] = (dates[lo:hi], values[lo:hi])
    return out


def rolling_aggregate(
    dates: np.ndarray, values: np.ndarray, window: int, how: Aggregation
) -> np.ndarray:
    """Aggregate of the values dated within the ``window`` days ending at each date."""
    starts = np.searchsorted(dates, dates - (window - 1) * DAY, side="left")
    if how is Aggregation.last:
        return values.copy()
    if how is Aggregation.mean:
        csum = np.concatenate(([0.0], np.cumsum(values)))
        ends = np.arange(1, len(values) + 1)
        return (csum[ends] - csum[starts]) / (ends - starts)
    series = pd.Series(values, index=pd.DatetimeIndex(dates))
    roll = series.rolling(f"{window}D")
    method = {Aggregation.median: roll.median, Aggregation.min: roll.min, Aggregation.max: roll.max}
    return method[how]().to_numpy(dtype="float64")


def _classify(values: np.ndarray, t: Thresholds, direction: Direction) -> np.ndarray:
    """0 OK, 1 WARN, 2 BREACH for each value."""
    if direction is Direction.higher_is_better:
        return np.where(values < t.breach, 2, np.where(values < t.warn, 1, 0))
    return np.where(values > t.breach, 2, np.where(values > t.warn, 1, 0))


def _drop(values: np.ndarray | float, baseline: float, direction: Direction) -> np.ndarray | float:
    scale = abs(baseline) if baseline != 0 else 1.0
    if direction is Direction.higher_is_better:
        return (baseline - values) / scale
    return (values - baseline) / scale


def _since(codes: np.ndarray, dates: np.ndarray) -> dt.date:
    """First date of the final run of equal codes."""
    changes = np.flatnonzero(codes[1:] != codes[:-1])
    start = int(changes[-1]) + 1 if changes.size else 0
    return _to_date(dates[start])


def _to_date(value: np.datetime64) -> dt.date:
    return value.astype("datetime64[D]").item()


def evaluate_kpi(
    r: ResolvedKpi,
    series: tuple[np.ndarray, np.ndarray] | None,
    as_of: dt.date,
    metrics_folder: str,
) -> KpiResult:
    """Evaluate one KPI on its overall daily series as of ``as_of``."""
    kpi = r.kpi
    name = kpi.name or kpi.metric
    base = {
        "metric": kpi.metric,
        "name": name,
        "unit": kpi.unit,
        "direction": r.direction,
        "window_days": kpi.window_days,
        "aggregation": kpi.aggregation,
        "freshness_days": r.freshness_days,
        "thresholds": r.thresholds,
        "threshold_source": r.threshold_source,
        "baseline": kpi.baseline.value if kpi.baseline else None,
        "max_drop": r.max_drop if kpi.baseline else None,
    }
    if series is not None:
        dates, values = series
        keep = dates <= np.datetime64(as_of, "D")
        dates, values = dates[keep], values[keep]
    if series is None or len(dates) == 0:
        return KpiResult(
            **base,
            status=Status.NO_DATA,
            value=None,
            newest=None,
            since=None,
            message=f"no data for '{kpi.metric}' in {metrics_folder}/ up to {fmt_date(as_of)}",
        )
    rolling = rolling_aggregate(dates, values, kpi.window_days, kpi.aggregation)
    value = float(rolling[-1])
    newest = _to_date(dates[-1])
    unit = kpi.unit
    shown = fmt_value(value, unit)
    window = f"{kpi.aggregation.value} of the last {kpi.window_days} days"

    if r.thresholds is not None and r.direction is not None:
        codes = _classify(rolling, r.thresholds, r.direction)
        status = Status.of_code(int(codes[-1]))
        since = _since(codes, dates)
        if status is Status.OK:
            message = f"{shown} is within thresholds ({window})"
        else:
            crossed = r.thresholds.breach if status is Status.BREACH else r.thresholds.warn
            side = "below" if r.direction is Direction.higher_is_better else "above"
            message = (
                f"{shown} is {side} its {status.value.lower()} threshold "
                f"{fmt_value(crossed, unit)} since {fmt_date(since)}"
            )
    else:
        codes = np.zeros(len(rolling), dtype=int)
        status, since = Status.UNSET, None
        message = f"{shown}; no warn/breach thresholds are set"

    age = (as_of - newest).days
    if age > r.freshness_days:
        stale_since = newest + dt.timedelta(days=r.freshness_days + 1)
        detail = (
            f"newest data is from {fmt_date(newest)}, {age} days old "
            f"(freshness limit {r.freshness_days} days)"
        )
        if status is not Status.BREACH:
            status, since = Status.STALE, stale_since
            message = f"{detail}; last value {shown}"
        else:
            message = f"{message}; {detail}"

    drop = drop_status = None
    if kpi.baseline is not None and r.direction is not None:
        drops = _drop(rolling, kpi.baseline.value, r.direction)
        drop = float(drops[-1])
        tiers = r.max_drop
        drop_codes = np.where(drops >= tiers.breach, 2, np.where(drops >= tiers.warn, 1, 0))
        drop_status = Status.of_code(int(drop_codes[-1]))
        if drop_status is not Status.OK:
            message += (
                f"; {fmt_pct(drop)} worse than its original baseline "
                f"{fmt_value(kpi.baseline.value, unit)} (tolerated {fmt_pct(tiers.warn)} / "
                f"{fmt_pct(tiers.breach)})"
            )
            if drop_status.level > status.level:
                since = _since(np.maximum(codes, drop_codes), dates)
    return KpiResult(
        **base,
        status=status,
        value=value,
        newest=newest,
        since=since,
        message=message,
        drop=drop,
        drop_status=drop_status,
        series=KpiSeries(dates=dates, values=values, rolling=rolling),
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
