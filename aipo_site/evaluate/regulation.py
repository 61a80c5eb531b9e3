"""Regulation: a charter's EU AI Act classification checked, and its coverage of the crosswalk.

Two steps, because findings must be known before the model's status and coverage can only be
judged after it:

1. :func:`regulation_findings` (before the status): the classification against its decision path
   and the charter (``classification-contradiction``, ``classification-unexplained``,
   ``classification-missing``), and ``obligation-missing`` for each obligation of a gated
   framework that applies on the evaluation date and that no element of the record evidences.
   Whether an element is *present* depends only on the charter and the records, so it is known
   here already.
2. :func:`evaluate_coverage` (after): every obligation that applies to the model, with each
   element present, failing (present but failing or stale: from the model's findings and checks)
   or absent, and the obligation evidenced, partial, missing, outside charter scope, or not yet
   applicable.

The rules are content/guide/regulation.md's; the crosswalk (which elements evidence which
obligation, from when) is data: aipo_site/crosswalk/crosswalk.yaml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..model.charter import SPECIAL_CATEGORIES, Charter
from ..model.inputs import ModelInputs
from ..model.policy import Policy
from ..model.regulation import (
    ANNEX_III_POINTS,
    FRAMEWORK_TITLES,
    Annex,
    Coverage,
    Crosswalk,
    ElementState,
    EuAiAct,
    ModelCoverage,
    Obligation,
    ObligationCoverage,
    RiskClass,
)
from ..model.results import DriftResult, Finding, KpiResult, Level, SegmentResult, Status

__all__ = [
    "ELEMENTS",
    "ELEMENT_ANCHORS",
    "PERSONAL_CATEGORIES",
    "REGULATION_CODES",
    "Scope",
    "applies",
    "evaluate_coverage",
    "regulation_findings",
    "regulation_scope",
]

# Data categories that make a data source hold personal data: `personal` and every special
# category (SPECIAL_CATEGORIES: special-category, health, biometric, genetic, children).
PERSONAL_CATEGORIES = frozenset({"personal"}) | SPECIAL_CATEGORIES

REGULATION_CODES = frozenset(
    {
        "classification-contradiction",
        "classification-unexplained",
        "classification-missing",
        "obligation-missing",
    }
)

_LEVELS = {"warn": Level.WARN, "breach": Level.BREACH}

# Where each element is shown on the model page (the section's heading id); None: the page's
# header (owner, retraining).
ELEMENT_ANCHORS: dict[str, str | None] = {
    "purpose": "business-outcomes",
    "accountability": None,
    "classification": "regulation",
    "risks": "risks",
    "kpis": "kpis",
    "drift": "data-drift",
    "segments": "fairness-across-segments",
    "data-sources": "data-sources",
    "authorisations": "data-sources",
    "lineage": "data-sources",
    "retraining": None,
    "escalation": "escalation-ladder",
    "decision-rights": "decision-rights",
    "incidents": "incidents",
    "reviews": "operating-rhythm",
    "decisions": "decision-records",
    "release": "lifecycle",
}

# The findings that make a present element failing (stale, overdue, failing a rule).
_FAILING_CODES: dict[str, frozenset[str]] = {
    "classification": frozenset({"classification-contradiction", "classification-unexplained"}),
    "risks": frozenset({"risk-over-appetite", "risk-review-overdue"}),
    "kpis": frozenset({"thresholds-missing", "threshold-loosened"}),
    "authorisations": frozenset({"authorisation-missing"}),
    "lineage": frozenset({"data-contract-missing"}),
    "retraining": frozenset(
        {"retraining-overdue", "retraining-unknown", "retraining-cadence-too-long"}
    ),
    "escalation": frozenset({"escalation-unacknowledged"}),
    "incidents": frozenset({"escalation-unacknowledged"}),
    "reviews": frozenset(
        {"ritual-overdue", "ritual-never-held", "ritual-cadence-too-long", "action-overdue"}
    ),
    "decisions": frozenset(
        {
            "decision-missing",
            "decision-late",
            "decision-stale",
            "decision-expired",
            "decision-unauthorised",
            "decision-evidence",
        }
    ),
    "release": frozenset({"stage-history-incoherent"}),
}


def personal_data(charter: Charter) -> bool:
    return any(PERSONAL_CATEGORIES & set(s.categories) for s in charter.data_sources)


def special_categories(charter: Charter) -> bool:
    return any(SPECIAL_CATEGORIES & set(s.categories) for s in charter.data_sources)


# --- presence: the charter and the records alone ---------------------------------------------


def _present(model: ModelInputs) -> dict[str, tuple[bool, str]]:
    """Each element: whether the record has it, and what it is, in words."""
    c = model.charter
    personal = [s for s in c.data_sources if PERSONAL_CATEGORIES & set(s.categories)]
    authorised = [s for s in (personal or c.data_sources) if s.authorisation is not None]
    traced = [s for s in c.data_sources if s.lineage or s.contract]
    plural = _plural
    return {
        "purpose": (True, "summary" + (f" and {plural(len(c.outcomes), 'outcome')}")),
        "accountability": (True, "owner and incident owner" if c.incident_owner else "owner"),
        "classification": (
            c.eu_ai_act is not None,
            f"classified {c.eu_ai_act.risk_class.value}" if c.eu_ai_act else "not classified",
        ),
        "risks": (bool(c.risks), plural(len(c.risks), "risk")),
        "kpis": (bool(c.kpis), plural(len(c.kpis), "KPI")),
        "drift": (
            c.drift is not None,
            plural(len(c.drift.features), "monitored feature") if c.drift else "not monitored",
        ),
        "segments": (bool(c.segments), plural(len(c.segments), "segment check")),
        "data-sources": (bool(c.data_sources), plural(len(c.data_sources), "data source")),
        "authorisations": (
            bool(authorised),
            f"{len(authorised)} of {plural(len(personal), 'source')} with personal data authorised"
            if personal
            else plural(len(authorised), "authorisation record"),
        ),
        "lineage": (
            bool(traced),
            f"{len(traced)} of {plural(len(c.data_sources), 'source')} traced"
            if c.data_sources
            else "no data sources",
        ),
        "retraining": (
            c.retraining is not None,
            f"every {c.retraining.cadence_days} days" if c.retraining else "no plan",
        ),
        "escalation": (bool(c.escalation), plural(len(c.escalation), "level")),
        "decision-rights": (bool(c.decision_rights), plural(len(c.decision_rights), "decision")),
        "incidents": (
            c.incident_owner is not None or bool(model.incidents),
            plural(len(model.incidents), "incident record")
            + (" and an incident owner" if c.incident_owner else ""),
        ),
        "reviews": (
            bool(c.rhythm),
            plural(len(c.rhythm), "ritual") + f", {plural(len(model.reviews), 'review record')}",
        ),
        "decisions": (bool(model.decisions), plural(len(model.decisions), "decision record")),
        "release": (
            c.release is not None,
            f"version {c.release.version}" if c.release else "no version recorded",
        ),
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# Every element the crosswalk may name (tests/test_crosswalk.py holds the data file to it).
ELEMENTS = frozenset(ELEMENT_ANCHORS)


# --- applicability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    """What decides which obligations apply to a model."""

    classification: EuAiAct | None
    personal: bool
    special: bool

    @property
    def profiling(self) -> bool:
        return self.classification is not None and self.classification.path.profiling


def _subject(charter: Charter) -> _Subject:
    return _Subject(charter.eu_ai_act, personal_data(charter), special_categories(charter))


def applies(obligation: Obligation, subject: _Subject) -> bool:
    """Whether an obligation applies to the model (on some date: see ``applies_from``)."""
    a = obligation.applies
    c = subject.classification
    if a.classes is not None:
        if c is None or c.risk_class not in a.classes:
            return False
        if a.annex is not None and c.annex not in a.annex:
            return False
        if a.areas is not None and c.path.annex_iii not in a.areas:
            return False
    if a.roles is not None and (c is None or not (c.role.roles & set(a.roles))):
        return False
    if a.personal_data and not subject.personal:
        return False
    if a.special_categories and not subject.special:
        return False
    if a.transparency and not (c is not None and c.path.transparency):
        return False
    return not (a.profiling and not subject.profiling)


def _applying(
    crosswalk: Crosswalk, policy: Policy, subject: _Subject
) -> list[tuple[Obligation, dt.date | None]]:
    shown = set(policy.regulation.frameworks)
    annex = subject.classification.annex if subject.classification else None
    return [
        (o, o.applies_from(annex))
        for o in crosswalk.obligations
        if o.framework in shown and applies(o, subject)
    ]


@dataclass(frozen=True)
class Scope:
    """What both steps read, computed once per model: each element's presence (with its note)
    and the obligations that apply, with the date each applies from."""

    present: dict[str, tuple[bool, str]]
    applying: list[tuple[Obligation, dt.date | None]]


def regulation_scope(model: ModelInputs, policy: Policy, crosswalk: Crosswalk) -> Scope:
    return Scope(_present(model), _applying(crosswalk, policy, _subject(model.charter)))


# --- step 1: findings ------------------------------------------------------------------------


def regulation_findings(
    model: ModelInputs, policy: Policy, crosswalk: Crosswalk, as_of: dt.date, scope: Scope
) -> list[Finding]:
    """The classification's findings and ``obligation-missing`` (see the module docstring)."""
    c = model.charter
    out: list[Finding] = []

    def add(code: str, level: Level, message: str, loc: tuple, since: dt.date | None) -> None:
        doc = model.document
        line = doc.position(loc)[0]
        if loc not in doc.positions:
            line = doc.key_positions.get(("owner",), (line,))[0]
        field = ".".join(str(p) for p in loc)
        out.append(Finding(code, level, message, "eu_ai_act", field, line, since, None))

    e = c.eu_ai_act
    if e is None:
        if c.lifecycle.stage in policy.regulation.classify:
            add(
                "classification-missing",
                Level.WARN,
                f"no EU AI Act classification: the policy requires one for "
                f"{c.lifecycle.stage.value} models (add `eu_ai_act`)",
                ("eu_ai_act",),
                c.lifecycle.since,
            )
    else:
        _classification_findings(c, e, add)
    level = _LEVELS.get(policy.regulation.missing)
    if level is not None:
        present = scope.present
        gated = set(policy.regulation.gate)
        elements = {e.id: e for e in crosswalk.elements}
        for o, start in scope.applying:
            if o.framework not in gated or o.scope != "charter":
                continue
            if start is not None and start > as_of:
                continue
            if any(present[el][0] for el in o.evidenced_by):
                continue
            names = "; ".join(
                f"{elements[el].title.lower()} ({elements[el].where})" for el in o.evidenced_by
            )
            applies_text = f"applies since {start.isoformat()}" if start else "applies"
            add(
                "obligation-missing",
                level,
                f"{_framework_label(o.framework)} {o.label} ({o.title}) {applies_text} and "
                f"nothing in the governance record evidences it; add {names}",
                (_LOCS.get(o.evidenced_by[0], "eu_ai_act"),),
                start,
            )
    return out


