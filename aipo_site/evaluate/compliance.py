"""Compliance: a charter against the repository policy and the gaps of the audit story.

The four gaps that sank the audit — no data contract, no thresholds, no retraining schedule (or an
overdue one), no incident owner — are checked for every model past the prototype stage. Then the
policy's own rules: authorisation for sensitive data, required sections per stage, retraining
interval, review cadences and loosened thresholds. Each finding names the charter field it is about,
so the CLI can annotate the right line.

Every finding says since when its condition holds (:attr:`Finding.since`). Those that follow
from a date in the charter are dated here, by the one boundary rule (a limit is the last acceptable
day, so the first overdue day is the day after it): retraining and rituals from the day after they
were due, the sunset review from the day after its date, a risk review from the day after its
last review (or the stage entry) plus the policy's interval, a required onboarding item from the
day after the grace period that follows the stage entry. All the others depend only on the charter's
text and the policy: :func:`charter_conditions` runs the same rules without a date, and notes
which top-level fields of the charter each one read, so :mod:`.onsets` can find in which commit
each finding began and skip the old versions that changed nothing it depends on.

Each rule is one function ``(charter, resolved KPIs, policy, findings, date or None)`` in
:data:`_RULES`; the same functions serve today's evaluation and the old versions'.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import cast

from ..fmt import fmt_date, fmt_value
from ..model.charter import CARRIED_RISK_STATUSES, Charter, Direction, Stage
from ..model.inputs import ModelInputs
from ..model.policy import Policy, Section
from ..model.results import Finding, Level, RitualReviews, sort_findings
from .kpis import ResolvedKpi

__all__ = [
    "DATED_BY_DATA",
    "GAP_STAGES",
    "charter_conditions",
    "evaluate_compliance",
    "finding_key",
]

# Stages held to the audit-story gaps. Prototypes are exempt; sunset models no longer run.
GAP_STAGES = {Stage.pilot, Stage.production, Stage.deprecated}

# Findings dated from the charter's own dates; every other finding is about the charter's text.
DATED_BY_DATA = frozenset(
    {
        "retraining-overdue",
        "ritual-overdue",
        "sunset-review-overdue",
        "action-overdue",
        "risk-review-overdue",
        "onboarding-open",
    }
)

DAY = dt.timedelta(days=1)


class _Findings:
    def __init__(self, model: ModelInputs, reviews: Sequence[RitualReviews] = ()) -> None:
        self.model = model
        self.items: list[Finding] = []
        # The rituals' review records on the evaluation date (evaluate/reviews.py), by the
        # ritual's name in lower case; empty without a date (the charter's text alone).
        self.reviews = {r.ritual.casefold(): r for r in reviews}

    def add(
        self,
        code: str,
        level: Level,
        message: str,
        section: str,
        loc: tuple = (),
        *,
        subject: str | None = None,
        since: dt.date | None = None,
    ) -> None:
        loc = loc or (section,)
        line = self.model.document.position(loc)[0]
        if loc not in self.model.document.positions:
            # An absent section: point at the identity block (the owner), not at line 1.
            line = self.model.document.key_positions.get(("owner",), (line,))[0]
        dotted = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
        field = dotted.replace(".[", "[")
        self.items.append(Finding(code, level, message, section, field, line, since, subject))


def evaluate_compliance(
    model: ModelInputs,
    kpis: list[ResolvedKpi],
    policy: Policy,
    as_of: dt.date,
    reviews: Sequence[RitualReviews] = (),
) -> list[Finding]:
    """Every compliance finding for one model, most severe first. ``reviews``: its rituals'
    review records on ``as_of`` (:func:`~.reviews.ritual_reviews`); without them a ritual was
    last held on the charter's ``last_held``."""
    out = _Findings(model, reviews)
    for rule in _RULES:
        rule(model.charter, kpis, policy, out, as_of)
    return sort_findings(out.items)


def finding_key(finding: Finding) -> tuple[str, str]:
    """What identifies a finding across versions of a charter: its code and its subject (a data
    source's name, a KPI's metric...), never its position in a list or its wording."""
    return finding.code, finding.subject or ""


