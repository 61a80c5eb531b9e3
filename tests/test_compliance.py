"""Compliance findings: the four audit-story gaps and the policy's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from aipo_site.evaluate import evaluate_repository
from aipo_site.evaluate.compliance import (
    DATED_BY_DATA,
    charter_conditions,
    evaluate_compliance,
    finding_key,
)
from aipo_site.evaluate.kpis import check_kpi_inputs
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
    assert model.performance.answer == model.governance.answer == "yes"
    assert model.performance.sentence.startswith("Recall is 0.9, within its thresholds")


def test_no_incident_owner(mini_repo):
    found, model = findings(mini_repo, **{"incident_owner: {name: Ivan Incident}\n": ""})
    f = found["incident-owner-missing"]
    assert f.level is Level.BREACH  # production
    assert f.field == "incident_owner"
    assert model.status is Level.BREACH
    assert model.governance.answer == "no"
    assert model.governance.sentence == "No incident owner is named."
    assert model.performance.answer == "yes"  # compliance does not make performance worse


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


# --- since: the first day a date-based finding holds (one boundary rule: the limit is the last
# acceptable day, so the day after it is the first overdue day) --------------------------------


@pytest.mark.parametrize(
    ("as_of", "since"),
    [
        (dt.date(2026, 12, 29), None),  # due 2026-12-30 (2026-10-01 + 90 days): not yet
        (dt.date(2026, 12, 30), None),  # the due day itself is still on time
        (dt.date(2026, 12, 31), dt.date(2026, 12, 31)),  # first overdue day
        (dt.date(2027, 3, 1), dt.date(2026, 12, 31)),  # later: still since the first one
    ],
)
def test_retraining_overdue_since_the_day_after_it_was_due(mini_repo, as_of, since):
    found, model = findings(mini_repo, as_of=as_of)
    f = found.get("retraining-overdue")
    assert (f.since if f else None) == since
    if f is not None:
        assert f.message.startswith(f"retraining is {(as_of - since).days + 1} days overdue")
    assert model.retraining_due == dt.date(2026, 12, 30)


@pytest.mark.parametrize(
    ("as_of", "since"),
    [
        (dt.date(2026, 11, 17), None),  # last held 2026-11-10, every 7 days: due 2026-11-17
        (dt.date(2026, 11, 18), dt.date(2026, 11, 18)),
        (dt.date(2026, 12, 1), dt.date(2026, 11, 18)),
    ],
)
def test_ritual_overdue_since_the_day_after_it_was_due(mini_repo, as_of, since):
    rhythm = "rhythm:\n  - {ritual: Weekly metric review, cadence_days: 7, last_held: 2026-11-10}\n"
    root = mini_repo(charters={"m1": MINI_CHARTER.format(id="m1", name="x") + rhythm})
    model = evaluate_repository(load_repository(WorkingTree(root)), as_of).models[0]
    f = next((f for f in model.findings if f.code == "ritual-overdue"), None)
    assert (f.since if f else None) == since


@pytest.mark.parametrize(
    ("as_of", "since"),
    [
        (dt.date(2026, 6, 1), None),  # the review day itself is not overdue
        (dt.date(2026, 6, 2), dt.date(2026, 6, 2)),
        (AS_OF, dt.date(2026, 6, 2)),
    ],
)
def test_sunset_review_overdue_since_the_day_after_its_date(mini_repo, as_of, since):
    found, _ = findings(
        mini_repo,
        as_of=as_of,
        **{"since: 2026-01-01}": "since: 2026-01-01, sunset_review: 2026-06-01}"},
    )
    f = found.get("sunset-review-overdue")
    assert (f.since if f else None) == since


def test_findings_about_the_text_have_no_start_outside_git(mini_repo):
    """Not a git repository: a missing contract or owner has no known start (and no error)."""
    found, _ = findings(
        mini_repo,
        as_of=dt.date(2027, 2, 1),
        **{
            "    contract: https://example.com/contract\n": "",
            "incident_owner: {name: Ivan Incident}\n": "",
        },
    )
    assert found["data-contract-missing"].since is None
    assert found["incident-owner-missing"].since is None
    assert found["retraining-overdue"].since == dt.date(2026, 12, 31)  # from the data, always


def test_findings_name_their_subject(mini_repo):
    """The subject (not the list position) identifies a finding across versions of a charter."""
    found, _ = findings(
        mini_repo,
        **{
            "    contract: https://example.com/contract\n": "",
            "    authorisation: {record: DPIA-1}\n": "",
            "    freshness_days: 3": "    freshness_days: 3\n    thresholds: {warn: 0.7, breach: 0.6}",
        },
    )
    assert found["data-contract-missing"].subject == "Events"
    assert found["authorisation-missing"].subject == "Events"
    assert found["threshold-loosened"].subject == "recall"


def test_charter_conditions_are_the_text_findings_with_what_their_rule_read(mini_repo):
    """The same rules without a date: every finding but the date-based ones, each with the
    top-level charter fields its rule read (what decides whether an old version must be read)."""
    policy = MINI_POLICY + "max_retraining_interval_days: 60\n"
    text = (
        MINI_CHARTER.format(id="m1", name="x")
        .replace("incident_owner: {name: Ivan Incident}\n", "")
        .replace("    authorisation: {record: DPIA-1}\n", "")
        .replace("cadence_days: 90", "cadence_days: 120")
    )
    root = mini_repo(charters={"m1": text}, policy=policy)
    repo = load_repository(WorkingTree(root))
    model = repo.models[0]
    resolved, _ = check_kpi_inputs(model, repo.policy)
    as_of = dt.date(2027, 6, 1)  # retraining overdue too: a date-based finding
    found = evaluate_compliance(model, resolved, repo.policy, as_of)
    conditions = charter_conditions(model, resolved, repo.policy)
    assert set(conditions) == {finding_key(f) for f in found if f.code not in DATED_BY_DATA}
    assert "retraining-overdue" in {f.code for f in found}
    assert conditions == {
        ("incident-owner-missing", ""): {"lifecycle", "incident_owner"},
        ("authorisation-missing", "Events"): {"data_sources"},
        ("retraining-cadence-too-long", ""): {"lifecycle", "retraining"},
    }


# --- the lifecycle's stage history --------------------------------------------------------------


def lifecycle(history: str, stage: str = "production", since: str = "2026-01-01") -> dict:
    return {
        "lifecycle: {stage: production, since: 2026-01-01}": (
            f"lifecycle: {{stage: {stage}, since: {since}, history: [{history}]}}"
        )
    }


def test_a_coherent_stage_history_has_no_finding(mini_repo):
    found, _ = findings(
        mini_repo,
        **lifecycle("{stage: prototype, date: 2025-01-01}, {stage: pilot, date: 2025-06-01}"),
    )
    assert "stage-history-incoherent" not in found


def test_same_day_moves_and_a_restated_current_stage_are_coherent(mini_repo):
    found, _ = findings(
        mini_repo,
        **lifecycle("{stage: pilot, date: 2026-01-01}, {stage: production, date: 2026-01-01}"),
    )
    assert "stage-history-incoherent" not in found


def test_a_stage_dated_before_the_one_it_follows_is_a_finding(mini_repo):
    found, model = findings(
        mini_repo,
        **lifecycle(
            "{stage: pilot, date: 2025-01-01}, {stage: production, date: 2025-06-01}, "
            "{stage: deprecated, date: 2025-09-01}",
            stage="sunset",
            since="2025-03-01",
        ),
    )
    f = found["stage-history-incoherent"]
    assert f.level is Level.BREACH
    assert f.message == (
        "the lifecycle enters sunset on 2025-03-01, before it entered deprecated on 2025-09-01; "
        "list the stages in the order they were entered, with their dates"
    )
    assert f.field == "lifecycle.since"
    assert model.status is Level.BREACH


@pytest.mark.parametrize(
    ("history", "stage", "move"),
    [
        ("{stage: prototype, date: 2025-01-01}", "production", "prototype to production"),
        ("{stage: sunset, date: 2025-01-01}", "pilot", "sunset to pilot"),
        ("{stage: pilot, date: 2025-01-01}", "deprecated", "pilot to deprecated"),
        ("{stage: production, date: 2025-01-01}, {stage: production, date: 2025-06-01}",
         "deprecated", "production to production"),
    ],
)  # fmt: skip
def test_a_move_the_lifecycle_does_not_allow_is_a_finding(mini_repo, history, stage, move):
    found, _ = findings(mini_repo, **lifecycle(history, stage=stage))
    assert f"moves from {move}, which is not an allowed move" in (
        found["stage-history-incoherent"].message
    )


@pytest.mark.parametrize(
    ("history", "stage"),
    [
        ("{stage: prototype, date: 2025-01-01}", "sunset"),  # abandoned before production
        ("{stage: production, date: 2025-01-01}", "pilot"),  # rolled back
        ("{stage: deprecated, date: 2025-01-01}", "production"),  # reinstated
        ("{stage: production, date: 2025-01-01}", "deprecated"),
    ],
)
def test_allowed_moves_include_rollbacks_and_early_sunset(mini_repo, history, stage):
    found, _ = findings(mini_repo, **lifecycle(history, stage=stage))
    assert "stage-history-incoherent" not in found
