"""Compliance findings: the four audit-story gaps and the policy's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level
from tests.conftest import AS_OF, MINI_CHARTER, MINI_POLICY


def findings(mini_repo, policy=MINI_POLICY, as_of=AS_OF, **replace):
    text = MINI_CHARTER.format(id="m1", name="Model one")
    for old, new in replace.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new)
    root = mini_repo(charters={"m1": text}, policy=policy)
    model = evaluate_repository(load_repository(WorkingTree(root)), as_of).models[0]
    return {f.code: f for f in model.findings}, model


def test_healthy_charter_has_no_findings(mini_repo):
    found, model = findings(mini_repo)
    assert found == {}
    assert model.status is Level.OK
    assert model.answer.startswith("Yes — the KPI is within thresholds")


def test_no_incident_owner(mini_repo):
    found, model = findings(mini_repo, **{"incident_owner: {name: Ivan Incident}\n": ""})
    f = found["incident-owner-missing"]
    assert f.level is Level.BREACH  # production
    assert f.field == "incident_owner"
    assert model.status is Level.BREACH
    assert "no incident owner" in model.answer


def test_pilot_gaps_are_warnings(mini_repo):
    found, _ = findings(
        mini_repo,
        **{"incident_owner: {name: Ivan Incident}\n": "", "stage: production": "stage: pilot"},
    )
    assert found["incident-owner-missing"].level is Level.WARN


def test_prototype_is_exempt_from_gaps(mini_repo):
    found, _ = findings(
        mini_repo,
        **{"incident_owner: {name: Ivan Incident}\n": "", "stage: production": "stage: prototype"},
    )
    assert "incident-owner-missing" not in found


def test_no_data_contract_names_the_source_line(mini_repo):
    found, _ = findings(mini_repo, **{"    contract: https://example.com/contract\n": ""})
    f = found["data-contract-missing"]
    assert f.field == "data_sources[0]"
    assert f.line == 13  # the '- name: Events' item
    assert "'Events'" in f.message


def test_retraining_overdue_and_missing(mini_repo):
    found, _ = findings(mini_repo, as_of=dt.date(2027, 2, 1))
    assert "retraining is 33 days overdue" in found["retraining-overdue"].message


def test_missing_retraining_schedule(mini_repo):
    found, _ = findings(
        mini_repo, **{"retraining: {cadence_days: 90, last_retrained: 2026-10-01}\n": ""}
    )
    assert found["retraining-missing"].level is Level.BREACH


def test_cadence_longer_than_policy_maximum(mini_repo):
    found, _ = findings(
        mini_repo,
        policy=MINI_POLICY + "max_retraining_interval_days: 60\n",
        **{"cadence_days: 90": "cadence_days: 120"},
    )
    assert "exceeds the policy maximum of 60 days" in found["retraining-cadence-too-long"].message


def test_sensitive_data_without_authorisation(mini_repo):
    found, model = findings(mini_repo, **{"    authorisation: {record: DPIA-1}\n": ""})
    f = found["authorisation-missing"]
    assert f.level is Level.BREACH
    assert "holds personal data in EU without an authorisation record (GDPR)" in f.message
    assert model.status is Level.BREACH


def test_authorisation_rule_regions(mini_repo):
    found, _ = findings(
        mini_repo,
        **{"    authorisation: {record: DPIA-1}\n": "", "regions: [EU]": "regions: [US]"},
    )
    assert "authorisation-missing" not in found


def test_wildcard_region_rule(mini_repo):
    policy = "authorisation:\n  - categories: [health]\n    regions: ['*']\n"
    found, _ = findings(
        mini_repo,
        policy=policy,
        **{
            "    authorisation: {record: DPIA-1}\n": "",
            "categories: [personal]": "categories: [health]",
        },
    )
    assert "health data in EU" in found["authorisation-missing"].message


def test_required_sections(mini_repo):
    policy = MINI_POLICY.replace("data_contracts]", "data_contracts, decision_rights, risks]")
    found, _ = findings(mini_repo, policy=policy)
    assert found["section-missing"].level is Level.BREACH
    all_missing = {f.message for f in _all(mini_repo, policy)}
    assert "the policy requires 'risks' for production models" in all_missing
    assert "the policy requires 'decision_rights' for production models" in all_missing


def _all(mini_repo, policy):
    root = mini_repo(
        charters={"m1": MINI_CHARTER.format(id="m1", name="x")}, policy=policy, name="all"
    )
    return evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0].findings


def test_loosened_threshold_is_reported_and_charter_value_used(mini_repo):
    found, model = findings(
        mini_repo,
        **{
            "    freshness_days: 3": "    freshness_days: 3\n    thresholds: {warn: 0.7, breach: 0.6}"
        },
    )
    f = found["threshold-loosened"]
    assert f.level is Level.WARN
    assert "warn 0.7 vs policy 0.8; breach 0.6 vs policy 0.75" in f.message
    assert model.kpis[0].thresholds.warn == 0.7


def test_tightened_threshold_is_fine(mini_repo):
    found, _ = findings(
        mini_repo,
        **{
            "    freshness_days: 3": "    freshness_days: 3\n    thresholds: {warn: 0.85, breach: 0.8}"
        },
    )
    assert "threshold-loosened" not in found


def test_rituals(mini_repo):
    policy = (
        MINI_POLICY
        + "rituals:\n  - {ritual: Weekly metric review, max_cadence_days: 7}\n  - {ritual: Quarterly audit, max_cadence_days: 92}\n"
    )
    rhythm = (
        "rhythm:\n  - {ritual: weekly metric review, cadence_days: 14, last_held: 2026-10-01}\n"
    )
    root_text = MINI_CHARTER.format(id="m1", name="x") + rhythm
    root = mini_repo(charters={"m1": root_text}, policy=policy)
    model = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]
    codes = {f.code: f for f in model.findings}
    assert "exceeds the policy maximum of 7 days" in codes["ritual-cadence-too-long"].message
    assert "is 36 days overdue" in codes["ritual-overdue"].message
    assert "'Quarterly audit'" in codes["ritual-missing"].message


def test_sunset_review_overdue(mini_repo):
    found, _ = findings(
        mini_repo,
        **{"since: 2026-01-01}": "since: 2026-01-01, sunset_review: 2026-06-01}"},
    )
    assert found["sunset-review-overdue"].level is Level.WARN


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("prototype", None),
        ("pilot", Level.WARN),
        ("production", Level.BREACH),
        ("deprecated", Level.WARN),
        ("sunset", None),
    ],
)
def test_audit_gaps_by_stage(mini_repo, stage, expected):
    found, _ = findings(
        mini_repo,
        **{"stage: production": f"stage: {stage}", "incident_owner: {name: Ivan Incident}\n": ""},
    )
    gap = found.get("incident-owner-missing")
    assert (gap.level if gap else None) is expected


def test_demo_reproduces_the_audit(repo_root):
    portfolio = evaluate_repository(load_repository(WorkingTree(repo_root)), AS_OF)
    by_id = {m.id: m for m in portfolio.models}
    codes = {i: {f.code for f in m.findings} for i, m in by_id.items()}
    # Two models process data that needs authorisation; the churn model lacks it.
    assert "authorisation-missing" in codes["customer-churn"]
    assert "authorisation-missing" not in codes["fraud-prevention"]
    # The four gaps of the audit story appear across the portfolio.
    gaps = set().union(*codes.values())
    assert {
        "incident-owner-missing",
        "data-contract-missing",
        "thresholds-missing",
        "retraining-overdue",
    } <= gaps
    # The forecast model has drifted far below its original baseline.
    mape = next(k for k in by_id["supply-chain-forecast"].kpis if k.metric == "mape")
    assert mape.drop > 1.0 and mape.level is Level.BREACH
    # Every KPI status appears.
    statuses = {k.status.value for m in portfolio.models for k in m.kpis}
    assert {"OK", "WARN", "BREACH", "STALE", "NO DATA"} <= statuses
    assert [by_id[i].status for i in sorted(by_id)] == [Level.BREACH, Level.WARN, Level.BREACH]
