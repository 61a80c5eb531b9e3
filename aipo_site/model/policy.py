"""The repository-wide policy: the organisation's common rules that every charter inherits."""

from __future__ import annotations

import string
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..errors import snippet
from .changes import Kind, Severity
from .charter import (
    PERSON_KEY_MAX,
    PERSON_KEY_PATTERN,
    Direction,
    DropTiers,
    MeasuredBy,
    MetricName,
    ShortText,
    Slug,
    Stage,
    Strict,
    Text,
    Tiers,
    check_threshold_order,
    check_tier_order,
)
from .decisions import DecisionKind

__all__ = [
    "BUSINESS_PLACEHOLDERS",
    "PERFORMANCE_STAGES",
    "TECHNICAL_RISK_KINDS",
    "AuthorisationRule",
    "DecisionRule",
    "DriftDefaults",
    "MetricDefault",
    "Policy",
    "RiskDefault",
    "RitualRule",
    "Section",
    "SignOffRule",
]

# Stages whose performance is judged unless the policy says otherwise: a sunset model no longer
# runs, so there is no performance to judge; a deprecated one still serves while it is phased out.
PERFORMANCE_STAGES = (Stage.prototype, Stage.pilot, Stage.production, Stage.deprecated)


class Section(StrEnum):
    """Charter sections a lifecycle stage can require (see `required_sections`)."""

    owner = "owner"
    incident_owner = "incident_owner"
    outcomes = "outcomes"
    kpis = "kpis"
    thresholds = "thresholds"
    baselines = "baselines"
    data_sources = "data_sources"
    data_contracts = "data_contracts"
    retraining = "retraining"
    risks = "risks"
    escalation = "escalation"
    decision_rights = "decision_rights"
    rhythm = "rhythm"
    onboarding = "onboarding"
    sunset_review = "sunset_review"
    drift = "drift"


class MetricDefault(Strict):
    """Default direction and thresholds for every KPI with this metric name."""

    direction: Direction = Field(description="higher_is_better or lower_is_better.")
    warn: float | None = Field(default=None, description="Default warn threshold.")
    breach: float | None = Field(default=None, description="Default breach threshold.")

    @model_validator(mode="after")
    def _ordered(self) -> MetricDefault:
        if (self.warn is None) != (self.breach is None):
            raise ValueError("give both warn and breach, or neither")
        if self.warn is not None and self.breach is not None:
            from .charter import Thresholds

            check_threshold_order(Thresholds(warn=self.warn, breach=self.breach), self.direction)
        return self


class AuthorisationRule(Strict):
    """Data in any of these categories about subjects in any of these regions needs an
    authorisation record. `"*"` in regions matches every region."""

    categories: list[Slug] = Field(min_length=1, description="Data categories the rule covers.")
    regions: list[ShortText] = Field(
        default_factory=lambda: ["*"], description="Regions the rule covers ('*' = all)."
    )
    regulation: ShortText | None = Field(
        default=None, description="The regulation behind the rule, e.g. 'GDPR Art. 35'."
    )

    def matches(self, categories: list[str], regions: list[str]) -> tuple[list[str], list[str]]:
        """The categories and regions of a data source that this rule covers."""
        cats = [c for c in categories if c in self.categories]
        if "*" in self.regions:
            regs = list(regions) or ["(unspecified)"]
        else:
            wanted = {r.upper() for r in self.regions}
            regs = [r for r in regions if r.upper() in wanted]
        return (cats, regs) if cats and regs else ([], [])


class RitualRule(Strict):
    """A ritual every model in the given stages must hold at least this often."""

    ritual: ShortText = Field(description="Ritual name, matched case-insensitively.")
    max_cadence_days: int = Field(ge=1, description="Longest allowed interval between sessions.")
    stages: list[Stage] = Field(
        default_factory=lambda: [Stage.pilot, Stage.production],
        description="Stages the rule applies to.",
    )


