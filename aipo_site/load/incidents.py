"""Read the incident records (one YAML file per incident) and check them against the charters
and the people directory.

The folder is optional: without it there are no records, and the escalation deadlines are not
checked (see :mod:`aipo_site.evaluate.incidents`; they are checked from the oldest record on). Every ``.yaml``/``.yml`` file below it
(subfolders included) is one record. Besides its own fields (see
:class:`~aipo_site.model.incidents.IncidentRecord`), a record is checked across files:

- ``model`` must be the id of a charter ("did you mean" otherwise);
- each of ``concerns`` must name something of that charter: ``kpi`` a KPI's metric, ``segment``
  the metric of a segment check, ``drift_feature`` a feature of its ``drift``, ``finding`` a
  finding code aipo reports ("did you mean" each);
- with a people directory, ``owner`` and each action's ``owner`` follow the charters' rule
  (:func:`~.people.check_person`): a value written as a key must be a key of the directory, a
  plain name is allowed (with a warning naming the key to write).
"""

from __future__ import annotations

import difflib

from ..errors import InputError, snippet
from ..model.charter import Charter
from ..model.incidents import FINDING_CODES, Concern, Incident, IncidentRecord
from ..model.people import PeopleDirectory
from .people import check_person
from .records import list_records, read_document, unknown_model
from .source import Source

__all__ = ["load_incidents"]


def load_incidents(
    source: Source,
    folder: str,
    charters: dict[str, Charter],
    charter_ids: set[str],
    people: PeopleDirectory | None,
    people_path: str,
    errors: list[InputError],
    warnings: list[str],
) -> dict[str, list[Incident]]:
    """Model id -> its valid incident records (oldest opened first). ``charters``: the valid charters by id; ``charter_ids``: the ids of every charter
    file, valid or not (a record of a model whose charter has errors is not reported again).
    Problems are appended to ``errors`` and ``warnings``."""
    out: dict[str, list[Incident]] = {}
    for path in list_records(source, folder, errors):
        found = read_document(source, path, IncidentRecord, "incident record", errors)
        if found is None:
            continue
        incident = Incident(found[0], path, found[1])
        r, doc = incident.record, incident.document
        charter = charters.get(r.model)
        if charter is None:
            if r.model not in charter_ids:
                errors.append(doc.error(("model",), unknown_model(r.model, charter_ids)))
            continue
        problems = [
            doc.error(("concerns", i, c.kind), message)
            for i, c in enumerate(r.concerns)
            if (message := _unknown_concern(c, charter)) is not None
        ]
        errors.extend(problems)
        if problems:
            continue
        if people is not None and not _people_ok(incident, people, people_path, errors, warnings):
            continue
        out.setdefault(r.model, []).append(incident)
    for items in out.values():
        items.sort(key=lambda i: (i.record.opened, i.path))
    return out


def _people_ok(
    incident: Incident,
    people: PeopleDirectory,
    people_path: str,
    errors: list[InputError],
    warnings: list[str],
) -> bool:
    r = incident.record
    fields: list[tuple[tuple[str | int, ...], str, str]] = []
    if r.owner is not None:
        fields.append((("owner",), r.owner, f"Incident owner: {r.title}"))
    fields += [
        (("actions", i, "owner"), a.owner, f"Action: {a.action}") for i, a in enumerate(r.actions)
    ]
    ok = True
    for loc, value, role in fields:
        error, warning = check_person(incident.document, loc, value, role, people, people_path)
        if error is not None:
            errors.append(error)
            ok = False
        if warning is not None:
            warnings.append(warning)
    return ok


def _unknown_concern(concern: Concern, charter: Charter) -> str | None:
    """Why the concern names nothing of the charter; None when it does."""
    kind, name = concern.kind, concern.name
    if kind == "kpi":
        names, what = [k.metric for k in charter.kpis], "KPI metric"
    elif kind == "segment":
        names, what = [s.metric for s in charter.segments], "segment check"
    elif kind == "drift_feature":
        features = charter.drift.features if charter.drift is not None else []
        names, what = [f.name for f in features], "drift feature"
    else:
        if name in FINDING_CODES:
            return None
        close = difflib.get_close_matches(name, sorted(FINDING_CODES), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{snippet(name)} is not a finding code aipo reports{hint}"
    if name in names:
        return None
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"{snippet(name)} is not a {what} of {charter.id}; did you mean {snippet(close[0])}?"
    shown = ", ".join(snippet(n) for n in names[:10]) or "none"
    return f"{snippet(name)} is not a {what} of {charter.id} (it has: {shown})"
