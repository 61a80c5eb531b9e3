"""Regulation: a charter's EU AI Act classification, the crosswalk of obligations, and coverage.

Only types live here (no I/O). Three parts:

- :class:`EuAiAct`, the charter's ``eu_ai_act`` section: the model's risk class under
  Regulation (EU) 2024/1689, its role, and the decision path (the answers that lead to the class);
- :class:`Crosswalk` and :class:`Sources`, the two data files bundled in ``aipo_site/crosswalk/``
  (read by :mod:`aipo_site.load.crosswalk`): which charter elements evidence which obligation of
  the EU AI Act, the NIST AI RMF 1.0, ISO/IEC 42001 Annex A and the GDPR, and every id those
  frameworks define;
- :class:`ModelCoverage`, what :mod:`aipo_site.evaluate.regulation` makes of them for one model
  on the evaluation date.

The crosswalk is evidence mapping, not legal advice: content/guide/regulation.md says what it
rests on and where it stops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .base import ShortText, Strict, Text

__all__ = [
    "ANNEX_III_POINTS",
    "BINDING_FRAMEWORKS",
    "FRAMEWORK_TITLES",
    "Annex",
    "Applicability",
    "CatalogueItem",
    "Coverage",
    "Crosswalk",
    "DecisionPath",
    "Derogation",
    "Element",
    "ElementState",
    "EuAiAct",
    "Framework",
    "ModelCoverage",
    "Obligation",
    "ObligationCoverage",
    "RiskClass",
    "Role",
    "Sources",
    "Transparency",
]


Id = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9](?:[a-z0-9.()-]{0,78}[a-z0-9)])?$",
        description="Lower-case letters, digits, '-', '.', '(' and ')'.",
    ),
]


# The frameworks, in the order pages show them: the two laws, then the voluntary standards. Their
# citations and id lists are in aipo_site/crosswalk/sources.yaml (the same ids; a test holds them).
FRAMEWORK_TITLES: dict[str, str] = {
    "eu-ai-act": "EU AI Act",
    "gdpr": "GDPR",
    "nist-ai-rmf": "NIST AI RMF 1.0",
    "iso-42001": "ISO/IEC 42001",
}
BINDING_FRAMEWORKS = frozenset({"eu-ai-act", "gdpr"})


class RiskClass(StrEnum):
    """The EU AI Act's risk classes, most severe first."""

    prohibited = "prohibited"  # Art. 5
    high_risk = "high-risk"  # Art. 6 with Annex I or Annex III
    limited_risk = "limited-risk"  # Art. 50 transparency obligations only
    minimal = "minimal"  # none of the above


class Annex(StrEnum):
    """Why a high-risk system is high-risk: Art. 6(1) (a product or safety component under the
    Union harmonisation legislation of Annex I) or Art. 6(2) (a use listed in Annex III)."""

    annex_i = "annex-i"
    annex_iii = "annex-iii"


class Role(StrEnum):
    """The organisation's role for the model (Art. 3(3) provider, Art. 3(4) deployer)."""

    provider = "provider"
    deployer = "deployer"
    provider_and_deployer = "provider-and-deployer"

    @property
    def roles(self) -> frozenset[str]:
        if self is Role.provider_and_deployer:
            return frozenset({"provider", "deployer"})
        return frozenset({self.value})


