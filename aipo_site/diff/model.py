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

from ..model.changes import Kind, Severity
from ..model.results import Level

__all__ = ["Change", "GovernanceDiff", "Kind", "ModelDiff", "Severity", "Side", "SignOff"]


@dataclass(frozen=True)
class SignOff:
    """One person or team who must sign off a change, and why (see :mod:`aipo_site.diff.signoff`).

    ``key`` is the people-directory key (None when the charter names a plain name); ``name`` and
    ``handle`` come from the directory (``handle`` without '@', None when it gives none).
    ``rules`` names every ``sign_off`` rule of the policy that asks for this person; ``role`` how
    the rule named them: ``""`` (by key), ``"owner"`` or ``"accountable: <decision>"``; ``note``
    says when a token fell back (no such decision right: the owner signs off).
    """

    name: str
    key: str | None = None
    handle: str | None = None
    rules: tuple[str, ...] = ()
    role: str = ""
    note: str | None = None

    @property
    def identity(self) -> str:
        return self.key if self.key is not None else f"name:{self.name}"

    @property
    def mention(self) -> str | None:
        """``@handle`` for a pull-request comment, None without a handle."""
        return f"@{self.handle}" if self.handle else None

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "handle": self.handle,
            "rules": list(self.rules),
            "as": self.role or None,
            "note": self.note,
        }


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
    # Who must sign it off under the head's `sign_off` rules (empty: nobody, or no routing).
    sign_off: tuple[SignOff, ...] = ()

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
            "sign_off": [s.as_dict() for s in self.sign_off],
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

    @property
    def sign_offs(self) -> list[tuple[SignOff, list[Change]]]:
        """Each person or team who must sign off, with their changes (:func:`sign_offs`)."""
        return sign_offs(self.changes)


def sign_offs(changes: list[Change]) -> list[tuple[SignOff, list[Change]]]:
    """Each person or team who must sign off ``changes``, with theirs (most severe first),
    people sorted by name."""
    people: dict[str, SignOff] = {}
    theirs: dict[str, list[Change]] = {}
    for c in sorted(changes, key=Change.sort_key):
        for s in c.sign_off:
            people.setdefault(s.identity, s)
            theirs.setdefault(s.identity, []).append(c)
    order = sorted(people, key=lambda i: (people[i].name.casefold(), i))
    return [(people[i], theirs[i]) for i in order]


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
    # Sign-off routing is on: the head has `sign_off` rules and a people directory.
    routing: bool = False

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

    @property
    def sign_offs(self) -> list[tuple[SignOff, list[Change]]]:
        """Each person or team who must sign off, with their changes (:func:`sign_offs`)."""
        return sign_offs(self.changes)
