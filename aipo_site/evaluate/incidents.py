"""Incident records on the evaluation date: open incidents, and the escalation deadlines.

All times are UTC. The evaluation date ``as_of`` ends at midnight UTC at its end (``end``):

- a record opened at or after ``end`` is left out (as if not yet written); an ``acknowledged``
  or ``resolved`` time at or after ``end`` is not yet known;
- an incident is **open** when it is not resolved before ``end``. Each open incident is a finding
  ``incident-open`` (BREACH for critical and high, WARN for medium and low) dated from the day
  (UTC) it was opened, so it counts in the status, the status history and the escalation like any
  dated finding.

Escalation deadlines. The active level of the ladder (:func:`~.status.active_escalation`)
activated at the start (midnight UTC) of the day its trigger had held ``after_days`` days; its
``response_time`` from that moment is its **deadline** (a level that activated on ``as_of`` only
because a finding's start is unknown, outside git, has no known activation and is not judged).
A response time is read by this grammar
(case-insensitive; anything else has no deadline, and the model page says so)::

    [within] <N> [business | working] <unit>
    N    = a whole number >= 1, or "a", "an", "one"
    unit = minute(s) | min(s) | hour(s) | hr(s) | h | day(s) | week(s)

A plain unit is elapsed time (a day is 24 hours, a week 7 days). A business unit counts only
Monday to Friday (UTC), around the clock: a business day or hour starting on a weekend starts on
the next Monday at 00:00, and a business week is 5 business days (``1 business day`` from Friday
00:00 is Monday 00:00; ``4 business hours`` from Saturday is Monday 04:00).

Deadlines are checked only where acknowledgements are recorded: from the start of the
repository's incident log, the ``opened`` time of its oldest incident record (of any model; a
repository without records, or whose records were all opened after ``as_of``, checks nothing, so
a repository keeps its behaviour until it records incidents). For a level that activated at or
after that start: when no incident of the model was acknowledged at or after the activation moment
and before the deadline, and the deadline falls before ``end``, the level is missed: a finding ``escalation-unacknowledged``
(BREACH, dated from the deadline's day) and the escalation moves up one level, if there is one,
saying why. The next level activated at the missed deadline and is checked the same way, so an
escalation nobody answers climbs the ladder. The active level is chosen on the status before these
findings, which then count in the status like the others.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from ..fmt import fmt_moment
from ..model.charter import Charter
from ..model.incidents import Severity
from ..model.inputs import ModelInputs
from ..model.results import Escalation, Finding, IncidentResult, Level

__all__ = ["add_response_time", "escalation_deadline", "evaluate_incidents", "read_response_time"]

SEVERITY_LEVEL = {
    Severity.critical: Level.BREACH,
    Severity.high: Level.BREACH,
    Severity.medium: Level.WARN,
    Severity.low: Level.WARN,
}

_RESPONSE = re.compile(
    r"^(?:within\s+)?(\d+|an?|one)\s+(?:(business|working)\s+)?"
    r"(minutes?|mins?|hours?|hrs?|h|days?|weeks?)$",
    re.IGNORECASE,
)
_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 7 * 1440}


def end_of(day: dt.date) -> dt.datetime:
    """Midnight UTC at the end of ``day``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), dt.UTC)


def read_response_time(text: str) -> tuple[int, bool] | None:
    """A response time as (minutes, business); None when it does not follow the grammar."""
    found = _RESPONSE.match(" ".join(text.split()))
    if found is None:
        return None
    number, business, unit = found.groups()
    count = int(number) if number.isdigit() else 1
    if count < 1:
        return None
    unit = unit.lower()
    key = "m" if unit.startswith("min") else unit[0]
    minutes = count * _MINUTES[key]
    if business and key == "w":
        minutes = count * 5 * 1440  # a business week is five business days
    return minutes, business is not None


def add_response_time(start: dt.datetime, text: str) -> dt.datetime | None:
    """``start`` plus the response time ``text`` (module docstring); None when unreadable."""
    read = read_response_time(text)
    if read is None:
        return None
    minutes, business = read
    if not business:
        return start + dt.timedelta(minutes=minutes)
    remaining = dt.timedelta(minutes=minutes)
    moment = _business(start)
    while True:
        midnight = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(0), dt.UTC)
        if remaining < midnight - moment:
            return moment + remaining
        remaining -= midnight - moment
        moment = _business(midnight)


def _business(moment: dt.datetime) -> dt.datetime:
    """The moment, or the next Monday 00:00 UTC when it falls on a weekend."""
    moment = moment.astimezone(dt.UTC)
    if moment.weekday() < 5:
        return moment
    day = moment.date() + dt.timedelta(days=7 - moment.weekday())
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


