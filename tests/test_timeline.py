"""The shared calendar: window aggregates at any day, runs, and week strips."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aipo_site.evaluate.timeline import final_run_start, run_start, window_aggregate
from aipo_site.model.charter import Aggregation
from aipo_site.model.results import STATUS_ORDER, UNKNOWN, Status, Timeline

D0 = np.datetime64("2026-01-01", "D")


def brute(dates, values, day, window, how):
    """The definition, one window at a time: rows dated day - (window - 1) .. day."""
    inside = [v for d, v in zip(dates, values, strict=True) if day - (window - 1) <= d <= day]
    if not inside:
        return np.nan, 0
    f = {"mean": np.mean, "median": np.median, "min": min, "max": max, "last": lambda x: x[-1]}
    return float(f[how.value](inside)), len(inside)


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.sets(st.integers(0, 60), min_size=1, max_size=30),
    at=st.sets(st.integers(-5, 70), min_size=1, max_size=20),
    window=st.integers(1, 30),
    how=st.sampled_from(list(Aggregation)),
    data=st.data(),
)
def test_window_aggregate_matches_the_definition(offsets, at, window, how, data):
    days = sorted(offsets)
    values = [data.draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, -1.5])) for _ in days]
    dates = D0 + np.array(days)
    asked = D0 + np.array(sorted(at))
    got, count = window_aggregate(dates, np.array(values), asked, window, how)
    for i, day in enumerate(sorted(at)):
        want, n = brute(days, values, day, window, how)
        assert count[i] == n
        if n:
            assert got[i] == pytest.approx(want)
        else:
            assert np.isnan(got[i])


def test_window_ends_are_both_included():
    dates = D0 + np.array([0, 6, 7])
    values = np.array([1.0, 2.0, 4.0])
    got, count = window_aggregate(dates, values, D0 + np.array([6, 7]), 7, Aggregation.mean)
    # The 7-day window at day 6 holds days 0..6; at day 7 it holds days 1..7.
    assert count.tolist() == [2, 2]
    assert got.tolist() == [1.5, 3.0]


def test_run_start():
    assert run_start(np.array([0, 0, 2, 2, 1, 1])) == 4
    assert run_start(np.array([2, 2, 2])) == 0
    assert final_run_start(np.array([0, 1, 2, 2, 1, 2]) >= 1) == 1
    assert final_run_start(np.array([0, 1, 0]) >= 1) == 2


def codes(*statuses):
    return np.array([UNKNOWN if s is None else STATUS_ORDER.index(s) for s in statuses], np.int8)


def test_weeks_hold_the_worst_status_of_their_days():
    end = dt.date(2026, 11, 20)
    days = [None] * 3 + [Status.OK] * 4  # week 1
    days += [Status.OK, Status.STALE] + [Status.OK] * 5  # week 2
    days += [Status.BREACH] + [Status.OK] * 3 + [Status.WARN] * 3  # week 3
    tl = Timeline(end - dt.timedelta(days=len(days) - 1), codes(*days))
    weeks = tl.weeks(3)
    assert [w.end for w in weeks] == [end - dt.timedelta(days=14), end - dt.timedelta(days=7), end]
    assert [w.status for w in weeks] == [Status.OK, Status.STALE, Status.BREACH]
    # A week before the first known day has no status.
    assert tl.weeks(4)[0].status is None


def test_levels_and_status_on():
    tl = Timeline(dt.date(2026, 1, 1), codes(None, Status.STALE, Status.UNSET, Status.BREACH))
    assert tl.levels().tolist() == [-1, 1, 0, 2]
    assert tl.status_on(dt.date(2026, 1, 1)) is None
    assert tl.status_on(dt.date(2026, 1, 2)) is Status.STALE
    assert tl.status_on(dt.date(2027, 1, 1)) is None
    assert tl.end == dt.date(2026, 1, 4)
