"""`aipo export`: audit evidence — every charter as evaluated, every KPI result and finding.

Writes two files into the output folder:

- ``aipo-evidence.json`` (``"format": "aipo-evidence"``, ``"version": 2``): the evaluation date, the
  source revision (commit and commit date, or null outside git), the policy as validated, and per
  model the charter as validated (``model_dump(mode="json")``), its status, escalation, its
  answers to "performing as intended?" (``performance``) and "governed as required?"
  (``governance``), every KPI result and every finding (the same records as
  ``aipo check --format json``; version 2 replaced the one ``answer`` sentence with these two);
- ``aipo-summary.csv``: one row per model for spreadsheets (``checks_warn``/``checks_breach`` count
  KPIs, segment gaps and drift at that level; ``performance`` and ``governance`` are the answers,
  e.g. ``at risk`` and ``gaps``, each with its ``…_sentence``). Text cells that a spreadsheet
  would run as a formula (starting with ``= + - @``, a tab or a carriage return) are prefixed
  with ``'``.

Both are deterministic: sorted keys and rows, no wall-clock time except the stamp fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputErrors
from ..model.results import Level
from .check import CheckRun, model_record, run_check
from .settings import Settings

__all__ = [
    "CSV_COLUMNS",
    "EVIDENCE_NAME",
    "EVIDENCE_VERSION",
    "SUMMARY_NAME",
    "Revision",
    "csv_safe",
    "export",
    "source_revision",
]

EVIDENCE_NAME = "aipo-evidence.json"
SUMMARY_NAME = "aipo-summary.csv"
EVIDENCE_VERSION = 2


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
        return metadata.version("aipo")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


def evidence(run: CheckRun, revision: Revision | None, policy: dict[str, Any] | None) -> str:
    """The evidence JSON document."""
    models = []
    for m in run.models:
        record = model_record(m)
        record["charter"] = m.result.charter.model_dump(mode="json")
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(settings: Settings, as_of: dt.date, out: Path) -> list[Path]:
    """Evaluate and write the evidence files into ``out``; return their paths.

    Raises :class:`InputErrors` on invalid input (nothing is written then).
    """
    run = run_check(settings, as_of, fail_on="error")
    InputErrors.raise_if_any(run.errors)
    revision = source_revision(settings.root)
    policy = run.policy.model_dump(mode="json") if run.policy else None
    files = {
        out / EVIDENCE_NAME: evidence(run, revision, policy),
        out / SUMMARY_NAME: summary_csv(run, revision),
    }
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder")
    try:
        for path, text in files.items():
            _write(path, text)
    except OSError as e:
        raise ConfigError(f"cannot write to '{out}': {e.strerror or e}") from None
    return list(files)
