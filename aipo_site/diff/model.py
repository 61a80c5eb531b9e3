"""The governance diff as typed objects: what changed, where, and how much it needs a reviewer.

Severity follows one rule, so reviewers can predict it:

- ``critical``: a control that protects people or data is removed (any authorisation record,
  whether or not the policy requires one), special-category data is added (a data source added
  with, or extended to, a category in :data:`aipo_site.model.charter.SPECIAL_CATEGORIES`, also in
  a new model), the organisation-wide policy is relaxed (it applies to every model), or a model
  newly BREACHes (status or finding);
- ``review``: accountability changes, or one model's own controls are loosened or removed
  (thresholds, escalation, retraining, risks closed, data use extended);
- ``info``: controls are added or tightened, or the change is neutral. Status flips of a KPI, a
  segment check, the drift or a drift feature are ``info``: the model's own status change
  carries the severity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from ..model.results import Level

__all__ = ["Change", "GovernanceDiff", "Kind", "ModelDiff", "Severity", "Side"]


class Severity(IntEnum):
    """How much a change needs a reviewer, in order."""

    INFO = 0
    REVIEW = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class Kind(StrEnum):
    """What changed. The order of the members is the order of the rows in a model's table."""

    # the model itself
    MODEL_ADDED = "model-added"
    MODEL_REMOVED = "model-removed"
    STATUS_CHANGED = "status-changed"
    NAME_CHANGED = "name-changed"
    BUSINESS_UNIT_CHANGED = "business-unit-changed"
    # accountability and lifecycle
    OWNER_CHANGED = "owner-changed"
    INCIDENT_OWNER_ADDED = "incident-owner-added"
    INCIDENT_OWNER_REMOVED = "incident-owner-removed"
    INCIDENT_OWNER_CHANGED = "incident-owner-changed"
    STAGE_CHANGED = "stage-changed"
    # KPIs and thresholds (also the policy's metric defaults)
    POLICY_METRIC_ADDED = "policy-metric-added"
    POLICY_METRIC_REMOVED = "policy-metric-removed"
    KPI_ADDED = "kpi-added"
    KPI_REMOVED = "kpi-removed"
    DIRECTION_CHANGED = "direction-changed"
    THRESHOLD_LOOSENED = "threshold-loosened"
    THRESHOLD_TIGHTENED = "threshold-tightened"
    THRESHOLDS_ADDED = "thresholds-added"
    THRESHOLDS_REMOVED = "thresholds-removed"
    BASELINE_ADDED = "baseline-added"
    BASELINE_REMOVED = "baseline-removed"
    BASELINE_CHANGED = "baseline-changed"
    DROP_TOLERANCE_LOOSENED = "drop-tolerance-loosened"
    DROP_TOLERANCE_TIGHTENED = "drop-tolerance-tightened"
    FRESHNESS_LOOSENED = "freshness-loosened"
    FRESHNESS_TIGHTENED = "freshness-tightened"
    KPI_WINDOW_CHANGED = "kpi-window-changed"
    KPI_STATUS_CHANGED = "kpi-status-changed"
    # data stewardship (also the policy's authorisation rules)
    DATA_SOURCE_ADDED = "data-source-added"
    DATA_SOURCE_REMOVED = "data-source-removed"
    DATA_SOURCE_CHANGED = "data-source-changed"
    AUTHORISATION_REMOVED = "authorisation-removed"
    AUTHORISATION_CHANGED = "authorisation-changed"
    AUTHORISATION_ADDED = "authorisation-added"
    CONTRACT_REMOVED = "contract-removed"
    CONTRACT_CHANGED = "contract-changed"
    CONTRACT_ADDED = "contract-added"
    AUTHORISATION_RULE_RELAXED = "authorisation-rule-relaxed"
    AUTHORISATION_RULE_EXTENDED = "authorisation-rule-extended"
    # model stewardship
    RETRAINING_REMOVED = "retraining-removed"
    RETRAINING_ADDED = "retraining-added"
    RETRAINING_LENGTHENED = "retraining-lengthened"
    RETRAINING_SHORTENED = "retraining-shortened"
    RETRAINED = "retrained"
    RETRAINING_LIMIT_RELAXED = "retraining-limit-relaxed"
    RETRAINING_LIMIT_TIGHTENED = "retraining-limit-tightened"
    # risks
    RISK_ADDED = "risk-added"
    RISK_REMOVED = "risk-removed"
    RISK_CLOSED = "risk-closed"
    RISK_STATUS_CHANGED = "risk-status-changed"
    RISK_RATING_CHANGED = "risk-rating-changed"
    # escalation, decision rights, rhythm
    ESCALATION_LEVEL_REMOVED = "escalation-level-removed"
    ESCALATION_LEVEL_ADDED = "escalation-level-added"
    ESCALATION_LEVEL_CHANGED = "escalation-level-changed"
    DECISION_REMOVED = "decision-removed"
    DECISION_ADDED = "decision-added"
    DECISION_OWNER_CHANGED = "decision-owner-changed"
    RITUAL_REMOVED = "ritual-removed"
    RITUAL_ADDED = "ritual-added"
    RITUAL_CADENCE_CHANGED = "ritual-cadence-changed"
    REQUIRED_SECTIONS_RELAXED = "required-sections-relaxed"
    REQUIRED_SECTIONS_EXTENDED = "required-sections-extended"
    RITUAL_RULE_RELAXED = "ritual-rule-relaxed"
    RITUAL_RULE_EXTENDED = "ritual-rule-extended"
    # fairness and drift
    SEGMENT_CHECK_ADDED = "segment-check-added"
    SEGMENT_CHECK_REMOVED = "segment-check-removed"
    SEGMENT_TIERS_CHANGED = "segment-tiers-changed"
    SEGMENT_STATUS_CHANGED = "segment-status-changed"
    DRIFT_ADDED = "drift-added"
    DRIFT_REMOVED = "drift-removed"
    DRIFT_FEATURE_ADDED = "drift-feature-added"
    DRIFT_FEATURE_REMOVED = "drift-feature-removed"
    DRIFT_TIERS_LOOSENED = "drift-tiers-loosened"
    DRIFT_TIERS_TIGHTENED = "drift-tiers-tightened"
    DRIFT_TIERS_CHANGED = "drift-tiers-changed"
    DRIFT_CHANGED = "drift-changed"
    DRIFT_STATUS_CHANGED = "drift-status-changed"
    # anything else in a charter or the policy
    SECTION_CHANGED = "section-changed"
    POLICY_SECTION_CHANGED = "policy-section-changed"
    # compliance
    FINDING_NEW = "finding-new"
    FINDING_CHANGED = "finding-changed"
    FINDING_RESOLVED = "finding-resolved"

    @property
    def label(self) -> str:
        """Human wording for tables: 'threshold loosened'."""
        return self.value.replace("-", " ")

    @property
    def order(self) -> int:
        return _ORDER[self]