class DriftDefaults(Strict):
    """Default drift tiers per method and for the dataset drift share.

    Defaults follow common practice: PSI 0.1 / 0.25 (the industry rule of thumb); p-value tests
    (KS, chi-square) warn below 0.05 and breach below 0.01; Wasserstein distance normalised by the
    reference standard deviation and Jensen–Shannon distance 0.1 / 0.2 (0.1 is Evidently's default
    drift threshold for both); half the features drifting breaches, a quarter warns.
    """

    psi: Tiers = Field(default_factory=lambda: Tiers(warn=0.1, breach=0.25), description="PSI.")
    ks: Tiers = Field(
        default_factory=lambda: Tiers(warn=0.05, breach=0.01),
        description="Kolmogorov–Smirnov p-value (lower is worse).",
    )
    chi_square: Tiers = Field(
        default_factory=lambda: Tiers(warn=0.05, breach=0.01),
        description="Chi-square p-value (lower is worse).",
    )
    wasserstein: Tiers = Field(
        default_factory=lambda: Tiers(warn=0.1, breach=0.2),
        description="Wasserstein distance / reference standard deviation.",
    )
    jensen_shannon: Tiers = Field(
        default_factory=lambda: Tiers(warn=0.1, breach=0.2),
        description="Jensen–Shannon distance (base 2, 0 to 1).",
    )
    share: Tiers = Field(
        default_factory=lambda: Tiers(warn=0.25, breach=0.5),
        description="Share of drifted features (importance-weighted).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> DriftDefaults:
        for name in ("psi", "ks", "chi_square", "wasserstein", "jensen_shannon", "share"):
            check_tier_order(getattr(self, name), name)
        return self


# The technical risk kinds the policy can give a default measure and business template for.
TECHNICAL_RISK_KINDS = ("bias", "calibration_error", "adversarial_vulnerability", "hallucination")
TechnicalRiskKind = Literal[
    "bias", "calibration_error", "adversarial_vulnerability", "hallucination"
]
# What a business template may say, in braces: filled in for each risk (see RiskDefault).
BUSINESS_PLACEHOLDERS = ("model", "title", "kpi", "warn", "breach")


class RiskDefault(Strict):
    """The policy's default for every charter risk of one technical kind: the check that measures
    it and its business-language text."""

    measured_by: MeasuredBy | None = Field(
        default=None,
        description="The default measure, by name ({kpi: METRIC}, {segment: METRIC}, "
        "{drift_feature: NAME} or {drift_share: true}). A risk of this kind without its own "
        "`measured_by` is measured by it when the charter has that KPI, fairness check, drift "
        "feature or drift section; otherwise it stays unmeasured (no error). Its warn and breach "
        "levels are the check's own: the charter's, else the policy's `metrics` (or `drift`) "
        "defaults.",
    )
    business: Text | None = Field(
        default=None,
        description="Business-language template for a risk of this kind whose charter leaves "
        "`business` out. Placeholders in braces: {model} (the model's name), {title} (the "
        "risk's title), {kpi} (the measuring check's name: the KPI's name, else its metric; the "
        "fairness check's KPI; the drift feature; 'the dataset drift share'), {warn} and "
        "{breach} (that check's levels); each of the last three reads 'not measured' or 'not "
        "set' when the risk has no measure or the check no levels. Write {{ and }} for braces.",
    )

    @model_validator(mode="after")
    def _placeholders(self) -> RiskDefault:
        if self.business is None:
            return self
        try:
            fields = [
                (f, spec, conv)
                for _, f, spec, conv in string.Formatter().parse(self.business)
                if f is not None
            ]
        except ValueError as e:
            raise ValueError(f"business: {e} (write {{{{ and }}}} for a brace)") from None
        allowed = ", ".join("{" + p + "}" for p in BUSINESS_PLACEHOLDERS)
        for name, spec, conv in fields:
            if name not in BUSINESS_PLACEHOLDERS or spec or conv:
                written = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
                raise ValueError(
                    f"business: unknown placeholder {snippet(written + '}')} (use {allowed})"
                )
        return self


class DecisionRule(Strict):
    """A kind of decision the policy governs: who may take it, and whether a stage needs it."""

    kind: DecisionKind = Field(description="stage-transition, risk-acceptance or policy-exception.")
    stage: Stage | None = Field(
        default=None,
        description="stage-transition only: the stage entered. A model in this stage needs an "
        "approved decision record for it.",
    )
    decision_right: ShortText = Field(
        description="The charter's decision right (its `decision`, matched case-insensitively) "
        "whose `accountable` may take the decision."
    )

    @model_validator(mode="after")
    def _stage(self) -> DecisionRule:
        if (self.kind == DecisionKind.stage_transition) != (self.stage is not None):
            raise ValueError("`stage` is given for, and only for, a stage-transition rule")
        return self


PersonKey = Annotated[
    str,
    Field(
        pattern=PERSON_KEY_PATTERN,
        max_length=PERSON_KEY_MAX,
        description="A key of the people directory.",
    ),
]

# The kinds whose item is a data source: the only changes `data_categories` can select.
DATA_SOURCE_KINDS = frozenset(
    {
        Kind.DATA_SOURCE_ADDED,
        Kind.DATA_SOURCE_CHANGED,
        Kind.DATA_SOURCE_REMOVED,
        Kind.AUTHORISATION_ADDED,
        Kind.AUTHORISATION_CHANGED,
        Kind.AUTHORISATION_REMOVED,
        Kind.CONTRACT_ADDED,
        Kind.CONTRACT_CHANGED,
        Kind.CONTRACT_REMOVED,
    }
)


class AccountableApprover(Strict):
    """The person a model's charter makes accountable for a decision (`decision_rights`)."""

    accountable: ShortText = Field(
        description="A decision of the charter's decision_rights, matched case-insensitively, "
        "e.g. 'Threshold changes'. Without such a decision right, the charter's owner signs off."
    )


class SignOffRule(Strict):
    """Who must sign off which changes of `aipo diff`. A rule covers a change when every
    selector it gives matches (at least one is required); within a list, any value matches."""

    name: ShortText = Field(description="What the sign-off is, e.g. 'Data protection'.")
    kinds: list[Kind] = Field(
        default_factory=list,
        description="Change kinds of `aipo diff`, e.g. threshold-loosened, data-source-added.",
    )
    min_severity: Literal["info", "review", "critical"] | None = Field(
        default=None, description="Only changes at this severity or above."
    )
    data_categories: list[Slug] = Field(
        default_factory=list,
        description="Only changes to a data source (added, changed, its authorisation or "
        "contract) that holds one of these categories after the change.",
    )
    policy: bool | None = Field(
        default=None,
        description="true: only changes of the policy file; false: only changes of models.",
    )
    approvers: list[PersonKey | AccountableApprover] = Field(
        min_length=1,
        description="Who signs off: people-directory keys; 'owner' (the model's AI Product "
        "Owner); {accountable: DECISION} (who the model's decision_rights make accountable for "
        "DECISION). owner and accountable name nobody on a policy change.",
    )

    @model_validator(mode="after")
    def _selects(self) -> SignOffRule:
        if not (self.kinds or self.min_severity or self.data_categories or self.policy is not None):
            raise ValueError(
                "give at least one selector: kinds, min_severity, data_categories or policy"
            )
        return self

    @property
    def severity(self) -> Severity | None:
        return Severity[self.min_severity.upper()] if self.min_severity else None


FRAMEWORKS = ("eu-ai-act", "gdpr", "nist-ai-rmf", "iso-42001")
FrameworkId = Literal["eu-ai-act", "gdpr", "nist-ai-rmf", "iso-42001"]


class RegulationRules(Strict):
    """How regulation coverage (guide: Regulation coverage) is shown and checked."""

    frameworks: list[FrameworkId] = Field(
        default=list(FRAMEWORKS),
        description="The frameworks whose coverage model pages, the regulation matrix and "
        "`aipo export` show: eu-ai-act, gdpr, nist-ai-rmf, iso-42001 (default: all four).",
    )
    gate: list[FrameworkId] = Field(
        default=["eu-ai-act", "gdpr"],
        description="The shown frameworks whose missing obligations are findings (default: the "
        "two laws; the voluntary standards are shown, not enforced).",
    )
    missing: Literal["off", "warn", "breach"] = Field(
        default="warn",
        description="The level of an obligation-missing finding: an obligation of a gated "
        "framework that applies to the model on the evaluation date and that nothing in its "
        "governance record evidences. off: no such findings.",
    )
    classify: list[Stage] = Field(
        default_factory=list,
        description="Lifecycle stages whose charters must carry an `eu_ai_act` classification: "
        "without one, a classification-missing finding (WARN).",
    )


class Policy(Strict):
    """Common rules for every charter in the repository."""

    metrics: dict[MetricName, MetricDefault] = Field(
        default_factory=dict,
        description="Default direction and thresholds per metric name. Charters inherit them and "
        "may tighten them; a charter that loosens one is reported as a finding.",
    )
    baseline_max_drop: DropTiers = Field(
        default_factory=lambda: DropTiers(warn=0.05, breach=0.10),
        description="Default tolerated relative drop from a KPI's original baseline: a drop of "
        "exactly the tier is tolerated, more is WARN or BREACH.",
    )
    freshness_days: int = Field(
        default=3,
        ge=0,
        description="Default freshness limit for KPI data, in days: a KPI whose newest row is "
        "more than this many days older than the evaluation date is STALE.",
    )
    authorisation: list[AuthorisationRule] = Field(
        default_factory=list,
        description="Which data categories in which regions need an authorisation record.",
    )
    max_retraining_interval_days: int | None = Field(
        default=None, ge=1, description="Longest allowed retraining cadence, in days."
    )
    required_sections: dict[Stage, list[Section]] = Field(
        default_factory=dict, description="Charter sections each lifecycle stage requires."
    )
    performance_stages: list[Stage] = Field(
        default=list(PERFORMANCE_STAGES),  # pydantic copies it for each policy
        description="Lifecycle stages whose performance is judged: their KPIs, baseline drops, "
        "fairness checks and data drift answer 'Is this model performing as intended?'. A model "
        "in any other stage (by default only sunset) answers 'not judged': its metrics are "
        "still shown, and its compliance is still checked by its stage's rules.",
    )
    rituals: list[RitualRule] = Field(
        default_factory=list, description="Review cadences every model must keep."
    )
    drift: DriftDefaults = Field(default_factory=DriftDefaults, description="Default drift tiers.")
    sign_off: list[SignOffRule] = Field(
        default_factory=list,
        description="Who must sign off which changes: `aipo diff` lists them per change and "
        "mentions them in the pull-request comment (needs the people directory).",
    )
    policy_owners: list[PersonKey] = Field(
        default_factory=list,
        description="People-directory keys that own this policy file, the people directory and "
        "the CODEOWNERS file in the CODEOWNERS that `aipo codeowners` writes.",
    )

    @model_validator(mode="after")
    def _unique_rule_names(self) -> Policy:
        seen: set[str] = set()
        for rule in self.sign_off:
            if rule.name.casefold() in seen:
                raise ValueError(f"sign_off: two rules are named '{rule.name}'")
            seen.add(rule.name.casefold())
        return self

    decisions: list[DecisionRule] = Field(
        default_factory=list,
        description="Which decisions each stage needs and who may take them (decision records).",
    )
    risk_appetite: dict[Stage, Annotated[int, Field(ge=1, le=25)]] = Field(
        default_factory=dict,
        description="Per lifecycle stage, the highest current risk score (likelihood × impact, "
        "1 to 25) a model may carry without a risk-acceptance decision. A risk that is not "
        "closed and scores more is a risk-over-appetite finding (BREACH) unless a valid "
        "risk-acceptance decision record covers it. A stage not listed has no appetite.",
    )
    risk_review_days: int | None = Field(
        default=None,
        ge=1,
        description="Every risk that is not closed must be reviewed at least this often: from "
        "the day after `last_reviewed` plus this many days (for a risk never reviewed, the day "
        "the model entered its current stage plus this many days) it is a risk-review-overdue "
        "finding (WARN). Sunset models are exempt.",
    )
    risk_defaults: dict[TechnicalRiskKind, RiskDefault] = Field(
        default_factory=dict,
        description="Per technical risk kind (bias, calibration_error, "
        "adversarial_vulnerability, hallucination): the default measure and business-language "
        "template of a charter's risk of that kind.",
    )
    onboarding: dict[Stage, list[ShortText]] = Field(
        default_factory=dict,
        description="The organisation's standard onboarding checklist per lifecycle stage: items "
        "a model in that stage must have done, matched case-insensitively to its charter's "
        "`onboarding[].item`. A required item missing from the checklist or not done is an "
        "onboarding-open finding (WARN) from the day after the grace period "
        "(`onboarding_grace_days` after the model entered its stage).",
    )
    onboarding_grace_days: int = Field(
        default=30,
        ge=0,
        description="Days after a model enters a stage by which that stage's required "
        "onboarding items must be done (the last day of grace).",
    )
    regulation: RegulationRules = Field(
        default_factory=RegulationRules,
        description="Regulation coverage: which frameworks are shown and which are checked.",
    )
