"""Decision records: who decided what about a model, when, on which evidence.

One small YAML file per decision (``content/decisions/<anything>.yaml``). A record is bound to
what it approved by its evidence: the commit and the SHA-256 of the charter as it was evaluated,
so it goes stale when the charter changes in a way that matters. Only types live here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from pydantic import ConfigDict, Field, model_validator

from .charter import Charter, ShortText, Slug, Stage, Strict, Text

__all__ = ["DecisionInput", "DecisionKind", "DecisionOutcome", "DecisionRecord", "Evidence"]


class DecisionKind(StrEnum):
    stage_transition = "stage-transition"
    risk_acceptance = "risk-acceptance"
    policy_exception = "policy-exception"


class DecisionOutcome(StrEnum):
    approved = "approved"
    rejected = "rejected"


class Evidence(Strict):
    """What the decision was taken on: the charter as evaluated at a commit."""

    commit: str = Field(
        pattern=r"^[0-9a-f]{7,40}$",
        description="The commit whose charter was evaluated (`git rev-parse HEAD`), 7 to 40 "
        "lower-case hex digits.",
    )
    charter_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the charter file at that commit (`git show <commit>:<charter> "
        "| sha256sum`).",
    )


class DecisionRecord(Strict):
    """One decision about one model."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo decision record",
        json_schema_extra={"$id": "https://aipo.dev/schema/decision.schema.json"},
    )

    model: Slug = Field(description="The model's id.")
    kind: DecisionKind = Field(
        description="stage-transition (go/no-go for a lifecycle stage), risk-acceptance or "
        "policy-exception."
    )
    stage: Stage | None = Field(
        default=None, description="stage-transition: the stage the decision lets the model enter."
    )
    risk: ShortText | None = Field(
        default=None, description="risk-acceptance: the title of the charter's risk accepted."
    )
    finding: ShortText | None = Field(
        default=None,
        description="policy-exception: the code of the finding the exception is granted for.",
    )
    outcome: DecisionOutcome = Field(
        default=DecisionOutcome.approved, description="approved (go) or rejected (no-go)."
    )
    decided_by: ShortText = Field(
        description="Who decided: a key of the people directory, or a plain name."
    )
    date: dt.date = Field(description="When it was decided (YYYY-MM-DD).")
    evidence: Evidence = Field(description="The charter the decision was taken on.")
    summary: Text = Field(description="What was decided and why, in a few sentences.")
    conditions: list[Text] = Field(
        default_factory=list, description="Conditions attached to the decision."
    )
    expires: dt.date | None = Field(
        default=None, description="Last day the decision holds; none: until it goes stale."
    )

    @model_validator(mode="after")
    def _subject(self) -> DecisionRecord:
        needs = {
            DecisionKind.stage_transition: "stage",
            DecisionKind.risk_acceptance: "risk",
            DecisionKind.policy_exception: "finding",
        }
        field = needs[self.kind]
        if getattr(self, field) is None:
            raise ValueError(f"a {self.kind.value} decision needs `{field}`")
        extra = [f for f in needs.values() if f != field and getattr(self, f) is not None]
        if extra:
            raise ValueError(f"`{extra[0]}` does not belong to a {self.kind.value} decision")
        if self.expires is not None and self.expires < self.date:
            raise ValueError("`expires` is before the decision's `date`")
        return self


@dataclass(frozen=True)
class DecisionInput:
    """A decision record as loaded, with the charter its evidence points to.

    ``approved`` is the charter at the evidence commit when git gives it and its SHA-256 is the
    recorded one; ``evidence_problem`` says otherwise why the evidence could not be checked
    (``evidence_mismatch``: git gave a charter with another hash).
    """

    record: DecisionRecord
    path: str  # the record's file
    approved: Charter | None
    evidence_problem: str | None = None
    evidence_mismatch: bool = False

    @property
    def id(self) -> str:
        return PurePosixPath(self.path).stem
