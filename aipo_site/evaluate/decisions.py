"""Decision records against the charter and the policy: what each stage needs, who may decide,
and whether each decision still holds.

A decision holds while it is approved, authorised, unexpired, backed by verifiable evidence, and
not **stale**: nothing it approved has changed since in a way that matters. Stale means, between
the charter at the evidence commit and today's (thresholds enforced with today's policy):

- a KPI's warn or breach threshold loosened;
- a data source added with data categories, or one extended to new categories or regions;
- the release (``release.version`` or ``release.artifact``) changed.

Findings, each naming the record file:

- ``decision-missing`` (BREACH): the model is in a stage the policy needs a decision for, and no
  approved decision for that stage is recorded (dated on or before the evaluation date);
- ``decision-late`` (WARN): the stage was entered before its first approved decision;
- ``decision-unauthorised``, ``decision-expired``, ``decision-evidence``, ``decision-stale``:
  the decision that counts is not valid. For the decision of the current stage: BREACH, but
  WARN for a stale decision (it needs renewing) and for evidence that cannot be read (no git
  history, a shallow clone); evidence whose hash differs is BREACH. For a risk acceptance or a
  policy exception (the latest record for each risk or finding): WARN.
"""

from __future__ import annotations

import datetime as dt

from ..fmt import fmt_date, fmt_value
from ..model.charter import Charter, Direction, Stage
from ..model.decisions import DecisionInput, DecisionKind, DecisionOutcome
from ..model.inputs import ModelInputs
from ..model.policy import DecisionRule, Policy
from ..model.results import DecisionResult, Finding, Level

__all__ = ["DECISION_CODES", "evaluate_decisions", "stale_reasons"]

DECISION_CODES = frozenset(
    {
        "decision-missing",
        "decision-late",
        "decision-unauthorised",
        "decision-expired",
        "decision-stale",
        "decision-evidence",
    }
)
DAY = dt.timedelta(days=1)


def evaluate_decisions(
    model: ModelInputs, policy: Policy, as_of: dt.date
) -> tuple[list[DecisionResult], list[Finding]]:
    """Every record of the model as it stands on ``as_of``, and the findings."""
    c = model.charter
    records = [d for d in model.decisions if d.record.date <= as_of]
    results = [_result(d, c, policy, as_of) for d in records]
    by_record = {r.path: r for r in results}
    findings: list[Finding] = []

    def add(code: str, level: Level, message: str, loc: tuple, since: dt.date | None = None):
        line = model.document.position(loc)[0]
        field = ".".join(str(p) for p in loc)
        findings.append(
            Finding(code, level, message, "decisions", field, line, since, subject=message)
        )

    stage = c.lifecycle.stage
    rule = _rule(policy, DecisionKind.stage_transition, stage)
    if rule is not None:
        loc = ("lifecycle", "stage")
        approved = [
            d
            for d in records
            if d.record.kind == DecisionKind.stage_transition
            and d.record.stage == stage
            and d.record.outcome == DecisionOutcome.approved
        ]
        if not approved:
            add(
                "decision-missing",
                Level.BREACH,
                f"the model is in {stage.value} without a recorded decision to enter it (the "
                f"policy needs one, taken by the accountable for '{rule.decision_right}')",
                loc,
            )
        else:
            current = approved[-1]
            r = by_record[current.path]
            for code, text in r.problems:
                level = _level(code, current)
                add(code, level, f"{current.path}: {text}", loc, _since(code, current))
            first = approved[0]  # a later record renews it: only the first can be late
            if first.record.date > c.lifecycle.since:
                add(
                    "decision-late",
                    Level.WARN,
                    f"{first.path}: the model entered {stage.value} on "
                    f"{fmt_date(c.lifecycle.since)}, before the first decision to enter it, of "
                    f"{fmt_date(first.record.date)}",
                    loc,
                    since=c.lifecycle.since,
                )
    latest: dict[tuple[str, str], DecisionInput] = {}
    for d in records:
        if d.record.kind == DecisionKind.risk_acceptance and d.record.risk:
            latest[("risk", d.record.risk.casefold())] = d
        elif d.record.kind == DecisionKind.policy_exception and d.record.finding:
            latest[("finding", d.record.finding)] = d
    for (what, subject), d in sorted(latest.items()):
        if d.record.outcome != DecisionOutcome.approved:
            continue
        loc = _risk_loc(c, subject) if what == "risk" else ("decision_rights",)
        for code, text in by_record[d.path].problems:
            add(code, Level.WARN, f"{d.path}: {text}", loc, _since(code, d))
    return results, findings


def _level(code: str, d: DecisionInput) -> Level:
    """A problem's level for the decision of the current stage (the module docstring)."""
    if code == "decision-stale":
        return Level.WARN
    if code == "decision-evidence" and not d.evidence_mismatch:
        return Level.WARN
    return Level.BREACH


