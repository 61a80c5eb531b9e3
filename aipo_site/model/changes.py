"""What the governance diff can report: change kinds and severities.

They live in the model layer because the policy's sign-off rules (``sign_off`` in
:mod:`aipo_site.model.policy`) select changes by them; :mod:`aipo_site.diff.model` re-exports
them with the rest of the typed diff.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["Kind", "Severity"]


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
    KPI_SOURCE_CHANGED = "kpi-source-changed"
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
    DRIFT_SOURCE_CHANGED = "drift-source-changed"
    DRIFT_STATUS_CHANGED = "drift-status-changed"
    # regulation: the EU AI Act classification and its decision path
    CLASSIFICATION_ADDED = "classification-added"
    CLASSIFICATION_REMOVED = "classification-removed"
    RISK_CLASS_LOWERED = "risk-class-lowered"
    RISK_CLASS_RAISED = "risk-class-raised"
    DECISION_PATH_CHANGED = "decision-path-changed"
    CLASSIFICATION_CHANGED = "classification-changed"
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
