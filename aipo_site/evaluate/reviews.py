"""Review records on the evaluation date: when each ritual was last held, and the open actions.

For each ritual of a charter's rhythm:

- the records of that ritual dated on or before the evaluation date count (a record dated later
  is left out, as if not yet written: a portal pinned to a past day shows that day);
- ``last_held`` is the latest such record's date, or the charter's own ``rhythm[].last_held``
  when that is later or there is no record (so a charter without records behaves as before);
- an action is open when it is not done, or done on a day after the evaluation date
  (``done_on``); an open action past its ``due`` day is overdue from the day after it.

The compliance rules read the result (:func:`~.compliance.evaluate_compliance`): the
``ritual-overdue`` and ``ritual-never-held`` findings use this ``last_held``, and each overdue
action is an ``action-overdue`` finding.
"""

from __future__ import annotations

import datetime as dt

from ..model.charter import Charter
from ..model.results import OpenAction, RitualReviews
from ..model.reviews import Review

__all__ = ["ritual_reviews"]


def ritual_reviews(charter: Charter, reviews: list[Review], as_of: dt.date) -> list[RitualReviews]:
    """One entry per ritual of the charter's rhythm, in its order (see the module docstring)."""
    out = []
    for ritual in charter.rhythm:
        key = ritual.ritual.casefold()
        held = sorted(
            (r for r in reviews if r.record.ritual.casefold() == key and r.record.date <= as_of),
            key=lambda r: (r.record.date, r.path),
        )
        last = held[-1] if held else None
        last_held = ritual.last_held
        from_record = False
        if last is not None and (last_held is None or last.record.date >= last_held):
            last_held, from_record = last.record.date, True
        actions = [
            OpenAction(
                model_id=charter.id,
                model_name=charter.name,
                ritual=ritual.ritual,
                review_date=r.record.date,
                review_path=r.path,
                index=i,
                action=a.action,
                owner=a.owner,
                due=a.due,
                overdue_days=max((as_of - a.due).days, 0),
            )
            for r in held
            for i, a in enumerate(r.record.actions)
            if not a.done or (a.done_on is not None and a.done_on > as_of)
        ]
        actions.sort(key=lambda a: (a.due, a.review_date, a.index))
        out.append(
            RitualReviews(
                ritual=ritual.ritual,
                cadence_days=ritual.cadence_days,
                last_held=last_held,
                from_record=from_record,
                last=last,
                records=len(held),
                actions=tuple(actions),
            )
        )
    return out
