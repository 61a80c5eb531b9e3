"""Model status, its timeline and "since", and the active escalation level. (The answers to
"performing as intended?" and "governed as required?" are in :mod:`.verdict`.)"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..model.charter import Charter, Trigger
from ..model.results import (
    UNKNOWN,
    DriftResult,
    Escalation,
    Finding,
    KpiResult,
    Level,
    SegmentResult,
    Timeline,
)
from .timeline import Calendar, final_run_start

# The status strip shows a year of weeks; "since" looks back at most ten years.
STRIP_WEEKS = 52
LOOKBACK_DAYS = 3653

__all__ = [
    "active_escalation",
    "model_calendar",
    "model_status",
    "model_timeline",
    "status_since",
]

_TRIGGER_LEVEL = {Trigger.warn: Level.WARN, Trigger.breach: Level.BREACH}


def model_status(
    kpis: list[KpiResult],
    findings: list[Finding],
    segments: list[SegmentResult] = (),
    drift: DriftResult | None = None,
) -> Level:
    """The worst level of every KPI, finding, segment-gap check and the data drift, today."""
    levels = [k.level for k in kpis] + [f.level for f in findings]
    levels += [s.level for s in segments]
    if drift is not None:
        levels.append(drift.level)
    return max(levels, default=Level.OK)


def model_calendar(metrics: pd.DataFrame, as_of: dt.date, findings: list[Finding]) -> Calendar:
    """The days a model is evaluated on: from its first metric row (or its oldest dated
    finding, or a year back, whichever is earliest) to ``as_of``, at most LOOKBACK_DAYS."""
    start = as_of - dt.timedelta(days=STRIP_WEEKS * 7 - 1)
    dates = metrics["date"].to_numpy()
    if len(dates):
        first = dates.min()
        if not np.isnat(first):
            start = min(start, first.astype("datetime64[D]").item())
    for f in findings:
        if f.since is not None:
            start = min(start, f.since)
    start = max(start, as_of - dt.timedelta(days=LOOKBACK_DAYS - 1))
    return Calendar(min(start, as_of), as_of)


def model_timeline(
    calendar: Calendar,
    status: Level,
    kpis: list[KpiResult],
    segments: list[SegmentResult],
    drift: DriftResult | None,
    findings: list[Finding],
) -> Timeline:
    """The model's level on every day of ``calendar``: the worst of its KPIs' and segment
    checks' daily statuses, the drift level of the period holding the day, and every finding
    from the day it began (a finding whose start is unknown counts from ``as_of``). Days where
    nothing is known are unknown. The last day is today's evaluated ``status``."""
    n = len(calendar)
    levels = np.full(n, UNKNOWN, dtype=np.int8)
    for item in [*kpis, *segments]:
        if item.timeline is not None and item.timeline.start == calendar.start:
            levels = np.maximum(levels, item.timeline.levels())
    for start, end, level in getattr(drift, "timeline", None) or ():
        lo, hi = calendar.index(start), calendar.index(end) + 1
        if end >= calendar.start and start <= calendar.end:
            levels[lo:hi] = np.maximum(levels[lo:hi], level)
    for f in findings:
        lo = n - 1 if f.since is None else calendar.index(f.since)
        levels[lo:] = np.maximum(levels[lo:], f.level)
    levels[-1] = status
    return Timeline.of_levels(calendar.start, levels)


def status_since(timeline: Timeline, status: Level, findings: list[Finding] = ()) -> dt.date | None:
    """The first day of the final run of days at ``status``; None when OK, or when the run
    starts today only because a finding at that level has an unknown start (outside git)."""
    if status is Level.OK:
        return None
    levels = timeline.levels()
    start = final_run_start(levels == status)
    if start == len(levels) - 1 and any(f.level is status and f.since is None for f in findings):
        return None
    return timeline.start + dt.timedelta(days=start)


def active_escalation(charter: Charter, status: Level, timeline: Timeline) -> Escalation:
    """The furthest level of the ladder whose trigger is met now.

    A level with ``after_days`` needs the model to have been at its trigger level or worse on
    every day of the last ``after_days`` days before today: held = days since the first day of
    that run (a cause whose start is unknown counts from today, so it has held 0 days). The
    level activated on the day that run reached ``after_days`` days (``activated``: the start of
    that day, UTC).
    """
    if not charter.escalation:
        reason = "no escalation ladder is defined" if status > Level.OK else "not escalated"
        return Escalation(None, None, reason)
    levels = timeline.levels()
    held_at = {
        lv: (timeline.end - timeline.start).days - final_run_start(levels >= lv)
        for lv in (Level.WARN, Level.BREACH)
    }
    active = None
    for i, level in enumerate(charter.escalation):
        trigger = _TRIGGER_LEVEL[level.on]
        if status >= trigger and held_at[trigger] >= level.after_days:
            active = i
    if active is None:
        return Escalation(None, None, "no level is triggered")
    level = charter.escalation[active]
    held = held_at[_TRIGGER_LEVEL[level.on]]
    after = (
        f", {level.on.value.upper()} or worse for {held} days (≥ {level.after_days})"
        if level.after_days
        else ""
    )
    reason = f"status {status.label}{after}"
    # It activated on the day its trigger had held for `after_days` days; that day's start (UTC)
    # is the moment its response time counts from (evaluate/incidents.py).
    day = timeline.end - dt.timedelta(days=held - level.after_days)
    return Escalation(active, level, reason, dt.datetime.combine(day, dt.time(0), dt.UTC))
