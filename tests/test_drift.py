"""Drift evaluation: windows, tiers, share, over time, cannot-evaluate findings, caching."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aipo_site.errors import InputError
from aipo_site.evaluate import drift as drift_eval
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level, Status
from tests.conftest import AS_OF, MINI_CHARTER, daily_csv


def samples_csv(shift_from: dt.date, shift: float, days: int = 200, per_day: int = 20) -> str:
    rng = np.random.default_rng(7)
    rows = ["date,amount,channel"]
    start = AS_OF - dt.timedelta(days=days - 1)
    for i in range(days):
        day = start + dt.timedelta(days=i)
        moved = day >= shift_from
        amounts = rng.normal(100 + (shift if moved else 0), 10, per_day)
        online = 0.6 if moved and shift else 0.3
        channels = rng.choice(["store", "online"], per_day, p=[1 - online, online])
        rows += [f"{day},{a:.2f},{c}" for a, c in zip(amounts, channels, strict=True)]
    return "\n".join(rows) + "\n"


DRIFT = """drift:
  samples: drift/samples.csv
  reference: {start: 2026-05-05, end: 2026-07-31}
  current_days: 28
  period: month
  features:
    - {name: amount, importance: 2}
    - {name: channel}
"""


def evaluate(mini_repo, drift=DRIFT, files=None, name="repo"):
    files = (
        files
        if files is not None
        else {"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 15)}
    )
    charter = MINI_CHARTER.format(id="m1", name="x") + drift
    root = mini_repo(
        charters={"m1": charter}, metrics={"m1/kpis.csv": daily_csv([0.9] * 30), **files}, name=name
    )
    return evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]


def test_shifted_inputs_breach_and_feed_the_model_status(mini_repo):
    m = evaluate(mini_repo)
    d = m.drift
    by_name = {f.name: f for f in d.features}
    assert by_name["amount"].status is Status.BREACH
    assert by_name["amount"].method == "ks"  # 560 current rows: small sample -> KS p-value
    assert by_name["channel"].kind == "categorical" and by_name["channel"].status is Status.BREACH
    assert d.share == pytest.approx(1.0) and d.share_status is Status.BREACH
    assert m.status is Level.BREACH
    assert "data drift: 100% of the inputs drifted" in m.answer
    assert "median" in by_name["amount"].reading
    assert by_name["amount"].histogram is not None and len(by_name["amount"].histogram.labels) == 10


def test_no_shift_is_ok_and_says_so(mini_repo):
    m = evaluate(mini_repo, files={"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 0)})
    assert {f.status for f in m.drift.features} == {Status.OK}
    assert m.drift.share == 0.0 and m.status is Level.OK
    assert m.drift.summary.startswith("Neither inputs nor outcomes moved")


def test_drift_over_time_per_month(mini_repo):
    d = evaluate(mini_repo).drift
    months = [p for p, _ in d.share_over_time]
    assert months[0] == dt.date(2026, 8, 1) and months[-1] == dt.date(2026, 11, 1)
    shares = dict(d.share_over_time)
    assert shares[dt.date(2026, 8, 1)] == 0.0 and shares[dt.date(2026, 10, 1)] == 1.0
    assert {p.feature for p in d.over_time} == {"amount", "channel"}


def test_missing_column_cannot_be_evaluated_but_the_rest_is(mini_repo):
    drift = DRIFT.replace("    - {name: channel}\n", "    - {name: channel}\n    - {name: ghost}\n")
    d = evaluate(mini_repo, drift=drift).drift
    ghost = next(f for f in d.features if f.name == "ghost")
    assert ghost.status is Status.NO_DATA
    assert ghost.reading == "cannot evaluate: column 'ghost' is not in the reference window"
    assert d.share == pytest.approx(1.0)  # computed over the evaluable features
    assert d.level is Level.BREACH


def test_empty_window_cannot_be_evaluated(mini_repo):
    drift = DRIFT.replace("2026-05-05, end: 2026-07-31", "2020-01-01, end: 2020-02-01")
    m = evaluate(mini_repo, drift=drift)
    assert {f.status for f in m.drift.features} == {Status.NO_DATA}
    assert "has no rows" in m.drift.features[0].reading
    assert m.drift.share is None and m.drift.level is Level.WARN
    assert "cannot be evaluated" in m.answer


def test_all_missing_values_cannot_be_evaluated(mini_repo):
    text = samples_csv(dt.date(2026, 9, 1), 15).replace(",store", ",").replace(",online", ",")
    d = evaluate(mini_repo, files={"m1/drift/samples.csv": text}).drift
    channel = next(f for f in d.features if f.name == "channel")
    assert channel.status is Status.NO_DATA and channel.reading.startswith("cannot evaluate:")


def test_two_files_and_unseen_categories(mini_repo):
    drift = """drift:
  reference_samples: drift/ref.csv
  samples: drift/cur.csv
  features:
    - {name: plan, kind: categorical, method: psi}
