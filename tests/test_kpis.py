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
    assert k.status is Status.WARN
    assert k.value == pytest.approx(0.78)
    # The 7-day mean fell under 0.80 on the 6th day of the 0.78 run (threshold: WARN) and more than
    # 10% under the 0.9 baseline the same day (baseline drop: BREACH); the KPI's level is BREACH.
    assert k.since == AS_OF - dt.timedelta(days=1)
    assert f"below its warn threshold 0.8 since {AS_OF - dt.timedelta(days=1)}" in k.message
    assert k.drop_status is Status.BREACH and k.level is Level.BREACH


def test_breach_and_since(mini_repo):
    k = kpi(evaluate(mini_repo, [0.9] * 20 + [0.5] * 10))
    assert k.status is Status.BREACH
    # mean of 7 days < 0.75 from the 3rd day of the 0.5 run
    assert k.since == AS_OF - dt.timedelta(days=7)


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
    assert k.status is Status.WARN
    assert k.drop == pytest.approx(0.25)  # 25% worse than 0.2
    assert k.drop_status is Status.BREACH
    assert k.level is Level.BREACH


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
