"""`aipo check`: load, validate and evaluate a governance repository; decide the CI gate.

The run is a :class:`CheckRun` (plain data); :mod:`aipo_site.cli.formats` turns it into text, JSON,
JUnit XML, GitHub workflow commands or Markdown. Nothing here parses arguments.

Exit codes (also in ``aipo check --help``):

    0  nothing at or above the --fail-on level
    1  a model status, KPI or finding at or above the --fail-on level
    2  invalid input (charters, policy, metric CSVs, mkdocs.yml) or invalid usage

``--fail-on error`` fails only on invalid input, ``breach`` (the default) on anything at BREACH,
``warn`` on anything at WARN or BREACH (a stale or missing KPI, a compliance warning, a TODO marker
left in a charter).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, InputErrors
from ..load.source import WorkingTree
from ..model.inputs import ModelInputs, Repository
from ..model.policy import Policy
from ..model.regulation import ModelCoverage
from ..model.results import Finding, KpiResult, Level, ModelResult
from ..model.verdict import Question, Verdict
from ..pipeline import evaluate_source
from .lint import lint_model
from .settings import Settings

__all__ = [
    "EXIT_FAIL",
    "EXIT_INVALID",
    "EXIT_OK",
    "FAIL_ON",
    "CheckItem",
    "CheckRun",
    "ModelCheck",
    "finding_record",
    "kpi_record",
    "model_record",
    "run_check",
]

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_BUG = 0, 1, 2, 3
# --fail-on -> the lowest level that fails the gate (None: only invalid input fails).
FAIL_ON: dict[str, Level | None] = {"error": None, "breach": Level.BREACH, "warn": Level.WARN}


@dataclass(frozen=True)
class CheckItem:
    """One evaluated check of a model, whatever its kind: a KPI, a segment gap, data drift."""

    kind: str  # "kpi", "segment", "drift"
    key: str  # the metric, or "drift"
    title: str  # "KPI recall", "segment gap false_positive_rate", "data drift"
    name: str  # the human name: the KPI's name, "Data drift"
    status: str  # the Status value, e.g. "WARN", "NO DATA"
    level: Level
    message: str
    line: int | None


@dataclass(frozen=True)
class ModelCheck:
    """One model as the gate sees it: the evaluation plus authoring lints."""

    result: ModelResult
    inputs: ModelInputs
    lints: list[Finding] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.result.id

    @property
    def findings(self) -> list[Finding]:
        """Compliance findings (most severe first), then lints (in file order)."""
        return [*self.result.findings, *self.lints]

    @property
    def gate_level(self) -> Level:
        """The level compared with --fail-on: the model status or a lint, whichever is worse."""
        return max([self.result.status, *(f.level for f in self.lints)])

    def kpi_line(self, metric: str) -> int | None:
        """Line of the KPI's entry in the charter."""
        for i, kpi in enumerate(self.result.charter.kpis):
            if kpi.metric == metric:
                return self.inputs.document.position(("kpis", i))[0]
        return None

    def is_lint(self, finding: Finding) -> bool:
        return any(finding is lint for lint in self.lints)

    def items(self) -> list[CheckItem]:
        """Every evaluated check: KPIs, then segment gaps, then data drift."""
        r = self.result
        doc = self.inputs.document
        out = [
            CheckItem(
                "kpi",
                k.metric,
                f"KPI {k.metric}",
                k.name,
                k.status.value,
                k.level,
                k.message,
                self.kpi_line(k.metric),
            )
            for k in r.kpis
        ]
        for i, seg in enumerate(getattr(r, "segments", None) or []):
            out.append(
                CheckItem(
                    "segment",
                    seg.check.metric,
                    f"segment gap {seg.check.metric}",
                    f"{seg.name} by segment",
                    seg.status.value,
                    seg.level,
                    seg.message,
                    doc.position(("segments", i))[0],
                )
            )
        drift = getattr(r, "drift", None)
        if drift is not None:
            out.append(
                CheckItem(
                    "drift",
                    "drift",
                    "data drift",
                    "Data drift",
                    drift.level.label if drift.level > Level.OK else drift.share_status.value,
                    drift.level,
                    drift.summary or f"dataset drift share {drift.share_status.value}",
                    doc.position(("drift",))[0],
                )
            )
        return out


