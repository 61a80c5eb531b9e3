"""Segment gaps (bias): a KPI per segment against a maximum tolerated gap.

For each declared check, every segment's values are aggregated over the window ending at the newest
segment date (the KPI's aggregation; the KPI's window unless the check sets its own). The gap is
the spread between the best and the worst segment: ``worst - best`` (absolute) or ``worst / best``
(ratio), where "worst" follows the KPI's direction. Fewer than two segments with data cannot be
evaluated and say so.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..fmt import fmt_date, fmt_value
from ..model.charter import Direction, SegmentGap
from ..model.results import SegmentResult, SegmentValue, Status
from .kpis import ResolvedKpi, rolling_aggregate

__all__ = ["evaluate_segments"]


def _aggregate_series(
    frame: pd.DataFrame, metric: str, as_of: dt.date
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows = frame[(frame["metric"] == metric) & (frame["segment"] != "")]
    rows = rows[rows["date"] <= np.datetime64(as_of)]
    out = {}
    for segment, group in rows.sort_values("date").groupby("segment", sort=True):
        out[str(segment)] = (
            group["date"].to_numpy().astype("datetime64[D]"),
            group["value"].to_numpy(dtype="float64"),
        )
    return out


def evaluate_segments(
    checks: list[SegmentGap],
    kpis: dict[str, ResolvedKpi],
    frame: pd.DataFrame,
    as_of: dt.date,
) -> list[SegmentResult]:
    """Evaluate every segment-gap check of a model."""
    results = []
    for check in checks:
        resolved = kpis[check.metric]
        kpi = resolved.kpi
        name = kpi.name or kpi.metric
        window = check.window_days or kpi.window_days
        raw = _aggregate_series(frame, check.metric, as_of)
        series = {
            seg: (dates, rolling_aggregate(dates, values, window, kpi.aggregation))
            for seg, (dates, values) in raw.items()
        }
        base = {"check": check, "name": name, "unit": kpi.unit, "series": series}
        if len(series) < 2:
            found = "one segment" if len(series) == 1 else "no segment rows"
            results.append(
                SegmentResult(
                    **base,
                    status=Status.NO_DATA,
                    gap=None,
                    worst=None,
                    best=None,
                    values=[],
                    newest=None,
                    message=f"cannot evaluate: the gap needs at least two segments of "
                    f"'{check.metric}' (found {found})",
                )
            )
            continue
        newest = max(dates[-1] for dates, _ in series.values())
        start = newest - np.timedelta64(window - 1, "D")
        values = []
        for seg, (dates, vals) in raw.items():
            keep = (dates >= start) & (dates <= newest)
            if keep.any():
                agg = rolling_aggregate(dates[keep], vals[keep], window, kpi.aggregation)[-1]
                values.append(SegmentValue(seg, float(agg), int(keep.sum())))
        newest_date = newest.astype("datetime64[D]").item()
        if len(values) < 2:
            results.append(
                SegmentResult(
                    **base,
                    status=Status.NO_DATA,
                    gap=None,
                    worst=None,
                    best=None,
                    values=values,
                    newest=newest_date,
                    message=f"cannot evaluate: fewer than two segments have data in the "
                    f"{window} days up to {fmt_date(newest_date)}",
                )
            )
            continue
        lower_better = resolved.direction is Direction.lower_is_better
        ordered = sorted(values, key=lambda v: v.value, reverse=lower_better)
        worst, best = ordered[0], ordered[-1]
        if check.gap == "ratio":
            num, den = (worst.value, best.value) if lower_better else (best.value, worst.value)
            gap = num / den if den else float("inf")
            shown = f"{gap:.2f}×"
        else:
            gap = abs(worst.value - best.value)
            shown = fmt_value(gap, kpi.unit)
        t = check.tiers
        status = Status.BREACH if gap > t.breach else Status.WARN if gap > t.warn else Status.OK
        limit = f"{t.warn:g} / {t.breach:g}"
        message = (
            f"gap {shown} between '{worst.segment}' ({fmt_value(worst.value, kpi.unit)}) and "
            f"'{best.segment}' ({fmt_value(best.value, kpi.unit)}); tolerated {limit}"
        )
        age = (as_of - newest_date).days
        if age > resolved.freshness_days and status is not Status.BREACH:
            status = Status.STALE
            message += f"; newest segment data is {age} days old"
        results.append(
            SegmentResult(
                **base,
                status=status,
                gap=gap,
                worst=worst,
                best=best,
                values=sorted(values, key=lambda v: v.segment),
                newest=newest_date,
                message=message,
            )
        )
    return results
