"""Owner views: for each person and team of the people directory, what they answer for.

A person answers for a model where a charter names them by key (its owner, incident owner,
decision rights, risk and data owners, ritual attendees). Their overdue items are the dated
findings (retraining, a ritual, the sunset review, a review action past due, a risk review, a
required onboarding item) of the models they are the AI Product Owner of: the AIPO is accountable
for the model's rhythm. Whoever owns an action of a review record (by key) also has it among their
open actions, and among their overdue items once it is past due. Their onboarding progress is
summed over the models they own (:func:`onboarding_progress`).
"""

from __future__ import annotations

from ..model.people import PeopleDirectory, person_refs
from ..model.policy import Policy
from ..model.results import (
    ModelResult,
    OpenAction,
    OverdueItem,
    PersonResult,
    Responsibility,
)
from .compliance import DATED_BY_DATA

__all__ = ["evaluate_people", "onboarding_progress"]


def onboarding_progress(m: ModelResult, policy: Policy | None = None) -> tuple[int, int]:
    """(items done, items in all) of a model's onboarding: its charter's checklist, plus each
    item the policy requires for its stage that the checklist lacks (not done)."""
    c = m.charter
    listed = {i.item.casefold() for i in c.onboarding}
    required = policy.onboarding.get(c.lifecycle.stage, []) if policy is not None else []
    missing = {t.casefold() for t in required} - listed
    return sum(1 for i in c.onboarding if i.done), len(c.onboarding) + len(missing)


def evaluate_people(
    people: PeopleDirectory | None, models: list[ModelResult], policy: Policy | None = None
) -> list[PersonResult]:
    """Every person of the directory (in key order) with their responsibilities, overdue
    items and the onboarding progress of the models they own; empty without a directory."""
    if people is None:
        return []
    # Each person's responsibilities, in order, without repeats (a dict keeps the order).
    named: dict[str, dict[Responsibility, None]] = {key: {} for key in people.people}
    overdue: dict[str, list[OverdueItem]] = {key: [] for key in people.people}
    actions: dict[str, list[OpenAction]] = {key: [] for key in people.people}
    onboarding: dict[str, list[int]] = {key: [0, 0] for key in people.people}
    for m in models:
        c = m.charter
        if c.owner.person in onboarding:
            done, total = onboarding_progress(m, policy)
            onboarding[c.owner.person][0] += done
            onboarding[c.owner.person][1] += total
        for ref in person_refs(c):
            if ref.value not in named:
                continue
            accountable = ref.loc == ("owner",) or ref.loc[-1] == "accountable"
            item = Responsibility(m.id, c.name, ref.role, ref.section, accountable)
            named[ref.value].setdefault(item, None)
        owner = c.owner.person
        if owner in overdue:
            for f in m.findings:
                if f.code in DATED_BY_DATA:
                    overdue[owner].append(
                        OverdueItem(m.id, c.name, f.message, f.since, f.level, f.code)
                    )
        findings = {f.subject: f for f in m.findings if f.code == "action-overdue"}
        for a in m.open_actions:
            if a.owner not in actions:
                continue
            actions[a.owner].append(a)
            f = findings.get(a.subject)
            if f is not None and a.owner != owner:
                overdue[a.owner].append(
                    OverdueItem(m.id, c.name, f.message, f.since, f.level, f.code)
                )
    return [
        PersonResult(
            key,
            person,
            tuple(named[key]),
            tuple(sorted(overdue[key], key=lambda o: (o.since is None, o.since, o.model_id))),
            tuple(sorted(actions[key], key=lambda a: (a.due, a.model_id, a.review_date))),
            onboarding[key][0],
            onboarding[key][1],
        )
        for key, person in sorted(people.people.items())
    ]