"""
    ref = "plan\n" + "basic\n" * 500 + "plus\n" * 500
    cur = "plan\n" + "basic\n" * 400 + "plus\n" * 400 + "gold\n" * 200
    d = evaluate(
        mini_repo, drift=drift, files={"m1/drift/ref.csv": ref, "m1/drift/cur.csv": cur}
    ).drift
    (plan,) = d.features
    assert plan.status is Status.BREACH
    assert "new categories not in the reference: gold" in plan.reading
    assert d.over_time == []  # no dates, no drift over time


BINS = """period,feature,bin,reference_count,current_count
2026-11-02,age,young,500,50
2026-11-02,age,old,500,50
2026-11-09,age,young,500,90
2026-11-09,age,old,500,10
2026-11-16,age,young,500,95
2026-11-16,age,old,500,5
"""


def test_prebinned_counts_per_period(mini_repo):
    drift = """drift:
  bins: drift/bins.csv
  current_days: 14
  features:
    - {name: age, method: psi}
"""
    d = evaluate(mini_repo, drift=drift, files={"m1/drift/bins.csv": BINS}).drift
    (age,) = d.features
    # current window = the last two weekly periods: 185 young vs 15 old against 50/50
    expected = (0.925 - 0.5) * np.log(0.925 / 0.5) + (0.075 - 0.5) * np.log(0.075 / 0.5)
    assert age.value == pytest.approx(expected)
    assert [p for p, _ in d.share_over_time] == [dt.date(2026, 11, d) for d in (2, 9, 16)]
    assert d.current_label == "2 periods from 2026-11-09"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BINS.replace("500,90", "400,90"), "differ between periods"),
        (BINS.replace("young,500,95", "young,500,-5"), "non-negative whole number"),
        (BINS + "2026-11-16,size,s,1000,50\n", "do not add up"),
        (BINS.replace("2026-11-02,age,old", "2026-11-02,age,young"), "appears twice"),
        ("feature,bin,reference_count\n", "missing current_count"),
    ],
)
def test_bad_bins_files_are_errors(mini_repo, text, needle):
    drift = "drift:\n  bins: drift/bins.csv\n  features:\n    - {name: age}\n"
    with pytest.raises(InputError, match=needle):
        evaluate(mini_repo, drift=drift, files={"m1/drift/bins.csv": text})


def test_declared_file_must_exist(mini_repo):
    with pytest.raises(InputError, match=r"metrics/m1/drift/samples\.csv does not exist") as info:
        evaluate(mini_repo, files={})
    assert info.value.field == "drift.samples"


def test_charter_drift_section_is_validated(mini_repo):
    with pytest.raises(InputError, match="needs a `reference` window"):
        evaluate(mini_repo, drift="drift:\n  samples: s.csv\n  features: [{name: a}]\n")


def test_results_are_cached_by_content(mini_repo, monkeypatch):
    calls = []
    real = drift_eval._evaluate

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(drift_eval, "_evaluate", counting)
    drift_eval._CACHE.clear()
    evaluate(mini_repo, name="a")
    evaluate(mini_repo, name="b")  # same bytes, same settings: served from the cache
    assert len(calls) == 1
    evaluate(
        mini_repo, files={"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 1)}, name="c"
    )
    assert len(calls) == 2


def test_demo_drift_story(repo_root):
    portfolio = evaluate_repository(load_repository(WorkingTree(repo_root)), AS_OF)
    supply = portfolio.model("supply-chain-forecast").drift
    assert supply.share_status is Status.BREACH
    assert supply.summary.startswith("Inputs moved and outcomes moved")
    assert portfolio.model("customer-churn").drift.share_status is Status.WARN
    assert portfolio.model("fraud-prevention").drift.share_status is Status.OK


@pytest.mark.parametrize(
    ("feature", "needle"),
    [
        (
            "{name: amount, method: ks, tiers: {warn: 0.01, breach: 0.05}}",
            "need 0 < breach <= warn",
        ),
        ("{name: amount, method: psi, tiers: {warn: 0.3, breach: 0.1}}", "need warn <= breach"),
        ("{name: amount, tiers: {warn: 0.1, breach: 0.2}}", "tiers need an explicit method"),
    ],
)
def test_tiers_in_the_wrong_order_are_input_errors(mini_repo, feature, needle):
    drift = DRIFT.replace("    - {name: amount, importance: 2}", f"    - {feature}")
    with pytest.raises(InputError, match=needle):
        evaluate(mini_repo, drift=drift)


def test_share_tiers_order(mini_repo):
    drift = DRIFT + "  share: {warn: 0.5, breach: 0.25}\n"
    with pytest.raises(InputError, match="share tiers need warn <= breach"):
        evaluate(mini_repo, drift=drift)


def test_nan_text_in_a_numeric_column_is_an_error(mini_repo):
    lines = samples_csv(dt.date(2026, 9, 1), 0).split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("2026-10-01"))
    lines[row] = "2026-10-01,NaN,store"
    with pytest.raises(InputError, match="write a missing value as an empty cell") as info:
        evaluate(mini_repo, files={"m1/drift/samples.csv": "\n".join(lines)})
    assert info.value.line == row + 1


def test_answer_names_drifted_features_by_severity_and_weight(mini_repo):
    drift = DRIFT.replace("    - {name: channel}\n", "    - {name: channel}\n    - {name: ghost}\n")
    m = evaluate(mini_repo, drift=drift)
    assert "data drift: 100% of the inputs drifted (amount, channel)" in m.answer
    assert "drift of ghost cannot be evaluated" in m.answer