def charter_conditions(
    model: ModelInputs, kpis: list[ResolvedKpi], policy: Policy
) -> dict[tuple[str, str], frozenset[str] | None]:
    """The findings that follow from the charter's text and the policy alone, by key
    (:func:`finding_key`): the same rules as :func:`evaluate_compliance` without a date, so the
    date-based ones (:data:`DATED_BY_DATA`) are left out.

    With each key come the top-level charter fields its rule read (``kpis`` when it read the
    KPIs as resolved against the policy): a version of the charter with the same values in those
    fields gives the same finding. None when the rule read something else of the charter.
    """
    out = _Findings(model)
    found: dict[tuple[str, str], frozenset[str] | None] = {}
    for rule in _RULES:
        reads: set[str] = set()
        first = len(out.items)
        charter = cast(Charter, _Reading(model.charter, reads))
        rule(charter, _ReadingList(kpis, reads), policy, out, None)
        fields = frozenset(reads) if reads <= _FIELDS else None
        for f in out.items[first:]:
            key = finding_key(f)
            before = found.get(key, frozenset())
            found[key] = None if before is None or fields is None else before | fields
    return found


_FIELDS = frozenset(Charter.model_fields)


class _Reading:
    """A charter that notes the name of each of its attributes a rule reads."""

    __slots__ = ("_charter", "_reads")

    def __init__(self, charter: Charter, reads: set[str]) -> None:
        self._charter = charter
        self._reads = reads

    def __getattr__(self, name: str) -> object:
        self._reads.add(name)
        return getattr(self._charter, name)


class _ReadingList(list):
    """The resolved KPIs, noting ``kpis`` as read when a rule looks at them."""

    def __init__(self, items: list[ResolvedKpi], reads: set[str]) -> None:
        super().__init__(items)
        self._reads = reads

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._reads.add("kpis")
        return super().__iter__()

    def __len__(self) -> int:
        self._reads.add("kpis")
        return super().__len__()

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        self._reads.add("kpis")
        return super().__getitem__(index)


# --- the rules: one function each, called with (charter, resolved KPIs, policy, findings, date);
# the date is None when only the charter's text is checked (see charter_conditions) -------------


def _gap_level(c: Charter) -> Level | None:
    """The level of an audit-story gap for the charter's stage; None when the stage is exempt."""
    stage = c.lifecycle.stage
    if stage not in GAP_STAGES:
        return None
    return Level.BREACH if stage is Stage.production else Level.WARN


