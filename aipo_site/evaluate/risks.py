"""The live risk register: each charter risk rated by the check that measures it, against the
policy's risk appetite.

A risk's **measuring check** is its ``measured_by`` (a KPI, a fairness check, a drift feature or
the dataset drift share of the same charter), else the policy's ``risk_defaults`` measure for its
technical kind when the charter has that check. The risk's status is that check's status, and its
**current rating** follows from it:

- OK, or no measuring check: the residual rating (the inherent one when no ``residual`` is given);
- WARN: the inherent rating (the mitigation is not holding);
- BREACH: likelihood 5 (the risk is happening) with the inherent impact;
- a check that cannot tell yet (NO DATA, STALE, NO THRESHOLDS): the residual rating, and the
  page says the check cannot tell.

Finding (the others about risks, ``risk-review-overdue`` and ``onboarding-open``, follow from the
charter's dates alone and are compliance rules):

- ``risk-over-appetite`` (BREACH): a risk that is not closed whose current score (likelihood ×
  impact) is above the policy's ``risk_appetite`` for the model's stage, and whose latest
  risk-acceptance decision record (matched by title, case-insensitively) is not valid. A record
  whose only problem is evidence git cannot give here (no history, a shallow clone: its own
  ``decision-evidence`` WARN) still covers the risk; a hash that differs does not. A risk whose
  status says ``accepted`` without such a record still counts. Its start is unknown.

Inputs that cannot be evaluated are errors at their line (:func:`check_risk_inputs`): a
``measured_by`` naming a KPI, fairness check or drift feature the charter does not have, and a
risk without ``business`` text whose kind has no business template in the policy.
"""

from __future__ import annotations

import datetime as dt
import difflib
import string
from dataclasses import dataclass

from ..errors import InputError, snippet
from ..fmt import fmt_value
from ..model.charter import Charter, MeasuredBy, Rating, Risk
from ..model.decisions import DecisionKind, DecisionOutcome
from ..model.inputs import ModelInputs
from ..model.policy import Policy
from ..model.results import (
    DecisionResult,
    DriftResult,
    Finding,
    KpiResult,
    Level,
    RiskResult,
    SegmentResult,
    Status,
)

__all__ = ["check_risk_inputs", "current_rating", "evaluate_risks", "risk_measure"]

_TOLD = (Status.OK, Status.WARN, Status.BREACH)


def _hint(value: str, choices: list[str], what: str) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {snippet(close[0])}?"
    return f" (its {what}: {', '.join(choices)})" if choices else f" (it has no {what})"


def check_risk_inputs(model: ModelInputs, policy: Policy) -> list[InputError]:
    """One error per risk that cannot be evaluated (see the module docstring)."""
    c = model.charter
    errors = []
    for i, r in enumerate(c.risks):
        m = r.measured_by
        loc = ("risks", i, "measured_by")
        if m is not None:
            problem = _missing_check(c, m)
            if problem is not None:
                key, message = problem
                errors.append(model.document.error((*loc, key), message))
        if r.business is None:
            default = policy.risk_defaults.get(r.kind.value)  # type: ignore[call-overload]
            if default is None or default.business is None:
                errors.append(
                    model.document.error(
                        ("risks", i),
                        f"business: required: the policy's risk_defaults has no business "
                        f"template for kind {r.kind.value}",
                    )
                )
    return errors