@dataclass
class CheckRun:
    """Everything one `aipo check` found."""

    fail_on: str
    as_of: dt.date
    models: list[ModelCheck] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    policy_file: str | None = None
    policy: Policy | None = None

    @property
    def threshold(self) -> Level | None:
        return FAIL_ON[self.fail_on]

    def failing(self) -> list[ModelCheck]:
        """Models at or above the --fail-on level."""
        if self.threshold is None:
            return []
        return [m for m in self.models if m.gate_level >= self.threshold]

    def fails(self, level: Level) -> bool:
        """Whether an item at ``level`` fails the gate."""
        return self.threshold is not None and level >= self.threshold

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_INVALID
        return EXIT_FAIL if self.failing() else EXIT_OK

    @property
    def outcome(self) -> str:
        return {EXIT_OK: "pass", EXIT_FAIL: "fail", EXIT_INVALID: "invalid"}[self.exit_code]

    def counts(self) -> dict[Level, int]:
        """Models per status."""
        out = dict.fromkeys(Level, 0)
        for m in self.models:
            out[m.result.status] += 1
        return out

    def finding_counts(self) -> dict[Level, int]:
        out = dict.fromkeys(Level, 0)
        for m in self.models:
            for f in m.findings:
                out[f.level] += 1
        return out

    def answer_counts(self, question: Question) -> dict[str, int]:
        """Models per answer to ``question`` (every possible answer, best first)."""
        out = {a.value: 0 for a in question.answers}
        for m in self.models:
            verdict = getattr(m.result, question.value)
            if verdict is not None:
                out[verdict.answer.value] += 1
        return out


