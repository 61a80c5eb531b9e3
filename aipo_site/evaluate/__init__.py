"""Evaluation: pure functions from loaded inputs and an evaluation date to typed results."""

from __future__ import annotations

import datetime as dt

from ..errors import InputError, InputErrors
from ..load.repository import ModelInputs, Repository
from ..model.policy import Policy
from ..model.results import ModelResult, Portfolio
from .compliance import evaluate_compliance
from .drift import drift_problems, evaluate_drift
from .kpis import check_kpi_inputs, evaluate_kpi, overall_series
from .segments import evaluate_segments
from .status import active_escalation, answer, model_status

__all__ = ["evaluate_model", "evaluate_repository"]


def evaluate_model(
    model: ModelInputs, policy: Policy, as_of: dt.date, metrics_folder: str = "metrics"
) -> ModelResult:
    """Evaluate one model: KPIs, baseline drop, compliance, status, escalation, answer."""
    resolved, errors = check_kpi_inputs(model, policy)
    InputErrors.raise_if_any(errors)
    series = overall_series(model.metrics)
    folder = f"{metrics_folder}/{model.id}"
    kpis = [evaluate_kpi(r, series.get(r.kpi.metric), as_of, folder) for r in resolved]
    findings = evaluate_compliance(model, resolved, policy, as_of)
    segments = evaluate_segments(
        model.charter.segments, {r.kpi.metric: r for r in resolved}, model.metrics, as_of
    )
    extra_levels = [(s.level, None) for s in segments]
    extra_text = [(s.level, f"{s.name} by segment: {s.message}") for s in segments]
    drift = None
    if model.charter.drift is not None and model.drift is not None:
        drift = evaluate_drift(model.charter.drift, model.drift, policy.drift, as_of, kpis)
        extra_levels.append((drift.level, None))
        extra_text += drift_problems(drift)
    status, since = model_status(kpis, findings, extra_levels)
    escalation = active_escalation(model.charter, status, since, as_of)
    retraining = model.charter.retraining
    due = (
        retraining.last_retrained + dt.timedelta(days=retraining.cadence_days)
        if retraining and retraining.last_retrained
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
        answer=answer(model.charter, status, kpis, findings, as_of, extra_text),
        retraining_due=due,
        segments=segments,
        drift=drift,
    )


def evaluate_repository(repo: Repository, as_of: dt.date) -> Portfolio:
    """Evaluate every model of a loaded repository on the same date.

    Input conflicts that only show once the policy is applied (a KPI without a direction, thresholds
    in the wrong order) are collected across all models and raised together.
    """
    results, errors = [], []
    for model in repo.models:
        try:
            results.append(evaluate_model(model, repo.policy, as_of, repo.layout.metrics))
        except InputErrors as e:
            errors.extend(e.errors)
        except InputError as e:
            errors.append(e)
    InputErrors.raise_if_any(errors)
    return Portfolio(as_of=as_of, models=results)