# Annex III of Regulation (EU) 2024/1689: the points and sub-points of its eight areas.
ANNEX_III_POINTS: dict[str, str] = {
    "1(a)": "Remote biometric identification",
    "1(b)": "Biometric categorisation by sensitive attributes",
    "1(c)": "Emotion recognition",
    "2": "Safety components of critical infrastructure",
    "3(a)": "Access or admission to education",
    "3(b)": "Evaluating learning outcomes",
    "3(c)": "Assessing the level of education a person will receive",
    "3(d)": "Monitoring prohibited behaviour of students during tests",
    "4(a)": "Recruitment or selection of natural persons",
    "4(b)": "Decisions on work relationships, task allocation, monitoring of workers",
    "5(a)": "Eligibility for essential public assistance benefits and services",
    "5(b)": "Creditworthiness and credit scoring of natural persons",
    "5(c)": "Risk assessment and pricing in life and health insurance",
    "5(d)": "Evaluating and classifying emergency calls, dispatch and triage",
    "6(a)": "Law enforcement: risk of a person becoming a victim of crime",
    "6(b)": "Law enforcement: polygraphs and similar tools",
    "6(c)": "Law enforcement: reliability of evidence",
    "6(d)": "Law enforcement: risk of offending or re-offending",
    "6(e)": "Law enforcement: profiling in the course of investigations",
    "7(a)": "Migration and border control: polygraphs and similar tools",
    "7(b)": "Migration and border control: security, irregular migration or health risks",
    "7(c)": "Migration and border control: examining applications for asylum, visa, permits",
    "7(d)": "Migration and border control: detecting, recognising or identifying persons",
    "8(a)": "Administration of justice: assisting a judicial authority",
    "8(b)": "Influencing the outcome of an election or referendum or voting behaviour",
}


AnnexIIIPoint = Literal[tuple(ANNEX_III_POINTS)]  # type: ignore[valid-type]


class Derogation(StrEnum):
    """The conditions of Art. 6(3) under which an Annex III system is not high-risk."""

    narrow_procedural_task = "narrow-procedural-task"  # (a)
    improves_completed_activity = "improves-completed-activity"  # (b)
    detects_patterns = "detects-patterns"  # (c)
    preparatory_task = "preparatory-task"  # (d)


class Transparency(StrEnum):
    """The transparency obligations of Art. 50 that make a system limited-risk."""

    interacts_with_people = "interacts-with-people"  # 50(1)
    synthetic_content = "synthetic-content"  # 50(2)
    emotion_recognition = "emotion-recognition"  # 50(3)
    biometric_categorisation = "biometric-categorisation"  # 50(3)
    deep_fake = "deep-fake"  # 50(4)


class DecisionPath(Strict):
    """The questions that decide the class, in the order the Act asks them (Arts. 5, 6, 50).
    aipo derives the class from these answers and reports a class that contradicts them."""

    prohibited_practice: bool = Field(
        description="Art. 5: is the use a prohibited practice (e.g. social scoring, exploiting "
        "vulnerabilities, untargeted scraping of facial images)? true makes the class prohibited."
    )
    annex_i_product: bool = Field(
        default=False,
        description="Art. 6(1): is the model a product, or the safety component of a product, "
        "covered by the Union harmonisation legislation of Annex I and subject to third-party "
        "conformity assessment? true makes it high-risk (Annex I).",
    )
    annex_iii: AnnexIIIPoint | None = Field(
        default=None,
        description="Art. 6(2): the Annex III point of its intended use, e.g. '5(b)' "
        "(creditworthiness and credit scoring); empty when its use is in no Annex III area. "
        "One of: " + ", ".join(ANNEX_III_POINTS) + ".",
    )
    profiling: bool = Field(
        description="Does the model profile natural persons (GDPR Art. 4(4): automated "
        "processing of personal data to evaluate, analyse or predict aspects of a person)? "
        "Art. 6(3): an Annex III system that profiles is always high-risk."
    )
    art_6_3: Derogation | None = Field(
        default=None,
        description="The Art. 6(3) condition claimed for an Annex III system that does not pose "
        "a significant risk of harm: narrow-procedural-task (a), improves-completed-activity (b), "
        "detects-patterns (c) or preparatory-task (d). The claim needs `justification`; it "
        "cannot be made for a system that profiles natural persons.",
    )
    transparency: list[Transparency] = Field(
        default_factory=list,
        description="Art. 50: the transparency duties that apply (interacts-with-people, "
        "synthetic-content, emotion-recognition, biometric-categorisation, deep-fake). Any of "
        "them makes a system that is not high-risk limited-risk.",
    )

    @field_validator("annex_iii", mode="before")
    @classmethod
    def _known_point(cls, value: object) -> object:
        if value is not None and value not in ANNEX_III_POINTS:
            raise ValueError(
                f"{value!r} is not an Annex III point; expected one of "
                + ", ".join(ANNEX_III_POINTS)
            )
        return value

    @model_validator(mode="after")
    def _derogation(self) -> DecisionPath:
        if self.art_6_3 is not None and self.annex_iii is None:
            raise ValueError(
                "art_6_3: the Art. 6(3) derogation applies only to an Annex III system; "
                "set annex_iii to its point or remove art_6_3"
            )
        return self

    def derived(self) -> tuple[RiskClass, Annex | None]:
        """The class (and, for high-risk, the annex) these answers lead to."""
        if self.prohibited_practice:
            return RiskClass.prohibited, None
        if self.annex_i_product:
            return RiskClass.high_risk, Annex.annex_i
        if self.annex_iii is not None and (self.art_6_3 is None or self.profiling):
            return RiskClass.high_risk, Annex.annex_iii
        if self.transparency:
            return RiskClass.limited_risk, None
        return RiskClass.minimal, None