def _since(code: str, d: DecisionInput) -> dt.date | None:
    if code == "decision-expired" and d.record.expires is not None:
        return d.record.expires + DAY
    return None


def _risk_loc(c: Charter, title: str) -> tuple:
    for i, r in enumerate(c.risks):
        if r.title.casefold() == title:
            return ("risks", i)
    return ("risks",)


def _rule(policy: Policy, kind: DecisionKind, stage: Stage | None = None) -> DecisionRule | None:
    return next(
        (r for r in policy.decisions if r.kind == kind and (stage is None or r.stage == stage)),
        None,
    )


def _result(d: DecisionInput, current: Charter, policy: Policy, as_of: dt.date) -> DecisionResult:
    record = d.record
    problems: list[tuple[str, str]] = []
    rule = _rule(policy, record.kind, record.stage)
    rights_from = d.approved or current
    accountable = None
    if rule is not None:
        right = next(
            (
                r
                for r in rights_from.decision_rights
                if r.decision.casefold() == rule.decision_right.casefold()
            ),
            None,
        )
        if right is None:
            problems.append(
                (
                    "decision-unauthorised",
                    f"the charter names nobody accountable for '{rule.decision_right}', who "
                    "alone may take this decision",
                )
            )
        else:
            accountable = right.accountable
            if right.accountable.casefold() != record.decided_by.casefold():
                problems.append(
                    (
                        "decision-unauthorised",
                        f"decided by {record.decided_by}, but only the accountable for "
                        f"'{right.decision}' ({right.accountable}) may take it",
                    )
                )
    if record.expires is not None and record.expires < as_of:
        problems.append(("decision-expired", f"expired on {fmt_date(record.expires)}"))
    if d.evidence_problem is not None:
        problems.append(
            ("decision-evidence", f"its evidence cannot be checked: {d.evidence_problem}")
        )
    reasons: tuple[str, ...] = ()
    if d.approved is not None:
        reasons = tuple(stale_reasons(d.approved, current, policy))
        if reasons:
            problems.append(
                (
                    "decision-stale",
                    "what it approved has changed since: " + "; ".join(reasons),
                )
            )
    if record.outcome == DecisionOutcome.rejected:
        state, level = "rejected", Level.OK
    elif problems:
        worst = max(problems, key=lambda p: _level(p[0], d))
        state, level = worst[0].removeprefix("decision-"), _level(worst[0], d)
    else:
        state, level = "valid", Level.OK
    return DecisionResult(
        id=d.id,
        path=d.path,
        record=record,
        state=state,
        level=level,
        problems=tuple(problems),
        stale=reasons,
        decision_right=rule.decision_right if rule else None,
        accountable=accountable,
    )


def _enforced(c: Charter, policy: Policy) -> dict[str, tuple[Direction | None, float, float]]:
    out = {}
    for k in c.kpis:
        default = policy.metrics.get(k.metric)
        direction = k.direction or (default.direction if default else None)
        if k.thresholds is not None:
            out[k.metric] = (direction, k.thresholds.warn, k.thresholds.breach)
        elif default is not None and default.warn is not None and default.breach is not None:
            out[k.metric] = (direction, default.warn, default.breach)
    return out


def stale_reasons(approved: Charter, current: Charter, policy: Policy) -> list[str]:
    """What changed since ``approved`` that makes a decision on it stale (module docstring)."""
    reasons = []
    before, after = _enforced(approved, policy), _enforced(current, policy)
    for metric, (direction, warn, breach) in after.items():
        if metric not in before or direction is None:
            continue
        _, warn0, breach0 = before[metric]
        higher = direction == Direction.higher_is_better
        looser = [
            f"{tier} {fmt_value(a)} → {fmt_value(b)}"
            for tier, a, b in (("warn", warn0, warn), ("breach", breach0, breach))
            if (b < a if higher else b > a)
        ]
        if looser:
            name = next((k.name for k in current.kpis if k.metric == metric and k.name), metric)
            reasons.append(f"the thresholds of {name} were loosened ({', '.join(looser)})")
    sources = {s.name: s for s in approved.data_sources}
    for s in current.data_sources:
        old = sources.get(s.name)
        if old is None:
            if s.categories:
                reasons.append(
                    f"data source '{s.name}' was added ({', '.join(s.categories)} data in "
                    f"{', '.join(s.regions) or 'no region'})"
                )
            continue
        new = [c for c in s.categories if c not in old.categories]
        new += [r for r in s.regions if r not in old.regions]
        if new:
            reasons.append(f"data source '{s.name}' was extended to {', '.join(new)}")
    a, b = approved.release, current.release
    if (a.version if a else None, a.artifact if a else None) != (
        b.version if b else None,
        b.artifact if b else None,
    ) and a is not None:
        now = f"{b.version}" if b else "none"
        reasons.append(f"the release changed ({a.version} → {now})")
    return reasons