def _missing_check(c: Charter, m: MeasuredBy) -> tuple[str, str] | None:
    """(field, message) when the charter has no such check; None when it has."""
    if m.kpi is not None:
        metrics = [k.metric for k in c.kpis]
        if m.kpi not in metrics:
            return "kpi", f"{snippet(m.kpi)} is not a KPI of {c.id}{_hint(m.kpi, metrics, 'KPIs')}"
    elif m.segment is not None:
        metrics = [s.metric for s in c.segments]
        if m.segment not in metrics:
            hint = _hint(m.segment, metrics, "fairness checks")
            return (
                "segment",
                f"{snippet(m.segment)} is not a fairness check (segments) of {c.id}{hint}",
            )
    elif m.drift_feature is not None:
        if c.drift is None:
            return "drift_feature", f"{c.id} has no drift section, so no drift feature"
        names = [f.name for f in c.drift.features]
        if m.drift_feature not in names:
            hint = _hint(m.drift_feature, names, "drift features")
            return (
                "drift_feature",
                f"{snippet(m.drift_feature)} is not a drift feature of {c.id}{hint}",
            )
    elif c.drift is None:
        return "drift_share", f"{c.id} has no drift section, so no dataset drift share"
    return None


def risk_measure(c: Charter, r: Risk, policy: Policy) -> tuple[MeasuredBy | None, str | None]:
    """The risk's measuring check and where it comes from: the charter's ``measured_by``, else
    the policy's default for its kind when the charter has that check, else none."""
    if r.measured_by is not None:
        return r.measured_by, "charter"
    default = policy.risk_defaults.get(r.kind.value)  # type: ignore[call-overload]
    if default is None or default.measured_by is None:
        return None, None
    if _missing_check(c, default.measured_by) is not None:
        return None, None
    return default.measured_by, "policy"


def current_rating(risk: Risk, status: Status | None) -> tuple[Rating, Rating, str]:
    """(residual rating, current rating, why) for a measuring check's status (None: no check)."""
    inherent = risk.inherent
    residual = risk.residual or inherent
    which = "the residual rating" if risk.residual else "the inherent rating (no residual given)"
    if status is None:
        return residual, residual, f"no measuring check: {which}"
    if status is Status.OK:
        return residual, residual, f"its check is OK: {which}"
    if status is Status.WARN:
        return residual, inherent, "its check is WARN: the inherent rating"
    if status is Status.BREACH:
        current = Rating(likelihood=5, impact=inherent.impact)
        return residual, current, "its check is BREACH: likelihood 5 with the inherent impact"
    return residual, residual, f"its check cannot tell yet ({status.value}): {which}"


@dataclass(frozen=True)
class _Check:
    """A measuring check now: its label on the page, its name in a business template, its
    status, what it reads, and its warn and breach levels as text (None: not set)."""

    label: str
    name: str
    status: Status
    reading: str
    warn: str | None
    breach: str | None


def _find_check(
    m: MeasuredBy,
    kpis: list[KpiResult],
    segments: list[SegmentResult],
    drift: DriftResult | None,
) -> _Check:
    if m.kpi is not None:
        k = next(k for k in kpis if k.metric == m.kpi)
        t = k.thresholds
        return _Check(
            f"KPI {k.name}",
            k.name,
            k.status,
            k.message,
            fmt_value(t.warn, k.unit) if t else None,
            fmt_value(t.breach, k.unit) if t else None,
        )
    if m.segment is not None:
        s = next(s for s in segments if s.check.metric == m.segment)
        t = s.check.tiers
        return _Check(
            f"fairness gap in {s.name}",
            f"the gap in {s.name}",
            s.status,
            s.message,
            fmt_value(t.warn),
            fmt_value(t.breach),
        )
    label = f"drift of {m.drift_feature}" if m.drift_feature else "dataset drift share"
    if drift is None:
        name = m.drift_feature or "the dataset drift share"
        return _Check(label, name, Status.NO_DATA, "drift could not be evaluated", None, None)
    if m.drift_feature is not None:
        f = next((f for f in drift.features if f.name == m.drift_feature), None)
        if f is None:
            return _Check(label, m.drift_feature, Status.NO_DATA, "not measured", None, None)
        t = f.tiers
        return _Check(
            label,
            f.name,
            f.status,
            f.reading,
            fmt_value(t.warn) if t else None,
            fmt_value(t.breach) if t else None,
        )
    t = drift.share_tiers
    reading = drift.summary or (
        f"{fmt_value(drift.share)} of the inputs drifted" if drift.share is not None else ""
    )
    return _Check(
        label,
        "the dataset drift share",
        drift.share_status,
        reading,
        fmt_value(t.warn),
        fmt_value(t.breach),
    )


