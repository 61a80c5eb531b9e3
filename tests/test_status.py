"""Model status, its timeline, "since" and the active escalation level."""

from __future__ import annotations

import datetime as dt

import numpy as np

from aipo_site.evaluate.status import (
    active_escalation,
    model_status,
    model_timeline,
    status_since,
)
from aipo_site.evaluate.timeline import Calendar
from aipo_site.model.charter import Charter
from aipo_site.model.results import Finding, KpiResult, Level, Status, Timeline

AS_OF = dt.date(2026, 11, 20)

CHARTER = Charter.model_validate(
    {
        "id": "m",
        "name": "M",
        "summary": "s",
        "business_unit": "u",
        "owner": {"name": "o"},
        "lifecycle": {"stage": "production", "since": "2026-01-01"},
        "escalation": [
            {"name": "L1", "on": "warn", "trigger": "t", "who": "ds", "response_time": "2d"},
            {"name": "L2", "on": "breach", "trigger": "t", "who": "aipo", "response_time": "4h"},
            {
                "name": "L3",
                "on": "breach",
                "after_days": 7,
                "trigger": "t",
                "who": "vp",
                "response_time": "1d",
            },
        ],
    }
)


def kpi(status: Status, since: dt.date | None, name="recall") -> KpiResult:
    return KpiResult(
        metric=name, name=name, unit=None, direction=None, window_days=7, aggregation="mean",
        freshness_days=3, thresholds=None, threshold_source=None, status=status, value=0.5,
        newest=AS_OF, since=since, message=f"{name} message",
    )  # fmt: skip


def timeline(levels: list[int], end: dt.date = AS_OF) -> Timeline:
    """A model timeline of daily levels ending at ``end`` (-1 = unknown)."""
    start = end - dt.timedelta(days=len(levels) - 1)
    return Timeline.of_levels(start, np.array(levels, dtype=np.int8))


def test_status_is_the_worst_of_everything_today():
    kpis = [kpi(Status.WARN, dt.date(2026, 11, 1)), kpi(Status.BREACH, dt.date(2026, 11, 10))]
    assert model_status(kpis, []) is Level.BREACH
    assert model_status([kpi(Status.OK, dt.date(2026, 1, 1))], []) is Level.OK
    finding = Finding("x", Level.BREACH, "gap", "incident_owner")
    assert model_status([kpi(Status.WARN, dt.date(2026, 11, 1))], [finding]) is Level.BREACH
    assert model_status([], []) is Level.OK


def test_since_is_the_start_of_the_final_run_at_the_status():
    tl = timeline([0, 2, 2, 1, 2, 2, 2])
    assert status_since(tl, Level.BREACH) == AS_OF - dt.timedelta(days=2)
    assert status_since(timeline([2, 2, 2]), Level.BREACH) == AS_OF - dt.timedelta(days=2)
    assert status_since(timeline([0, 0]), Level.OK) is None


def test_model_timeline_dates_findings_and_unknown_start():
    calendar = Calendar(AS_OF - dt.timedelta(days=9), AS_OF)
    dated = Finding("x", Level.WARN, "w", "s", since=AS_OF - dt.timedelta(days=3))
    undated = Finding("y", Level.BREACH, "b", "s")
    tl = model_timeline(calendar, Level.BREACH, [], [], None, [dated, undated])
    levels = tl.levels().tolist()
    # Nothing is known before the dated finding; it holds from its first day; the finding of
    # unknown start counts from today only.
    assert levels == [-1] * 6 + [1, 1, 1, 2]
    assert status_since(tl, Level.BREACH) == AS_OF


def test_escalation_levels():
    assert active_escalation(CHARTER, Level.OK, timeline([0])).level is None
    assert active_escalation(CHARTER, Level.WARN, timeline([1])).level.name == "L1"
    six = timeline([0] + [2] * 7)  # BREACH on the last 7 days: held 6 days
    assert active_escalation(CHARTER, Level.BREACH, six).level.name == "L2"
    seven = active_escalation(CHARTER, Level.BREACH, timeline([0] + [2] * 8))
    assert (seven.index, seven.level.name) == (2, "L3")
    assert "BREACH or worse for 7 days (≥ 7)" in seven.reason
    # A cause whose start is unknown counts from today.
    assert active_escalation(CHARTER, Level.BREACH, timeline([-1, 2])).level.name == "L2"


def test_escalation_counts_days_at_the_trigger_level_or_worse():
    ladder = CHARTER.model_copy(
        update={
            "escalation": [
                CHARTER.escalation[0].model_copy(update={"after_days": 5}),
            ]
        }
    )
    # WARN for 3 days, then BREACH for 3 days: WARN-or-worse has held 5 days -> the WARN level.
    active = active_escalation(ladder, Level.BREACH, timeline([0, 1, 1, 1, 2, 2, 2]))
    assert active.index == 0
    assert active_escalation(ladder, Level.BREACH, timeline([0, 1, 2, 2, 2, 2])).index is None


def test_escalation_without_ladder():
    bare = CHARTER.model_copy(update={"escalation": []})
    result = active_escalation(bare, Level.BREACH, timeline([2]))
    assert result.level is None and result.reason == "no escalation ladder is defined"


def test_a_stage_whose_performance_is_not_judged_takes_its_status_from_findings(mini_repo):
    from aipo_site.evaluate import evaluate_repository
    from aipo_site.load.repository import load_repository
    from aipo_site.load.source import WorkingTree
    from tests.conftest import MINI_CHARTER, daily_csv

    charter = MINI_CHARTER.format(id="m1", name="Old").replace(
        "stage: production, since: 2026-01-01", "stage: sunset, since: 2026-06-01"
    )
    # Data 40 days old, far under its thresholds: STALE, and BREACH over its history.
    root = mini_repo(
        charters={"m1": charter},
        metrics={"m1/kpis.csv": daily_csv([0.5] * 30, end=AS_OF - dt.timedelta(days=40))},
    )
    m = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]
    assert m.kpis[0].status is Status.STALE  # still shown as it is
    assert m.performance.answer.value == "not judged"
    assert m.status is Level.OK and m.since is None and m.escalation.level is None
    assert set(m.timeline.levels().tolist()) <= {-1, 0}
