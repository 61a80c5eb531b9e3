"""Evaluation results: plain typed objects that the renderers, the CLI and the tests all read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np

from .charter import (
    P_VALUE_METHODS,
    Aggregation,
    Charter,
    Direction,
    DropTiers,
    EscalationLevel,
    MeasuredBy,
    Rating,
    Risk,
    SegmentGap,
    Thresholds,
    Tiers,
)
from .decisions import DecisionRecord
from .incidents import IncidentRecord
from .people import Person
from .regulation import ModelCoverage
from .reviews import Review
from .verdict import Verdict

__all__ = [
    "CODE_LEVEL",
    "LEVEL_STATUS",
    "STATUS_ORDER",
    "UNKNOWN",
    "DecisionResult",
    "DriftPoint",
    "DriftResult",
    "Escalation",
    "FeatureDrift",
    "Finding",
    "Histogram",
    "IncidentResult",
    "KpiResult",
    "KpiSeries",
    "Level",
    "ModelResult",
    "OpenAction",
    "OverdueItem",
    "PersonResult",
    "Portfolio",
    "Responsibility",
    "RiskResult",
    "RitualReviews",
    "SegmentResult",
    "SegmentValue",
    "Status",
    "ThresholdChange",
    "Timeline",
    "Week",
    "drift_level",
    "sort_findings",
]


class Level(IntEnum):
    """Severity, in order. A model's status is the worst level of everything evaluated on it."""

    OK = 0
    WARN = 1
    BREACH = 2

    @property
    def label(self) -> str:
        return self.name

    @property
    def slug(self) -> str:
        return self.name.lower()


class Status(StrEnum):
    """Status of one KPI."""

    OK = "OK"
    WARN = "WARN"
    BREACH = "BREACH"
    STALE = "STALE"
    NO_DATA = "NO DATA"
    UNSET = "NO THRESHOLDS"

    @property
    def level(self) -> Level:
        return _STATUS_LEVEL[self]

    @classmethod
    def of_code(cls, code: int) -> Status:
        """OK, WARN or BREACH for a tier code 0, 1 or 2."""
        return (cls.OK, cls.WARN, cls.BREACH)[code]

    @property
    def slug(self) -> str:
        return self.value.lower().replace(" ", "-")


_STATUS_LEVEL = {
    Status.OK: Level.OK,
    Status.UNSET: Level.OK,  # the missing thresholds are reported as a compliance finding
    Status.WARN: Level.WARN,
    Status.STALE: Level.WARN,
    Status.NO_DATA: Level.WARN,
    Status.BREACH: Level.BREACH,
}

# Codes of a Timeline: the position of a status in this tuple; UNKNOWN for a day without one.
STATUS_ORDER = (Status.OK, Status.UNSET, Status.WARN, Status.STALE, Status.NO_DATA, Status.BREACH)
UNKNOWN = -1
# The level of each code; CODE_LEVEL[UNKNOWN] (the last entry) is UNKNOWN.
CODE_LEVEL = np.array([_STATUS_LEVEL[s] for s in STATUS_ORDER] + [UNKNOWN], dtype=np.int8)
LEVEL_STATUS = {Level.OK: Status.OK, Level.WARN: Status.WARN, Level.BREACH: Status.BREACH}


@dataclass(frozen=True)
class Week:
    """One cell of a status strip: the worst status on any day from ``start`` to ``end``."""

    start: dt.date
    end: dt.date
    status: Status | None  # None: unknown on every day of the week (no data yet)

    @property
    def level(self) -> Level | None:
        return None if self.status is None else self.status.level