class EuAiAct(Strict):
    """The model's classification under the EU AI Act (Regulation (EU) 2024/1689), with the
    answers that led there and who classified it when."""

    risk_class: RiskClass = Field(
        description="prohibited, high-risk, limited-risk (Art. 50 transparency) or minimal."
    )
    role: Role = Field(
        description="The organisation's role for this model: provider (develops it or has it "
        "developed and places it on the market or puts it into service under its own name), "
        "deployer (uses it under its authority), or provider-and-deployer (an in-house model)."
    )
    path: DecisionPath = Field(description="The answers that lead to the class.")
    justification: Text | None = Field(
        default=None,
        description="Why the Art. 6(3) condition in `path.art_6_3` holds (required with it). "
        "Art. 6(4): a provider documents this assessment before placing the system on the market.",
    )
    reason: Text | None = Field(
        default=None,
        description="Why the class is right, in words. Expected for a minimal or limited-risk "
        "model that processes personal data: without it, that classification is a finding.",
    )
    classified_by: ShortText = Field(
        description="Who classified it: a key of the people directory, or a name."
    )
    classified_on: dt.date = Field(description="When it was classified (YYYY-MM-DD).")

    @model_validator(mode="after")
    def _justified(self) -> EuAiAct:
        if self.path.art_6_3 is not None and self.justification is None:
            raise ValueError(
                "justification: an Art. 6(3) claim (path.art_6_3) needs its justification"
            )
        return self

    @property
    def annex(self) -> Annex | None:
        """The annex that makes a high-risk class high-risk (from the decision path)."""
        if self.risk_class is not RiskClass.high_risk:
            return None
        if self.path.annex_i_product:
            return Annex.annex_i
        return Annex.annex_iii if self.path.annex_iii is not None else None


# --- The crosswalk's data files --------------------------------------------------------------


class CatalogueItem(Strict):
    id: Id = Field(description="The id in the framework, e.g. 'art-9', 'govern-1.1', 'a.6.2.6'.")
    title: ShortText = Field(description="Its short title (never the text of a paid standard).")


class Framework(Strict):
    """A law or standard and the list of every id the crosswalk may use from it."""

    id: Id = Field(description="eu-ai-act, nist-ai-rmf, iso-42001 or gdpr.")
    title: ShortText = Field(description="Its name as cited.")
    citation: ShortText = Field(description="The document the ids come from.")
    url: Annotated[str, Field(pattern=r"^https://")] = Field(description="Where to read it.")
    binding: bool = Field(description="true for law, false for a voluntary standard.")
    note: Text | None = Field(default=None, description="Limits of this list.")
    items: list[CatalogueItem] = Field(min_length=1, description="Every id it defines.")

    def ids(self) -> set[str]:
        return {i.id for i in self.items}


