"""Status over the last year: week strips on model pages and the portfolio trend.

A strip has one cell per week ending at the evaluation date (52 weeks); each cell is the worst
status on any day of its week (see :meth:`Timeline.weeks`). The sentence next to a strip says
since when the current status holds and which past episodes the year had: "WARN since
2026-11-02; before that BREACH for 3 weeks in August".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from markupsafe import Markup

from ..fmt import fmt_date
from ..model.results import (
    CODE_LEVEL,
    LEVEL_STATUS,
    STATUS_ORDER,
    UNKNOWN,
    Level,
    ModelResult,
    Portfolio,
    Status,
    Timeline,
    Week,
)
from .env import text

__all__ = ["STRIP_WEEKS", "Strip", "periods_timeline", "portfolio_trend", "strip"]

STRIP_WEEKS = 52
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Strip:
    """What a template needs to draw one strip: the week codes, oldest first, and the sentence."""

    codes: np.ndarray = field(repr=False, compare=False)  # a status code per week
    last: dt.date  # the last day of the last week (the evaluation date)
    head: str  # the current status and since when
    past: str = ""  # earlier episodes of the year that were not OK, most recent first

    @property
    def summary(self) -> str:
        """The sentence that reads the strip."""
        return f"{self.head}; before that {self.past}" if self.past else self.head

    @property
    def first(self) -> dt.date:
        return self.last - dt.timedelta(days=len(self.codes) * 7 - 1)

    @property
    def weeks(self) -> list[Week]:
        return [w for w, n in self._runs(merge=False)]

    def html(self, label: str) -> Markup:
        """The strip as HTML: one element per run of equal weeks (flex-grow = weeks), each with
        its dates and status as a tooltip; ``label`` and the sentence are its accessible name."""
        cells = []
        for week, n in self.runs:
            slug = week.status.level.slug if week.status else "none"
            shown = week.status.value if week.status else "no status"
            cells.append(
                f'<span class="aipo-cell aipo-cell-{slug}" style="flex-grow: {n}" '
                f'title="{fmt_date(week.start)} to {fmt_date(week.end)}: {shown}"></span>'
            )
        name = text(f"{label}: {self.summary}")  # untrusted names: escaped, on one line
        return Markup(
            f'<div class="aipo-strip" role="img" aria-label="{name}">{"".join(cells)}</div>'
        )

    def compact_html(self, label: str) -> Markup:
        """The strip as one element painted with a gradient, for the top of a page (it is read by
        the search index, so it stays small); the cells with their tooltips are in the status
        history section."""
        stops, at = [], 0
        weeks = len(self.codes)
        for week, n in self.runs:
            slug = week.status.level.slug if week.status else "none"
            lo, at = at, at + n
            stops.append(f"var(--aipo-cell-{slug}) {lo * 100 / weeks:.4g}% {at * 100 / weeks:.4g}%")
        name = text(f"{label}: {self.summary}")
        return Markup(
            f'<div class="aipo-strip" role="img" aria-label="{name}" data-weeks="{weeks}" '
            f'style="background: linear-gradient(to right, {", ".join(stops)})"></div>'
        )

    @property
    def runs(self) -> list[tuple[Week, int]]:
        """Consecutive weeks with the same status, merged: (a week spanning the run, weeks)."""
        return self._runs(merge=True)

    def _runs(self, merge: bool) -> list[tuple[Week, int]]:
        codes = self.codes
        if merge:
            cuts = (np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist()
        else:
            cuts = list(range(1, len(codes)))
        out = []
        for lo, hi in zip([0, *cuts], [*cuts, len(codes)], strict=True):
            code = int(codes[lo])
            status = None if code == UNKNOWN else STATUS_ORDER[code]
            start = self.first + dt.timedelta(days=7 * lo)
            end = self.first + dt.timedelta(days=7 * hi - 1)
            out.append((Week(start, end, status), hi - lo))
        return out


def _month(day: dt.date, as_of: dt.date) -> str:
    name = _MONTHS[day.month - 1]
    return name if day.year == as_of.year else f"{name} {day.year}"


def _span(start: dt.date, end: dt.date, as_of: dt.date) -> str:
    a, b = _month(start, as_of), _month(end, as_of)
    if a == b:
        return f"in {a}"
    if start.year == end.year and end.year != as_of.year:
        a = _MONTHS[start.month - 1]
    return f"from {a} to {b}"


def _duration(days: int) -> str:
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{round(days / 7)} weeks"


def strip(timeline: Timeline, weeks: int = STRIP_WEEKS, start_unknown: bool = False) -> Strip:
    """The week cells of a timeline and the sentence that reads it: the current status and
    since when (from the days, not the weeks), then up to three earlier episodes of the year
    that were not OK, most recent first."""
    cells = timeline.week_codes(weeks)
    codes = timeline.codes
    as_of = timeline.end
    now = timeline.status_on(as_of)
    if now is None:
        return Strip(cells, as_of, "no status yet: nothing to evaluate")
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = np.r_[0, cuts].tolist()
    ends = np.r_[cuts - 1, len(codes) - 1].tolist()

    def day(days: int) -> dt.date:
        return timeline.start + dt.timedelta(days=days)

    first_shown = as_of - dt.timedelta(days=weeks * 7 - 1)
    current_start = day(days=starts[-1])
    if start_unknown:
        head = f"{now.value} since: unknown (the start of a cause is not recorded)"
    elif current_start <= first_shown and codes[0] != UNKNOWN:
        head = f"{now.value} all year"
    elif starts[-1] == len(codes) - 1 and (codes[:-1] == UNKNOWN).all():
        head = f"{now.value} on {fmt_date(as_of)}; no earlier status"
    else:
        head = f"{now.value} since {fmt_date(current_start)}"
    episodes = []
    for lo, hi in zip(starts[:-1], ends[:-1], strict=True):
        code = codes[lo]
        if code == UNKNOWN or STATUS_ORDER[code].level is Level.OK:
            continue
        a, b = max(day(days=lo), first_shown), day(days=hi)
        if b < first_shown:
            continue
        n = (b - a).days + 1
        episodes.append(f"{STATUS_ORDER[code].value} for {_duration(n)} {_span(a, b, as_of)}")
    if not episodes:
        return Strip(cells, as_of, head)
    # Episodes that read the same (a status flickering for a day, twice in one month) are named
    # once with a count.
    grouped: list[list] = []
    for text_ in episodes:
        if grouped and grouped[-1][0] == text_:
            grouped[-1][1] += 1
        else:
            grouped.append([text_, 1])
    shown = grouped[-3:][::-1]
    more = sum(n for _, n in grouped) - sum(n for _, n in shown)
    words = [t if n == 1 else f"{t} ({'twice' if n == 2 else f'{n} times'})" for t, n in shown]
    tail = f", and {more} earlier episode{'s' if more != 1 else ''}" if more else ""
    return Strip(cells, as_of, head, f"{', '.join(words)}{tail}")


def periods_timeline(
    start: dt.date, end: dt.date, periods: list[tuple[dt.date, dt.date, Status | Level]]
) -> Timeline:
    """A timeline from dated periods (start, end inclusive, status or level); other days are
    unknown."""
    n = (end - start).days + 1
    codes = np.full(n, UNKNOWN, dtype=np.int8)
    order = list(STATUS_ORDER)
    for a, b, value in periods:
        status = value if isinstance(value, Status) else LEVEL_STATUS[Level(value)]
        lo, hi = max((a - start).days, 0), min((b - start).days, n - 1)
        if lo <= hi:
            codes[lo : hi + 1] = order.index(status)
    return Timeline(start, codes)


def portfolio_trend(portfolio: Portfolio, weeks: int = STRIP_WEEKS) -> list[dict[str, Any]]:
    """Models per status per week, stacked: one row per week and status present that week (its
    first and last day, the status, the number of models and the stack's bounds y0..y1)."""
    # Columns: BREACH, WARN, OK, no status (TREND_KEYS order); rows: weeks.
    column = np.array([2, 1, 0, 3], dtype=np.intp)  # by level OK, WARN, BREACH, UNKNOWN(-1)
    counts = np.zeros((weeks, len(TREND_KEYS)), dtype=np.int64)
    last = portfolio.as_of
    for m in portfolio.models:
        if m.timeline is None:
            continue
        levels = CODE_LEVEL[m.timeline.week_codes(weeks)]
        np.add.at(counts, (np.arange(weeks), column[levels]), 1)
    first = last - dt.timedelta(days=weeks * 7 - 1)
    rows = []
    for i, row in enumerate(counts.tolist()):
        start = first + dt.timedelta(days=7 * i)
        y = 0
        for key, n in zip(TREND_KEYS, row, strict=True):
            if not n:
                continue  # nothing to draw
            rows.append(
                {
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(days=6)).isoformat(),
                    "next": (start + dt.timedelta(days=7)).isoformat(),
                    "status": key,
                    "models": n,
                    "y0": y,
                    "y1": y + n,
                }
            )
            y += n
    return rows


