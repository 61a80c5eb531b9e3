"""Model status, the active escalation level and the answer to "Is this model performing as
intended?"."""

from __future__ import annotations

import datetime as dt

from ..fmt import fmt_date
from ..model.charter import Charter, Trigger
from ..model.results import Escalation, Finding, KpiResult, Level

__all__ = ["active_escalation", "answer", "model_status"]

# How a group of findings with the same code reads in the answer sentence.
SUMMARY = {
    "authorisation-missing": "sensitive data is used without an authorisation record",
    "data-contract-missing": "data sources have no data contract",
    "thresholds-missing": "KPIs have no thresholds",
    "section-missing": "sections the policy requires are missing",
}

_TRIGGER_LEVEL = {Trigger.warn: Level.WARN, Trigger.breach: Level.BREACH}


def model_status(
    kpis: list[KpiResult], findings: list[Finding], extra: list[tuple[Level, dt.date | None]] = ()
) -> tuple[Level, dt.date | None]:
    """The worst level of all KPIs and findings, and since when it has held.

    "Since" is the earliest start among the items at the worst level that know when they began
    (KPIs do, from their history; compliance findings do not).
    """
    items: list[tuple[Level, dt.date | None]] = [(k.level, k.since) for k in kpis]
    items += [(f.level, None) for f in findings]
    items += list(extra)
    worst = max((level for level, _ in items), default=Level.OK)
    if worst is Level.OK:
        return worst, None
    dates = [since for level, since in items if level is worst and since is not None]
    return worst, min(dates) if dates else None


def active_escalation(
    charter: Charter, status: Level, since: dt.date | None, as_of: dt.date
) -> Escalation:
    """The furthest level of the ladder whose trigger is met now.

    A level with ``after_days`` needs the status to have held that long; when the start of the
    status is unknown (compliance findings only) it counts as starting today.
    """
    if not charter.escalation:
        reason = "no escalation ladder is defined" if status > Level.OK else "not escalated"
        return Escalation(None, None, reason)
    held = (as_of - since).days if since else 0
    active = None
    for i, level in enumerate(charter.escalation):
        if status >= _TRIGGER_LEVEL[level.on] and held >= level.after_days:
            active = i
    if active is None:
        return Escalation(None, None, "no level is triggered")
    level = charter.escalation[active]
    after = f", held {held} days (≥ {level.after_days})" if level.after_days else ""
    reason = f"status {status.label}{after}"
    return Escalation(active, level, reason)


def answer(
    charter: Charter,
    status: Level,
    kpis: list[KpiResult],
    findings: list[Finding],
    as_of: dt.date,
    extra: list[tuple[Level, str]] = (),
) -> str:
    """One sentence answering "Is this model performing as intended?" with the specifics."""
    problems: list[tuple[int, str]] = []
    for k in kpis:
        if k.level > Level.OK:
            problems.append((k.level, f"{k.name}: {k.message}"))
    problems += [(level, text) for level, text in extra if level > Level.OK]
    gap_count = {lvl: sum(1 for f in findings if f.level is lvl) for lvl in Level}
    by_code: dict[str, list[Finding]] = {}
    for f in findings:
        if f.level is Level.BREACH:
            by_code.setdefault(f.code, []).append(f)
    for code, group in by_code.items():
        text = group[0].message
        if len(group) > 1:
            text = f"{SUMMARY.get(code, code.replace('-', ' '))} ({len(group)} findings)"
        problems.append((Level.BREACH, text))
    problems.sort(key=lambda p: -p[0])
    warn_findings = gap_count[Level.WARN]
    date = fmt_date(as_of)
    if status is Level.OK:
        n = len(kpis)
        if n == 0:
            kpi_text = "no KPI is out of bounds"
        else:
            which = "the KPI is" if n == 1 else f"all {n} KPIs are"
            kpi_text = f"{which} within thresholds and baseline tolerance with fresh data"
        return f"Yes — {kpi_text}, and there are no open compliance findings (as of {date})."
    head = "No" if status is Level.BREACH else "At risk"
    shown = [text for _, text in problems[:3]]
    more = len(problems) - len(shown)
    tail = []
    if more > 0:
        tail.append(f"{more} more problem{'s' if more != 1 else ''}")
    if warn_findings:
        tail.append(f"{warn_findings} compliance warning{'s' if warn_findings != 1 else ''}")
    body = "; ".join(shown) if shown else "compliance warnings need attention"
    extra_text = f"; plus {' and '.join(tail)}" if tail and shown else ""
    if not shown and warn_findings:
        body = (
            f"KPIs are within thresholds, but {warn_findings} compliance "
            f"warning{'s' if warn_findings != 1 else ''} need attention"
        )
    return f"{head} — {body}{extra_text} (as of {date})."
