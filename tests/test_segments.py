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


def evaluate(mini_repo, levels, tiers="{warn: 0.05, breach: 0.1}", gap="absolute", end=AS_OF):
    charter = MINI_CHARTER.format(id="m1", name="x") + (
        f"segments:\n  - {{metric: recall, gap: {gap}, tiers: {tiers}}}\n"
    )
    root = mini_repo(
        charters={"m1": charter}, metrics={"m1/kpis.csv": segmented_csv(levels, end=end)}
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
    assert "recall by segment: gap" in m.answer


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