@dataclass(frozen=True)
class Timeline:
    """The status of one item on every day from ``start`` to the evaluation date (included).

    ``codes[i]`` is the status on day ``start + i`` as a position in :data:`STATUS_ORDER`, or
    :data:`UNKNOWN`. Past days are the same evaluation at that day, with today's charter.
    """

    start: dt.date
    codes: np.ndarray = field(repr=False, compare=False)  # int8

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=len(self.codes) - 1)

    def levels(self) -> np.ndarray:
        """The level on each day (int8; UNKNOWN where the status is unknown)."""
        return CODE_LEVEL[self.codes]

    def status_on(self, day: dt.date) -> Status | None:
        i = (day - self.start).days
        if not 0 <= i < len(self.codes) or self.codes[i] == UNKNOWN:
            return None
        return STATUS_ORDER[self.codes[i]]

    @classmethod
    def of_levels(cls, start: dt.date, levels: np.ndarray) -> Timeline:
        """A timeline of OK / WARN / BREACH from daily levels (UNKNOWN kept)."""
        lookup = np.array([STATUS_ORDER.index(LEVEL_STATUS[lv]) for lv in Level] + [UNKNOWN])
        return cls(start, lookup[levels].astype(np.int8))

    def week_codes(self, count: int = 52) -> np.ndarray:
        """The status code of each of the last ``count`` weeks ending at the evaluation date,
        oldest first: the worst status of its days (of two at the same level, the later one),
        UNKNOWN for a week without any known day."""
        n = count * 7
        codes = self.codes[-n:]
        if len(codes) < n:
            codes = np.concatenate((np.full(n - len(codes), UNKNOWN, np.int8), codes))
        cd = codes.reshape(count, 7)
        lv = CODE_LEVEL[cd]
        worst = lv.max(axis=1)
        last = 6 - np.argmax((lv == worst[:, None])[:, ::-1], axis=1)
        return cd[np.arange(count), last]

    def weeks(self, count: int = 52) -> list[Week]:
        """The last ``count`` weeks as :class:`Week` cells, oldest first (see week_codes)."""
        first = self.end - dt.timedelta(days=count * 7 - 1)
        return [
            Week(
                first + dt.timedelta(days=7 * i),
                first + dt.timedelta(days=7 * i + 6),
                None if code == UNKNOWN else STATUS_ORDER[code],
            )
            for i, code in enumerate(self.week_codes(count).tolist())
        ]


@dataclass(frozen=True)
class KpiSeries:
    """The KPI's overall daily values and their rolling aggregate (what the chart draws)."""

    dates: np.ndarray  # datetime64[D], ascending
    values: np.ndarray  # float64
    rolling: np.ndarray  # float64, aggregate over the KPI's window ending at each date


@dataclass(frozen=True)
class ThresholdChange:
    """A commit that changed a KPI's warn and breach levels (None: the KPI had none)."""

    day: dt.date  # the commit's date (committer's own time zone)
    commit: str  # short sha
    before: tuple[float, float] | None  # (warn, breach) before the commit
    after: tuple[float, float] | None  # (warn, breach) after it


@dataclass(frozen=True)
class KpiResult:
    """One KPI evaluated against its thresholds, freshness limit and original baseline.

    ``status`` is the KPI's one reported status: the worse of ``threshold_status`` (thresholds
    and freshness) and ``drop_status`` (the drop from the original baseline); at the same level
    the threshold status is reported. ``since`` is the first day of its current run.
    """

    metric: str
    name: str
    unit: str | None
    direction: Direction | None
    window_days: int
    aggregation: Aggregation
    freshness_days: int
    thresholds: Thresholds | None
    threshold_source: str | None  # "charter", "policy" or None
    status: Status
    value: float | None
    newest: dt.date | None
    since: dt.date | None
    message: str
    baseline: float | None = None
    max_drop: DropTiers | None = None
    drop: float | None = None  # relative drop from the baseline; positive = worse
    drop_status: Status | None = None
    threshold_status: Status | None = None  # None only when there is no data at all
    window_start: dt.date | None = None  # the window holds rows dated window_start..as_of
    rows: int = 0  # rows in the window
    series: KpiSeries | None = field(default=None, repr=False, compare=False)
    timeline: Timeline | None = field(default=None, repr=False, compare=False)
    # Commits that changed its thresholds in the charter, oldest first (threshold_history.py).
    threshold_changes: tuple[ThresholdChange, ...] = ()

    @property
    def level(self) -> Level:
        return self.status.level


