"""Status over time: the calendar every evaluation shares, window aggregates at any day, runs.

One rule for every window (KPIs, segment gaps, drift): the window of ``N`` days *at* a day ``d``
holds the rows dated ``d - (N - 1)`` to ``d``, both included. The current value is the window at
the evaluation date; a past status is the same computation at a past day. Everything here is
vectorised over a model's daily calendar (:class:`Calendar`), so the status on every day of the
history costs a few array operations per KPI, not one evaluation per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.charter import Aggregation
from ..model.results import STATUS_ORDER, UNKNOWN, Status, Timeline

__all__ = [
    "DAY",
    "LEVEL_CODE",
    "Calendar",
    "code_of",
    "final_run_start",
    "run_start",
    "window_aggregate",
]

DAY = np.timedelta64(1, "D")
CODE = {status: i for i, status in enumerate(STATUS_ORDER)}
LEVEL_CODE = np.array([CODE[Status.OK], CODE[Status.WARN], CODE[Status.BREACH]], np.int8)


def code_of(status: Status) -> int:
    """The int8 code of a status in a :class:`Timeline`."""
    return CODE[status]


@dataclass(frozen=True)
class Calendar:
    """Every day from ``start`` to ``end`` (the evaluation date), both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> np.ndarray:
        return np.arange(
            np.datetime64(self.start, "D"),
            np.datetime64(self.end, "D") + DAY,
            dtype="datetime64[D]",
        )

    def __len__(self) -> int:
        return (self.end - self.start).days + 1

    def timeline(self, codes: np.ndarray) -> Timeline:
        return Timeline(self.start, codes.astype(np.int8, copy=False))

    def index(self, day: dt.date) -> int:
        """Position of ``day`` (clipped to the calendar)."""
        return min(max((day - self.start).days, 0), len(self) - 1)


def window_aggregate(
    dates: np.ndarray, values: np.ndarray, at: np.ndarray, window: int, how: Aggregation
) -> tuple[np.ndarray, np.ndarray]:
    """The aggregate of the values dated in the ``window`` days at each day of ``at``.

    ``dates`` are unique and ascending (datetime64[D]); ``at`` is ascending. Returns the
    aggregates (NaN where the window holds no row) and the number of rows in each window.
    """
    lo = np.searchsorted(dates, at - (window - 1) * DAY, side="left")
    hi = np.searchsorted(dates, at, side="right")
    count = hi - lo
    out = np.full(len(at), np.nan)
    has = count > 0
    if not has.any():
        return out, count
    if how is Aggregation.last:
        out[has] = values[hi[has] - 1]
    elif how is Aggregation.mean:
        csum = np.concatenate(([0.0], np.cumsum(values)))
        out[has] = (csum[hi[has]] - csum[lo[has]]) / count[has]
    else:
        # Rolling over the union of the row dates and the asked days: the asked days carry NaN,
        # which pandas' rolling median/min/max skip.
        union = np.union1d(dates, at)
        filled = np.full(len(union), np.nan)
        filled[np.searchsorted(union, dates)] = values
        roll = pd.Series(filled, index=pd.DatetimeIndex(union)).rolling(f"{window}D", min_periods=1)
        method = {Aggregation.median: roll.median, Aggregation.min: roll.min}
        agg = method.get(how, roll.max)().to_numpy(dtype="float64")
        out = agg[np.searchsorted(union, at)]
        out[~has] = np.nan
    return out, count


def newest_at(dates: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Index of the newest row dated on or before each day of ``at`` (-1 when there is none)."""
    return np.searchsorted(dates, at, side="right") - 1


def run_start(codes: np.ndarray) -> int:
    """Index of the first day of the final run of equal codes."""
    changes = np.flatnonzero(codes[1:] != codes[:-1])
    return int(changes[-1]) + 1 if changes.size else 0


def final_run_start(inside: np.ndarray) -> int:
    """Index of the first day of the final run of days where ``inside`` holds (the last index
    when the last day is outside)."""
    breaks = np.flatnonzero(~inside)
    if breaks.size and breaks[-1] == len(inside) - 1:
        return len(inside) - 1
    return int(breaks[-1]) + 1 if breaks.size else 0


def unknown(n: int) -> np.ndarray:
    return np.full(n, UNKNOWN, dtype=np.int8)