class Sources(Strict):
    """``aipo_site/crosswalk/sources.yaml``: the frameworks and the ids each one defines."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo crosswalk sources",
        json_schema_extra={"$id": "https://aipo.dev/schema/crosswalk-sources.schema.json"},
    )

    version: ShortText = Field(description="Version of this list, e.g. '2026.11'.")
    frameworks: list[Framework] = Field(min_length=1)
    amendments: list[CatalogueItem] = Field(
        default_factory=list,
        description="Amending acts that changed an obligation's date (id and citation).",
    )


class Element(Strict):
    """A part of the governance record that can evidence an obligation."""

    id: Id = Field(description="The element's id, e.g. 'risks'.")
    title: ShortText = Field(description="Its name for readers.")
    where: ShortText = Field(
        description="Where it lives: charter fields or record folders, e.g. 'charter: risks'."
    )
    evidenced_when: Text = Field(description="When aipo counts it present, and when failing.")


class Applicability(Strict):
    """To which models an obligation applies; every condition given must hold."""

    classes: list[RiskClass] | None = Field(
        default=None,
        description="EU AI Act classes it applies to; omitted: any model, classified or not.",
    )
    annex: list[Annex] | None = Field(default=None, description="Only high-risk via these.")
    areas: list[str] | None = Field(
        default=None, description="Only these Annex III points (e.g. Art. 27's 5(b), 5(c))."
    )
    roles: list[Annotated[str, Field(pattern=r"^(provider|deployer)$")]] | None = Field(
        default=None, description="Only for these roles (provider, deployer)."
    )
    personal_data: bool | None = Field(
        default=None, description="true: only when a data source holds personal data."
    )
    special_categories: bool | None = Field(
        default=None, description="true: only when a data source holds special-category data."
    )
    profiling: bool | None = Field(
        default=None, description="true: only when the decision path says it profiles persons."
    )
    transparency: bool | None = Field(
        default=None,
        description="true: only when the decision path lists an Art. 50 transparency duty.",
    )


class DateChange(Strict):
    original: dt.date = Field(description="The date before the amendment.")
    by: Id = Field(description="The amendment's id in sources.yaml `amendments`.")


class Obligation(Strict):
    """One obligation (or control, or subcategory) and the elements that evidence it."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+/[a-z0-9.()-]+$")] = Field(
        description="Unique id: '<framework>/<ref id>', e.g. 'eu-ai-act/art-9'."
    )
    framework: Id = Field(description="The framework's id in sources.yaml.")
    refs: list[Id] = Field(min_length=1, description="Ids in the framework's list it stands for.")
    label: ShortText = Field(description="How it is cited, e.g. 'Art. 9'.")
    title: ShortText = Field(description="Short title.")
    annex_iv: list[Id] = Field(
        default_factory=list,
        description="Annex IV sections (technical documentation) it feeds, e.g. 'annex-iv-3'.",
    )
    applies: Applicability = Field(default_factory=Applicability)
    from_: dt.date | dict[Annex, dt.date] | None = Field(
        default=None,
        alias="from",
        description="Date it applies from (one date, or one per annex for high-risk "
        "obligations); omitted: already applies.",
    )
    changed: dict[Annex, DateChange] | DateChange | None = Field(
        default=None, description="The original date(s) an amendment replaced."
    )
    scope: str = Field(
        default="charter",
        pattern=r"^(charter|outside)$",
        description="charter: the governance record can evidence it; outside: it is done "
        "elsewhere (e.g. conformity assessment, registration in the EU database).",
    )
    evidenced_by: list[Id] = Field(
        default_factory=list, description="Element ids that evidence it, all of them."
    )
    source: ShortText = Field(description="Where the obligation is stated (pinpoint citation).")
    why: Text = Field(description="Why these elements evidence it.")

    @model_validator(mode="after")
    def _scoped(self) -> Obligation:
        if self.scope == "charter" and not self.evidenced_by:
            raise ValueError(f"{self.id}: an obligation in charter scope needs evidenced_by")
        if self.scope == "outside" and self.evidenced_by:
            raise ValueError(f"{self.id}: an obligation outside charter scope has no evidence")
        return self

    def applies_from(self, annex: Annex | None) -> dt.date | None:
        if isinstance(self.from_, dict):
            if annex is not None and annex in self.from_:
                return self.from_[annex]
            return min(self.from_.values())
        return self.from_


