"""Evaluation results: plain typed objects that the renderers, the CLI and the tests all read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np

from .charter import (
    Aggregation,
    Charter,
    Direction,
    DropTiers,
    EscalationLevel,
    SegmentGap,
    Thresholds,
    Tiers,
)

__all__ = [
    "DriftPoint",
    "DriftResult",
    "Escalation",
    "FeatureDrift",
    "Finding",
    "Histogram",
    "KpiResult",
    "KpiSeries",
    "Level",
    "ModelResult",
    "Portfolio",
    "SegmentResult",
    "SegmentValue",
    "Status",
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


@dataclass(frozen=True)
class KpiSeries:
    """The KPI's overall daily values and their rolling aggregate (what the chart draws)."""

    dates: np.ndarray  # datetime64[D], ascending
    values: np.ndarray  # float64
    rolling: np.ndarray  # float64, aggregate over the KPI's window ending at each date


@dataclass(frozen=True)
class KpiResult:
    """One KPI evaluated against its thresholds, freshness limit and original baseline."""

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
    series: KpiSeries | None = field(default=None, repr=False, compare=False)

    @property
    def level(self) -> Level:
        drop = self.drop_status.level if self.drop_status else Level.OK
        return max(self.status.level, drop)


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

    @property
    def level(self) -> Level:
        return self.status.level


@dataclass(frozen=True)
class Histogram:
    """Reference and current distribution of one feature on the same bins (proportions)."""

    labels: list[str]
    reference: list[float]
    current: list[float]


@dataclass(frozen=True)
class FeatureDrift:
    """Data drift of one feature between the reference and the current window."""

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

    @property
    def level(self) -> Level:
        return self.status.level


@dataclass(frozen=True)
class DriftPoint:
    """One feature's drift in one period of the current data, against the reference."""

    period: dt.date
    feature: str
    value: float
    status: Status


@dataclass(frozen=True)
class DriftResult:
    """Data drift of a model's inputs, and how it lines up with its outcomes (concept drift)."""

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

    @property
    def level(self) -> Level:
        worst_feature = max((f.level for f in self.features), default=Level.OK)
        return max(self.share_status.level, min(worst_feature, Level.WARN))


@dataclass(frozen=True)
class Finding:
    """A compliance finding: the charter against the policy and the audit-story gaps."""

    code: str
    level: Level
    message: str
    section: str
    field: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Escalation:
    """The escalation level active now (None when the ladder is not triggered or missing)."""

    index: int | None  # 0-based position in the charter's ladder
    level: EscalationLevel | None
    reason: str


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
    answer: str
    retraining_due: dt.date | None
    segments: list[SegmentResult] = field(default_factory=list)
    drift: DriftResult | None = None

    @property
    def id(self) -> str:
        return self.charter.id

    def kpis_at(self, *levels: Level) -> list[KpiResult]:
        return [k for k in self.kpis if k.level in levels]

    def findings_at(self, *levels: Level) -> list[Finding]:
        return [f for f in self.findings if f.level in levels]


@dataclass(frozen=True)
class Portfolio:
    """Every model, evaluated on the same date."""

    as_of: dt.date
    models: list[ModelResult]

    def counts(self) -> dict[Level, int]:
        out = dict.fromkeys(Level, 0)
        for m in self.models:
            out[m.status] += 1
        return out

    def model(self, model_id: str) -> ModelResult | None:
        return next((m for m in self.models if m.id == model_id), None)
