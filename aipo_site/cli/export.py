"""`aipo export`: audit evidence — every charter as evaluated, every KPI result and finding.

Writes two files into the output folder:

- ``aipo-evidence.json`` (``"format": "aipo-evidence"``, ``"version": 2``): the evaluation date, the
  source revision (commit and commit date, or null outside git), the policy as validated, and per
  model the charter as validated (``model_dump(mode="json")``), its status, escalation, its
  answers to "performing as intended?" (``performance``) and "governed as required?"
  (``governance``), every KPI result and every finding (the same records as
  ``aipo check --format json``; version 2 replaced the one ``answer`` sentence with these two),
  and ``regulation``: its EU AI Act classification (null when the charter has none), the class
  its decision path leads to, and every obligation that applies to it with its coverage
  (evidenced, partial, missing, outside, not-yet), the date it applies from and the state of
  each element that evidences it (content/guide/regulation.md);
- ``aipo-summary.csv``: one row per model for spreadsheets (``checks_warn``/``checks_breach`` count
  KPIs, segment gaps and drift at that level; ``performance`` and ``governance`` are the answers,
  e.g. ``at risk`` and ``gaps``, each with its ``…_sentence``). Text cells that a spreadsheet
  would run as a formula (starting with ``= + - @``, a tab or a carriage return) are prefixed
  with ``'``.

Both are deterministic: sorted keys and rows, no wall-clock time except the stamp fields.

``--format`` picks what is written (``evidence``, the default, is the above):

- ``cyclonedx``: ``<model-id>.cdx.json`` per model, a CycloneDX 1.6 ML-BOM (the model as a
  ``machine-learning-model`` component with its model card, its data sources as ``data``
  components with their owners), validated against CycloneDX's strict 1.6 schema
  (:mod:`aipo_site.render.mlbom`);
- ``hf-card``: ``<model-id>/README.md`` per model, a Hugging Face model card (YAML metadata with
  the KPIs as ``model-index`` results, then Markdown) (:mod:`aipo_site.render.hfcard`).

Every format is written atomically, file by file, and only after every file was rendered: invalid
input or a failure while rendering leaves the folder as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import ConfigError, InputError, InputErrors
from ..load.people import load_people
from ..load.source import WorkingTree
from ..model.people import PeopleDirectory
from ..model.results import Level
from .check import CheckRun, coverage_record, model_record, run_check
from .settings import Settings

__all__ = [
    "CSV_COLUMNS",
    "EVIDENCE_NAME",
    "EVIDENCE_VERSION",
    "EXPORT_FORMATS",
    "SUMMARY_NAME",
    "Revision",
    "csv_safe",
    "export",
    "source_revision",
]

EVIDENCE_NAME = "aipo-evidence.json"
SUMMARY_NAME = "aipo-summary.csv"
EVIDENCE_VERSION = 2
# --format: what each writes (the file names are in the module doc and `aipo export --help`).
EXPORT_FORMATS = ("evidence", "cyclonedx", "hf-card")


@dataclass(frozen=True)
class Revision:
    """The commit the inputs were read at."""

    commit: str
    date: str  # committer date, ISO 8601 with offset
    dirty: bool  # the working tree has uncommitted changes


def source_revision(root: Path) -> Revision | None:
    """The git revision of ``root`` (HEAD, its commit date, whether the tree is dirty).

    None when ``root`` is not in a git repository, the repository has no commit yet, or git is
    not installed.
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    date = git("log", "-1", "--format=%cI", commit) or ""
    status = git("status", "--porcelain", "--", ".")
    return Revision(commit=commit, date=date, dirty=bool(status))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A cell that a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


CSV_COLUMNS = [
    "id",
    "name",
    "business_unit",
    "stage",
    "owner",
    "owner_email",
    "incident_owner",
    "status",
    "since",
    "escalation",
    "kpis",
    "checks_warn",
    "checks_breach",
    "findings_warn",
    "findings_breach",
    "retraining_due",
    "performance",
    "performance_sentence",
    "governance",
    "governance_sentence",
    "charter_file",
    "as_of",
    "revision",
]


def _version() -> str | None:
    try:
        return metadata.version("aipo-portal")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