NO_STATUS = "no status"
TREND_KEYS = ("BREACH", "WARN", "OK", NO_STATUS)


def model_strips(m: ModelResult) -> list[dict[str, Any]]:
    """Rows of the model page's status history: the model, each KPI, each segment check, the
    drift and each drift feature."""
    rows: list[dict[str, Any]] = []
    if m.timeline is None:
        return rows
    unknown_start = m.status > Level.OK and m.since is None
    overall = strip(m.timeline, start_unknown=unknown_start)
    rows.append({"kind": "Model", "name": "Overall status", "strip": overall})
    for k in m.kpis:
        if k.timeline is not None:
            rows.append({"kind": "KPI", "name": k.name, "strip": strip(k.timeline)})
    for s in m.segments:
        if s.timeline is not None:
            rows.append({"kind": "Segment gap", "name": s.name, "strip": strip(s.timeline)})
    drift = m.drift
    periods = list(getattr(drift, "timeline", None) or ())
    if drift is not None and periods:
        start, end = m.timeline.start, m.timeline.end
        tl = periods_timeline(start, end, [(a, b, lv) for a, b, lv in periods])
        rows.append({"kind": "Data drift", "name": "All inputs", "strip": strip(tl)})
        bounds = {a: b for a, b, _ in periods}
        by_feature: dict[str, list[tuple[dt.date, dt.date, Status]]] = {}
        for p in drift.over_time:
            b = bounds.get(p.period)
            if b is not None:
                by_feature.setdefault(p.feature, []).append((p.period, b, p.status))
        for f in drift.features:
            if f.name in by_feature:
                tl = periods_timeline(start, end, by_feature[f.name])
                rows.append({"kind": "Drift feature", "name": f.name, "strip": strip(tl)})
    return rows