def _business(c: Charter, r: Risk, policy: Policy, check: _Check | None) -> tuple[str, str]:
    if r.business is not None:
        return r.business, "charter"
    default = policy.risk_defaults[r.kind.value]  # type: ignore[index]
    assert default.business is not None  # check_risk_inputs
    values = {
        "model": c.name,
        "title": r.title,
        "kpi": check.name if check else "not measured",
        "warn": (check.warn or "not set") if check else "not measured",
        "breach": (check.breach or "not set") if check else "not measured",
    }
    return string.Formatter().vformat(default.business, (), values), "policy"


def _acceptance(title: str, decisions: list[DecisionResult]) -> str | None:
    """The path of the latest risk-acceptance record for the risk when it is valid."""
    latest = None
    for d in decisions:
        r = d.record
        if r.kind == DecisionKind.risk_acceptance and (r.risk or "").casefold() == title.casefold():
            latest = d
    if latest is None or latest.record.outcome != DecisionOutcome.approved:
        return None
    # Valid, or valid but for evidence git cannot give here (no history, a shallow clone): that
    # is WARN, as for any decision, and reported by its decision-evidence finding.
    unreadable = latest.level <= Level.WARN and all(
        code == "decision-evidence" for code, _ in latest.problems
    )
    return latest.path if latest.state == "valid" or unreadable else None


def evaluate_risks(
    model: ModelInputs,
    policy: Policy,
    kpis: list[KpiResult],
    segments: list[SegmentResult],
    drift: DriftResult | None,
    decisions: list[DecisionResult],
) -> tuple[list[RiskResult], list[Finding]]:
    """Every risk of the charter, evaluated, and the ``risk-over-appetite`` findings."""
    c = model.charter
    stage = c.lifecycle.stage
    appetite = policy.risk_appetite.get(stage)
    results, findings = [], []
    for i, r in enumerate(c.risks):
        measure, source = risk_measure(c, r, policy)
        check = _find_check(measure, kpis, segments, drift) if measure is not None else None
        status = check.status if check is not None else None
        residual, current, basis = current_rating(r, status)
        business, business_source = _business(c, r, policy, check)
        due = None
        if policy.risk_review_days is not None:
            due = (r.last_reviewed or c.lifecycle.since) + dt.timedelta(
                days=policy.risk_review_days
            )
        result = RiskResult(
            number=i + 1,
            risk=r,
            business=business,
            business_source=business_source,
            measured_by=measure,
            measure_source=source,
            check=check.label if check is not None else None,
            check_status=status,
            check_reading=check.reading if check is not None else "",
            inherent=r.inherent,
            residual=residual,
            current=current,
            basis=basis,
            appetite=appetite,
            accepted_by=_acceptance(r.title, decisions),
            review_due=due,
        )
        results.append(result)
        if result.carried and result.over_appetite and result.accepted_by is None:
            claimed = (
                "; its status says accepted, but no valid risk-acceptance decision record covers it"
                if r.status.value == "accepted"
                else ", and no valid risk-acceptance decision record covers it"
            )
            loc = ("risks", i)
            findings.append(
                Finding(
                    "risk-over-appetite",
                    Level.BREACH,
                    f"risk '{r.title}' scores {current.score} now (likelihood "
                    f"{current.likelihood} × impact {current.impact}: {basis}), above the "
                    f"{stage.value} risk appetite of {appetite}{claimed}",
                    "risks",
                    f"risks[{i}]",
                    model.document.position(loc)[0],
                    None,
                    r.title.casefold(),
                )
            )
    return results, findings
