"""The model charter: one YAML file per model, everything its AI Product Owner is accountable for.

Only types live here (no I/O). Every field carries a description: the "Charter reference" page and
the published JSON Schema are generated from them, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, model_validator

from .base import ShortText, Strict, Text
from .regulation import EuAiAct
from .sources import DriftSource, KpiSource

__all__ = [
    "CARRIED_RISK_STATUSES",
    "Authorisation",
    "Baseline",
    "BusinessOutcome",
    "Charter",
    "ChecklistItem",
    "Contact",
    "DataSource",
    "DateWindow",
    "DecisionRight",
    "Direction",
    "Drift",
    "DriftMethod",
    "DropTiers",
    "EscalationLevel",
    "Feature",
    "FeatureKind",
    "Kpi",
    "Lifecycle",
    "MeasuredBy",
    "Rating",
    "Release",
    "Retraining",
    "Risk",
    "RiskKind",
    "Ritual",
    "SegmentGap",
    "Stage",
    "Thresholds",
    "Tiers",
    "Trigger",
]

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# A key of the people directory (see aipo_site.model.people): lower-case letters and digits, with
# single '-', '_' or '.' between them, at most 64 characters. A person field's value written like
# this refers to the directory; anything else (a capital letter, a space, brackets) is a plain name.
PERSON_KEY_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
PERSON_KEY_MAX = 64
_PERSON_KEY = re.compile(PERSON_KEY_PATTERN)


def is_person_key(value: str) -> bool:
    """Whether a person field's value is written as a key of the people directory."""
    return len(value) <= PERSON_KEY_MAX and bool(_PERSON_KEY.match(value))


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
METRIC_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        description="Lower-case letters, digits and hyphens; starts and ends with a letter or digit.",
    ),
]
MetricName = Annotated[
    str,
    Field(
        pattern=METRIC_PATTERN,
        description="The metric's column or `metric` value in the CSVs: lower-case snake_case.",
    ),
]


class Stage(StrEnum):
    """Lifecycle stage, in order."""

    prototype = "prototype"
    pilot = "pilot"
    production = "production"
    deprecated = "deprecated"
    sunset = "sunset"


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class Aggregation(StrEnum):
    mean = "mean"
    median = "median"
    min = "min"
    max = "max"
    last = "last"


class RiskKind(StrEnum):
    bias = "bias"
    calibration_error = "calibration_error"
    adversarial_vulnerability = "adversarial_vulnerability"
    hallucination = "hallucination"
    privacy = "privacy"
    data_quality = "data_quality"
    other = "other"


class RiskStatus(StrEnum):
    open = "open"
    mitigated = "mitigated"
    accepted = "accepted"
    closed = "closed"


class Trigger(StrEnum):
    """What activates an escalation level: the model status reaching WARN or BREACH."""

    warn = "warn"
    breach = "breach"


