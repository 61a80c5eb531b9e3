"""The people directory: every person and team of the governance repository, once.

Charters refer to people by key (``owner: amara-okafor``) wherever a person appears; the
directory gives each key a name, an email, a code-host handle and a role. Only types and the
rule that tells a key from a name live here (no I/O).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from .charter import (
    EMAIL_PATTERN,
    PERSON_KEY_MAX,
    PERSON_KEY_PATTERN,
    Charter,
    Contact,
    ShortText,
    Strict,
    is_person_key,
)

__all__ = [
    "HANDLE_PATTERN",
    "PERSON_KEY_MAX",
    "PERSON_KEY_PATTERN",
    "PeopleDirectory",
    "Person",
    "PersonKind",
    "PersonRef",
    "is_person_key",
    "person_refs",
]

# A code-host handle without its '@': a user ('amara-okafor') or a team ('example-bank/model-risk',
# GitLab groups may nest: 'group/sub/team').
HANDLE_PATTERN = r"^@?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}){0,4}$"

# The people index is people/index.html: an owner page of that key would take its address.
RESERVED_KEY = "index"


def _not_reserved(key: str) -> str:
    if key == RESERVED_KEY:
        raise ValueError(
            f"'{RESERVED_KEY}' is the address of the people index (people/{RESERVED_KEY}.html); "
            "choose another key"
        )
    return key


PersonKey = Annotated[
    str,
    Field(
        pattern=PERSON_KEY_PATTERN,
        max_length=PERSON_KEY_MAX,
        description="Lower-case letters and digits, with single '-', '_' or '.' between them "
        f"(at most 64 characters), except '{RESERVED_KEY}' (the people index's address).",
        json_schema_extra={"not": {"const": RESERVED_KEY}},
    ),
    AfterValidator(_not_reserved),
]


class PersonKind(StrEnum):
    person = "person"
    team = "team"


class Person(Strict):
    """One person or team."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: ShortText = Field(description="Full name, or the team's name.")
    kind: PersonKind = Field(default=PersonKind.person, description="person or team.")
    email: str | None = Field(
        default=None, pattern=EMAIL_PATTERN, description="Where to reach them."
    )
    handle: str | None = Field(
        default=None,
        pattern=HANDLE_PATTERN,
        description="Code-host handle, for CODEOWNERS and sign-off routing: a user "
        "('amara-okafor') or a team ('example-bank/model-risk'). A leading '@' is optional (quote "
        "it in YAML: '@amara-okafor').",
    )
    role: ShortText | None = Field(default=None, description="Job title or role, e.g. 'AIPO'.")

    @field_validator("handle")
    @classmethod
    def _no_at(cls, value: str | None) -> str | None:
        return value.removeprefix("@") if value else value


class PeopleDirectory(Strict):
    """The people directory file (``content/people.yaml`` by default)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="aipo people directory",
        json_schema_extra={"$id": "https://aipo.dev/schema/people.schema.json"},
    )

    people: dict[PersonKey, Person] = Field(
        default_factory=dict, description="Each person and team, by the key charters use."
    )

    def get(self, key: str) -> Person | None:
        return self.people.get(key)


@dataclass(frozen=True)
class PersonRef:
    """One place a charter names a person: where, in which capacity, and the value written."""

    loc: tuple[str | int, ...]  # the field's path in the charter, e.g. ("risks", 0, "owner")
    role: str  # the capacity, in words: "AI Product Owner", "Accountable: Production go/no-go"
    value: str  # the key or plain name written (a Contact's `person`, else its `name`)
    section: str  # the model page section it shows in


def _contact_value(c: Contact) -> str:
    return c.person or c.name or ""


def person_refs(charter: Charter) -> Iterator[PersonRef]:
    """Every person field of a charter, in file order. An escalation level's `who` is free text
    (a rota, or several people in words) and is not one of them."""
    yield PersonRef(("owner",), "AI Product Owner", _contact_value(charter.owner), "Accountability")
    if charter.incident_owner is not None:
        yield PersonRef(
            ("incident_owner",),
            "Incident owner",
            _contact_value(charter.incident_owner),
            "Accountability",
        )
    for i, s in enumerate(charter.data_sources):
        if s.owner:
            yield PersonRef(("data_sources", i, "owner"), f"Data owner: {s.name}", s.owner, "Data")
    for i, r in enumerate(charter.risks):
        if r.owner:
            yield PersonRef(("risks", i, "owner"), f"Risk owner: {r.title}", r.owner, "Risks")
    for i, d in enumerate(charter.decision_rights):
        yield PersonRef(
            ("decision_rights", i, "accountable"),
            f"Accountable: {d.decision}",
            d.accountable,
            "Decision rights",
        )
        for part in ("responsible", "consulted", "informed"):
            for j, value in enumerate(getattr(d, part)):
                yield PersonRef(
                    ("decision_rights", i, part, j),
                    f"{part.capitalize()}: {d.decision}",
                    value,
                    "Decision rights",
                )
    for i, ritual in enumerate(charter.rhythm):
        for j, value in enumerate(ritual.attendees):
            yield PersonRef(
                ("rhythm", i, "attendees", j), f"Attends: {ritual.ritual}", value, "Rhythm"
            )