_LOCS = {
    "purpose": "outcomes",
    "accountability": "incident_owner",
    "classification": "eu_ai_act",
    "risks": "risks",
    "kpis": "kpis",
    "drift": "drift",
    "segments": "segments",
    "data-sources": "data_sources",
    "authorisations": "data_sources",
    "lineage": "data_sources",
    "retraining": "retraining",
    "escalation": "escalation",
    "decision-rights": "decision_rights",
    "incidents": "incident_owner",
    "reviews": "rhythm",
    "decisions": "lifecycle",
    "release": "release",
}


def _framework_label(framework: str) -> str:
    return FRAMEWORK_TITLES.get(framework, framework)


def _classification_findings(
    c: Charter, e: EuAiAct, add: Callable[[str, Level, str, tuple, dt.date | None], None]
) -> None:
    since = e.classified_on
    derived, annex = e.path.derived()
    if e.path.art_6_3 is not None and e.path.profiling:
        add(
            "classification-contradiction",
            Level.BREACH,
            f"Art. 6(3) is claimed ({e.path.art_6_3.value}) for a model that profiles natural "
            f"persons: an Annex III system that profiles is always high-risk",
            ("eu_ai_act", "path", "art_6_3"),
            since,
        )
    if derived is not e.risk_class:
        why = _why(e, derived, annex)
        add(
            "classification-contradiction",
            Level.BREACH,
            f"classified {e.risk_class.value}, but its decision path leads to {derived.value}{why}",
            ("eu_ai_act", "risk_class"),
            since,
        )
    if (
        e.risk_class in (RiskClass.minimal, RiskClass.limited_risk)
        and e.reason is None
        and personal_data(c)
    ):
        add(
            "classification-unexplained",
            Level.WARN,
            f"classified {e.risk_class.value} while its data sources hold personal data, with no "
            f"`reason`: say why the model is not high-risk",
            ("eu_ai_act", "risk_class"),
            since,
        )


