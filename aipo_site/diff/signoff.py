"""Sign-off routing: who must sign off each change, by the head's ``sign_off`` policy rules.

A rule covers a change when every selector it gives matches (see
:class:`aipo_site.model.policy.SignOffRule`):

- ``kinds``: the change's kind is one of them;
- ``min_severity``: the change's severity is at least this one;
- ``data_categories``: the change's item is a data source (a data source added or changed, its
  authorisation or its contract) and that source, as the head's charter holds it, lists one of the
  categories (a removed source, or a source of a removed model, holds none after the change);
- ``policy``: ``true``, the change is one of the policy file's; ``false``, one of a model's
  (a model change that follows from a policy default is a model change).

Approvers are resolved with the head's people directory and the head's charter of the model (a
removed model: its base charter): a key names its directory entry; ``owner`` the charter's owner;
``{accountable: D}`` the ``accountable`` of the charter's decision right ``D`` (case-insensitive),
else the owner, with a note. ``owner`` and ``accountable`` name nobody on a policy change. One
person is listed once per change, with every rule that asks for them. Without rules or without a
people directory at the head, nothing is routed.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..model.charter import Charter, Contact
from ..model.people import PeopleDirectory
from ..model.policy import DATA_SOURCE_KINDS, AccountableApprover, SignOffRule
from .model import Change, GovernanceDiff, SignOff

if TYPE_CHECKING:
    from .compare import State

__all__ = ["covers", "route"]


def route(diff: GovernanceDiff, base: State, head: State) -> GovernanceDiff:
    """``diff`` with each change's sign-offs filled in (and ``routing`` set)."""
    rules = head.repository.policy.sign_off
    people = head.repository.people
    if not rules or people is None:
        return diff
    charters: dict[str, Charter] = {m.id: m.charter for m in base.repository.models}
    charters.update({m.id: m.charter for m in head.repository.models})
    head_ids = {m.id for m in head.repository.models}

    def routed(c: Change) -> Change:
        charter = charters.get(c.model) if c.model else None
        in_head = c.model in head_ids if c.model else True
        found = sign_offs(c, rules, people, charter, in_head)
        return dataclasses.replace(c, sign_off=found) if found else c

    return dataclasses.replace(
        diff,
        policy=[routed(c) for c in diff.policy],
        models=[
            dataclasses.replace(m, changes=[routed(c) for c in m.changes]) for m in diff.models
        ],
        routing=True,
    )


def covers(rule: SignOffRule, change: Change, charter: Charter | None, in_head: bool) -> bool:
    """Whether ``rule`` covers ``change``; ``charter`` is the model's head charter (None for a
    policy change), ``in_head`` whether the model is still there at the head."""
    if rule.kinds and change.kind not in rule.kinds:
        return False
    if rule.severity is not None and change.severity < rule.severity:
        return False
    if rule.policy is not None and rule.policy != (change.model is None):
        return False
    if rule.data_categories:
        if change.kind not in DATA_SOURCE_KINDS or charter is None or not in_head:
            return False
        source = next((s for s in charter.data_sources if s.name == change.item), None)
        if source is None or not set(source.categories) & set(rule.data_categories):
            return False
    return True


def sign_offs(
    change: Change,
    rules: list[SignOffRule],
    people: PeopleDirectory,
    charter: Charter | None,
    in_head: bool,
) -> tuple[SignOff, ...]:
    found: dict[str, SignOff] = {}
    for rule in rules:
        if not covers(rule, change, charter, in_head):
            continue
        for approver in rule.approvers:
            s = _resolve(approver, people, charter if change.model else None)
            if s is None:
                continue
            s = dataclasses.replace(s, rules=(rule.name,))
            if s.identity in found:
                old = found[s.identity]
                if rule.name not in old.rules:
                    found[s.identity] = dataclasses.replace(old, rules=(*old.rules, rule.name))
            else:
                found[s.identity] = s
    return tuple(found.values())


def _person(value: str, people: PeopleDirectory, role: str, note: str | None = None) -> SignOff:
    entry = people.get(value)
    if entry is None:  # a plain name written in the charter
        return SignOff(value, None, None, role=role, note=note)
    return SignOff(entry.name, value, entry.handle, role=role, note=note)


def _owner(owner: Contact, people: PeopleDirectory, role: str, note: str | None) -> SignOff:
    if owner.person is not None:
        return _person(owner.person, people, role, note)
    return SignOff(owner.name or "", None, None, role=role, note=note)


def _resolve(
    approver: str | AccountableApprover, people: PeopleDirectory, charter: Charter | None
) -> SignOff | None:
    if isinstance(approver, str) and approver != "owner":
        return _person(approver, people, "")
    if charter is None:  # a policy change: no model, no owner
        return None
    if isinstance(approver, str):
        return _owner(charter.owner, people, "owner", None)
    decision = approver.accountable
    role = f"accountable: {decision}"
    wanted = decision.casefold()
    right = next((d for d in charter.decision_rights if d.decision.casefold() == wanted), None)
    if right is None:
        note = f"no decision right '{decision}' in the charter: its owner signs off"
        return _owner(charter.owner, people, role, note)
    return _person(right.accountable, people, role)
