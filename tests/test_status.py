"""Model status, escalation and the answer sentence."""

from __future__ import annotations

import datetime as dt

from aipo_site.evaluate.status import active_escalation, answer, model_status
from aipo_site.model.charter import Charter
from aipo_site.model.results import Finding, KpiResult, Level, Status

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


def test_status_is_the_worst_and_since_the_earliest_at_that_level():
    kpis = [kpi(Status.WARN, dt.date(2026, 11, 1)), kpi(Status.BREACH, dt.date(2026, 11, 10)),
            kpi(Status.BREACH, dt.date(2026, 11, 5))]  # fmt: skip
    assert model_status(kpis, []) == (Level.BREACH, dt.date(2026, 11, 5))
    assert model_status([kpi(Status.OK, dt.date(2026, 1, 1))], []) == (Level.OK, None)
    finding = Finding("x", Level.BREACH, "gap", "incident_owner")
    assert model_status([kpi(Status.WARN, dt.date(2026, 11, 1))], [finding]) == (Level.BREACH, None)


def test_escalation_levels():
    assert active_escalation(CHARTER, Level.OK, None, AS_OF).level is None
    assert active_escalation(CHARTER, Level.WARN, AS_OF, AS_OF).level.name == "L1"
    assert (
        active_escalation(CHARTER, Level.BREACH, AS_OF - dt.timedelta(days=6), AS_OF).level.name
        == "L2"
    )
    seven = active_escalation(CHARTER, Level.BREACH, AS_OF - dt.timedelta(days=7), AS_OF)
    assert (seven.index, seven.level.name) == (2, "L3")
    # unknown start (compliance only) counts as today
    assert active_escalation(CHARTER, Level.BREACH, None, AS_OF).level.name == "L2"


def test_escalation_without_ladder():
    bare = CHARTER.model_copy(update={"escalation": []})
    result = active_escalation(bare, Level.BREACH, None, AS_OF)
    assert result.level is None and result.reason == "no escalation ladder is defined"


def test_answer_sentences():
    ok = answer(CHARTER, Level.OK, [kpi(Status.OK, None)], [], AS_OF)
    assert ok.startswith("Yes — the KPI is within thresholds and baseline tolerance")
    bad = answer(
        CHARTER,
        Level.BREACH,
        [kpi(Status.BREACH, AS_OF, "recall"), kpi(Status.WARN, AS_OF, "precision")],
        [Finding("authorisation-missing", Level.BREACH, "a", "d")] * 2
        + [Finding("ritual-overdue", Level.WARN, "w", "rhythm")],
        AS_OF,
    )
    assert bad.startswith("No — recall: recall message; ")
    assert "sensitive data is used without an authorisation record (2 findings)" in bad
    assert "1 compliance warning" in bad
    assert bad.endswith("(as of 2026-11-20).")
    warn = answer(
        CHARTER, Level.WARN, [kpi(Status.OK, None)], [Finding("x", Level.WARN, "w", "s")], AS_OF
    )
    assert warn.startswith("At risk — KPIs are within thresholds, but 1 compliance warning")