def evaluate_incidents(
    model: ModelInputs, as_of: dt.date
) -> tuple[list[IncidentResult], list[Finding]]:
    """The model's incidents opened before the end of ``as_of`` (newest opened first) and an
    ``incident-open`` finding for each open one."""
    c = model.charter
    end = end_of(as_of)
    default_owner = None
    if c.incident_owner is not None:
        default_owner = c.incident_owner.person or c.incident_owner.name
    results: list[IncidentResult] = []
    findings: list[Finding] = []
    loc, line = _owner_loc(model)
    for incident in model.incidents:
        r = incident.record
        if r.opened >= end:
            continue
        acknowledged = r.acknowledged if r.acknowledged and r.acknowledged < end else None
        resolved = r.resolved if r.resolved and r.resolved < end else None
        level = Level.OK if resolved is not None else SEVERITY_LEVEL[r.severity]
        results.append(
            IncidentResult(
                id=incident.id,
                path=incident.path,
                model_id=c.id,
                model_name=c.name,
                business_unit=c.business_unit,
                record=r,
                owner=r.owner or default_owner,
                acknowledged=acknowledged,
                resolved=resolved,
                level=level,
            )
        )
        if resolved is None:
            ack = f"acknowledged {fmt_moment(acknowledged)}" if acknowledged else "not acknowledged"
            findings.append(
                Finding(
                    "incident-open",
                    level,
                    f"{incident.path}: {r.severity.value} incident '{r.title}' open since "
                    f"{fmt_moment(r.opened)}, {ack}",
                    "incidents",
                    loc,
                    line,
                    since=r.opened.date(),
                    subject=incident.path,
                )
            )
    results.sort(key=lambda i: (i.opened, i.path), reverse=True)
    return results, findings


def _owner_loc(model: ModelInputs) -> tuple[str, int | None]:
    doc = model.document
    if ("incident_owner",) in doc.positions:
        return "incident_owner", doc.position(("incident_owner",))[0]
    return "owner", doc.key_positions.get(("owner",), doc.position(("owner",)))[0]


def escalation_deadline(
    model: ModelInputs,
    escalation: Escalation,
    incidents: list[IncidentResult],
    as_of: dt.date,
    since: dt.date | None = None,
) -> tuple[Escalation, list[Finding]]:
    """The escalation with its deadline, moved up past every level nobody acknowledged in time,
    and an ``escalation-unacknowledged`` finding for each (module docstring). ``since``: the
    first day of the model's current status (None: unknown)."""
    c: Charter = model.charter
    if escalation.index is None or escalation.level is None or escalation.activated is None:
        return escalation, []
    end = end_of(as_of)
    acks = sorted(i.acknowledged for i in incidents if i.acknowledged is not None)
    index, activated = escalation.index, escalation.activated
    reason = escalation.reason
    missed: list[str] = []
    findings: list[Finding] = []
    while True:
        level = c.escalation[index]
        deadline = add_response_time(activated, level.response_time)
        if deadline is None:
            note = (
                f"no deadline: '{level.response_time}' is not a response time aipo reads "
                "(write e.g. '4 hours', '30 minutes', '1 business day')"
            )
            break
        note = ""
        start = model.incident_log_start
        if start is None or start >= end:
            note = "not checked: the repository records no incidents (acknowledgements) yet"
            break
        if not missed and since is None and activated.date() == as_of:
            note = "not checked: it activated today, from a finding whose start is unknown"
            break
        if activated < start:
            note = f"not checked: it activated before the incident log began ({fmt_moment(start)})"
            break
        if deadline >= end:
            break
        if any(activated <= a < deadline for a in acks):
            break
        top = index + 1 >= len(c.escalation)
        what = (
            "it is the top of the ladder"
            if top
            else f"moved up to '{c.escalation[index + 1].name}'"
        )
        message = (
            f"escalation level '{level.name}' (active since {fmt_moment(activated)}) was not "
            f"acknowledged within {level.response_time}: no incident of the model was "
            f"acknowledged by {fmt_moment(deadline)}; {what}"
        )
        findings.append(
            Finding(
                "escalation-unacknowledged",
                Level.BREACH,
                message,
                "escalation",
                f"escalation[{index}]",
                model.document.position(("escalation", index))[0],
                since=deadline.date(),
                subject=level.name,
            )
        )
        missed.append(level.name)
        if top:
            break
        reason += f"; '{level.name}' not acknowledged by {fmt_moment(deadline)}"
        index, activated = index + 1, deadline
    return (
        replace(
            escalation,
            index=index,
            level=c.escalation[index],
            reason=reason,
            activated=activated,
            deadline=deadline,
            deadline_note=note,
            missed=tuple(missed),
        ),
        findings,
    )