@dataclass(frozen=True)
class SegmentValue:
    segment: str
    value: float
    rows: int


@dataclass(frozen=True)
class SegmentResult:
    """One segment-gap check, evaluated."""

    check: SegmentGap
    name: str
    unit: str | None
    status: Status
    gap: float | None
    worst: SegmentValue | None
    best: SegmentValue | None
    values: list[SegmentValue]
    newest: dt.date | None
    message: str
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    since: dt.date | None = None  # first day of the current status's run
    window_start: dt.date | None = None  # each segment's window: window_start..as_of
    timeline: Timeline | None = field(default=None, repr=False, compare=False)

    @property
    def level(self) -> Level:
        return self.status.level


@dataclass(frozen=True)
class Histogram:
    """Reference and current distribution of one feature on the same bins (proportions)."""

    labels: list[str]
    reference: list[float]
    current: list[float]


def _score(method: str, value: float | None, p_value: float | None) -> float | None:
    return p_value if method in P_VALUE_METHODS else value


@dataclass(frozen=True)
class FeatureDrift:
    """Data drift of one feature between the reference and the current window.

    ``value`` is always the method's statistic or distance (PSI, KS D, normalised Wasserstein,
    Jensen-Shannon distance, chi-square statistic); ``p_value`` is always the test's p-value,
    None for the distances. ``tiers`` apply to :attr:`score`: the p-value for ``ks`` and
    ``chi_square``, the value otherwise. ``since`` is the first day of the final unbroken run
    of over-time periods at ``status`` (the first day of the current window when the newest
    period is at another status); None without drift over time.
    """

    name: str
    kind: str  # "numeric" or "categorical"
    method: str
    value: float | None
    p_value: float | None
    tiers: Tiers | None
    status: Status  # NO_DATA when it cannot be evaluated (reading says why)
    reading: str
    importance: float
    n_reference: int
    n_current: int
    histogram: Histogram | None = field(default=None, repr=False, compare=False)
    since: dt.date | None = None

    @property
    def level(self) -> Level:
        return self.status.level

    @property
    def score(self) -> float | None:
        """The number the tiers compare: ``p_value`` for p-value methods, else ``value``."""
        return _score(self.method, self.value, self.p_value)


@dataclass(frozen=True)
class DriftPoint:
    """One feature's drift in one period of the current data, against the reference.

    ``value`` and ``p_value`` mean what they mean in :class:`FeatureDrift`; ``status`` is the
    tier of :attr:`score` in that period.
    """

    period: dt.date  # first day of the period
    feature: str
    method: str
    value: float
    p_value: float | None
    status: Status

    @property
    def score(self) -> float | None:
        """The number the tiers compare: ``p_value`` for p-value methods, else ``value``."""
        return _score(self.method, self.value, self.p_value)


@dataclass(frozen=True)
class DriftResult:
    """Data drift of a model's inputs, and how it lines up with its outcomes (concept drift).

    ``timeline`` holds one entry per period of drift over time, oldest first: its first and last
    day (both included, the last at most the evaluation date) and its drift level, computed as
    :attr:`level` is from that period's share status and features. ``since`` is the first day
    of the final unbroken run of periods at :attr:`level` (the first day of the current window,
    ``window_start``, when the newest period is at another level); None without drift over
    time. ``window_start`` is the first day of the current window (None for two files or
    counts without periods).
    """

    features: list[FeatureDrift]
    share: float | None
    share_status: Status
    share_tiers: Tiers
    reference_label: str
    current_label: str
    over_time: list[DriftPoint] = field(default_factory=list, repr=False, compare=False)
    share_over_time: list[tuple[dt.date, float]] = field(
        default_factory=list, repr=False, compare=False
    )
    summary: str = ""
    since: dt.date | None = None
    window_start: dt.date | None = None
    timeline: list[tuple[dt.date, dt.date, Level]] = field(
        default_factory=list, repr=False, compare=False
    )

    @property
    def level(self) -> Level:
        return drift_level(self.share_status, (f.level for f in self.features))