def run_check(settings: Settings, as_of: dt.date, fail_on: str = "breach") -> CheckRun:
    """Load, validate and evaluate the repository; invalid input is collected, not raised.

    Configuration problems (a missing charters folder) still raise :class:`ConfigError`.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}")
    run = CheckRun(fail_on=fail_on, as_of=as_of)
    try:
        repo, portfolio = evaluate_source(WorkingTree(settings.root), settings.layout, as_of)
    except InputErrors as e:
        run.errors = list(e.errors)
        return run
    except InputError as e:
        run.errors = [e]
        return run
    run.warnings = list(repo.warnings)
    run.policy_file = repo.policy_path if repo.policy_document is not None else None
    run.policy = repo.policy
    run.models = _join(repo, portfolio.models)
    return run


def _join(repo: Repository, results: list[ModelResult]) -> list[ModelCheck]:
    out = []
    for result in results:
        inputs = repo.model(result.id)
        assert inputs is not None
        out.append(ModelCheck(result, inputs, lint_model(inputs)))
    return out


# --- plain records shared by the JSON report and `aipo export` -----------------------------------


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def kpi_record(check: ModelCheck, kpi: KpiResult) -> dict[str, Any]:
    """One KPI result as JSON-ready data."""
    return {
        "metric": kpi.metric,
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction.value if kpi.direction else None,
        "status": kpi.status.value,
        "level": kpi.level.label,
        "threshold_status": kpi.threshold_status.value if kpi.threshold_status else None,
        "value": _num(kpi.value),
        "window_start": _date(kpi.window_start),
        "rows": kpi.rows,
        "newest": _date(kpi.newest),
        "since": _date(kpi.since),
        "message": kpi.message,
        "window_days": kpi.window_days,
        "aggregation": kpi.aggregation.value,
        "freshness_days": kpi.freshness_days,
        "thresholds": (
            {"warn": _num(kpi.thresholds.warn), "breach": _num(kpi.thresholds.breach)}
            if kpi.thresholds
            else None
        ),
        "threshold_source": kpi.threshold_source,
        "baseline": _num(kpi.baseline),
        "max_drop": (
            {"warn": _num(kpi.max_drop.warn), "breach": _num(kpi.max_drop.breach)}
            if kpi.max_drop
            else None
        ),
        "drop": _num(kpi.drop),
        "drop_status": kpi.drop_status.value if kpi.drop_status else None,
        "file": check.result.path,
        "line": check.kpi_line(kpi.metric),
    }


def _tiers(tiers: Any) -> dict[str, float | None] | None:
    return {"warn": _num(tiers.warn), "breach": _num(tiers.breach)} if tiers else None


def segment_record(check: ModelCheck, index: int, seg: Any) -> dict[str, Any]:
    """One segment-gap result as JSON-ready data."""

    def value(v: Any) -> dict[str, Any] | None:
        if v is None:
            return None
        return {"segment": str(v.segment), "value": _num(v.value), "rows": int(v.rows)}

    return {
        "metric": seg.check.metric,
        "name": seg.name,
        "unit": seg.unit,
        "gap_kind": seg.check.gap,
        "tiers": _tiers(seg.check.tiers),
        "status": seg.status.value,
        "level": seg.level.label,
        "gap": _num(seg.gap),
        "worst": value(seg.worst),
        "best": value(seg.best),
        "values": [value(v) for v in seg.values],
        "window_start": _date(seg.window_start),
        "since": _date(seg.since),
        "newest": _date(seg.newest),
        "message": seg.message,
        "file": check.result.path,
        "line": check.inputs.document.position(("segments", index))[0],
    }


def drift_record(check: ModelCheck, drift: Any) -> dict[str, Any]:
    """A model's data-drift result as JSON-ready data.

    Each feature's ``value`` is the method's statistic or distance and ``p_value`` the test's
    p-value (null for distances), as on the model page and in the chart data; ``tiered_on``
    names the one of them that ``tiers`` apply to (null when the feature cannot be evaluated).
    """
    return {
        "level": drift.level.label,
        "since": _date(drift.since),
        "share": _num(drift.share),
        "share_status": drift.share_status.value,
        "share_tiers": _tiers(drift.share_tiers),
        "reference": drift.reference_label,
        "current": drift.current_label,
        "window_start": _date(drift.window_start),
        "summary": drift.summary,
        "features": [
            {
                "name": f.name,
                "kind": f.kind,
                "method": f.method,
                "value": _num(f.value),
                "p_value": _num(f.p_value),
                "tiers": _tiers(f.tiers),
                "tiered_on": (
                    None if f.tiers is None else "p_value" if f.p_value is not None else "value"
                ),
                "status": f.status.value,
                "level": f.level.label,
                "since": _date(f.since),
                "reading": f.reading,
                "importance": _num(f.importance),
                "n_reference": int(f.n_reference),
                "n_current": int(f.n_current),
            }
            for f in drift.features
        ],
        "file": check.result.path,
        "line": check.inputs.document.position(("drift",))[0],
    }


def finding_record(check: ModelCheck, finding: Finding) -> dict[str, Any]:
    """One finding as JSON-ready data; ``source`` is ``compliance`` or ``lint``.

    ``since`` is the first day the finding's condition held (a due date's next day, or the date
    of the commit that introduced it); null when unknown (outside git, an uncommitted change, a
    lint).
    """
    return {
        "code": finding.code,
        "level": finding.level.label,
        "message": finding.message,
        "section": finding.section,
        "field": finding.field,
        "file": check.result.path,
        "line": finding.line,
        "since": _date(finding.since),
        "source": "lint" if check.is_lint(finding) else "compliance",
    }


def error_record(error: InputError) -> dict[str, Any]:
    """One invalid-input error as JSON-ready data."""
    return {
        "file": error.path,
        "line": error.line,
        "column": error.column,
        "field": error.field,
        "message": error.message,
    }


def verdict_record(verdict: Verdict | None) -> dict[str, Any] | None:
    """The answer to one question as JSON-ready data."""
    if verdict is None:
        return None
    return {
        "question": verdict.question.text,
        "answer": verdict.answer.value,
        "label": verdict.answer.label,
        "sentence": verdict.sentence,
    }


def model_record(check: ModelCheck) -> dict[str, Any]:
    """One model as evaluated, as JSON-ready data (without the charter itself)."""
    r = check.result
    c = r.charter
    esc = r.escalation
    return {
        "id": r.id,
        "name": c.name,
        "file": r.path,
        "business_unit": c.business_unit,
        "stage": c.lifecycle.stage.value,
        "owner": {"name": c.owner.name, "email": c.owner.email, "person": c.owner.person},
        "incident_owner": (
            {
                "name": c.incident_owner.name,
                "email": c.incident_owner.email,
                "person": c.incident_owner.person,
            }
            if c.incident_owner
            else None
        ),
        "status": r.status.label,
        "since": _date(r.since),
        "gate_level": check.gate_level.label,
        "escalation": {
            "index": esc.index,
            "name": esc.level.name if esc.level else None,
            "who": esc.level.who if esc.level else None,
            "response_time": esc.level.response_time if esc.level else None,
            "reason": esc.reason,
        },
        "performance": verdict_record(r.performance),
        "governance": verdict_record(r.governance),
        "retraining_due": _date(r.retraining_due),
        "kpis": [kpi_record(check, k) for k in r.kpis],
        "segments": [
            segment_record(check, i, seg) for i, seg in enumerate(getattr(r, "segments", []) or [])
        ],
        "drift": (drift_record(check, r.drift) if getattr(r, "drift", None) is not None else None),
        "findings": [finding_record(check, f) for f in check.findings],
    }


def coverage_record(coverage: ModelCoverage | None) -> dict[str, Any] | None:
    """A model's EU AI Act classification and regulation coverage, as JSON-ready data (the
    evidence export's ``regulation``); None when it was not evaluated."""
    if coverage is None:
        return None
    e = coverage.classification
    return {
        "classification": e.model_dump(mode="json") if e is not None else None,
        "derived_class": coverage.derived[0].value if coverage.derived else None,
        "obligations": [
            {
                "id": o.obligation.id,
                "framework": o.obligation.framework,
                "label": o.obligation.label,
                "title": o.obligation.title,
                "source": o.obligation.source,
                "coverage": o.coverage.value,
                "applies_from": _date(o.applies_from),
                "elements": [
                    {"element": s.element, "state": s.state, "note": s.note} for s in o.elements
                ],
            }
            for o in coverage.obligations
        ],
    }