def _why(e: EuAiAct, derived: RiskClass, annex: Annex | None) -> str:
    p = e.path
    if derived is RiskClass.prohibited:
        return " (prohibited_practice is true)"
    if derived is RiskClass.high_risk and annex is Annex.annex_i:
        return " (annex_i_product is true)"
    if derived is RiskClass.high_risk:
        point = p.annex_iii or ""
        because = " and it profiles natural persons" if p.art_6_3 and p.profiling else ""
        return f" (Annex III {point}: {ANNEX_III_POINTS.get(point, '')}{because})"
    if derived is RiskClass.limited_risk:
        return f" (Art. 50: {', '.join(t.value for t in p.transparency)})"
    return " (no prohibited practice, Annex I product, Annex III use or Art. 50 duty)"


# --- step 2: coverage ------------------------------------------------------------------------


def _failing(
    element: str,
    codes: set[str],
    kpis: Sequence[KpiResult],
    segments: Sequence[SegmentResult],
    drift: DriftResult | None,
    model: ModelInputs,
) -> str | None:
    """Why a present element is failing or stale, or None when it passes."""
    hit = sorted(codes & _FAILING_CODES.get(element, frozenset()))
    if hit:
        return "finding " + ", ".join(hit)
    c = model.charter
    if element == "purpose" and not c.outcomes:
        return "no business outcome mapped to model KPIs"
    if element in ("accountability", "incidents") and c.incident_owner is None:
        return "no incident owner"
    if element == "kpis":
        bad = [k.metric for k in kpis if k.status in (Status.BREACH, Status.STALE, Status.NO_DATA)]
        if bad:
            return "at BREACH, stale or without data: " + ", ".join(bad)
        if any(k.thresholds is None for k in kpis):
            return "a KPI has no thresholds"
    if element == "segments":
        bad = [s.name for s in segments if s.status in (Status.BREACH, Status.NO_DATA)]
        if bad:
            return "at BREACH or without data: " + ", ".join(bad)
    if element == "drift":
        if drift is None:
            return "no drift data"
        if drift.share_status in (Status.BREACH, Status.NO_DATA):
            return f"drift share {drift.share_status.value}"
    if element == "data-sources":
        bad = [s.name for s in c.data_sources if s.owner is None or not s.categories]
        if bad:
            return "no owner or categories: " + ", ".join(bad)
    if element == "authorisations":
        personal = [s for s in c.data_sources if PERSONAL_CATEGORIES & set(s.categories)]
        bad = [
            s.name
            for s in personal
            if s.authorisation is None or s.authorisation.legal_basis is None
        ]
        if bad:
            return "no authorisation or legal basis: " + ", ".join(bad)
    if element == "lineage":
        bad = [s.name for s in c.data_sources if not s.lineage]
        if bad:
            return "no lineage: " + ", ".join(bad)
    return None


