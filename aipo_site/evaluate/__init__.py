"""Evaluation: pure functions from loaded inputs and an evaluation date to typed results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from ..errors import InputError, InputErrors
from ..model.inputs import CharterHistory, ModelInputs, Repository
from ..model.policy import Policy
from ..model.regulation import Crosswalk
from ..model.results import ModelResult, Portfolio, sort_findings
from ..parallel import fork_map
from .compliance import evaluate_compliance
from .decisions import evaluate_decisions
from .drift import evaluate_drift
from .incidents import escalation_deadline, evaluate_incidents
from .kpis import check_kpi_inputs, evaluate_kpi, overall_series
from .onsets import date_findings
from .people import evaluate_people
from .regulation import evaluate_coverage, regulation_findings, regulation_scope
from .reviews import ritual_reviews
from .risks import check_risk_inputs, evaluate_risks
from .segments import evaluate_segments
from .status import (
    active_escalation,
    model_calendar,
    model_status,
    model_timeline,
    status_since,
)
from .threshold_history import threshold_changes
from .verdict import governance_verdict, judges_performance, performance_verdict

__all__ = ["PARALLEL_MIN", "evaluate_model", "evaluate_repository"]

# Fewer models than this are evaluated in this process: a model takes ~1.5 ms to evaluate and
# ~0.5 ms to send back from a worker (its result without the charter, which this process has),
# forking ~0.1 s.
PARALLEL_MIN = 200


def evaluate_model(
    model: ModelInputs,
    policy: Policy,
    as_of: dt.date,
    metrics_folder: str = "metrics",
    history: CharterHistory | None = None,
    crosswalk: Crosswalk | None = None,
) -> ModelResult:
    """Evaluate one model: KPIs, baseline drop, compliance, status, escalation, and the answers
    to "performing as intended?" and "governed as required?".

    ``history`` (the charters' git log, for a working tree) dates the compliance findings about
    the charter's text; without it their start is unknown.
    """
    resolved, errors = check_kpi_inputs(model, policy)
    errors += check_risk_inputs(model, policy)
    InputErrors.raise_if_any(errors)
    reviews = ritual_reviews(model.charter, model.reviews, as_of)
    findings = evaluate_compliance(model, resolved, policy, as_of, reviews)
    findings = date_findings(findings, model, policy, as_of, history)
    decisions, decided = evaluate_decisions(model, policy, as_of)
    if decided:
        findings = sort_findings([*findings, *decided])
    incidents, opened = evaluate_incidents(model, as_of)
    if opened:
        findings = sort_findings([*findings, *opened])
    scope = None
    if crosswalk is not None:
        scope = regulation_scope(model, policy, crosswalk)
        regulated = regulation_findings(model, policy, crosswalk, as_of, scope)
        if regulated:
            findings = sort_findings([*findings, *regulated])
    calendar = model_calendar(model.metrics, as_of, findings)
    series = overall_series(model.metrics)
    folder = f"{metrics_folder}/{model.id}"
    kpis = [evaluate_kpi(r, series.get(r.kpi.metric), as_of, folder, calendar) for r in resolved]
    changes = threshold_changes(model, policy, as_of, history)
    if changes:
        kpis = [replace(k, threshold_changes=changes.get(k.metric, ())) for k in kpis]
    segments = evaluate_segments(
        model.charter.segments, {r.kpi.metric: r for r in resolved}, model.metrics, as_of, calendar
    )
    drift = None
    if model.charter.drift is not None and model.drift is not None:
        drift = evaluate_drift(model.charter.drift, model.drift, policy.drift, as_of, kpis)
    risks, risky = evaluate_risks(model, policy, kpis, segments, drift, decisions)
    if risky:
        findings = sort_findings([*findings, *risky])
    # A stage whose performance the policy does not judge (sunset by default): its KPIs, fairness
    # checks and drift are still shown, but only its compliance findings set its status.
    judged = judges_performance(policy, model.charter.lifecycle.stage)
    counted = (kpis, segments, drift) if judged else ([], [], None)
    status = model_status(counted[0], findings, counted[1], counted[2])
    timeline = model_timeline(calendar, status, *counted, findings)
    since = status_since(timeline, status, findings)
    escalation = active_escalation(model.charter, status, timeline)
    # Past its deadline without an acknowledged incident: a finding, and the next level.
    escalation, missed = escalation_deadline(model, escalation, incidents, as_of, since)
    if missed:
        findings = sort_findings([*findings, *missed])
        status = model_status(counted[0], findings, counted[1], counted[2])
        timeline = model_timeline(calendar, status, *counted, findings)
        since = status_since(timeline, status, findings)
    retraining = model.charter.retraining
    due = (
        retraining.last_retrained + dt.timedelta(days=retraining.cadence_days)
        if retraining and retraining.last_retrained
        else None
    )
    coverage = (
        evaluate_coverage(model, policy, crosswalk, as_of, findings, kpis, segments, drift, scope)
        if crosswalk is not None and scope is not None
        else None
    )
    return ModelResult(
        charter=model.charter,
        path=model.path,
        as_of=as_of,
        status=status,
        since=since,
        kpis=kpis,
        findings=findings,
        escalation=escalation,
        retraining_due=due,
        segments=segments,
        drift=drift,
        timeline=timeline,
        performance=performance_verdict(model.charter, policy, kpis, segments, drift, as_of),
        governance=governance_verdict(model.charter, findings, kpis),
        reviews=reviews,
        decisions=decisions,
        risks=risks,
        incidents=incidents,
        coverage=coverage,
    )


def evaluate_repository(
    repo: Repository,
    as_of: dt.date,
    history: CharterHistory | None = None,
    known: Mapping[str, ModelResult] | None = None,
    *,
    jobs: int = 1,
) -> Portfolio:
    """Evaluate every model of a loaded repository on the same date.

    ``history``: the charters' git log (:func:`~aipo_site.load.git.charter_log`), so compliance
    findings say since when they hold; None outside git (their start is then unknown).

    Input conflicts that only show once the policy is applied (a KPI without a direction, thresholds
    in the wrong order) are collected across all models and raised together.

    ``known``: results already known for some models, by charter path (the build cache's, whose
    key covers every input of the model's evaluation); they are used as they are.

    ``jobs``: processes evaluating the models (forked, from :data:`PARALLEL_MIN` models to
    evaluate); the results and the errors are the same, in the same order, with any number.
    """
    todo = [m for m in repo.models if known is None or m.path not in known]

    def evaluate(i: int) -> ModelResult | list[InputError]:
        model = todo[i]
        try:
            result = evaluate_model(
                model, repo.policy, as_of, repo.layout.metrics, history, repo.crosswalk
            )
        except InputErrors as e:
            return list(e.errors)
        except InputError as e:
            return [e]
        # The caller has the charter: a worker does not send it back.
        return replace(result, charter=None)  # type: ignore[arg-type]

    outcomes = dict(
        zip(
            (m.path for m in todo),
            fork_map(evaluate, len(todo), jobs, minimum=PARALLEL_MIN),
            strict=True,
        )
    )
    results, errors = [], []
    for model in repo.models:
        outcome = outcomes.get(model.path)
        if outcome is None:
            assert known is not None
            results.append(known[model.path])
        elif isinstance(outcome, list):
            errors.extend(outcome)
        else:
            results.append(replace(outcome, charter=model.charter))
    InputErrors.raise_if_any(errors)
    return Portfolio(
        as_of=as_of, models=results, people=evaluate_people(repo.people, results, repo.policy)
    )