def drift_level(share_status: Status, feature_levels: Iterable[Level]) -> Level:
    """The drift level: the share's status, raised to WARN when any feature is WARN or worse
    (a feature alone never makes it BREACH). Used for the current window and for each period."""
    worst_feature = max(feature_levels, default=Level.OK)
    return max(share_status.level, min(worst_feature, Level.WARN))


@dataclass(frozen=True)
class Finding:
    """A compliance finding: the charter against the policy and the audit-story gaps.

    ``since`` is the first day the condition holds: the day after a due date for an overdue
    retraining, ritual or sunset review; the date of the commit that introduced it for a finding
    about the charter's text (see :mod:`aipo_site.evaluate.onsets`); None when unknown.
    ``subject`` names what the finding is about within its code (a data source, a KPI metric, a
    section, a ritual), so the same finding is recognised in other versions of the charter.
    """

    code: str
    level: Level
    message: str
    section: str
    field: str | None = None
    line: int | None = None
    since: dt.date | None = None
    subject: str | None = None


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in the order every report shows them: most severe first, then by section, code
    and message."""
    return sorted(findings, key=lambda f: (-f.level, f.section, f.code, f.message))


@dataclass(frozen=True)
class OpenAction:
    """An action of a review record that is not done on the evaluation date."""

    model_id: str
    model_name: str
    ritual: str  # as the charter names it
    review_date: dt.date
    review_path: str  # the record's file
    index: int  # its position in the record's `actions`
    action: str
    owner: str  # a key of the people directory, or a plain name
    due: dt.date
    overdue_days: int  # days past `due` on the evaluation date; 0 when not yet past it

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def since(self) -> dt.date:
        """The first day it is overdue: the day after ``due``."""
        return self.due + dt.timedelta(days=1)

    @property
    def subject(self) -> str:
        """What identifies it (its ``action-overdue`` finding's subject): the ritual, the
        meeting's date and its position in the record."""
        return f"{self.ritual.casefold()}:{self.review_date.isoformat()}:{self.index}"


@dataclass(frozen=True)
class RitualReviews:
    """One ritual of a charter's rhythm and its review records up to the evaluation date.

    ``last_held`` is the date of the latest record (records dated after the evaluation date are
    left out), or the charter's ``last_held`` when that is later or there is no record; None when
    neither says it was ever held.
    """

    ritual: str  # as the charter names it
    cadence_days: int
    last_held: dt.date | None
    from_record: bool  # whether ``last_held`` is the latest record's date
    last: Review | None  # the latest record (None without one)
    records: int  # how many records up to the evaluation date
    actions: tuple[OpenAction, ...] = ()  # its open actions (every record), by due date

    @property
    def due(self) -> dt.date | None:
        return self.last_held + dt.timedelta(days=self.cadence_days) if self.last_held else None


@dataclass(frozen=True)
class Escalation:
    """The escalation level active now (None when the ladder is not triggered or missing)."""

    index: int | None  # 0-based position in the charter's ladder
    level: EscalationLevel | None
    reason: str
    # When the active level activated (evaluate/status.py) and by when it must be acknowledged
    # (evaluate/incidents.py): its response time from the start (UTC) of that day; None when
    # its response time cannot be read (``deadline_note`` then says why).
    activated: dt.datetime | None = None
    deadline: dt.datetime | None = None
    deadline_note: str = ""
    # The levels passed over because nobody acknowledged them in time, lowest first.
    missed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelResult:
    """Everything evaluated for one model."""

    charter: Charter
    path: str
    as_of: dt.date
    status: Level
    since: dt.date | None
    kpis: list[KpiResult]
    findings: list[Finding]
    escalation: Escalation
    retraining_due: dt.date | None
    segments: list[SegmentResult] = field(default_factory=list)
    drift: DriftResult | None = None
    # The model's level on every day (KPIs, segment gaps, drift periods, dated findings).
    timeline: Timeline | None = field(default=None, repr=False, compare=False)
    # "Is this model performing as intended?" and "Is this model governed as required?"
    # (aipo_site.evaluate.verdict); None only when a result is built without evaluating.
    performance: Verdict | None = None
    governance: Verdict | None = None
    # Its decision records as they stand on the evaluation date, oldest first.
    decisions: list[DecisionResult] = field(default_factory=list)
    # One per ritual of the charter's rhythm, in its order: review records and open actions.
    reviews: list[RitualReviews] = field(default_factory=list)
    # Its incident records opened on or before the evaluation date, newest opened first.
    incidents: list[IncidentResult] = field(default_factory=list)
    # One per risk of the charter, in its order: ratings, measuring check, appetite, review.
    risks: list[RiskResult] = field(default_factory=list)
    # Its EU AI Act classification and the obligations that apply, with their coverage.
    coverage: ModelCoverage | None = None

    @property
    def id(self) -> str:
        return self.charter.id

    @property
    def open_actions(self) -> list[OpenAction]:
        """Every open action of its review records, by due date."""
        return sorted(
            (a for r in self.reviews for a in r.actions), key=lambda a: (a.due, a.review_date)
        )

    def kpis_at(self, *levels: Level) -> list[KpiResult]:
        return [k for k in self.kpis if k.level in levels]

    def findings_at(self, *levels: Level) -> list[Finding]:
        return [f for f in self.findings if f.level in levels]


@dataclass(frozen=True)
class RiskResult:
    """One risk of a charter on the evaluation date (aipo_site.evaluate.risks).

    ``current`` is the rating the measuring check's status gives it: the residual rating while
    the check is OK (or there is no check, or the check cannot tell yet), the inherent rating
    when it is WARN, likelihood 5 with the inherent impact when it is BREACH.
    """

    number: int  # its R-number on the model page (1-based position in the charter)
    risk: Risk
    business: str  # the charter's text, else the policy's template filled in
    business_source: str  # "charter" or "policy"
    measured_by: MeasuredBy | None  # the charter's, else the policy's default (when it applies)
    measure_source: str | None  # "charter", "policy" or None (not measured)
    check: str | None  # the measuring check in words, e.g. "KPI Score calibration error (ECE)"
    check_status: Status | None  # None without a measuring check
    check_reading: str  # what the check says now, e.g. its KPI message
    inherent: Rating
    residual: Rating  # the inherent rating when the charter gives no residual
    current: Rating
    basis: str  # why the current rating is what it is, in words
    appetite: int | None  # the stage's risk appetite; None when the policy sets none
    accepted_by: str | None  # the valid risk-acceptance record's path; None without one
    review_due: dt.date | None  # last_reviewed (or the stage entry) + risk_review_days

    @property
    def carried(self) -> bool:
        """Whether the model still carries it (every status but closed)."""
        return self.risk.status.value != "closed"

    @property
    def cannot_tell(self) -> bool:
        """A measuring check without a status yet (no data, stale, no thresholds)."""
        return self.check_status is not None and self.check_status not in (
            Status.OK,
            Status.WARN,
            Status.BREACH,
        )

    @property
    def over_appetite(self) -> bool:
        return self.appetite is not None and self.current.score > self.appetite

    @property
    def level(self) -> Level:
        """The risk's level: its measuring check's (OK without one)."""
        return self.check_status.level if self.check_status is not None else Level.OK


@dataclass(frozen=True)
class IncidentResult:
    """An incident record as it stands on the evaluation date (aipo_site.evaluate.incidents).

    ``acknowledged`` and ``resolved`` are the record's times when they fall before the end of the
    evaluation day (midnight UTC), else None: a portal pinned to a past day shows that day.
    """

    id: str  # the record's file name without its suffix
    path: str  # the record's file
    model_id: str
    model_name: str
    business_unit: str
    record: IncidentRecord
    owner: str | None  # the record's owner, else the charter's incident owner (key or name)
    acknowledged: dt.datetime | None
    resolved: dt.datetime | None
    level: Level  # of its `incident-open` finding while open; OK once resolved

    @property
    def is_open(self) -> bool:
        return self.resolved is None

    @property
    def opened(self) -> dt.datetime:
        return self.record.opened

    @property
    def time_to_acknowledge(self) -> dt.timedelta | None:
        return None if self.acknowledged is None else self.acknowledged - self.opened

    @property
    def time_to_resolve(self) -> dt.timedelta | None:
        return None if self.resolved is None else self.resolved - self.opened


@dataclass(frozen=True)
class DecisionResult:
    """A decision record as it stands on the evaluation date (aipo_site.evaluate.decisions)."""

    id: str
    path: str
    record: DecisionRecord
    state: str  # valid, rejected, unauthorised, expired, evidence, stale (the worst problem)
    level: Level  # OK when valid or rejected, else its worst problem's level
    problems: tuple[tuple[str, str], ...]  # (finding code, what is wrong)
    stale: tuple[str, ...]  # what changed since it was approved
    decision_right: str | None  # the charter's decision right the policy names for it
    accountable: str | None  # who holds that right (in the charter it approved)


@dataclass(frozen=True)
class Responsibility:
    """One thing a person of the directory is named for in a charter."""

    model_id: str
    model_name: str
    role: str  # "AI Product Owner", "Accountable: Production go/no-go", "Risk owner: ..."
    section: str  # the model page section that shows it
    accountable: bool  # owner or accountable for a decision (else responsible, consulted...)


@dataclass(frozen=True)
class OverdueItem:
    """Something past its date that a person answers for."""

    model_id: str
    model_name: str
    what: str  # in words
    since: dt.date | None  # the first day it was overdue
    level: Level
    code: str  # the finding's code


@dataclass(frozen=True)
class PersonResult:
    """A person or team of the people directory and what they answer for, on the evaluation
    date (their owner page)."""

    key: str
    person: Person
    responsibilities: tuple[Responsibility, ...]
    overdue: tuple[OverdueItem, ...]
    actions: tuple[OpenAction, ...] = ()  # open review actions they own (every model), by due
    # Onboarding progress over the models they are the AI Product Owner of: items done and
    # items in all (each charter's checklist, plus the policy's required items it lacks).
    onboarding_done: int = 0
    onboarding_total: int = 0

    @property
    def models(self) -> list[str]:
        """The models they are named in, in order."""
        return list(dict.fromkeys(r.model_id for r in self.responsibilities))


@dataclass(frozen=True)
class Portfolio:
    """Every model, evaluated on the same date."""

    as_of: dt.date
    models: list[ModelResult]
    # Everyone in the people directory (empty without one), by key.
    people: list[PersonResult] = field(default_factory=list)

    def counts(self) -> dict[Level, int]:
        out = dict.fromkeys(Level, 0)
        for m in self.models:
            out[m.status] += 1
        return out

    def model(self, model_id: str) -> ModelResult | None:
        return next((m for m in self.models if m.id == model_id), None)

    @property
    def open_actions(self) -> list[OpenAction]:
        """Every open review action of every model, by due date."""
        return sorted(
            (a for m in self.models for a in m.open_actions),
            key=lambda a: (a.due, a.model_id, a.review_date),
        )
