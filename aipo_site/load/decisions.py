"""Read the decision records and the charters their evidence points to.

Each file of the decisions folder (``content/decisions/*.yaml``) is one record, validated with its
references: the model must exist, a person written as a key must be in the people directory, a
risk-acceptance must name one of the charter's risks. The evidence (a commit and the SHA-256 of
the charter at it) is checked here, against git: the charter at that commit is read in one
``git cat-file`` pass for all records, hashed, and parsed, so evaluation can tell what changed
since the decision. Outside git, a record whose hash is the charter's current one is verified
by the working tree itself; any other is unverified.
"""

from __future__ import annotations

import difflib
import hashlib

from ..errors import InputError, snippet
from ..model.charter import Charter
from ..model.decisions import DecisionInput, DecisionKind, DecisionRecord
from ..model.document import YamlDocument
from ..model.people import PeopleDirectory
from .git import read_at_commits
from .people import check_person
from .records import list_records, read_document
from .source import Source
from .validate import validate_document
from .yamlfile import MAX_BYTES, parse_yaml

__all__ = ["load_decisions"]


def load_decisions(
    source: Source,
    folder: str,
    charters: dict[str, tuple[Charter, str]],
    known: set[str],
    people: PeopleDirectory | None,
    people_path: str,
    errors: list[InputError],
) -> dict[str, list[DecisionInput]]:
    """Every record of ``folder`` by model id (oldest decision first); problems are appended to
    ``errors``. ``charters``: model id -> (charter, its path), for the valid charters;
    ``known``: every model id with a charter file (valid or not: an invalid charter is reported
    on its own, and its records are skipped)."""
    loaded: list[tuple[DecisionRecord, str]] = []
    for path in list_records(source, folder, errors):
        found = read_document(source, path, DecisionRecord, "decision record", errors)
        if found is None:
            continue
        record, doc = found
        if record.model in known and record.model not in charters:
            continue  # its charter is invalid: reported on its own
        found = _references(record, doc, charters, people, people_path)
        errors.extend(found)
        if not found:
            loaded.append((record, path))
    evidence = _evidence(source, loaded, charters)
    out: dict[str, list[DecisionInput]] = {}
    for (record, path), (approved, problem, mismatch) in zip(loaded, evidence, strict=True):
        out.setdefault(record.model, []).append(
            DecisionInput(record, path, approved, problem, mismatch)
        )
    for items in out.values():
        items.sort(key=lambda d: (d.record.date, d.path))
    return out


def _references(
    record: DecisionRecord,
    doc: YamlDocument,
    charters: dict[str, tuple[Charter, str]],
    people: PeopleDirectory | None,
    people_path: str,
) -> list[InputError]:
    out = []
    if record.model not in charters:
        close = difflib.get_close_matches(record.model, sorted(charters), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        out.append(doc.error(("model",), f"no model {snippet(record.model)}{hint}"))
        return out
    if people is not None:
        # The people directory's rule for a key; `decided_by` accepts a plain name as it is.
        error, _plain_name = check_person(
            doc, ("decided_by",), record.decided_by, "Decided", people, people_path
        )
        out.extend([error] if error else [])
    charter = charters[record.model][0]
    if record.kind == DecisionKind.risk_acceptance and record.risk is not None:
        titles = {r.title.casefold(): r.title for r in charter.risks}
        if record.risk.casefold() not in titles:
            close = difflib.get_close_matches(record.risk, list(titles.values()), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            out.append(
                doc.error(("risk",), f"{record.model} has no risk {snippet(record.risk)}{hint}")
            )
    return out


def _evidence(
    source: Source,
    loaded: list[tuple[DecisionRecord, str]],
    charters: dict[str, tuple[Charter, str]],
) -> list[tuple[Charter | None, str | None, bool]]:
    """For each record: the approved charter, why it is missing, and whether the hash differs."""
    root = getattr(source, "root", None)
    requests = [(r.evidence.commit, charters[r.model][1]) for r, _ in loaded]
    # A source may answer for git itself (an evidence pack replays what git answered at build).
    own = getattr(source, "read_at_commits", None)
    if own is not None:
        found = own(requests) if loaded else None
    else:
        found = read_at_commits(root, requests) if root is not None and loaded else None
    out: list[tuple[Charter | None, str | None, bool]] = []
    for i, (record, _path) in enumerate(loaded):
        charter, charter_path = charters[record.model]
        short = record.evidence.commit[:7]
        raw = found[i] if found is not None else None
        if raw is None and _sha(_current(source, charter_path)) == record.evidence.charter_sha256:
            out.append((charter, None, False))  # the charter has not changed since
            continue
        if raw is None:
            why = (
                f"the charter at commit {short} cannot be read (not in this clone's history, or "
                f"{charter_path} did not exist then)"
                if found is not None
                else "there is no git history to read the charter at the evidence commit from"
            )
            out.append((None, why, False))
            continue
        digest = _sha(raw)
        if digest != record.evidence.charter_sha256:
            out.append(
                (
                    None,
                    f"{charter_path} at commit {short} has SHA-256 {digest[:12]}…, not the "
                    f"recorded {record.evidence.charter_sha256[:12]}…",
                    True,
                )
            )
            continue
        out.append((_parse(raw, charter_path), None, False))
    return out


def _parse(raw: bytes, path: str) -> Charter | None:
    try:
        doc = parse_yaml(raw, path)
    except InputError:
        return None
    charter, _problems = validate_document(doc, Charter, "charter")
    return charter


def _current(source: Source, path: str) -> bytes:
    try:
        return source.read_bytes(path, MAX_BYTES)
    except (InputError, OSError):
        return b""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
