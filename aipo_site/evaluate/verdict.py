"""The answers to "Is this model performing as intended?" and "Is this model governed as
required?", each with one sentence for an executive.

**Performance** (:func:`performance_verdict`) is judged from the structured results of the KPIs,
the fairness checks (segment gaps) and the data drift, never from their technical messages: the
sentence names KPIs by name, rounds numbers and gives their units, and leaves method names and
p-values to the detail tables. A KPI is *monitored* when it can be judged: it has warn/breach
thresholds (its own or the policy's), or an original baseline and a direction. The rules, first
match wins:

1. **not judged**: the model's lifecycle stage is not one of the policy's ``performance_stages``
   (by default only a sunset model);
2. **no**: a monitored KPI (by threshold or by baseline drop), a fairness check or the data drift
   is at BREACH;
3. **cannot judge**: no KPI is monitored (the model has no KPI, or none has thresholds or a
   baseline), or every monitored KPI is STALE or has NO DATA;
4. **at risk**: anything is at WARN, or something cannot be told: a monitored KPI or a fairness
   check that is STALE or has NO DATA, inputs whose drift cannot be measured;
5. **yes**: every monitored KPI is within its thresholds and baseline tolerance on fresh data,
   every fairness check is within tolerance and the inputs have not drifted beyond it.

A KPI that is not monitored does not count: the sentence says it is not judged, and its missing
thresholds are a compliance finding. A deprecated model's sentence starts with "Deprecated
since …".

**Governance** (:func:`governance_verdict`) is judged from the compliance findings, which already
apply the policy's rules for the model's stage: **no** with a finding at BREACH, **gaps** with
findings at WARN only, **yes** without findings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..fmt import fmt_date, fmt_pct, fmt_round
from ..model.charter import Charter, Direction, Stage
from ..model.policy import Policy
from ..model.results import DriftResult, Finding, KpiResult, Level, SegmentResult, Status
from ..model.verdict import Answer, Question, Verdict

__all__ = ["governance_verdict", "is_monitored", "judges_performance", "performance_verdict"]

# At most this many problems are spelled out in a sentence; the rest are counted.
SHOWN = 3

_UNKNOWN = (Status.STALE, Status.NO_DATA)
_PROBLEM = (Status.WARN, Status.BREACH)


def judges_performance(policy: Policy, stage: Stage) -> bool:
    """Whether the policy judges the performance of models in ``stage``."""
    return stage in policy.performance_stages


def is_monitored(k: KpiResult) -> bool:
    """Whether a KPI can be judged: it has thresholds, or a baseline and a direction."""
    return k.thresholds is not None or (k.baseline is not None and k.direction is not None)


# --- performance ----------------------------------------------------------------------------------


def performance_verdict(
    charter: Charter,
    policy: Policy,
    kpis: Sequence[KpiResult],
    segments: Sequence[SegmentResult],
    drift: DriftResult | None,
    as_of: dt.date,
) -> Verdict:
    """The answer to "Is this model performing as intended?" (rules in the module docstring)."""
    stage = charter.lifecycle.stage
    since = fmt_date(charter.lifecycle.since)
    if not judges_performance(policy, stage):
        if stage is Stage.sunset:
            text = f"Retired (sunset since {since}): its performance is no longer judged."
        else:
            text = (
                f"{stage.value.capitalize()} since {since}: the policy does not judge the "
                f"performance of {stage.value} models."
            )
        return _verdict(Answer.not_judged, text)

    monitored = [k for k in kpis if is_monitored(k)]
    unmonitored = [k for k in kpis if not is_monitored(k)]
    breaches: list[str] = []
    warnings: list[str] = []
    unknown: list[str] = []

    blind = [k for k in monitored if k.status in _UNKNOWN]
    if blind:
        unknown.append(_cannot_tell(blind, as_of))
    for k in monitored:
        if k.status in _UNKNOWN:
            continue
        if k.level is Level.BREACH:
            breaches.append(_kpi_problem(k, as_of))
        elif k.level is Level.WARN:
            warnings.append(_kpi_problem(k, as_of))
    for s in segments:
        if s.status in _UNKNOWN:
            unknown.append(_segment_unknown(s, as_of))
        elif s.level is Level.BREACH:
            breaches.append(_segment_problem(s))
        elif s.level is Level.WARN:
            warnings.append(_segment_problem(s))
    if drift is not None:
        level, text, cannot = _drift(drift)
        if text:
            (breaches if level is Level.BREACH else warnings).append(text)
        unknown += cannot

    problems = breaches + warnings + unknown
    if breaches:
        answer = Answer.no
        body = _listed(problems)
    elif not monitored or len(blind) == len(monitored):
        answer = Answer.cannot_judge
        if not kpis:
            why = "no KPI is defined, so there is nothing to judge its performance against"
        elif not monitored:
            why = (
                f"its only KPI, {_name(kpis[0])}, has no thresholds or baseline to judge it against"
                if len(kpis) == 1
                else f"none of its {len(kpis)} KPIs has thresholds or a baseline to judge it "
                "against"
            )
        else:
            why = None
        body = _listed(([why] if why else []) + warnings + unknown)
    elif problems:
        answer = Answer.at_risk
        body = _listed(problems)
    else:
        answer = Answer.yes
        body = _all_well(monitored, unmonitored, segments, drift)
    if stage is Stage.deprecated:
        return _verdict(answer, f"Deprecated since {since}: {body}.")
    return _verdict(answer, _capitalise(body) + ".")


def _verdict(answer: Answer, sentence: str, question: Question = Question.performance) -> Verdict:
    return Verdict(question, answer, sentence)


def _name(item: KpiResult | SegmentResult) -> str:
    """A KPI's name; a bare metric id (no name in the charter) reads with spaces."""
    metric = item.metric if isinstance(item, KpiResult) else item.check.metric
    return item.name.replace("_", " ") if item.name == metric else item.name