class Crosswalk(Strict):
    """``aipo_site/crosswalk/crosswalk.yaml``: charter elements -> the obligations they
    evidence."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        populate_by_name=True,
        title="aipo crosswalk",
        json_schema_extra={"$id": "https://aipo.dev/schema/crosswalk.schema.json"},
    )

    version: ShortText = Field(description="Version of the crosswalk, e.g. '2026.11'.")
    reviewed: dt.date = Field(description="When its dates and mappings were last checked.")
    elements: list[Element] = Field(min_length=1)
    obligations: list[Obligation] = Field(min_length=1)


# --- Coverage (evaluate/regulation.py) -------------------------------------------------------


class Coverage(StrEnum):
    """What the governance record shows for one obligation."""

    @property
    def label(self) -> str:
        return COVERAGE_LABELS[self]

    @property
    def slug(self) -> str:
        """The colour it is shown in (the status pills' names)."""
        return COVERAGE_SLUGS[self]

    evidenced = "evidenced"  # every element present and passing
    partial = "partial"  # present but failing or stale, or only some elements present
    missing = "missing"  # no element present
    outside = "outside"  # out of charter scope (done elsewhere)
    not_yet = "not-yet"  # applies to this model, but only from a later date


COVERAGE_LABELS = {
    Coverage.evidenced: "evidenced",
    Coverage.partial: "partial",
    Coverage.missing: "missing",
    Coverage.outside: "outside charter",
    Coverage.not_yet: "not yet",
}
COVERAGE_SLUGS = {
    Coverage.evidenced: "ok",
    Coverage.partial: "warn",
    Coverage.missing: "breach",
    Coverage.outside: "none",
    Coverage.not_yet: "none",
}


@dataclass(frozen=True)
class ElementState:
    """One element of one model: present, failing (present but failing or stale) or absent."""

    element: str
    title: str  # the element's name for readers (crosswalk.yaml)
    state: str  # "present", "failing" or "absent"
    note: str  # why, in words
    anchor: str | None = None  # section id on the model page


@dataclass(frozen=True)
class ObligationCoverage:
    obligation: Obligation
    coverage: Coverage
    applies_from: dt.date | None
    elements: tuple[ElementState, ...] = ()

    @property
    def due(self) -> bool:
        """Whether it already applies on the evaluation date (and counts for findings)."""
        return self.coverage is not Coverage.not_yet


@dataclass(frozen=True)
class ModelCoverage:
    """The obligations that apply to one model (by class, role and data) and their coverage."""

    classification: EuAiAct | None
    derived: tuple[RiskClass, Annex | None] | None  # the class its decision path leads to
    obligations: list[ObligationCoverage] = field(default_factory=list)

    def by_framework(self) -> list[tuple[str, list[ObligationCoverage]]]:
        """The obligations grouped by framework, in FRAMEWORK_TITLES order."""
        groups: dict[str, list[ObligationCoverage]] = {}
        for o in self.obligations:
            groups.setdefault(o.obligation.framework, []).append(o)
        order = list(FRAMEWORK_TITLES)
        return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)

    def counts(self) -> dict[Coverage, int]:
        out = dict.fromkeys(Coverage, 0)
        for o in self.obligations:
            out[o.coverage] += 1
        return out
