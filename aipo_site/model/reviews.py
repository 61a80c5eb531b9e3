"""Review records: one file per review meeting of a model's operating rhythm.

A record says which ritual of which model met on which day, who attended, what was decided and
which actions were agreed (each with an owner, a due date and whether it is done). Evaluation
reads the records for the date a ritual was last held and for the open and overdue actions. Only
types live here (no I/O).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ConfigDict, Field, StrictBool, model_validator

from .charter import ShortText, Slug, Strict, Text
from .document import YamlDocument

__all__ = ["Review", "ReviewAction", "ReviewRecord"]


class ReviewAction(Strict):
    """One action agreed at the meeting."""

    action: ShortText = Field(description="What is to be done.")
    owner: ShortText = Field(
        description="Who does it: a key of the people directory, or a plain name."
    )
    due: dt.date = Field(description="The last day it may be done (YYYY-MM-DD).")
    done: StrictBool = Field(default=False, description="true once it is done.")
    done_on: dt.date | None = Field(
        default=None, description="When it was done (only with `done: true`)."
    )

    @model_validator(mode="after")
    def _done_on_needs_done(self) -> ReviewAction:
        if self.done_on is not None and not self.done:
            raise ValueError("done_on is given but done is false; set done: true")
        return self


class ReviewRecord(Strict):
    """A review record file (``content/reviews/<anything>.yaml`` by default): one meeting."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo review record",
        json_schema_extra={"$id": "https://aipo.dev/schema/review.schema.json"},
    )

    model: Slug = Field(description="The id of the model reviewed (its charter's `id`).")
    ritual: ShortText = Field(
        description="The ritual held: one of the charter's `rhythm[].ritual` (any case)."
    )
    date: dt.date = Field(description="The day the meeting was held (YYYY-MM-DD).")
    attendees: list[ShortText] = Field(
        default_factory=list,
        description="Who attended: keys of the people directory, or plain names.",
    )
    notes: Text | None = Field(default=None, description="Free notes (optional).")
    decisions: list[ShortText] = Field(
        default_factory=list, description="What was decided, one short text each."
    )
    actions: list[ReviewAction] = Field(
        default_factory=list, description="What is to be done, by whom, by when."
    )


@dataclass(frozen=True)
class Review:
    """A loaded review record: the record, its file and where its values stand in it."""

    record: ReviewRecord
    path: str
    document: YamlDocument

    def line(self, loc: tuple[str | int, ...] = ()) -> int | None:
        return self.document.position(loc)[0]