def _days_old(newest: dt.date | None, as_of: dt.date) -> str:
    if newest is None:
        return "no data has arrived yet"
    age = (as_of - newest).days
    return f"newest data is {age} day{'s' if age != 1 else ''} old"


def _kpi_unknown_reason(k: KpiResult, as_of: dt.date) -> str:
    if k.status is Status.STALE or k.newest is None:
        return _days_old(k.newest, as_of)
    return f"no data in the last {k.window_days} days"


def _cannot_tell(blind: list[KpiResult], as_of: dt.date) -> str:
    if len(blind) == 1:
        k = blind[0]
        return f"cannot tell for {_name(k)}: {_kpi_unknown_reason(k, as_of)}"
    each = [f"{_name(k)} ({_kpi_unknown_reason(k, as_of)})" for k in blind]
    return f"cannot tell for {_and(each)}"


def _kpi_problem(k: KpiResult, as_of: dt.date) -> str:
    """'Precision is 0.668, below its warn level of 0.7 and 7.2% worse than at approval (0.72),
    since 2026-10-31'."""
    unit = k.unit
    parts = []
    crossed = None
    if k.threshold_status in _PROBLEM and k.thresholds is not None:
        crossed = k.thresholds.breach if k.threshold_status is Status.BREACH else k.thresholds.warn
        side = "below" if k.direction is Direction.higher_is_better else "above"
        tier = "breach" if k.threshold_status is Status.BREACH else "warn"
        parts.append(f"{side} its {tier} level of {fmt_round(crossed, unit)}")
    if k.drop_status in _PROBLEM and k.drop is not None and k.baseline is not None:
        parts.append(
            f"{fmt_pct(k.drop)} worse than at approval ({fmt_round(k.baseline, unit, k.value)})"
        )
    limits = " and ".join(parts) or "outside its agreed limits"
    text = f"{_name(k)} is {fmt_round(k.value, unit, crossed)}, {limits}"
    if k.since is not None and k.since < as_of:
        text += f", since {fmt_date(k.since)}"
    if k.threshold_status is Status.STALE:
        text += f" ({_days_old(k.newest, as_of)})"
    return text


def _segment_unknown(s: SegmentResult, as_of: dt.date) -> str:
    if s.status is Status.STALE:
        why = _days_old(s.newest, as_of)
    else:
        why = "fewer than two groups have data"
    return f"cannot tell whether {_name(s)} is fair across groups: {why}"


def _segment_problem(s: SegmentResult) -> str:
    """'False decline rate differs between groups: 0.0135 for '65+' against 0.00676 for '26-40',
    a gap of 0.00679 (its warn level is 0.004)'."""
    if s.worst is None or s.best is None or s.gap is None:  # pragma: no cover - defensive
        return f"{_name(s)} differs too much between groups"
    unit = s.unit
    tiers = s.check.tiers
    tier = "breach" if s.level is Level.BREACH else "warn"
    limit = tiers.breach if s.level is Level.BREACH else tiers.warn
    if s.check.gap == "ratio":
        gap = f"{fmt_round(s.gap, None, limit)} times"
        limit_text = f"{fmt_round(limit)} times"
    else:
        gap = fmt_round(s.gap, unit, limit)
        limit_text = fmt_round(limit, unit)
    return (
        f"{_name(s)} differs between groups: {fmt_round(s.worst.value, unit, s.best.value)} for "
        f"'{s.worst.segment}' against {fmt_round(s.best.value, unit, s.worst.value)} for "
        f"'{s.best.segment}', a gap of {gap} (its {tier} level is {limit_text})"
    )


