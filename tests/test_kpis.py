"""KPI evaluation: thresholds over windows, freshness, baseline drop and "since"."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aipo_site.evaluate import evaluate_repository
from aipo_site.evaluate.kpis import rolling_aggregate
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.charter import Aggregation
from aipo_site.model.results import Level, Status
from tests.conftest import AS_OF, MINI_CHARTER, daily_csv


def evaluate(mini_repo, values=None, charter_extra="", as_of=AS_OF, end=AS_OF, name="repo", **kw):
    text = MINI_CHARTER.format(id="m1", name="Model one")
    for old, new in kw.items():
        text = text.replace(old.replace("__", " "), new)
    metrics = {"m1/kpis.csv": daily_csv(values, end=end)} if values is not None else {}
    root = mini_repo(charters={"m1": text + charter_extra}, metrics=metrics, name=name)
    portfolio = evaluate_repository(load_repository(WorkingTree(root)), as_of)
    return portfolio.models[0]


def kpi(model):
    return model.kpis[0]


def test_ok_within_thresholds(mini_repo):
    m = evaluate(mini_repo, [0.9] * 30)
    k = kpi(m)
    assert (k.status, k.value, k.threshold_source) == (Status.OK, pytest.approx(0.9), "policy")
    assert k.since == AS_OF - dt.timedelta(days=29)
    assert m.status is Level.OK


def test_window_mean_decides_status(mini_repo):
    # policy: warn 0.80, breach 0.75 (higher is better); last 7 days average 0.78 -> WARN
    k = kpi(evaluate(mini_repo, [0.9] * 23 + [0.78] * 7))
    assert k.threshold_status is Status.WARN
    assert k.value == pytest.approx(0.78)
    # The 7-day mean fell under 0.80 on the 6th day of the 0.78 run (threshold: WARN) and more than
    # 10% under the 0.9 baseline the same day (baseline drop: BREACH). The KPI has one status: the
    # worse of the two.
    assert k.since == AS_OF - dt.timedelta(days=1)
    assert f"below its warn threshold 0.8 since {AS_OF - dt.timedelta(days=1)}" in k.message
    assert k.drop_status is Status.BREACH
    assert k.status is Status.BREACH and k.level is Level.BREACH


def test_breach_and_since(mini_repo):
    k = kpi(evaluate(mini_repo, [0.9] * 20 + [0.5] * 10))
    assert k.status is Status.BREACH
    # The 7-day mean is under 0.75 from the 3rd day of the 0.5 run (threshold breach), but it is
    # already more than 10% under the 0.9 baseline on the 2nd day ((5 * 0.9 + 2 * 0.5) / 7 =
    # 0.786, 12.7% worse): BREACH since that day.
    assert k.since == AS_OF - dt.timedelta(days=8)
    assert f"below its breach threshold 0.75 since {AS_OF - dt.timedelta(days=7)}" in k.message


def test_charter_thresholds_override_policy(mini_repo):
    k = kpi(
        evaluate(
            mini_repo,
            [0.9] * 30,
            **{
                "    freshness_days: 3": "    freshness_days: 3\n    thresholds: {warn: 0.95, breach: 0.92}"
            },
        )
    )
    assert (k.status, k.threshold_source) == (Status.BREACH, "charter")


def test_lower_is_better(mini_repo):
    extra = "    direction: lower_is_better\n    thresholds: {warn: 0.2, breach: 0.3}\n"
    k = kpi(
        evaluate(
            mini_repo,
            [0.25] * 10,
            **{
                "    freshness_days: 3\n": "    freshness_days: 3\n" + extra,
                "baseline: {value: 0.9}": "baseline: {value: 0.2}",
            },
        )
    )
    assert k.threshold_status is Status.WARN
    assert k.drop == pytest.approx(0.25)  # 25% worse than 0.2
    assert k.drop_status is Status.BREACH
    assert k.status is Status.BREACH and k.level is Level.BREACH


def test_stale_data(mini_repo):
    k = kpi(evaluate(mini_repo, [0.9] * 10, end=AS_OF - dt.timedelta(days=5)))
    assert k.status is Status.STALE
    assert k.since == AS_OF - dt.timedelta(days=1)  # newest + 3 days + 1
    assert "5 days old (freshness limit 3 days)" in k.message


def test_stale_breach_stays_breach(mini_repo):
    k = kpi(evaluate(mini_repo, [0.5] * 10, end=AS_OF - dt.timedelta(days=5)))
    assert k.status is Status.BREACH
    assert "days old" in k.message


def test_no_data(mini_repo):
    m = evaluate(mini_repo, None)
    assert kpi(m).status is Status.NO_DATA
    assert kpi(m).value is None
    assert m.status is Level.WARN


def test_future_rows_are_ignored(mini_repo):
    k = kpi(evaluate(mini_repo, [0.9] * 10 + [0.1] * 5, end=AS_OF + dt.timedelta(days=5)))
    assert k.status is Status.OK
    assert k.newest == AS_OF


def test_baseline_drop_tiers(mini_repo):
    # baseline 0.9, policy default tiers 5% / 10%
    assert kpi(evaluate(mini_repo, [0.86] * 10, name="a")).drop_status is Status.OK
    assert kpi(evaluate(mini_repo, [0.85] * 10, name="b")).drop_status is Status.WARN
    assert kpi(evaluate(mini_repo, [0.80] * 10, name="c")).drop_status is Status.BREACH


def test_no_thresholds_anywhere(mini_repo):
    root_kw = {"- metric: recall": "- metric: latency"}
    text = MINI_CHARTER.format(id="m1", name="x").replace(*next(iter(root_kw.items())))
    root = mini_repo(
        charters={"m1": text}, metrics={"m1/kpis.csv": daily_csv([3.0] * 5, metric="latency")}
    )
    m = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]
    assert m.kpis[0].status is Status.UNSET
    assert any(f.code == "thresholds-missing" for f in m.findings)


def test_direction_required_when_policy_has_none(mini_repo):
    from aipo_site.errors import InputError

    text = MINI_CHARTER.format(id="m1", name="x").replace(
        "- metric: recall", "- metric: latency\n    thresholds: {warn: 1, breach: 2}"
    )
    root = mini_repo(charters={"m1": text})
    with pytest.raises(InputError, match="direction: required") as info:
        evaluate_repository(load_repository(WorkingTree(root)), AS_OF)
    assert info.value.line == 9


@pytest.mark.parametrize("how", list(Aggregation))
def test_rolling_matches_pandas(how):
    rng = np.random.default_rng(1)
    days = np.sort(rng.choice(200, size=120, replace=False))
    dates = np.datetime64("2026-01-01") + days.astype("timedelta64[D]")
    values = rng.normal(size=120)
    got = rolling_aggregate(dates, values, 7, how)
    import pandas as pd

    series = pd.Series(values, index=pd.DatetimeIndex(dates))
    if how is Aggregation.last:
        expected = values
    else:
        expected = getattr(series.rolling("7D"), how.value)().to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# -- one status per KPI, one boundary rule, one window rule -----------------------------------

BINARY = {  # thresholds and baseline that binary fractions hit exactly
    "    freshness_days: 3": "    freshness_days: 3\n    thresholds: {warn: 0.75, breach: 0.5}",
    "baseline: {value: 0.9}": "baseline: {value: 1.0, max_drop: {warn: 0.25, breach: 0.5}}",
}


def test_a_value_exactly_at_a_threshold_is_within_it(mini_repo):
    k = kpi(evaluate(mini_repo, [0.75] * 10, name="at-warn", **BINARY))
    assert (k.threshold_status, k.value) == (Status.OK, 0.75)
    k = kpi(evaluate(mini_repo, [0.5] * 10, name="at-breach", **BINARY))
    assert k.threshold_status is Status.WARN
    k = kpi(evaluate(mini_repo, [0.375] * 10, name="beyond", **BINARY))
    assert k.threshold_status is Status.BREACH


def test_a_drop_exactly_at_a_tier_is_tolerated(mini_repo):
    # 0.75 is exactly 25% under the baseline 1.0: tolerated; 0.5 is exactly 50%: WARN, not BREACH.
    k = kpi(evaluate(mini_repo, [0.75] * 10, name="at-warn", **BINARY))
    assert (k.drop, k.drop_status, k.status) == (0.25, Status.OK, Status.OK)
    assert "worse than its original baseline" not in k.message
    k = kpi(evaluate(mini_repo, [0.5] * 10, name="at-breach", **BINARY))
    assert (k.drop, k.drop_status) == (0.5, Status.WARN)


def test_one_status_per_kpi_the_worse_of_threshold_and_drop(mini_repo):
    # Within its thresholds (0.8125 > warn 0.75) but 18.75% under the baseline 1.0 with tiers
    # 0.0625 / 0.125: the KPI is BREACH, not OK, and so is the model.
    kw = dict(BINARY)
    kw["baseline: {value: 0.9}"] = "baseline: {value: 1.0, max_drop: {warn: 0.0625, breach: 0.125}}"
    m = evaluate(mini_repo, [0.8125] * 10, **kw)
    k = kpi(m)
    assert (k.threshold_status, k.drop_status, k.status) == (
        Status.OK,
        Status.BREACH,
        Status.BREACH,
    )
    assert k.level is Level.BREACH and m.status is Level.BREACH
    assert m.kpis_at(Level.BREACH) == [k]


def test_the_window_ends_at_the_evaluation_date(mini_repo):
    # Rows end 3 days before the evaluation date (labels arrive late; freshness 3 days). The
    # 7-day window at the evaluation date holds the 4 newest rows only.
    values = [1.0] * 10 + [0.5] * 4
    k = kpi(evaluate(mini_repo, values, end=AS_OF - dt.timedelta(days=3), **BINARY))
    assert k.window_start == AS_OF - dt.timedelta(days=6)
    assert k.rows == 4
    assert k.value == 0.5  # not (3 * 1.0 + 4 * 0.5) / 7, the 7 days up to the newest row
    assert k.threshold_status is Status.WARN


def test_an_empty_window_has_no_value(mini_repo):
    # Freshness 10 days, window 7: rows from 8 days ago are fresh but outside the window.
    kw = dict(BINARY)
    kw["    freshness_days: 3"] = (
        "    freshness_days: 10\n    thresholds: {warn: 0.75, breach: 0.5}"
    )
    k = kpi(evaluate(mini_repo, [1.0] * 10, end=AS_OF - dt.timedelta(days=8), **kw))
    assert (k.status, k.value, k.rows) == (Status.NO_DATA, None, 0)
    assert "no rows in the 7 days from 2026-11-14 to 2026-11-20" in k.message
    # Older than the freshness limit as well: STALE says so.
    k = kpi(evaluate(mini_repo, [1.0] * 10, end=AS_OF - dt.timedelta(days=8), name="s", **BINARY))
    assert k.status is Status.STALE and "8 days old" in k.message


def test_freshness_at_the_limit_is_fresh(mini_repo):
    k = kpi(evaluate(mini_repo, [0.9] * 10, end=AS_OF - dt.timedelta(days=3)))
    assert k.status is not Status.STALE
    k = kpi(evaluate(mini_repo, [0.9] * 10, end=AS_OF - dt.timedelta(days=4), name="late"))
    assert k.status is Status.STALE and k.since == AS_OF


def test_since_and_escalation_count_the_baseline_drop(mini_repo):
    # Under the baseline's breach tier for 60 days, under the breach threshold for the last 5:
    # BREACH since 60 days ago, and a ladder level with after_days: 30 is active.
    kw = dict(BINARY)
    kw["baseline: {value: 0.9}"] = "baseline: {value: 1.0, max_drop: {warn: 0.0625, breach: 0.125}}"
    extra = (
        "  - {name: L3, 'on': breach, after_days: 30, trigger: long breach, who: VP,"
        " response_time: 1 day}\n"
    )
    values = [1.0] * 30 + [0.75] * 55 + [0.25] * 5
    m = evaluate(mini_repo, values, charter_extra=extra, **kw)
    k = kpi(m)
    assert k.status is Status.BREACH
    # The 7-day mean falls more than 12.5% under 1.0 on the 4th day of the 0.75 run (AS_OF - 59).
    assert k.since == AS_OF - dt.timedelta(days=56)
    assert m.since == k.since
    assert m.escalation.level is not None and m.escalation.level.name == "L3"


def test_kpi_timeline_is_the_same_evaluation_at_every_day(mini_repo):
    values = [1.0] * 20 + [0.25] * 10
    k = kpi(evaluate(mini_repo, values, **BINARY))
    day = AS_OF - dt.timedelta(days=9)  # first day of the 0.25 run: mean (6 + 0.25) / 7 = 0.89
    assert k.timeline.status_on(day) is Status.OK
    # Re-evaluating as of that day gives the status the timeline holds for it.
    for offset in (0, 3, 6, 9, 12, 29):
        day = AS_OF - dt.timedelta(days=offset)
        past = kpi(evaluate(mini_repo, values, as_of=day, name=f"d{offset}", **BINARY))
        assert k.timeline.status_on(day) is past.status, day
