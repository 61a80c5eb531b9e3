"""Incident records: one file per production incident of a model.

A record says which model had the incident, how severe it is, when it was opened, acknowledged
and resolved, who owns it, which checks or findings of the charter it concerns, what happened,
what is to be done and where the post-incident review is. Evaluation reads the records for the
open incidents (a finding that feeds the status and the escalation) and for the acknowledgement
of an active escalation level. Only types live here (no I/O).

Times (``opened``, ``acknowledged``, ``resolved``) are ISO 8601 date-times with a time zone
(``2026-11-18T07:40:00Z``, ``2026-11-18T08:40:00+01:00``) or dates (``2026-11-18``: midnight UTC
at its start). A date-time without a time zone is an error: nobody can tell when it was. Every
time is kept in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .charter import MetricName, ShortText, Slug, Strict, Text
from .document import YamlDocument
from .reviews import ReviewAction

__all__ = [
    "FINDING_CODES",
    "Concern",
    "Incident",
    "IncidentAction",
    "IncidentRecord",
    "Severity",
    "parse_moment",
]

# Every finding code aipo reports: what an incident's `concerns: [{finding: CODE}]` may name.
FINDING_CODES = frozenset(
    {
        "action-overdue",
        "authorisation-missing",
        "classification-contradiction",
        "classification-missing",
        "classification-unexplained",
        "data-contract-missing",
        "decision-evidence",
        "decision-expired",
        "decision-late",
        "decision-missing",
        "decision-stale",
        "decision-unauthorised",
        "escalation-unacknowledged",
        "incident-open",
        "incident-owner-missing",
        "kpis-missing",
        "obligation-missing",
        "onboarding-open",
        "retraining-cadence-too-long",
        "retraining-missing",
        "retraining-overdue",
        "retraining-unknown",
        "risk-over-appetite",
        "risk-review-overdue",
        "ritual-cadence-too-long",
        "ritual-missing",
        "ritual-never-held",
        "ritual-overdue",
        "section-missing",
        "stage-history-incoherent",
        "sunset-review-overdue",
        "threshold-loosened",
        "thresholds-missing",
    }
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Severity(StrEnum):
    """How bad an incident is: an open critical or high incident is a BREACH finding, an open
    medium or low one a WARN finding."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


def parse_moment(value: Any) -> Any:
    """An ISO date-time with a time zone, or a date (midnight UTC at its start), as an aware
    UTC datetime; anything else is left to pydantic's own message."""
    if isinstance(value, dt.date):  # a datetime is a date too
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
    else:
        return value
    if _DATE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date YYYY-MM-DD") from None
        return dt.datetime.combine(day, dt.time(0), dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "expected a date-time with a time zone (e.g. 2026-11-18T07:40:00Z) or a date YYYY-MM-DD"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            "a date-time needs a time zone: add Z (UTC) or an offset such as +01:00 "
            "(e.g. 2026-11-18T07:40:00Z)"
        )
    return moment.astimezone(dt.UTC)


Moment = Annotated[
    dt.datetime,
    BeforeValidator(parse_moment),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]

FindingCode = Annotated[str, Field(max_length=64, pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")]

_CONCERN_KINDS = ("kpi", "segment", "drift_feature", "finding")


class Concern(Strict):
    """One check or finding of the charter the incident is about: exactly one of the keys."""

    kpi: MetricName | None = Field(default=None, description="A KPI's metric of the charter.")
    segment: MetricName | None = Field(
        default=None, description="The metric of one of the charter's segment checks."
    )
    drift_feature: ShortText | None = Field(
        default=None, description="A feature of the charter's `drift.features`."
    )
    finding: FindingCode | None = Field(
        default=None, description="A finding code, e.g. `retraining-overdue`."
    )

    @model_validator(mode="after")
    def _one(self) -> Concern:
        given = [k for k in _CONCERN_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of kpi, segment, drift_feature or finding"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _CONCERN_KINDS if getattr(self, k) is not None)

    @property
    def name(self) -> str:
        return str(getattr(self, self.kind))


class IncidentAction(ReviewAction):
    """One action agreed during or after the incident."""


class IncidentRecord(Strict):
    """An incident record file (``content/incidents/<anything>.yaml`` by default): one incident."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo incident record",
        json_schema_extra={"$id": "https://aipo.dev/schema/incident.schema.json"},
    )

    model: Slug = Field(description="The id of the model (its charter's `id`).")
    title: ShortText = Field(description="What happened, in a few words.")
    severity: Severity = Field(description="critical, high, medium or low.")
    opened: Moment = Field(
        description="When it was opened: a date-time with a time zone (2026-11-18T07:40:00Z) "
        "or a date (midnight UTC)."
    )
    acknowledged: Moment | None = Field(
        default=None,
        description="When the owner acknowledged it (not before `opened`); none: not yet.",
    )
    resolved: Moment | None = Field(
        default=None,
        description="When it was resolved (not before `opened` or `acknowledged`); none: open.",
    )
    owner: ShortText | None = Field(
        default=None,
        description="Who owns it: a key of the people directory, or a plain name; none: the "
        "charter's `incident_owner`.",
    )
    concerns: list[Concern] = Field(
        default_factory=list,
        description="The charter's checks or findings it is about: `{kpi: METRIC}`, "
        "`{segment: METRIC}`, `{drift_feature: NAME}` or `{finding: CODE}` each.",
    )
    summary: Text = Field(description="What happened, the impact and the cause, if known.")
    actions: list[IncidentAction] = Field(
        default_factory=list, description="What is to be done, by whom, by when."
    )
    review: str | None = Field(
        default=None,
        max_length=2000,
        description="Link to the post-incident review (http or https).",
    )

    @field_validator("acknowledged", "resolved")
    @classmethod
    def _not_before(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        if value is None:
            return value
        opened = info.data.get("opened")
        if opened is not None and value < opened:
            raise ValueError(f"`{info.field_name}` is before `opened`")
        ack = info.data.get("acknowledged")
        if info.field_name == "resolved" and ack is not None and value < ack:
            raise ValueError("`resolved` is before `acknowledged`")
        return value

    @field_validator("review")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.lower().startswith(("http://", "https://"))
            or any(ch in value for ch in "\"'<> \n\t")
        ):
            raise ValueError("`review` must be an http:// or https:// link (no spaces or quotes)")
        return value


@dataclass(frozen=True)
class Incident:
    """A loaded incident record: the record, its file and where its values stand in it."""

    record: IncidentRecord
    path: str
    document: YamlDocument

    @property
    def id(self) -> str:
        return PurePosixPath(self.path).stem

    def line(self, loc: tuple[str | int, ...] = ()) -> int | None:
        return self.document.position(loc)[0]
