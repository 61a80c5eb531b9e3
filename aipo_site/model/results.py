"""Evaluation results: plain typed objects that the renderers, the CLI and the tests all read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np

from .charter import Aggregation, Charter, Direction, DropTiers, EscalationLevel, Thresholds

__all__ = [
    "Escalation",
    "Finding",
    "KpiResult",
    "KpiSeries",
    "Level",
    "ModelResult",
    "Portfolio",
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
    extras: dict[str, object] = field(default_factory=dict, compare=False)

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