def evidence(run: CheckRun, revision: Revision | None, policy: dict[str, Any] | None) -> str:
    """The evidence JSON document."""
    models = []
    for m in run.models:
        record = model_record(m)
        record["charter"] = m.result.charter.model_dump(mode="json")
        record["regulation"] = coverage_record(m.result.coverage)
        models.append(record)
    counts = run.counts()
    doc = {
        "format": "aipo-evidence",
        "version": EVIDENCE_VERSION,
        "generator": {"name": "aipo", "version": _version()},
        "as_of": run.as_of.isoformat(),
        "source": (
            {"revision": revision.commit, "date": revision.date, "dirty": revision.dirty}
            if revision
            else {"revision": None, "date": None, "dirty": None}
        ),
        "summary": {
            "models": len(run.models),
            "status": {level.label: counts[level] for level in Level},
        },
        "policy": {"file": run.policy_file, "rules": policy},
        "warnings": list(run.warnings),
        "models": models,
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def summary_csv(run: CheckRun, revision: Revision | None) -> str:
    """One CSV row per model (RFC 4180, CRLF line ends), formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in run.models:
        r = m.result
        c = r.charter
        check_levels = [item.level for item in m.items()]
        finding_levels = [f.level for f in m.findings]
        row = [
            r.id,
            c.name,
            c.business_unit,
            c.lifecycle.stage.value,
            c.owner.name,
            c.owner.email or "",
            c.incident_owner.name if c.incident_owner else "",
            r.status.label,
            r.since.isoformat() if r.since else "",
            r.escalation.level.name if r.escalation.level else "",
            len(r.kpis),
            check_levels.count(Level.WARN),
            check_levels.count(Level.BREACH),
            finding_levels.count(Level.WARN),
            finding_levels.count(Level.BREACH),
            r.retraining_due.isoformat() if r.retraining_due else "",
            r.performance.answer.value if r.performance else "",
            r.performance.sentence if r.performance else "",
            r.governance.answer.value if r.governance else "",
            r.governance.sentence if r.governance else "",
            r.path,
            run.as_of.isoformat(),
            revision.commit if revision else "",
        ]
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file, a failure leaves the old one."""
    write_atomic(path, text.encode("utf-8"))


def _people(settings: Settings) -> PeopleDirectory | None:
    """The people directory (None without one). run_check has validated it already."""
    errors: list[InputError] = []
    people, _doc = load_people(WorkingTree(settings.root), settings.layout.people, errors)
    InputErrors.raise_if_any(errors)
    return people


def _revision_text(revision: Revision | None) -> str | None:
    if revision is None:
        return None
    return f"{revision.commit} (with uncommitted changes)" if revision.dirty else revision.commit


def export(settings: Settings, as_of: dt.date, out: Path, fmt: str = "evidence") -> list[Path]:
    """Evaluate and write the files of format ``fmt`` (one of :data:`EXPORT_FORMATS`) into
    ``out``; return their paths.

    Raises :class:`InputErrors` on invalid input (nothing is written then).
    """
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(EXPORT_FORMATS)}, found {fmt!r}")
    run = run_check(settings, as_of, fail_on="error")
    InputErrors.raise_if_any(run.errors)
    revision = source_revision(settings.root)
    models = sorted(run.models, key=lambda m: m.id)
    files: dict[Path, str]
    if fmt == "evidence":
        policy = run.policy.model_dump(mode="json") if run.policy else None
        files = {
            out / EVIDENCE_NAME: evidence(run, revision, policy),
            out / SUMMARY_NAME: summary_csv(run, revision),
        }
    elif fmt == "cyclonedx":
        # Imported here: the CycloneDX library and its JSON Schema validator take a second to
        # load, which the other formats do not need.
        from ..render.mlbom import render_mlbom

        people, rev, version = _people(settings), _revision_text(revision), _version()
        files = {
            out / f"{m.id}.cdx.json": render_mlbom(
                m.result, people=people, revision=rev, generator=version
            )
            for m in models
        }
    else:
        from ..render.hfcard import render_hf_card

        people, rev, version = _people(settings), _revision_text(revision), _version()
        files = {
            out / m.id / "README.md": render_hf_card(
                m.result, people=people, revision=rev, generator=version
            )
            for m in models
        }
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder")
    try:
        for path, text in files.items():
            _write(path, text)
    except OSError as e:
        raise ConfigError(f"cannot write to '{out}': {e.strerror or e}") from None
    return list(files)