def _drift(d: DriftResult) -> tuple[Level, str | None, list[str]]:
    """The drift problem (its level and text, if any) and what cannot be told."""
    drifted = sorted(
        (f for f in d.features if f.status in _PROBLEM),
        key=lambda f: (-f.level, -f.importance, f.name),
    )
    names = [f.name.replace("_", " ") for f in drifted[:SHOWN]]
    if len(drifted) > SHOWN:
        names.append(f"{len(drifted) - SHOWN} more")
    level, text = Level.OK, None
    if d.share_status in _PROBLEM and d.share is not None:
        level = d.share_status.level
        which = f" ({_and(names)})" if names else ""
        text = f"{fmt_pct(d.share)} of the inputs have drifted from the reference data{which}"
    elif drifted:
        level = Level.WARN
        verb = "has" if len(drifted) == 1 else "have"
        text = f"{_and(names)} {verb} drifted from the reference data"
    cannot = []
    if d.share is None or d.share_status in _UNKNOWN:
        cannot.append("cannot tell whether the inputs have drifted")
    else:
        blind = [f.name.replace("_", " ") for f in d.features if f.status in _UNKNOWN]
        if blind:
            cannot.append(f"cannot tell whether {_and(blind)} drifted: too little usable data")
    return level, text, cannot


def _all_well(
    monitored: list[KpiResult],
    unmonitored: list[KpiResult],
    segments: Sequence[SegmentResult],
    drift: DriftResult | None,
) -> str:
    has_t = any(k.thresholds is not None for k in monitored)
    has_b = any(k.baseline is not None and k.direction is not None for k in monitored)
    limits = " and ".join(
        x for x, on in (("thresholds", has_t), ("baseline tolerance", has_b)) if on
    )
    if len(monitored) == 1:
        k = monitored[0]
        head = f"{_name(k)} is {fmt_round(k.value, k.unit)}, within its {limits}, on fresh data"
    else:
        listed = f" ({_and([_name(k) for k in monitored])})" if len(monitored) <= 4 else ""
        head = f"all {len(monitored)} KPIs{listed} are within their {limits}, on fresh data"
    parts = [head]
    if segments:
        parts.append("the gaps between groups are within tolerance")
    if drift is not None:
        parts.append("the inputs have not drifted beyond tolerance")
    text = _and(parts) if len(parts) < 3 else "; ".join(parts)
    if unmonitored:
        names = _and([_name(k) for k in unmonitored])
        verb = "is" if len(unmonitored) == 1 else "are"
        text += f" ({names} {verb} not judged: no thresholds or baseline)"
    return text


# --- governance -----------------------------------------------------------------------------------


def governance_verdict(
    charter: Charter, findings: Sequence[Finding], kpis: Sequence[KpiResult] = ()
) -> Verdict:
    """The answer to "Is this model governed as required?": no with a finding at BREACH, gaps
    with findings at WARN only, yes without findings."""
    stage = charter.lifecycle.stage.value
    open_ = [f for f in findings if f.level > Level.OK]
    if not open_:
        return _verdict(
            Answer.yes,
            f"No open compliance findings under the policy's rules for {stage} models.",
            Question.governance,
        )
    names = {k.metric: _name(k) for k in kpis}
    groups: dict[tuple[Level, str], list[Finding]] = {}
    for f in sorted(open_, key=lambda f: -f.level):
        groups.setdefault((f.level, f.code), []).append(f)
    phrases = [_finding_phrase(code, group, names) for (_, code), group in groups.items()]
    shown = phrases[:SHOWN]
    counted = sum(len(g) for g in list(groups.values())[:SHOWN])
    rest = len(open_) - counted
    text = "; ".join(shown)
    if rest:
        text += f"; and {rest} more finding{'s' if rest != 1 else ''}"
    breach = any(f.level is Level.BREACH for f in open_)
    answer = Answer.no if breach else Answer.gaps
    return _verdict(answer, _capitalise(text) + ".", Question.governance)


_QUOTED = re.compile(r"'([^']+)'")


def _subjects(group: list[Finding], names: dict[str, str]) -> list[str]:
    """What each finding of a group is about, for a sentence: a KPI's name, a data source's or a
    ritual's name as the charter or the policy spells it."""
    out = []
    for f in group:
        if f.subject in names:
            out.append(names[f.subject])
            continue
        quoted = _QUOTED.search(f.message)
        out.append(quoted.group(1) if quoted else (f.subject or f.code).replace("_", " "))
    return list(dict.fromkeys(out))


