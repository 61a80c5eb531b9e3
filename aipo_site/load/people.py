"""Read the people directory and check every person a charter names against it.

The directory is optional: without the file, person fields are plain text as before (no error,
no warning). With it:

- a value written as a key (see :func:`~aipo_site.model.charter.is_person_key`) must be one of its
  keys, else an error with the closest key ("did you mean");
- any other value is a plain name and keeps working, with a warning that names the key to write
  when the name (before any bracket) is a directory entry's name;
- a charter's ``owner`` and ``incident_owner`` given by key get the entry's name, email and role,
  where the charter does not give its own.
"""

from __future__ import annotations

import difflib

from ..errors import InputError, snippet
from ..model.charter import Charter, Contact, is_person_key
from ..model.document import YamlDocument, dotted
from ..model.people import PeopleDirectory, PersonRef, person_refs
from ..model.policy import Policy
from .records import read_optional_yaml
from .source import Source
from .validate import validate_document

__all__ = [
    "check_people",
    "check_person",
    "check_policy_people",
    "fill_owners",
    "load_people",
]


def load_people(
    source: Source, path: str, errors: list[InputError]
) -> tuple[PeopleDirectory | None, YamlDocument | None]:
    """The directory at ``path``; (None, None) when there is no such file. Problems are appended
    to ``errors``."""
    _found, doc = read_optional_yaml(source, path, errors)
    if doc is None:
        return None, None
    if doc.data is None:  # an empty file: an empty directory
        return PeopleDirectory(), doc
    people, problems = validate_document(doc, PeopleDirectory, "people directory")
    errors.extend(problems)
    return people, doc


def check_people(
    charter: Charter, doc: YamlDocument, people: PeopleDirectory, people_path: str
) -> tuple[Charter, list[InputError], list[str]]:
    """The charter with its owners filled in from the directory, the errors (unknown keys) and
    the warnings (plain names) of its person fields."""
    errors: list[InputError] = []
    warnings: list[str] = []
    for ref in person_refs(charter):
        if ref.value in people.people:
            continue
        if _is_key_ref(charter, ref):
            errors.append(doc.error(ref.loc, _unknown(ref.value, people, people_path)))
        else:
            warnings.append(_plain(doc, ref, people, people_path))
    return fill_owners(charter, people), errors, warnings


def check_person(
    doc: YamlDocument,
    loc: tuple[str | int, ...],
    value: str,
    role: str,
    people: PeopleDirectory,
    people_path: str,
) -> tuple[InputError | None, str | None]:
    """One person field of another file (a review record) by the charters' rule: a key of the
    directory is fine; a value written as a key that is not one is an error ("did you mean");
    any other value is a plain name, with a warning naming the key to write. ``role`` says in
    which capacity (as :class:`PersonRef` does)."""
    if value in people.people:
        return None, None
    if is_person_key(value):
        return doc.error(loc, _unknown(value, people, people_path)), None
    return None, _plain(doc, PersonRef(loc, role, value, ""), people, people_path)


def check_policy_people(
    policy: Policy, doc: YamlDocument, people: PeopleDirectory, people_path: str
) -> list[InputError]:
    """An error at each people key of the policy (``sign_off`` approvers, ``policy_owners``)
    that the directory lacks. ``owner`` in approvers is the model's owner, not a key."""
    errors: list[InputError] = []
    for i, rule in enumerate(policy.sign_off):
        for j, approver in enumerate(rule.approvers):
            if isinstance(approver, str) and approver != "owner" and approver not in people.people:
                loc = ("sign_off", i, "approvers", j)
                errors.append(doc.error(loc, _unknown(approver, people, people_path, token=True)))
    for i, key in enumerate(policy.policy_owners):
        if key not in people.people:
            errors.append(doc.error(("policy_owners", i), _unknown(key, people, people_path)))
    return errors


def fill_owners(charter: Charter, people: PeopleDirectory | None) -> Charter:
    """The charter with ``owner`` and ``incident_owner`` given by key completed from the
    directory (name, email, role, where the charter gives none); without a directory, a key is
    shown as the name."""
    update = {}
    for name in ("owner", "incident_owner"):
        contact: Contact | None = getattr(charter, name)
        if contact is None or contact.person is None:
            continue
        entry = people.people.get(contact.person) if people is not None else None
        if entry is None:
            if contact.name is None:
                update[name] = contact.model_copy(update={"name": contact.person})
        else:
            update[name] = contact.model_copy(
                update={
                    "name": contact.name or entry.name,
                    "email": contact.email or entry.email,
                    "role": contact.role or entry.role,
                }
            )
    return charter.model_copy(update=update) if update else charter


def _is_key_ref(charter: Charter, ref: PersonRef) -> bool:
    if ref.loc in (("owner",), ("incident_owner",)):
        contact = getattr(charter, str(ref.loc[0]))
        return contact.person is not None
    return is_person_key(ref.value)


def _unknown(value: str, people: PeopleDirectory, path: str, *, token: bool = False) -> str:
    keys = sorted(people.people)
    close = difflib.get_close_matches(value, [*keys, "owner"] if token else keys, n=1, cutoff=0.6)
    if close:
        return f"{snippet(value)} is not a key of {path}; did you mean '{close[0]}'?"
    if token:
        return (
            f"{snippet(value)} is not a key of {path}; add it there, or write 'owner' or "
            "{accountable: DECISION}"
        )
    return (
        f"{snippet(value)} is not a key of {path}; add it there, or write the person's name "
        "(a plain name, with capitals or spaces)"
    )


def _plain(doc: YamlDocument, ref: PersonRef, people: PeopleDirectory, path: str) -> str:
    line = doc.position(ref.loc)[0]
    where = f"{doc.path}:{line}" if line else doc.path
    name = ref.value.split("(", 1)[0].strip().casefold()
    match = next((k for k, p in sorted(people.people.items()) if p.name.casefold() == name), None)
    hint = f"write '{match}'" if match else f"add the person to {path} and write their key"
    return (
        f"{where}: {dotted(ref.loc)}: {snippet(ref.value)} is a plain name, not a key of {path}; "
        f"{hint}"
    )
