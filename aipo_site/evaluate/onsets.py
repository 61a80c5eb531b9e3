"""Since when a compliance finding about a charter's text holds: from the charter's git history.

A finding that follows from the charter's text and the policy alone — a missing authorisation,
incident owner or data contract, a loosened threshold, a missing section, a cadence above the
policy's maximum — began with the commit that introduced it. The charter's committed versions are
walked from the newest back, each checked with the same rules as today's charter
(:func:`~.compliance.charter_conditions`) and *today's* policy; the finding's ``since`` is the
committer date of the oldest commit of the unbroken run of recent versions in which it holds:

- it holds in every version: the charter's first commit;
- it does not hold in the newest committed version: it was introduced by an uncommitted change,
  and its start is unknown (None) until that change is committed;
- a version that does not parse or validate (or whose KPIs conflict with the policy) ends the
  run: the finding, as it is checked today, did not exist in it;
- a commit that deleted the file ends the run (a restored charter starts again);
- a version git cannot give (a partial clone), or a run reaching the oldest commit of a shallow
  clone: unknown;
- a commit dated after the evaluation date (a portal pinned to a past day): unknown.

A finding is recognised across versions by its code and subject (:func:`~.compliance.finding_key`:
the data source's name, the KPI's metric, the section, the ritual), never by its position in a list
or its wording, so reordering data sources or changing a cadence from 120 to 150 days does not
restart it, and renaming a data source does. Dates are the committer's calendar day in the
committer's own time zone, as the model page's History section shows it.

Cost. The versions come from the one ``git log`` pass of :class:`~aipo_site.load.git.CharterLog`,
and only charters with such findings are read, only back to where each finding's run ends.
Charters change often in parts no finding depends on (a ritual's ``last_held`` every week), and
parsing YAML is what costs, so each version is first compared with the next newer one section by
section (the top-level keys of the charter, split on the text): a version that changed none of the
sections a finding's rule read is not parsed for that finding (what a rule read is recorded while it
runs, :func:`~.compliance.charter_conditions`, so nothing here knows the rules). A version that
must be checked is parsed one section at a time, each distinct section text once per charter, with
today's values (as loaded) for the sections it shares with today's file, then validated and checked
whole. Versions are read from git in batches, one round trip each. Consequently the "does not
validate" rule above applies to the versions a finding depends on: a typo in an unrelated section of
an old version does not end the run of a missing incident owner.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..errors import GitError, InputError
from ..model.document import YamlDocument
from ..model.inputs import CharterHistory, FileVersion, ModelInputs
from ..model.policy import Policy
from ..model.results import Finding
from .compliance import DATED_BY_DATA, charter_conditions, finding_key
from .kpis import check_kpi_inputs

__all__ = ["date_findings", "onsets"]

Key = tuple[str, str]
# What a rule read of the charter (top-level fields); None: anything may matter.
Reads = frozenset[str] | None


def date_findings(
    findings: list[Finding],
    model: ModelInputs,
    policy: Policy,
    as_of: dt.date,
    history: CharterHistory | None,
) -> list[Finding]:
    """``findings`` with ``since`` set, from git, on those about the charter's text.

    Findings dated from the charter's own dates keep theirs; without a history (outside git, a
    revision rather than a working tree) nothing changes and their start stays unknown.
    """
    keys = {finding_key(f) for f in findings if f.since is None and f.code not in DATED_BY_DATA}
    if history is None or not keys:
        return findings
    found = onsets(model, policy, keys, history)
    out = []
    for f in findings:
        since = found.get(finding_key(f)) if f.since is None else None
        if since is not None and since <= as_of:
            f = replace(f, since=since)
        out.append(f)
    return out


def onsets(
    model: ModelInputs, policy: Policy, keys: set[Key], history: CharterHistory
) -> dict[Key, dt.date | None]:
    """For each key (a text finding of the charter in the working tree now), the date its
    unbroken run of committed versions began, or None when unknown (see the module docstring)."""
    since: dict[Key, dt.date | None] = dict.fromkeys(keys)
    versions = history.versions.get(model.path) or []
    current = history.working_charter(model.path) if versions else None
    if current is None:
        return since
    resolved, _errors = check_kpi_inputs(model, policy)  # none: today's charter was evaluated
    now = charter_conditions(model, resolved, policy)
    reads: dict[Key, Reads] = {key: now.get(key) for key in keys}
    check = _Checker(model.path, policy, history)
    newer = _Text(current)
    check.seed(newer, model.document)
    open_keys = set(keys)
    for version, content in _contents(history, versions):
        if version.blob is None:  # the commit deleted the file
            return since
        if isinstance(content, GitError):  # git cannot give it: where the run starts is unknown
            return {**since, **dict.fromkeys(open_keys)}
        if isinstance(content, InputError):  # larger than a charter may be: not a charter
            return since
        older = _Text(content)
        changed = newer.changed(older)
        if changed is None:
            need = set(open_keys)
        else:  # only the findings whose rule read a changed section (or who knows what)
            need = {k for k in open_keys if changed and (reads[k] is None or reads[k] & changed)}
        if need:
            held = check.conditions(version.blob, older)
            if held is None:
                open_keys -= need
            else:
                open_keys -= {k for k in need if k not in held}
                for key in need & open_keys:
                    reads[key] = held[key]
        if not open_keys:
            return since
        day = version.commit.date.date()
        for key in open_keys:
            since[key] = day
        newer = older
    if history.shallow:
        # The oldest commit of a shallow clone is where the fetched history stops, not
        # necessarily the charter's first commit.
        since.update(dict.fromkeys(open_keys))
    return since


def _contents(
    history: CharterHistory, versions: list[FileVersion]
) -> Iterator[tuple[FileVersion, bytes | GitError | InputError | None]]:
    """Each version with its bytes (or why there are none), newest first, read from git a batch
    at a time (8 versions, then 32, then 128...): one round trip per batch, and a walk that
    stops early reads little more than it needs."""
    start, size = 0, 8
    while start < len(versions):
        batch = versions[start : start + size]
        blobs = [v.blob for v in batch if v.blob is not None]
        try:
            read = dict(zip(blobs, history.read_charters(blobs), strict=True))
        except GitError as e:
            read = dict.fromkeys(blobs, e)
        for version in batch:
            yield version, None if version.blob is None else read[version.blob]
        start, size = start + size, size * 4


# A top-level key of a block mapping at the start of a line, as charters are written.
_TOP_KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?:[ \t]|\r?\n|$)")
# A line starting with anything but a space, a line break, a comment or a sequence item (a
# section's list may be written in column 0), found after the line break before it.
_COLUMN_0 = re.compile(rb"\n(?:[^ \r\n#-]|-(?![ \r\n]|$))")
# A line holding something other than a comment.
_CONTENT = re.compile(rb"^[ \t]*[^\s#]", re.MULTILINE)
# Line breaks other than LF and CRLF (a lone CR, NEL, LS, PS): the text is then parsed whole.
_ODD_BREAK = re.compile(rb"\r(?!\n)|\xc2\x85|\xe2\x80[\xa8\xa9]")
_ODD_BYTES = (b"\r", b"\x85", b"\xa8", b"\xa9")  # one of them is in each (quick to rule out)


class _Text:
    """One version's bytes and, when it is a plain block mapping, its top-level sections' text."""

    __slots__ = ("raw", "sections")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.sections = _sections(raw)

    def changed(self, other: _Text) -> set[str] | None:
        """The top-level keys whose text differs; None when either cannot be split."""
        if self.raw == other.raw:
            return set()
        a, b = self.sections, other.sections
        if a is None or b is None:
            return None
        return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}


def _sections(raw: bytes) -> dict[str, bytes] | None:
    """The text of each top-level key of a YAML block mapping, split at the lines that start a
    key in column 0 (comment and blank lines go with the section above; those before the first
    key are left out). None for anything less plain — a document marker or directive, a flow or
    indented top level, a quoted or repeated key, an odd line break — which is parsed whole."""
    text = raw.removeprefix(b"\xef\xbb\xbf")
    if any(byte in text for byte in _ODD_BYTES) and _ODD_BREAK.search(text):
        return None
    starts: list[tuple[int, str]] = []
    for found in _COLUMN_0.finditer(b"\n" + text):
        at = found.start()  # where the line starts in text: one before, in the padded text
        match = _TOP_KEY.match(text, at)
        if match is None:
            return None
        starts.append((at, match.group(1).decode("ascii")))
    if not starts or _CONTENT.search(text, 0, starts[0][0]):
        return None  # no key, or content before the first one (a sequence or indented top level)
    out: dict[str, bytes] = {}
    ends = [at for at, _ in starts[1:]] + [len(text)]
    for (at, key), end in zip(starts, ends, strict=True):
        if key in out:
            return None
        out[key] = text[at:end]
    return out


_INVALID = object()


class _Checker:
    """Checks old versions of one charter: parsed a section at a time (each distinct section text
    once), validated and checked whole, each distinct version once."""

    def __init__(self, path: str, policy: Policy, history: CharterHistory) -> None:
        self.path = path
        self.policy = policy
        self.history = history
        self.parsed: dict[bytes, Any] = {}  # section text -> its {key: value}, or _INVALID
        self.checked: dict[str, dict[Key, Reads] | None] = {}  # blob -> conditions

    def seed(self, text: _Text, doc: YamlDocument) -> None:
        """Take today's charter as it was loaded for the value of each of its sections' text, so
        an old version is parsed only where it differs from it. Only when the file on disk still
        looks as loaded (the same keys, starting on the same lines)."""
        sections, data = text.sections, doc.data
        if sections is None or not isinstance(data, dict) or list(data) != list(sections):
            return
        body = text.raw.removeprefix(b"\xef\xbb\xbf")
        line = body.count(b"\n", 0, len(body) - sum(map(len, sections.values()))) + 1
        for key, section in sections.items():
            if doc.key_positions.get((key,), (None,))[0] != line:
                return
            line += section.count(b"\n")
        for key, section in sections.items():
            self.parsed.setdefault(section, {key: data[key]})

    def conditions(self, blob: str, text: _Text) -> dict[Key, Reads] | None:
        """The version's text findings and what each read; None when it is not a valid charter."""
        if blob not in self.checked:
            self.checked[blob] = self._check(text)
        return self.checked[blob]

    def _check(self, text: _Text) -> dict[Key, Reads] | None:
        data = self._data(text)
        if data is None:
            return None
        doc = YamlDocument(self.path, data)
        charter = self.history.validate_charter(doc)
        if charter is None:
            return None
        old = ModelInputs(charter, self.path, doc, metrics=None)  # type: ignore[arg-type]
        resolved, errors = check_kpi_inputs(old, self.policy)
        if errors:
            return None
        return charter_conditions(old, resolved, self.policy)

    def _data(self, text: _Text) -> Any:
        """The version's data, as the careful YAML reader gives it; None when it does not parse."""
        if text.sections is None:
            try:
                return self.history.parse(text.raw, self.path).data
            except InputError:
                return None
        data: dict[str, Any] = {}
        for key, section in text.sections.items():
            value = self.parsed.get(section)
            if value is None:
                try:
                    value = self.history.parse(section, self.path).data
                except InputError:
                    value = _INVALID
                if not isinstance(value, dict) or list(value) != [key]:
                    value = _INVALID
                self.parsed[section] = value
            if value is _INVALID:
                return None
            data.update(value)
        return data
