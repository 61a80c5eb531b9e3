"""Compliance: a charter against the repository policy and the gaps of the audit story.

The four gaps that sank the audit — no data contract, no thresholds, no retraining schedule (or an
overdue one), no incident owner — are checked for every model past the prototype stage. Then the
policy's own rules: authorisation for sensitive data, required sections per stage, retraining
interval, review cadences and loosened thresholds. Each finding names the charter field it is about,
so the CLI can annotate the right line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..fmt import fmt_date, fmt_value
from ..load.repository import ModelInputs
from ..model.charter import Charter, Direction, Stage
from ..model.policy import Policy, Section
from ..model.results import Finding, Level
from .kpis import ResolvedKpi

__all__ = ["GAP_STAGES", "evaluate_compliance"]

# Stages held to the audit-story gaps. Prototypes are exempt; sunset models no longer run.
GAP_STAGES = {Stage.pilot, Stage.production, Stage.deprecated}


class _Findings:
    def __init__(self, model: ModelInputs) -> None:
        self.model = model
        self.items: list[Finding] = []

    def add(self, code: str, level: Level, message: str, section: str, loc: tuple = ()) -> None:
        loc = loc or (section,)
        line = self.model.document.position(loc)[0]
        if loc not in self.model.document.positions:
            # An absent section: point at the identity block (the owner), not at line 1.
            line = self.model.document.key_positions.get(("owner",), (line,))[0]
        dotted = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
        self.items.append(Finding(code, level, message, section, dotted.replace(".[", "["), line))


def evaluate_compliance(
    model: ModelInputs, kpis: list[ResolvedKpi], policy: Policy, as_of: dt.date
) -> list[Finding]:
    """Every compliance finding for one model, most severe first."""
    c = model.charter
    out = _Findings(model)
    stage = c.lifecycle.stage
    gap_level = Level.BREACH if stage is Stage.production else Level.WARN
    gaps = stage in GAP_STAGES

    if gaps:
        _audit_gaps(c, kpis, out, gap_level, as_of)
    _authorisation(c, policy, out)
    _retraining_policy(c, policy, out, gaps)
    _required_sections(c, policy, out, kpis)
    _rituals(c, policy, out, as_of)
    _loosened(kpis, out)
    if c.lifecycle.sunset_review and c.lifecycle.sunset_review < as_of and stage != Stage.sunset:
        out.add(
            "sunset-review-overdue",
            Level.WARN,
            f"the planned sunset review of {fmt_date(c.lifecycle.sunset_review)} has passed",
            "lifecycle",
            ("lifecycle", "sunset_review"),
        )
    return sorted(out.items, key=lambda f: (-f.level, f.section, f.code, f.message))


def _audit_gaps(
    c: Charter, kpis: list[ResolvedKpi], out: _Findings, level: Level, as_of: dt.date
) -> None:
    if c.incident_owner is None:
        out.add(
            "incident-owner-missing",
            level,
            "no incident owner: nobody is named to own production incidents",
            "incident_owner",
        )
    if not c.kpis:
        out.add("kpis-missing", level, "no model KPIs are defined", "kpis")
    for i, r in enumerate(kpis):
        if r.thresholds is None:
            out.add(
                "thresholds-missing",
                level,
                f"KPI '{r.kpi.metric}' has no warn/breach thresholds (none in the charter, "
                "no default in the policy)",
                "kpis",
                ("kpis", i),
            )
    for i, source in enumerate(c.data_sources):
        if not source.contract:
            out.add(
                "data-contract-missing",
                level,
                f"data source '{source.name}' has no data contract",
                "data_sources",
                ("data_sources", i),
            )
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
    else:
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
            )


def _authorisation(c: Charter, policy: Policy, out: _Findings) -> None:
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
            )


def _retraining_policy(c: Charter, policy: Policy, out: _Findings, gaps: bool) -> None:
    limit = policy.max_retraining_interval_days
    if limit and c.retraining and c.retraining.cadence_days > limit and gaps:
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


def _required_sections(c: Charter, policy: Policy, out: _Findings, kpis: list[ResolvedKpi]) -> None:
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
        )


def _rituals(c: Charter, policy: Policy, out: _Findings, as_of: dt.date) -> None:
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
            )
    if stage in (Stage.sunset,):
        return
    for i, ritual in enumerate(c.rhythm):
        if ritual.last_held is None:
            if ritual.ritual.casefold() in required:
                out.add(
                    "ritual-never-held",
                    Level.WARN,
                    f"'{ritual.ritual}' has no record of being held",
                    "rhythm",
                    ("rhythm", i),
                )
            continue
        due = ritual.last_held + dt.timedelta(days=ritual.cadence_days)
        if due < as_of:
            out.add(
                "ritual-overdue",
                Level.WARN,
                f"'{ritual.ritual}' is {(as_of - due).days} days overdue "
                f"(last held {fmt_date(ritual.last_held)}, every {ritual.cadence_days} days)",
                "rhythm",
                ("rhythm", i, "last_held"),
            )


def _loosened(kpis: list[ResolvedKpi], out: _Findings) -> None:
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
            )