def evaluate_coverage(
    model: ModelInputs,
    policy: Policy,
    crosswalk: Crosswalk,
    as_of: dt.date,
    findings: Iterable[Finding],
    kpis: Sequence[KpiResult],
    segments: Sequence[SegmentResult],
    drift: DriftResult | None,
    scope: Scope,
) -> ModelCoverage:
    """Every obligation that applies to the model, and how its record covers it on ``as_of``."""
    c = model.charter
    present = scope.present
    codes = {f.code for f in findings}
    titles = {e.id: e.title for e in crosswalk.elements}
    states: dict[str, ElementState] = {}
    for element, (has, note) in present.items():
        title = titles.get(element, element)
        if not has:
            states[element] = ElementState(element, title, "absent", note, ELEMENT_ANCHORS[element])
            continue
        why = _failing(element, codes, kpis, segments, drift, model)
        states[element] = ElementState(
            element,
            title,
            "failing" if why else "present",
            f"{note}; {why}" if why else note,
            ELEMENT_ANCHORS[element],
        )
    out = []
    for o, start in scope.applying:
        elements = tuple(states[el] for el in o.evidenced_by)
        if o.scope == "outside":
            coverage = Coverage.outside
        elif start is not None and start > as_of:
            coverage = Coverage.not_yet
        elif all(s.state == "present" for s in elements):
            coverage = Coverage.evidenced
        elif all(s.state == "absent" for s in elements):
            coverage = Coverage.missing
        else:
            coverage = Coverage.partial
        out.append(ObligationCoverage(o, coverage, start, elements))
    derived = c.eu_ai_act.path.derived() if c.eu_ai_act else None
    return ModelCoverage(c.eu_ai_act, derived, out)