class Contact(Strict):
    """A person or team accountable for something.

    Written as a key of the people directory (``owner: amara-okafor``), as a plain name
    (``owner: Amara Okafor``), or as a mapping. A key fills in the name, email and role from the
    directory; what the mapping gives itself wins.
    """

    person: (
        Annotated[str, Field(max_length=64, pattern=r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")] | None
    ) = Field(default=None, description="Key of the person or team in the people directory.")
    name: ShortText | None = Field(
        default=None, description="Full name or team name (required without `person`)."
    )
    email: str | None = Field(
        default=None,
        pattern=EMAIL_PATTERN,
        description="Where to reach them.",
    )
    role: ShortText | None = Field(default=None, description="Job title or role, e.g. 'AIPO'.")
    on_call: ShortText | None = Field(
        default=None, description="On-call rota or pager handle (incident owners)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # A string is a key of the people directory when written as one, else a plain name.
        if isinstance(value, str):
            text = value.strip()
            return {"person": text} if is_person_key(text) else {"name": text}
        return value

    @model_validator(mode="after")
    def _named(self) -> Contact:
        if self.person is None and self.name is None:
            raise ValueError("give a `person` (a key of the people directory) or a `name`")
        return self

    @property
    def label(self) -> str:
        """The name to show: the name, else the key."""
        return self.name or self.person or ""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        return {
            "anyOf": [
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "description": "A key of the people directory (lower-case, e.g. "
                    "'amara-okafor') or a plain name ('Amara Okafor').",
                },
                schema,
            ]
        }


class StageChange(Strict):
    stage: Stage = Field(description="The stage entered.")
    date: dt.date = Field(description="When it was entered (YYYY-MM-DD).")


class Lifecycle(Strict):
    """Where the model is in its life, from prototype to sunset."""

    stage: Stage = Field(
        description="Current stage: prototype, pilot, production, deprecated, sunset."
    )
    since: dt.date = Field(description="Date the model entered the current stage.")
    history: list[StageChange] = Field(
        default_factory=list,
        description="Earlier stages with the date each was entered, oldest first. Read with the "
        "current stage as one sequence, dates must not go back and each move must be allowed: "
        "prototype → pilot or sunset; pilot → production, prototype or sunset; production → "
        "deprecated or pilot; deprecated → sunset or production; nothing after sunset (else a "
        "stage-history-incoherent finding).",
    )
    sunset_review: dt.date | None = Field(
        default=None,
        description="Planned date to review whether the model should be deprecated or sunset.",
    )


class BusinessOutcome(Strict):
    """The path from a business outcome to the model KPIs that serve it."""

    outcome: Text = Field(description="The business outcome the model exists for.")
    business_kpi: ShortText = Field(description="The business KPI that measures the outcome.")
    target: ShortText | None = Field(default=None, description="Target for the business KPI.")
    model_kpis: list[MetricName] = Field(
        min_length=1, description="Metric names of the model KPIs that drive the business KPI."
    )


class Thresholds(Strict):
    """Warn and breach levels. For higher-is-better KPIs a value below `breach` is a BREACH and
    below `warn` a WARN; for lower-is-better KPIs the comparison is reversed."""

    warn: float = Field(
        description="A value strictly beyond this one (below it when higher is better, above it "
        "when lower is better) makes the KPI WARN; the value itself is OK."
    )
    breach: float = Field(
        description="A value strictly beyond this one makes the KPI BREACH; the value itself is "
        "at most WARN."
    )


def check_threshold_order(t: Thresholds, direction: Direction) -> None:
    """Raise ValueError when breach is on the wrong side of warn for the direction."""
    if direction is Direction.higher_is_better and t.breach > t.warn:
        raise ValueError(f"higher_is_better: breach ({t.breach}) must be <= warn ({t.warn})")
    if direction is Direction.lower_is_better and t.breach < t.warn:
        raise ValueError(f"lower_is_better: breach ({t.breach}) must be >= warn ({t.warn})")


class DropTiers(Strict):
    """Tolerated relative drop from the original baseline, as fractions (0.05 = 5 %)."""

    warn: float = Field(
        ge=0,
        le=1,
        description="Largest tolerated relative drop: a drop of more than this makes the KPI WARN.",
    )
    breach: float = Field(
        ge=0,
        le=1,
        description="A relative drop of more than this makes the KPI BREACH.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> DropTiers:
        if self.breach < self.warn:
            raise ValueError(f"breach ({self.breach}) must be >= warn ({self.warn})")
        return self


class Baseline(Strict):
    """The KPI's value when the model was approved: later performance is compared with it."""

    value: float = Field(description="The original baseline value.")
    date: dt.date | None = Field(default=None, description="When the baseline was measured.")
    max_drop: DropTiers | None = Field(
        default=None,
        description="Tolerated relative drop from the baseline (defaults to the policy's).",
    )


class Kpi(Strict):
    """A model KPI monitored against thresholds and against its original baseline."""

    metric: MetricName = Field(description="Metric name as it appears in the metric CSVs.")
    name: ShortText | None = Field(default=None, description="Human-readable name.")
    description: Text | None = Field(default=None, description="What it measures and why.")
    direction: Direction | None = Field(
        default=None,
        description="higher_is_better or lower_is_better (defaults to the policy's for this metric).",
    )
    unit: ShortText | None = Field(default=None, description="Unit shown next to values, e.g. '%'.")
    thresholds: Thresholds | None = Field(
        default=None,
        description="Warn and breach levels; inherited from the policy when omitted.",
    )
    window_days: int = Field(
        default=7,
        ge=1,
        le=366,
        description="Aggregation window in days: the current value combines the rows dated in "
        "the window_days days up to and including the evaluation date.",
    )
    aggregation: Aggregation = Field(
        default=Aggregation.mean,
        description="How values in the window are combined: mean, median, min, max, last.",
    )
    baseline: Baseline | None = Field(default=None, description="Original baseline.")
    freshness_days: int | None = Field(
        default=None,
        ge=0,
        description="Newest data more than this many days older than the evaluation date makes "
        "the KPI STALE (defaults to the policy's).",
    )
    source: KpiSource | None = Field(
        default=None,
        description="Collect the KPI's daily values from a named source of content/sources.yaml "
        "(`aipo collect` writes them to metrics/<model-id>/collected.csv) instead of a pipeline "
        "writing a metric CSV (guide: Metric sources).",
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Kpi:
        if self.thresholds and self.direction:
            check_threshold_order(self.thresholds, self.direction)
        return self


class Authorisation(Strict):
    """The record that authorises use of the data under privacy and governance policy."""

    record: ShortText = Field(description="Identifier of the record, e.g. a DPIA id.")
    legal_basis: ShortText | None = Field(
        default=None, description="Legal basis, e.g. 'contract', 'legitimate interest'."
    )
    approved_by: ShortText | None = Field(default=None, description="Who approved it.")
    date: dt.date | None = Field(default=None, description="When it was approved.")
    url: str | None = Field(default=None, description="Link to the record.")


class DataSource(Strict):
    """A data set the model is trained on or scores."""

    name: ShortText = Field(description="Name of the data source.")
    description: Text | None = Field(default=None, description="What it contains.")
    owner: ShortText | None = Field(default=None, description="Data owner (person or team).")
    lineage: list[ShortText] = Field(
        default_factory=list, description="Upstream systems the data flows from, in order."
    )
    categories: list[Slug] = Field(
        default_factory=list,
        description="Data categories, e.g. personal, special-category, health, biometric, "
        "financial, children, location.",
    )
    regions: list[ShortText] = Field(
        default_factory=list, description="Regions the data subjects are in, e.g. EU, UK, US-CA."
    )
    authorisation: Authorisation | None = Field(
        default=None, description="Authorisation record (required by policy for sensitive data)."
    )
    contract: str | None = Field(default=None, description="Link to the data contract.")


# Data categories that are special-category data, whatever the policy says: GDPR Art. 9's
# (written as `special-category`, or by name: health, biometric, genetic) and children's data
# (Art. 8); the demo policy's worldwide authorisation rule names the same five. `aipo diff` rates a
# data source added with, or extended to, any of them as critical (content/guide/publishing.md,
# "Reading the governance diff").
SPECIAL_CATEGORIES = frozenset({"special-category", "health", "biometric", "genetic", "children"})


class Retraining(Strict):
    """How often the model is retrained and when it last was."""

    cadence_days: int = Field(ge=1, le=3660, description="Planned interval between retrainings.")
    last_retrained: dt.date | None = Field(default=None, description="Date of the last retraining.")
    trigger: Text | None = Field(
        default=None, description="Conditions that trigger an unscheduled retraining."
    )


# The risks a model still carries: every status but closed. They are rated against the policy's
# risk appetite, reviewed every `risk_review_days` and listed on the risk register.
CARRIED_RISK_STATUSES = frozenset({RiskStatus.open, RiskStatus.mitigated, RiskStatus.accepted})


class MeasuredBy(Strict):
    """The check of the charter that measures a risk: exactly one of `kpi`, `segment`,
    `drift_feature` or `drift_share`."""

    kpi: MetricName | None = Field(
        default=None, description="A KPI of the charter (its `metric`): the KPI's status."
    )
    segment: MetricName | None = Field(
        default=None,
        description="A fairness check of the charter (its `segments[].metric`): the gap's status.",
    )
    drift_feature: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="A feature of the charter's `drift.features` (its `name`): that feature's "
        "drift status.",
    )
    drift_share: Literal[True] | None = Field(
        default=None,
        description="true: the dataset drift share (the importance-weighted share of drifted "
        "features) of the charter's `drift`.",
    )

    @model_validator(mode="after")
    def _one(self) -> MeasuredBy:
        given = [k for k in ("kpi", "segment", "drift_feature", "drift_share") if getattr(self, k)]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of kpi, segment, drift_feature or drift_share (found {found})"
            )
        return self

    @property
    def label(self) -> str:
        """The check in words: 'KPI recall', 'fairness check false_positive_rate', 'drift of
        feature amount_band', 'dataset drift share'."""
        if self.kpi:
            return f"KPI {self.kpi}"
        if self.segment:
            return f"fairness check {self.segment}"
        if self.drift_feature:
            return f"drift of feature {self.drift_feature}"
        return "dataset drift share"


class Rating(Strict):
    """A likelihood and an impact, each from 1 to 5; the score is their product."""

    likelihood: int = Field(ge=1, le=5, description="1 (rare) to 5 (almost certain).")
    impact: int = Field(ge=1, le=5, description="1 (negligible) to 5 (severe).")

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class Risk(Strict):
    """A technical risk translated into business language, rated before (inherent: `likelihood`
    and `impact`) and after its mitigation (`residual`), and measured by one of the charter's
    checks (`measured_by`)."""

    title: ShortText = Field(description="Short name of the risk.")
    kind: RiskKind = Field(
        description="bias, calibration_error, adversarial_vulnerability, hallucination, privacy, "
        "data_quality or other."
    )
    technical: Text = Field(description="The risk in technical terms.")
    business: Text | None = Field(
        default=None,
        description="The same risk in business language, for executives and legal. May be left "
        "out only when the policy's `risk_defaults` has a `business` template for the risk's "
        "kind, which then fills it in (else an error).",
    )
    likelihood: int = Field(
        ge=1,
        le=5,
        description="Inherent likelihood, before mitigation: 1 (rare) to 5 (almost certain).",
    )
    impact: int = Field(
        ge=1, le=5, description="Inherent impact, before mitigation: 1 (negligible) to 5 (severe)."
    )
    residual: Rating | None = Field(
        default=None,
        description="The rating after mitigation ({likelihood, impact}); without it the residual "
        "rating is the inherent one.",
    )
    measured_by: MeasuredBy | None = Field(
        default=None,
        description="The check that measures the risk: {kpi: METRIC}, {segment: METRIC}, "
        "{drift_feature: NAME} or {drift_share: true}, naming a KPI, fairness check or drift "
        "feature of this charter (else an error). Its status is the risk's status and sets the "
        "current rating: the residual rating while the check is OK, the inherent rating when it "
        "is WARN, likelihood 5 with the inherent impact when it is BREACH; a check that cannot "
        "tell yet (no data, stale, no thresholds) leaves the residual rating. Defaults to the "
        "policy's `risk_defaults` measure for the risk's kind.",
    )
    mitigation: Text | None = Field(default=None, description="What reduces it.")
    owner: ShortText | None = Field(default=None, description="Who owns the mitigation.")
    status: RiskStatus = Field(
        default=RiskStatus.open,
        description="open, mitigated, accepted, closed. Every status but closed is a risk the "
        "model still carries: rated against the risk appetite and due for review.",
    )
    last_reviewed: dt.date | None = Field(
        default=None,
        description="When the risk and its rating were last reviewed (YYYY-MM-DD); due again "
        "after the policy's `risk_review_days`.",
    )

    @property
    def inherent(self) -> Rating:
        return Rating(likelihood=self.likelihood, impact=self.impact)


class EscalationLevel(Strict):
    """One rung of the escalation ladder. Levels are listed from first to last."""

    name: ShortText = Field(description="Name of the level, e.g. 'L1 — data science on-call'.")
    on: Trigger = Field(description="Model status that activates the level: warn or breach.")
    after_days: int = Field(
        default=0,
        ge=0,
        description="Days the model must have been at the trigger level or worse before the "
        "evaluation date: 0 activates the level on the first day.",
    )
    trigger: Text = Field(description="The trigger in words.")
    who: ShortText = Field(description="Who is paged or informed.")
    response_time: ShortText = Field(description="Expected response time, e.g. '4 hours'.")


class DecisionRight(Strict):
    """Who decides what (RACI)."""

    decision: ShortText = Field(description="The decision, e.g. 'Production go/no-go'.")
    accountable: ShortText = Field(description="The one person who decides.")
    responsible: list[ShortText] = Field(default_factory=list, description="Who does the work.")
    consulted: list[ShortText] = Field(default_factory=list, description="Who is consulted.")
    informed: list[ShortText] = Field(default_factory=list, description="Who is informed.")


class Ritual(Strict):
    """A recurring operating ritual, e.g. the weekly metric review."""

    ritual: ShortText = Field(description="Name, e.g. 'Weekly metric review'.")
    cadence_days: int = Field(ge=1, le=3660, description="Interval between two sessions.")
    last_held: dt.date | None = Field(default=None, description="When it was last held.")
    attendees: list[ShortText] = Field(default_factory=list, description="Who attends.")


class ChecklistItem(Strict):
    """One item of the onboarding checklist."""

    item: ShortText = Field(description="What has to be done.")
    done: StrictBool = Field(default=False, description="true once it is done.")
    date: dt.date | None = Field(default=None, description="When it was done.")


class DriftMethod(StrEnum):
    """How a feature's drift is measured (see the drift guide for formulas and defaults)."""

    auto = "auto"
    psi = "psi"
    ks = "ks"
    wasserstein = "wasserstein"
    jensen_shannon = "jensen_shannon"
    chi_square = "chi_square"


class FeatureKind(StrEnum):
    numeric = "numeric"
    categorical = "categorical"


class Tiers(Strict):
    """Warn and breach levels of a drift measure. For p-value tests (ks, chi_square) a p-value
    below the level is worse; for distances (psi, wasserstein, jensen_shannon) a value above it."""

    warn: float = Field(ge=0, description="Level that makes the measure WARN.")
    breach: float = Field(ge=0, description="Level that makes the measure BREACH.")


P_VALUE_METHODS = frozenset({"ks", "chi_square"})


def check_tier_order(tiers: Tiers, method: str) -> None:
    """Raise ValueError when drift tiers run the wrong way for the method: a p-value breaches
    below its warn level, a distance above it."""
    if method in P_VALUE_METHODS:
        if not 0 < tiers.breach <= tiers.warn <= 1:
            raise ValueError(
                f"{method} tiers are p-values: need 0 < breach <= warn <= 1, "
                f"found warn {tiers.warn}, breach {tiers.breach}"
            )
    elif tiers.breach < tiers.warn:
        raise ValueError(
            f"{method} tiers need warn <= breach, found warn {tiers.warn}, breach {tiers.breach}"
        )


class DateWindow(Strict):
    """An inclusive date range."""

    start: dt.date = Field(description="First day (inclusive).")
    end: dt.date = Field(description="Last day (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Feature(Strict):
    """A model input monitored for data drift."""

    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="Column name in the samples file, or `feature` value in the bins file."
    )
    kind: FeatureKind | None = Field(
        default=None,
        description="numeric or categorical; when omitted, a column whose cells are all numbers "
        "(or empty) is numeric and any other column categorical.",
    )
    method: DriftMethod = Field(
        default=DriftMethod.auto,
        description="Drift measure; auto picks by kind and sample size (see the drift guide).",
    )
    tiers: Tiers | None = Field(
        default=None, description="Warn/breach levels for this feature (default: the policy's)."
    )
    importance: float | None = Field(
        default=None, gt=0, description="Weight in the dataset drift share (default 1)."
    )

    @model_validator(mode="after")
    def _tiers_fit_method(self) -> Feature:
        if self.tiers is None:
            return self
        if self.method is DriftMethod.auto:
            raise ValueError(
                "tiers need an explicit method (auto may pick a p-value test or a distance, "
                "whose tiers run in opposite directions)"
            )
        check_tier_order(self.tiers, self.method.value)
        return self


class Drift(Strict):
    """Data-drift monitoring: which inputs, which windows, which files."""

    samples: str | None = Field(
        default=None,
        description="Raw feature samples with a `date` column, relative to metrics/<model-id>/; "
        "split into the reference and current windows by date.",
    )
    reference_samples: str | None = Field(
        default=None,
        description="Raw reference samples in a separate file (then `samples` holds the current "
        "window and no date split is needed).",
    )
    bins: str | None = Field(
        default=None,
        description="Pre-binned counts `feature,bin,reference_count,current_count[,period]`, "
        "relative to metrics/<model-id>/.",
    )
    reference: DateWindow | None = Field(
        default=None, description="Reference window (required with a dated `samples` file)."
    )
    current_days: int = Field(
        default=28,
        ge=1,
        le=366,
        description="Length of the current window, ending at the evaluation date.",
    )
    period: str = Field(
        default="week",
        pattern=r"^(week|month)$",
        description="Granularity of drift over time: week or month.",
    )
    source: DriftSource | None = Field(
        default=None,
        description="Bin the features from a named source of content/sources.yaml instead: "
        "`aipo collect` writes metrics/<model-id>/drift/collected-bins.csv, read as the `bins` "
        "file. Needs `reference`; excludes `samples`, `reference_samples` and `bins` (guide: "
        "Metric sources).",
    )
    features: list[Feature] = Field(min_length=1, description="The monitored features.")
    share: Tiers | None = Field(
        default=None,
        description="Tiers for the (importance-weighted) share of drifted features "
        "(default: the policy's).",
    )

    @model_validator(mode="after")
    def _inputs(self) -> Drift:
        if self.source is not None:
            given = [k for k in ("samples", "reference_samples", "bins") if getattr(self, k)]
            if given:
                raise ValueError(
                    f"`source` replaces {', '.join(f'`{k}`' for k in given)}: give one or the other"
                )
            if self.reference is None:
                raise ValueError("a drift `source` needs a `reference` window (start, end)")
        elif not (self.samples or self.bins):
            raise ValueError(
                "give `samples` (raw rows), `bins` (pre-binned counts) or `source` (a metric "
                "source)"
            )
        if self.samples and self.bins:
            raise ValueError("give either `samples` or `bins`, not both")
        if self.samples and not self.reference_samples and self.reference is None:
            raise ValueError("a dated `samples` file needs a `reference` window (start, end)")
        if self.share is not None:
            check_tier_order(self.share, "share")
        if self.reference_samples and not self.samples:
            raise ValueError("`reference_samples` needs `samples` for the current window")
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"feature listed more than once: {', '.join(dupes)}")
        return self


class SegmentGap(Strict):
    """A fairness check: a KPI per segment (e.g. false-positive rate by age band) must not differ
    between the best and the worst segment by more than the tiers."""

    metric: MetricName = Field(description="A KPI metric with `segment` rows in the metric CSVs.")
    description: Text | None = Field(default=None, description="What the gap means for people.")
    gap: str = Field(
        default="absolute",
        pattern=r"^(absolute|ratio)$",
        description="absolute: worst − best; ratio: worst / best.",
    )
    tiers: Tiers = Field(description="Largest tolerated gap (warn, breach).")
    window_days: int | None = Field(
        default=None, ge=1, le=366, description="Window for each segment (default: the KPI's)."
    )


class Release(Strict):
    """The model version in service: a decision approves a release, and goes stale when it
    changes."""

    version: ShortText = Field(description="The model version, e.g. '4.2.0'.")
    artifact: ShortText | None = Field(
        default=None,
        description="Where the artifact is or its digest, e.g. a registry URI or 'sha256:…'.",
    )


class Charter(Strict):
    """The one-page charter of a model: identity, accountability, KPIs, data, risks and rhythms."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo model charter",
        json_schema_extra={"$id": "https://aipo.dev/schema/charter.schema.json"},
    )

    id: Slug = Field(description="Unique model id; also the page URL and the metrics folder name.")
    name: ShortText = Field(description="Display name.")
    summary: Text = Field(
        description="What the model does and for whom. Markdown: paragraphs, emphasis, code, lists and http/https/mailto links; anything else is removed or shown as text."
    )
    business_unit: ShortText = Field(description="The business unit that owns the model.")
    owner: Contact = Field(description="The accountable AI Product Owner.")
    incident_owner: Contact | None = Field(
        default=None, description="Who owns production incidents for this model."
    )
    lifecycle: Lifecycle = Field(description="Lifecycle stage and dates.")
    release: Release | None = Field(
        default=None, description="The model version in service and its artifact."
    )
    outcomes: list[BusinessOutcome] = Field(
        default_factory=list, description="Business outcomes -> business KPI -> model KPIs."
    )
    kpis: list[Kpi] = Field(default_factory=list, description="Model KPIs and their thresholds.")
    data_sources: list[DataSource] = Field(
        default_factory=list, description="Data the model is trained on or scores."
    )
    retraining: Retraining | None = Field(default=None, description="Retraining schedule.")
    risks: list[Risk] = Field(
        default_factory=list, description="Risks in technical and business terms."
    )
    escalation: list[EscalationLevel] = Field(
        default_factory=list, description="Escalation ladder, first level first."
    )
    decision_rights: list[DecisionRight] = Field(
        default_factory=list, description="Who decides what."
    )
    rhythm: list[Ritual] = Field(default_factory=list, description="Operating rhythm.")
    onboarding: list[ChecklistItem] = Field(
        default_factory=list, description="Onboarding checklist."
    )
    drift: Drift | None = Field(default=None, description="Data-drift monitoring of the inputs.")
    segments: list[SegmentGap] = Field(
        default_factory=list, description="Fairness checks: KPI gaps between segments."
    )
    eu_ai_act: EuAiAct | None = Field(
        default=None,
        description="Its classification under the EU AI Act, with the decision path that "
        "leads there (guide: Regulation coverage).",
    )
    notes: Text | None = Field(
        default=None, description="Anything else. Markdown, as in `summary`."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Charter:
        metrics = [k.metric for k in self.kpis]
        dupes = sorted({m for m in metrics if metrics.count(m) > 1})
        if dupes:
            raise ValueError(f"KPI metric listed more than once: {', '.join(dupes)}")
        unknown = sorted({m for o in self.outcomes for m in o.model_kpis if m not in set(metrics)})
        if unknown:
            raise ValueError(f"outcomes name model KPIs that are not in kpis: {', '.join(unknown)}")
        gaps = sorted({g.metric for g in self.segments if g.metric not in set(metrics)})
        if gaps:
            raise ValueError(f"segments name metrics that are not in kpis: {', '.join(gaps)}")
        return self

    def kpi(self, metric: str) -> Kpi | None:
        return next((k for k in self.kpis if k.metric == metric), None)