def _brief(message: str) -> str:
    """A finding's own message without its final parenthesised detail (nesting included)."""
    if not message.endswith(")"):
        return message
    depth = 0
    for i in range(len(message) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(message[i], 0)
        if depth == 0:
            return message[:i].rstrip()
    return message


def _finding_phrase(code: str, group: list[Finding], names: dict[str, str]) -> str:
    """One group of findings with the same code, in a few plain words."""
    s = _subjects(group, names)
    one = len(s) == 1
    quoted = _and([f"'{x}'" for x in s])
    many = len(s) > 2  # then counted, not named: the compliance section names them
    match code:
        case "incident-owner-missing":
            return "no incident owner is named"
        case "kpis-missing":
            return "no KPIs are defined"
        case "retraining-missing":
            return "no retraining schedule is documented"
        case "retraining-unknown":
            return "the date of the last retraining is not recorded"
        case "retraining-cadence-too-long":
            return "the retraining schedule is longer than the policy allows"
        case "thresholds-missing":
            which = f"{len(s)} KPIs" if many else _and(s)
            return f"{which} {'has' if one else 'have'} no warn/breach thresholds"
        case "threshold-loosened":
            which = f"{len(s)} KPIs" if many else _and(s)
            return (
                f"{which} {'has a threshold' if one else 'have thresholds'} looser than the "
                "policy's, awaiting sign-off"
            )
        case "data-contract-missing":
            which = (
                f"{len(s)} data sources" if many else f"data source{'' if one else 's'} {quoted}"
            )
            return f"{which} {'has' if one else 'have'} no data contract"
        case "authorisation-missing" if not one:
            which = f"{len(s)} data sources" if many else f"data sources {quoted}"
            return f"{which} hold sensitive data without an authorisation record"
        case "section-missing":
            sections = _and([x.replace("_", " ") for x in s])
            return f"the charter lacks {sections}, required by the policy for this stage"
        case "ritual-missing":
            return f"{quoted} {'is' if one else 'are'} required by the policy but not scheduled"
        case "ritual-cadence-too-long":
            return f"{quoted} {'is' if one else 'are'} held less often than the policy requires"
        case "ritual-never-held":
            return f"{quoted} {'has' if one else 'have'} no record of being held"
        case "ritual-overdue" if not one:
            return f"{quoted} are overdue"
        case "action-overdue" if len(group) > 1:
            return f"{len(group)} actions of review meetings are overdue"
        case "risk-over-appetite":
            which = f"{len(s)} risks" if many else f"risk{'' if one else 's'} {quoted}"
            return (
                f"{which} {'is' if one else 'are'} above the risk appetite without an accepted "
                "risk-acceptance decision"
            )
        case "risk-review-overdue":
            which = f"{len(s)} risks" if many else f"risk{'' if one else 's'} {quoted}"
            return f"{which} {'is' if one else 'are'} overdue for review"
        case "onboarding-open":
            n = len(group)
            return f"{n} required onboarding item{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} still open"
        case "incident-open":
            if len(group) > 1:
                return f"{len(group)} incidents are open"
            # "<file>: high incident 'Title' open since <when>, acknowledged ...": the middle part.
            said = group[0].message.split(": ", 1)[-1].split(", ", 1)[0]
            return "a " + said.replace(" open since ", " has been open since ", 1)
        case "escalation-unacknowledged":
            return "an escalation passed its response time without an acknowledgement"
        case "decision-missing":
            return "it runs without a recorded decision to enter its stage"
        case "decision-late":
            return "it entered its stage before the decision was taken"
        case "decision-unauthorised":
            return "a decision it runs on was taken by someone without the right"
        case "decision-expired":
            return "a decision it runs on has expired"
        case "decision-evidence":
            return "the evidence of a decision it runs on cannot be checked"
        case "decision-stale":
            changed = [f.message.partition("changed since: ")[2] for f in group]
            what = "; ".join(c for c in changed if c)
            return "the approval it runs on is stale" + (f": {what}" if what else "")
    if len(group) == 1:
        return _brief(group[0].message)
    # Several findings of a kind without a phrase of its own (a code added later).
    return "; ".join(_brief(f.message) for f in group)


# --- wording --------------------------------------------------------------------------------------


def _and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _listed(parts: list[str]) -> str:
    shown = parts[:SHOWN]
    rest = len(parts) - len(shown)
    text = "; ".join(shown)
    if rest:
        text += f"; and {rest} more problem{'s' if rest != 1 else ''}"
    return text


def _capitalise(text: str) -> str:
    """Upper-case the first letter when the first word is all lower case ('recall' -> 'Recall'),
    never a name with capitals of its own ('mAP' stays)."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.islower() else text
