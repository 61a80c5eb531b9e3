"""Read the review records (one YAML file per review meeting) and check them against the
charters and the people directory.

The folder is optional: without it there are no records. Every ``.yaml``/``.yml`` file below it
(subfolders included) is one record. Besides its own fields (see
:class:`~aipo_site.model.reviews.ReviewRecord`), a record is checked across files:

- ``model`` must be the id of a charter ("did you mean" otherwise);
- ``ritual`` must be one of that charter's ``rhythm[].ritual``, in any case ("did you mean");
- with a people directory, ``attendees`` and each action's ``owner`` follow the charters' rule
  (:func:`~.people.check_person`): a value written as a key must be a key of the directory, a
  plain name is allowed (with a warning naming the key to write);
- two records of the same model, ritual and date are an error (one file per meeting).
"""

from __future__ import annotations

import difflib

from ..errors import InputError, snippet
from ..model.charter import Charter
from ..model.people import PeopleDirectory
from ..model.reviews import Review, ReviewRecord
from .people import check_person
from .records import list_records, read_document, unknown_model
from .source import Source

__all__ = ["load_reviews"]


def load_reviews(
    source: Source,
    folder: str,
    charters: dict[str, Charter],
    charter_ids: set[str],
    people: PeopleDirectory | None,
    people_path: str,
    errors: list[InputError],
    warnings: list[str],
) -> dict[str, list[Review]]:
    """Model id -> its valid review records, in file order. ``charters``: the valid charters by
    id; ``charter_ids``: the ids of every charter file, valid or not (a record of a model whose
    charter has errors is not reported again). Problems are appended to ``errors`` and
    ``warnings``."""
    out: dict[str, list[Review]] = {}
    seen: dict[tuple[str, str, object], str] = {}
    for path in list_records(source, folder, errors):
        found = read_document(source, path, ReviewRecord, "review record", errors)
        if found is None:
            continue
        review = Review(found[0], path, found[1])
        r, doc = review.record, review.document
        charter = charters.get(r.model)
        if charter is None:
            if r.model not in charter_ids:
                errors.append(doc.error(("model",), unknown_model(r.model, charter_ids)))
            continue
        rituals = {x.ritual.casefold(): x.ritual for x in charter.rhythm}
        ritual = rituals.get(r.ritual.casefold())
        if ritual is None:
            errors.append(doc.error(("ritual",), _unknown_ritual(r.ritual, charter)))
            continue
        key = (r.model, ritual.casefold(), r.date)
        if key in seen:
            errors.append(
                doc.error(
                    ("date",),
                    f"a {snippet(ritual)} of {r.model} on {r.date.isoformat()} is also recorded in "
                    f"{seen[key]}; write one file per meeting",
                )
            )
            continue
        seen[key] = path
        if people is not None and not _people_ok(review, people, people_path, errors, warnings):
            continue
        out.setdefault(r.model, []).append(review)
    return out


def _people_ok(
    review: Review,
    people: PeopleDirectory,
    people_path: str,
    errors: list[InputError],
    warnings: list[str],
) -> bool:
    r = review.record
    fields: list[tuple[tuple[str | int, ...], str, str]] = [
        (("attendees", i), value, f"Attends: {r.ritual}") for i, value in enumerate(r.attendees)
    ]
    fields += [
        (("actions", i, "owner"), a.owner, f"Action: {a.action}") for i, a in enumerate(r.actions)
    ]
    ok = True
    for loc, value, role in fields:
        error, warning = check_person(review.document, loc, value, role, people, people_path)
        if error is not None:
            errors.append(error)
            ok = False
        if warning is not None:
            warnings.append(warning)
    return ok


def _unknown_ritual(value: str, charter: Charter) -> str:
    names = [x.ritual for x in charter.rhythm]
    if not names:
        return (
            f"{snippet(value)} is not a ritual of {charter.id}: its charter has no rhythm; add "
            "the ritual to its `rhythm`"
        )
    by_fold = {n.casefold(): n for n in names}
    close = difflib.get_close_matches(value.casefold(), list(by_fold), n=1, cutoff=0.6)
    if close:
        return f"{snippet(value)} is not a ritual of {charter.id}; did you mean {snippet(by_fold[close[0]])}?"
    shown = ", ".join(snippet(n) for n in names)
    return f"{snippet(value)} is not a ritual of {charter.id} (its rhythm has: {shown})"