_ORDER = {kind: i for i, kind in enumerate(Kind)}


@dataclass(frozen=True)
class Change:
    """One governance change. ``before``/``after`` are display values (None: absent)."""

    kind: Kind
    severity: Severity
    item: str  # what changed within the model or policy: a KPI, a data source, a rule ...
    before: str | None
    after: str | None
    message: str  # one sentence for the "needs review" list; untrusted text is NOT escaped
    model: str | None = None  # the model id; None for a policy change
    # The change follows from a policy default that changed; the policy change names this model.
    via_policy: bool = False

    @property
    def needs_review(self) -> bool:
        return self.severity >= Severity.REVIEW

    def sort_key(self) -> tuple:
        """Severity first, then the policy, then models by id, then the table order."""
        return (
            -self.severity,
            self.model is not None,
            self.model or "",
            self.kind.order,
            self.item,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.label,
            "kind": self.kind.value,
            "model": self.model,
            "item": self.item,
            "before": self.before,
            "after": self.after,
            "message": self.message,
            "via_policy": self.via_policy,
        }


@dataclass(frozen=True)
class ModelDiff:
    """The changes of one model that was added, removed or changed."""

    id: str
    name: str
    state: str  # "added", "removed" or "changed"
    status_before: Level | None
    status_after: Level | None
    changes: list[Change]

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity is severity)


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a git ref (with its commit) or the working tree."""

    label: str
    commit: str | None = None  # short sha; None for the working tree


@dataclass(frozen=True)
class GovernanceDiff:
    """Everything that changed between two governance states evaluated on the same date."""

    base: Side
    head: Side
    as_of: dt.date
    policy: list[Change]
    models: list[ModelDiff]  # added, removed or changed models, by id
    unchanged: list[str] = field(default_factory=list)  # ids of models compared without change

    @property
    def changes(self) -> list[Change]:
        """Every change: the policy's, then each model's."""
        return [*self.policy, *(c for m in self.models for c in m.changes)]

    @property
    def needs_review(self) -> list[Change]:
        """Changes at ``review`` or ``critical``, most severe first.

        A model change that only follows from a changed policy default is left out: the policy
        change (listed first) names every model it affects.
        """
        return sorted(
            (c for c in self.changes if c.needs_review and not c.via_policy),
            key=Change.sort_key,
        )

    @property
    def exit_code(self) -> int:
        """0 when nothing needs review, 1 when at least one change does."""
        return self.exit_code_at(Severity.REVIEW)

    def exit_code_at(self, fail_on: Severity) -> int:
        """1 when at least one change is at ``fail_on`` or above (``aipo diff --fail-on``)."""
        return 1 if any(c.severity >= fail_on for c in self.changes) else 0

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity is severity)
