"""Segment gaps: the spread of a KPI between segments against tolerated tiers."""

from __future__ import annotations

import datetime as dt

import pytest

from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level, Status
from tests.conftest import AS_OF, MINI_CHARTER


def segmented_csv(levels: dict[str, float], days: int = 14, end: dt.date = AS_OF) -> str:
    rows = ["date,metric,value,segment"]
    for i in range(days):
        day = (end - dt.timedelta(days=days - 1 - i)).isoformat()
        rows.append(f"{day},recall,0.9,")
        rows += [f"{day},recall,{v},{seg}" for seg, v in levels.items()]
    return "\n".join(rows) + "\n"


def evaluate(
    mini_repo, levels, tiers="{warn: 0.05, breach: 0.1}", gap="absolute", end=AS_OF, name="repo"
):
    charter = MINI_CHARTER.format(id="m1", name="x") + (
        f"segments:\n  - {{metric: recall, gap: {gap}, tiers: {tiers}}}\n"
    )
    root = mini_repo(
        charters={"m1": charter},
        metrics={"m1/kpis.csv": segmented_csv(levels, end=end)},
        name=name,
    )
    return evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]


def test_small_gap_is_ok(mini_repo):
    (r,) = evaluate(mini_repo, {"a": 0.90, "b": 0.88}).segments
    assert r.status is Status.OK
    assert r.gap == pytest.approx(0.02)
    assert (r.worst.segment, r.best.segment) == ("b", "a")  # recall: higher is better


def test_gap_tiers_feed_the_model_status(mini_repo):
    m = evaluate(mini_repo, {"a": 0.90, "b": 0.83, "c": 0.75})
    (r,) = m.segments
    assert r.status is Status.BREACH and r.gap == pytest.approx(0.15)
    assert "between 'c' (0.75) and 'a' (0.9)" in r.message
    assert m.status is Level.BREACH
    assert m.performance is not None and "differs between groups" in m.performance.sentence


def test_ratio_gap(mini_repo):
    (r,) = evaluate(
        mini_repo, {"a": 0.9, "b": 0.6}, tiers="{warn: 1.2, breach: 1.6}", gap="ratio"
    ).segments
    assert r.gap == pytest.approx(1.5) and r.status is Status.WARN


def test_one_segment_cannot_be_evaluated(mini_repo):
    (r,) = evaluate(mini_repo, {"a": 0.9}).segments
    assert r.status is Status.NO_DATA
    assert r.message.startswith("cannot evaluate: the gap needs at least two segments")


def test_stale_segments(mini_repo):
    (r,) = evaluate(mini_repo, {"a": 0.9, "b": 0.89}, end=AS_OF - dt.timedelta(days=10)).segments
    assert r.status is Status.STALE and "10 days old" in r.message


def test_segments_must_name_a_kpi(mini_repo):
    from aipo_site.errors import InputError

    charter = (
        MINI_CHARTER.format(id="m1", name="x")
        + "segments:\n  - {metric: fpr, tiers: {warn: 1, breach: 2}}\n"
    )
    with pytest.raises(InputError, match="segments name metrics that are not in kpis: fpr"):
        load_repository(WorkingTree(mini_repo(charters={"m1": charter})))


def test_demo_fraud_gap(repo_root):
    portfolio = evaluate_repository(load_repository(WorkingTree(repo_root)), AS_OF)
    (r,) = portfolio.model("fraud-prevention").segments
    assert r.status is Status.WARN
    assert r.worst.segment == "65+"


def test_ratio_gap_with_a_zero_segment_is_infinite_not_a_crash(mini_repo):
    (r,) = evaluate(
        mini_repo, {"a": 0.9, "b": 0.0}, tiers="{warn: 1.2, breach: 1.6}", gap="ratio"
    ).segments
    assert r.gap == float("inf") and r.status is Status.BREACH


# -- one boundary rule, one window rule, since ------------------------------------------------


def test_a_gap_exactly_at_a_tier_is_tolerated(mini_repo):
    # Binary fractions: 0.75 - 0.5 = 0.25 exactly, and the tiers are 0.25 / 0.5.
    (r,) = evaluate(mini_repo, {"a": 0.75, "b": 0.5}, tiers="{warn: 0.25, breach: 0.5}").segments
    assert r.gap == 0.25 and r.status is Status.OK
    assert "tolerated up to 0.25 / 0.5" in r.message
    tiers = "{warn: 0.25, breach: 0.5}"
    (r,) = evaluate(mini_repo, {"a": 1.0, "b": 0.5}, tiers=tiers, name="r2").segments
    assert r.gap == 0.5 and r.status is Status.WARN
    tiers = "{warn: 1.5, breach: 2}"
    (r,) = evaluate(mini_repo, {"a": 1.0, "b": 0.5}, tiers=tiers, gap="ratio", name="r3").segments
    assert r.gap == 2.0 and r.status is Status.WARN


def test_the_segment_window_ends_at_the_evaluation_date(mini_repo):
    # Segment rows end 5 days before the evaluation date: the 7-day window at the evaluation date
    # holds their last 2 days, not the 7 days up to the newest row.
    rows = ["date,metric,value,segment"]
    for i in range(14):
        day = (AS_OF - dt.timedelta(days=18 - i)).isoformat()
        b = 0.5 if i >= 12 else 0.875  # the last two days fall apart
        rows += [f"{day},recall,0.875,a", f"{day},recall,{b},b"]
    charter = MINI_CHARTER.format(id="m1", name="x") + (
        "segments:\n  - {metric: recall, tiers: {warn: 0.125, breach: 0.25}}\n"
        "  # freshness is the KPI's: 3 days\n"
    )
    root = mini_repo(charters={"m1": charter}, metrics={"m1/kpis.csv": "\n".join(rows) + "\n"})
    (r,) = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0].segments
    assert r.window_start == AS_OF - dt.timedelta(days=6)
    assert [v.rows for v in r.values] == [2, 2]
    assert r.gap == 0.375  # 0.875 - 0.5 over the 2 rows in the window; 7 rows would give 0.107
    assert r.status is Status.BREACH


def test_segment_since_and_timeline(mini_repo):
    # 14 days; the gap of the 7-day window crosses 0.1 on the 4th day of the 0.7 run.
    rows = ["date,metric,value,segment"]
    for i in range(14):
        day = (AS_OF - dt.timedelta(days=13 - i)).isoformat()
        b = 0.7 if i >= 7 else 0.9
        rows += [f"{day},recall,0.9,a", f"{day},recall,{b},b", f"{day},recall,0.9,"]
    charter = MINI_CHARTER.format(id="m1", name="x") + (
        "segments:\n  - {metric: recall, tiers: {warn: 0.05, breach: 0.1}}\n"
    )
    root = mini_repo(charters={"m1": charter}, metrics={"m1/kpis.csv": "\n".join(rows) + "\n"})
    m = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]
    (r,) = m.segments
    # mean gap at the k-th day of the run: 0.2 * k / 7 -> > 0.05 from k = 2, > 0.1 from k = 4
    assert r.status is Status.BREACH
    assert r.since == AS_OF - dt.timedelta(days=3)
    assert r.timeline.status_on(AS_OF - dt.timedelta(days=5)) is Status.WARN
    assert r.timeline.status_on(AS_OF - dt.timedelta(days=7)) is Status.OK
    # The gap is the cause of the model's BREACH: the model's since is the gap's.
    assert m.status is Level.BREACH and m.since == r.since