def _incident_owner(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    level = _gap_level(c)
    if level is not None and c.incident_owner is None:
        out.add(
            "incident-owner-missing",
            level,
            "no incident owner: nobody is named to own production incidents",
            "incident_owner",
        )


def _kpis_defined(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    level = _gap_level(c)
    if level is not None and not c.kpis:
        out.add("kpis-missing", level, "no model KPIs are defined", "kpis")


def _thresholds(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    level = _gap_level(c)
    if level is None:
        return
    for i, r in enumerate(kpis):
        if r.thresholds is None:
            out.add(
                "thresholds-missing",
                level,
                f"KPI '{r.kpi.metric}' has no warn/breach thresholds (none in the charter, "
                "no default in the policy)",
                "kpis",
                ("kpis", i),
                subject=r.kpi.metric,
            )


def _data_contracts(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    level = _gap_level(c)
    if level is None:
        return
    for i, source in enumerate(c.data_sources):
        if not source.contract:
            out.add(
                "data-contract-missing",
                level,
                f"data source '{source.name}' has no data contract",
                "data_sources",
                ("data_sources", i),
                subject=source.name,
            )


def _retraining_schedule(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    level = _gap_level(c)
    if level is None:
        return
    if c.retraining is None:
        out.add("retraining-missing", level, "no retraining schedule is documented", "retraining")
    elif c.retraining.last_retrained is None:
        out.add(
            "retraining-unknown",
            Level.WARN,
            "the date of the last retraining is not recorded",
            "retraining",
            ("retraining",),
        )
    elif as_of is not None:
        due = c.retraining.last_retrained + dt.timedelta(days=c.retraining.cadence_days)
        if due < as_of:
            late = (as_of - due).days
            out.add(
                "retraining-overdue",
                level,
                f"retraining is {late} days overdue (last {fmt_date(c.retraining.last_retrained)}, "
                f"every {c.retraining.cadence_days} days, due {fmt_date(due)})",
                "retraining",
                ("retraining", "last_retrained"),
                since=due + DAY,
            )


def _authorisation(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    for i, source in enumerate(c.data_sources):
        if source.authorisation is not None:
            continue
        categories: list[str] = []
        regions: list[str] = []
        regulations: list[str] = []
        for rule in policy.authorisation:
            cats, regs = rule.matches(source.categories, source.regions)
            if not cats:
                continue
            categories += [x for x in cats if x not in categories]
            regions += [x for x in regs if x not in regions]
            if rule.regulation and rule.regulation not in regulations:
                regulations.append(rule.regulation)
        if categories:
            why = f" ({'; '.join(regulations)})" if regulations else ""
            out.add(
                "authorisation-missing",
                Level.BREACH,
                f"data source '{source.name}' holds {', '.join(categories)} data in "
                f"{', '.join(regions)} without an authorisation record{why}",
                "data_sources",
                ("data_sources", i),
                subject=source.name,
            )


def _retraining_policy(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    limit = policy.max_retraining_interval_days
    if not limit or _gap_level(c) is None:
        return
    if c.retraining and c.retraining.cadence_days > limit:
        out.add(
            "retraining-cadence-too-long",
            Level.WARN,
            f"retraining every {c.retraining.cadence_days} days exceeds the policy maximum "
            f"of {limit} days",
            "retraining",
            ("retraining", "cadence_days"),
        )


# Sections whose absence the audit-gap checks already report with more detail.
_COVERED_BY_GAPS = {
    Section.incident_owner,
    Section.kpis,
    Section.thresholds,
    Section.data_contracts,
    Section.retraining,
}

_PRESENT: dict[Section, Callable[[Charter, list[ResolvedKpi]], bool]] = {
    Section.owner: lambda c, k: c.owner is not None,
    Section.incident_owner: lambda c, k: c.incident_owner is not None,
    Section.outcomes: lambda c, k: bool(c.outcomes),
    Section.kpis: lambda c, k: bool(c.kpis),
    Section.thresholds: lambda c, k: bool(k) and all(r.thresholds for r in k),
    Section.baselines: lambda c, k: bool(c.kpis) and all(x.baseline for x in c.kpis),
    Section.data_sources: lambda c, k: bool(c.data_sources),
    Section.data_contracts: lambda c, k: (
        bool(c.data_sources) and all(s.contract for s in c.data_sources)
    ),
    Section.retraining: lambda c, k: c.retraining is not None,
    Section.risks: lambda c, k: bool(c.risks),
    Section.escalation: lambda c, k: bool(c.escalation),
    Section.decision_rights: lambda c, k: bool(c.decision_rights),
    Section.rhythm: lambda c, k: bool(c.rhythm),
    Section.onboarding: lambda c, k: bool(c.onboarding),
    Section.sunset_review: lambda c, k: c.lifecycle.sunset_review is not None,
    Section.drift: lambda c, k: c.drift is not None,
}

_SECTION_FIELD = {
    Section.thresholds: "kpis",
    Section.baselines: "kpis",
    Section.data_contracts: "data_sources",
    Section.sunset_review: "lifecycle",
}


def _required_sections(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    stage = c.lifecycle.stage
    level = Level.BREACH if stage is Stage.production else Level.WARN
    for section in policy.required_sections.get(stage, []):
        if _PRESENT[section](c, kpis):
            continue
        if section in _COVERED_BY_GAPS and stage in GAP_STAGES:
            continue
        field = _SECTION_FIELD.get(section, section.value)
        detail = ""
        if section is Section.baselines:
            missing = [k.metric for k in c.kpis if k.baseline is None]
            detail = f" (no baseline for {', '.join(missing)})" if missing else ""
        out.add(
            "section-missing",
            level,
            f"the policy requires '{section.value}' for {stage.value} models{detail}",
            field,
            subject=section.value,
        )


def _rituals(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    stage = c.lifecycle.stage
    by_name = {r.ritual.casefold(): (i, r) for i, r in enumerate(c.rhythm)}
    required = set()
    for rule in policy.rituals:
        if stage not in rule.stages:
            continue
        key = rule.ritual.casefold()
        required.add(key)
        if key not in by_name:
            out.add(
                "ritual-missing",
                Level.WARN,
                f"the policy requires a '{rule.ritual}' at least every {rule.max_cadence_days} "
                f"days for {stage.value} models",
                "rhythm",
                subject=key,
            )
            continue
        i, ritual = by_name[key]
        if ritual.cadence_days > rule.max_cadence_days:
            out.add(
                "ritual-cadence-too-long",
                Level.WARN,
                f"'{ritual.ritual}' every {ritual.cadence_days} days exceeds the policy maximum "
                f"of {rule.max_cadence_days} days",
                "rhythm",
                ("rhythm", i, "cadence_days"),
                subject=key,
            )
    if stage in (Stage.sunset,):
        return
    for i, ritual in enumerate(c.rhythm):
        key = ritual.ritual.casefold()
        reviewed = out.reviews.get(key)
        last_held = reviewed.last_held if reviewed is not None else ritual.last_held
        if last_held is None:
            if key in required:
                out.add(
                    "ritual-never-held",
                    Level.WARN,
                    f"'{ritual.ritual}' has no record of being held",
                    "rhythm",
                    ("rhythm", i),
                    subject=key,
                )
            continue
        if as_of is None:
            continue
        due = last_held + dt.timedelta(days=ritual.cadence_days)
        if due < as_of:
            last = reviewed.last if reviewed is not None and reviewed.from_record else None
            per = f" per {last.path}" if last is not None else ""
            out.add(
                "ritual-overdue",
                Level.WARN,
                f"'{ritual.ritual}' is {(as_of - due).days} days overdue "
                f"(last held {fmt_date(last_held)}{per}, every {ritual.cadence_days} days)",
                "rhythm",
                ("rhythm", i, "last_held") if ritual.last_held else ("rhythm", i),
                subject=key,
                since=due + DAY,
            )


def _loosened(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    for i, r in enumerate(kpis):
        if r.threshold_source != "charter" or r.policy_thresholds is None or not r.direction:
            continue
        mine, policy = r.thresholds, r.policy_thresholds
        assert mine is not None
        looser = []
        for tier in ("warn", "breach"):
            a, b = getattr(mine, tier), getattr(policy, tier)
            worse = a < b if r.direction is Direction.higher_is_better else a > b
            if worse:
                looser.append(f"{tier} {fmt_value(a)} vs policy {fmt_value(b)}")
        if looser:
            out.add(
                "threshold-loosened",
                Level.WARN,
                f"KPI '{r.kpi.metric}' loosens the policy threshold ({'; '.join(looser)}); "
                "the charter's value is used and needs governance sign-off",
                "kpis",
                ("kpis", i, "thresholds"),
                subject=r.kpi.metric,
            )


def _sunset_review(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    review = c.lifecycle.sunset_review
    if as_of is not None and review and review < as_of and c.lifecycle.stage != Stage.sunset:
        out.add(
            "sunset-review-overdue",
            Level.WARN,
            f"the planned sunset review of {fmt_date(review)} has passed",
            "lifecycle",
            ("lifecycle", "sunset_review"),
            since=review + DAY,
        )


# The lifecycle moves a model may make, from each stage (see the charter reference, `lifecycle`):
# forward one stage, or to sunset before production; back one stage (a rollback) from production
# or deprecated. Sunset is final.
ALLOWED_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.prototype: frozenset({Stage.pilot, Stage.sunset}),
    Stage.pilot: frozenset({Stage.production, Stage.prototype, Stage.sunset}),
    Stage.production: frozenset({Stage.deprecated, Stage.pilot}),
    Stage.deprecated: frozenset({Stage.sunset, Stage.production}),
    Stage.sunset: frozenset(),
}


def _stage_history(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    """The lifecycle's history, then its current stage, read as one sequence of moves: dates in
    order (a stage entered on the day the previous one was is allowed) and allowed moves only."""
    life = c.lifecycle
    steps = [(h.stage, h.date, ("lifecycle", "history", i)) for i, h in enumerate(life.history)]
    steps.append((life.stage, life.since, ("lifecycle", "since")))
    for (stage_a, date_a, _), (stage_b, date_b, loc) in itertools.pairwise(steps):
        if (stage_b, date_b) == (stage_a, date_a) and loc[-1] == "since":
            continue  # the history's last entry restates the current stage
        if date_b < date_a:
            out.add(
                "stage-history-incoherent",
                Level.BREACH,
                f"the lifecycle enters {stage_b.value} on {fmt_date(date_b)}, before it entered "
                f"{stage_a.value} on {fmt_date(date_a)}; list the stages in the order they were "
                "entered, with their dates",
                "lifecycle",
                loc,
                subject=f"order:{stage_a.value}>{stage_b.value}",
            )
        elif stage_b == stage_a or stage_b not in ALLOWED_TRANSITIONS[stage_a]:
            allowed = ", ".join(s.value for s in Stage if s in ALLOWED_TRANSITIONS[stage_a])
            out.add(
                "stage-history-incoherent",
                Level.BREACH,
                f"the lifecycle moves from {stage_a.value} to {stage_b.value}, which is not an "
                f"allowed move (from {stage_a.value}: {allowed or 'none, it is final'})",
                "lifecycle",
                loc,
                subject=f"move:{stage_a.value}>{stage_b.value}",
            )


def _review_actions(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    """An open action of a review record past its due day (dated from the day after it)."""
    if as_of is None:
        return
    index = {r.ritual.casefold(): i for i, r in enumerate(c.rhythm)}
    for reviewed in out.reviews.values():
        for a in reviewed.actions:
            if not a.overdue:
                continue
            out.add(
                "action-overdue",
                Level.WARN,
                f"action '{a.action}' of the '{a.ritual}' of {fmt_date(a.review_date)} is "
                f"{a.overdue_days} days overdue (owner {a.owner}, due {fmt_date(a.due)}; "
                f"{a.review_path})",
                "rhythm",
                ("rhythm", index[reviewed.ritual.casefold()]),
                subject=a.subject,
                since=a.since,
            )


def _risk_reviews(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    """A risk that is not closed, not reviewed within the policy's risk_review_days: from the day
    after last_reviewed plus the interval; a risk never reviewed counts from the day the model
    entered its current stage. Sunset models are exempt."""
    days = policy.risk_review_days
    if as_of is None or days is None or c.lifecycle.stage is Stage.sunset:
        return
    for i, r in enumerate(c.risks):
        if r.status not in CARRIED_RISK_STATUSES:
            continue
        due = (r.last_reviewed or c.lifecycle.since) + dt.timedelta(days=days)
        if due >= as_of:
            continue
        last = (
            f"last reviewed {fmt_date(r.last_reviewed)}"
            if r.last_reviewed
            else f"never reviewed; {c.lifecycle.stage.value} since {fmt_date(c.lifecycle.since)}"
        )
        out.add(
            "risk-review-overdue",
            Level.WARN,
            f"risk '{r.title}' is {(as_of - due).days} days overdue for review ({last}, "
            f"every {days} days, due {fmt_date(due)})",
            "risks",
            ("risks", i, "last_reviewed") if r.last_reviewed else ("risks", i),
            subject=r.title.casefold(),
            since=due + DAY,
        )


def _onboarding(
    c: Charter, kpis: list[ResolvedKpi], policy: Policy, out: _Findings, as_of: dt.date | None
) -> None:
    """Each item of the policy's standard checklist for the model's stage that the charter's
    checklist lacks or has not done, once the grace period after entering the stage is over."""
    required = policy.onboarding.get(c.lifecycle.stage, [])
    if as_of is None or not required:
        return
    due = c.lifecycle.since + dt.timedelta(days=policy.onboarding_grace_days)
    if due >= as_of:
        return
    items = {item.item.casefold(): (i, item) for i, item in enumerate(c.onboarding)}
    for text in required:
        found = items.get(text.casefold())
        if found is not None and found[1].done:
            continue
        state = "not done" if found is not None else "not in the charter's checklist"
        out.add(
            "onboarding-open",
            Level.WARN,
            f"onboarding item '{text}' is {state}, {(as_of - due).days} days after the "
            f"{policy.onboarding_grace_days}-day grace period for {c.lifecycle.stage.value} "
            f"models (entered {fmt_date(c.lifecycle.since)}, due {fmt_date(due)})",
            "onboarding",
            ("onboarding", found[0]) if found is not None else ("onboarding",),
            subject=text.casefold(),
            since=due + DAY,
        )


_Rule = Callable[[Charter, list[ResolvedKpi], Policy, _Findings, "dt.date | None"], None]

# Every rule, in no particular order (findings are sorted).
_RULES: tuple[_Rule, ...] = (
    _incident_owner,
    _kpis_defined,
    _thresholds,
    _data_contracts,
    _retraining_schedule,
    _authorisation,
    _retraining_policy,
    _required_sections,
    _rituals,
    _loosened,
    _sunset_review,
    _review_actions,
    _stage_history,
    _risk_reviews,
    _onboarding,
)
