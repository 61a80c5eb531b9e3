"""Segment gaps (bias): a KPI per segment against a maximum tolerated gap.

For each declared check, every segment's values are aggregated over the window at the evaluation
date: the ``window_days`` days up to and including it (the KPI's aggregation; the KPI's window
unless the check sets its own). The gap is
the spread between the best and the worst segment: ``worst - best`` (absolute) or ``worst / best``
(ratio), where "worst" follows the KPI's direction. Fewer than two segments with data cannot be
evaluated and say so. A gap exactly at a tier is tolerated; only a larger one is WARN or BREACH.
The same evaluation on every earlier day of the model's calendar gives "since" and the timeline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..fmt import fmt_date, fmt_value
from ..model.charter import Direction, SegmentGap
from ..model.results import STATUS_ORDER, UNKNOWN, SegmentResult, SegmentValue, Status
from .kpis import ResolvedKpi
from .timeline import DAY, LEVEL_CODE, Calendar, code_of, newest_at, run_start, window_aggregate

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


def _gap_codes(gaps: np.ndarray, tiers) -> np.ndarray:
    """0 OK, 1 WARN, 2 BREACH: a gap is tolerated up to and including each tier."""
    with np.errstate(invalid="ignore"):
        return np.where(gaps > tiers.breach, 2, np.where(gaps > tiers.warn, 1, 0))


def evaluate_segments(
    checks: list[SegmentGap],
    kpis: dict[str, ResolvedKpi],
    frame: pd.DataFrame,
    as_of: dt.date,
    calendar: Calendar | None = None,
) -> list[SegmentResult]:
    """Evaluate every segment-gap check of a model, on every day of ``calendar``."""
    calendar = calendar or Calendar(as_of, as_of)
    days = calendar.days
    results = []
    for check in checks:
        resolved = kpis[check.metric]
        kpi = resolved.kpi
        name = kpi.name or kpi.metric
        window = check.window_days or kpi.window_days
        window_start = as_of - dt.timedelta(days=window - 1)
        raw = _aggregate_series(frame, check.metric, as_of)
        lower_better = resolved.direction is Direction.lower_is_better
        segs = list(raw)
        # Segments x days: each segment's aggregate over the window at every day.
        agg = np.full((len(segs), len(days)), np.nan)
        counts = np.zeros((len(segs), len(days)), dtype=np.int64)
        newest = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
        series = {}
        for i, seg in enumerate(segs):
            dates, values = raw[seg]
            agg[i], counts[i] = window_aggregate(dates, values, days, window, kpi.aggregation)
            series[seg] = (
                dates,
                window_aggregate(dates, values, dates, window, kpi.aggregation)[0],
            )
            last = newest_at(dates, days)
            mine = np.where(last >= 0, dates[np.maximum(last, 0)], np.datetime64("NaT"))
            newest = np.where(np.isnat(newest) | (mine > newest), mine, newest)
        present = counts > 0
        n_present = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            hi = np.where(present, agg, -np.inf).max(axis=0, initial=-np.inf)
            lo = np.where(present, agg, np.inf).min(axis=0, initial=np.inf)
            if check.gap == "ratio":
                gaps = np.where(lo != 0, hi / np.where(lo != 0, lo, 1.0), np.inf)
            else:
                gaps = hi - lo
        gaps = np.where(n_present >= 2, gaps, np.nan)
        codes = LEVEL_CODE[_gap_codes(gaps, check.tiers)]
        known = ~np.isnat(newest)
        age = np.where(known, (days - np.where(known, newest, days)) // DAY, 0)
        stale = known & (age > resolved.freshness_days)
        codes = np.where(stale & (codes != code_of(Status.BREACH)), code_of(Status.STALE), codes)
        no_gap = np.where(stale, code_of(Status.STALE), code_of(Status.NO_DATA))
        codes = np.where(n_present < 2, no_gap, codes)
        codes = np.where(known, codes, UNKNOWN).astype(np.int8)
        timeline = calendar.timeline(codes)
        since = calendar.start + dt.timedelta(days=run_start(codes)) if known[-1] else None
        base = {
            "check": check,
            "name": name,
            "unit": kpi.unit,
            "series": series,
            "window_start": window_start,
            "timeline": timeline,
            "since": since,
        }
        values = [
            SegmentValue(seg, float(agg[i, -1]), int(counts[i, -1]))
            for i, seg in enumerate(segs)
            if present[i, -1]
        ]
        newest_date = newest[-1].astype("datetime64[D]").item() if known[-1] else None
        span = f"the {window} days from {fmt_date(window_start)} to {fmt_date(as_of)}"
        if len(values) < 2:
            if len(segs) < 2:
                found = "one segment" if len(segs) == 1 else "no segment rows"
                message = (
                    f"cannot evaluate: the gap needs at least two segments of "
                    f"'{check.metric}' (found {found})"
                )
            else:
                message = f"cannot evaluate: fewer than two segments have data in {span}"
            status = Status.NO_DATA
            if known[-1] and stale[-1]:
                status = Status.STALE
                age_now = (as_of - newest_date).days
                message = (
                    f"newest segment data is from {fmt_date(newest_date)}, {age_now} days old "
                    f"(freshness limit {resolved.freshness_days} days); {message}"
                )
            results.append(
                SegmentResult(
                    **base,
                    status=status,
                    gap=None,
                    worst=None,
                    best=None,
                    values=values,
                    newest=newest_date,
                    message=message,
                )
            )
            continue
        ordered = sorted(values, key=lambda v: v.value, reverse=lower_better)
        worst, best = ordered[0], ordered[-1]
        gap = float(gaps[-1])
        shown = f"{gap:.2f}×" if check.gap == "ratio" else fmt_value(gap, kpi.unit)
        t = check.tiers
        status = STATUS_ORDER[codes[-1]]
        message = (
            f"gap {shown} between '{worst.segment}' ({fmt_value(worst.value, kpi.unit)}) and "
            f"'{best.segment}' ({fmt_value(best.value, kpi.unit)}); tolerated up to "
            f"{t.warn:g} / {t.breach:g}"
        )
        if status is Status.STALE:
            age_now = (as_of - newest_date).days
            message += (
                f"; newest segment data is from {fmt_date(newest_date)}, {age_now} days old "
                f"(freshness limit {resolved.freshness_days} days)"
            )
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
