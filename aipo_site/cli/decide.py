"""`aipo decide`: write a decision record whose evidence is the committed charter.

The evidence of a decision is the commit and the SHA-256 of the charter at it, so the record is
written from git: ``--rev`` (default HEAD) names the commit, the charter's bytes at it are hashed,
and the record is validated (and its references checked against the repository) before anything
is written. A charter with uncommitted changes is not what the decision approves: that is said.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, GitError, InputError, InputErrors
from ..load.git import GitRevision, resolve_commit
from ..load.repository import load_repository
from ..load.source import WorkingTree
from ..model.decisions import DecisionKind, DecisionRecord
from .settings import Settings

__all__ = ["decision_record", "write_decision"]


def decision_record(
    settings: Settings,
    model: str,
    *,
    kind: DecisionKind,
    subject: str,
    decided_by: str,
    summary: str,
    date: dt.date,
    rev: str = "HEAD",
    rejected: bool = False,
    conditions: list[str] | None = None,
    expires: dt.date | None = None,
) -> tuple[str, str, list[str]]:
    """The record's path (relative to the root), its YAML text and warnings. Raises
    ConfigError / GitError / InputError on anything that would make it invalid."""
    repo = load_repository(WorkingTree(settings.root), settings.layout)
    inputs = repo.model(model)
    if inputs is None:
        known = ", ".join(m.id for m in repo.models) or "none"
        raise ConfigError(f"no model '{model}' in {settings.layout.charters} (models: {known})")
    try:
        commit = resolve_commit(settings.root, rev)
    except GitError as e:
        raise ConfigError(
            f"a decision's evidence is a commit, and git cannot give '{rev}': {e}".splitlines()[0]
        ) from None
    with GitRevision(settings.root, commit) as revision:
        try:
            committed = revision.read_bytes(inputs.path)
        except FileNotFoundError:
            raise ConfigError(
                f"{inputs.path} is not in commit {commit[:7]}: commit the charter first, the "
                "decision approves a committed version"
            ) from None
    warnings = []
    now = (settings.root / inputs.path).read_bytes()
    if now != committed:
        warnings.append(
            f"{inputs.path} has changes since commit {commit[:7]}: the decision approves the "
            "committed version, and is stale at once if the changes loosen what it approved"
        )
    field = {
        DecisionKind.stage_transition: "stage",
        DecisionKind.risk_acceptance: "risk",
        DecisionKind.policy_exception: "finding",
    }[kind]
    data: dict[str, Any] = {
        "model": model,
        "kind": kind.value,
        field: subject,
        "outcome": "rejected" if rejected else "approved",
        "decided_by": decided_by,
        "date": date.isoformat(),
        "evidence": {
            "commit": commit,
            "charter_sha256": hashlib.sha256(committed).hexdigest(),
        },
        "summary": summary,
    }
    if conditions:
        data["conditions"] = conditions
    if expires is not None:
        data["expires"] = expires.isoformat()
    try:
        DecisionRecord.model_validate(data)
    except ValueError as e:
        first = str(e).splitlines()
        raise ConfigError(
            f"the record would be invalid: {first[-1].strip() if first else e}"
        ) from None
    name = "-".join(part for part in (date.isoformat(), model, _slug(subject)) if part)
    rel = f"{settings.layout.decisions}/{name}.yaml"
    header = (
        "# yaml-language-server: $schema=" + _schema_ref(settings) + "\n"
        if _schema_ref(settings)
        else ""
    )
    text = (
        header
        + "# Written by `aipo decide`.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_style=None)
    )
    # Dates as YAML writes them by hand; the hashes quoted (digits alone would read as a number).
    text = re.sub(r"^(\w+): '(\d{4}-\d{2}-\d{2})'$", r"\1: \2", text, flags=re.MULTILINE)
    text = text.replace(f"commit: {commit}\n", f'commit: "{commit}"\n').replace(
        f"charter_sha256: {data['evidence']['charter_sha256']}\n",
        f'charter_sha256: "{data["evidence"]["charter_sha256"]}"\n',
    )
    return rel, text, warnings


def write_decision(settings: Settings, rel: str, text: str) -> Path:
    """Write the record, refusing to overwrite one, and check the repository loads with it."""
    path = settings.root / rel
    if path.exists():
        raise ConfigError(f"'{rel}' already exists; decisions are never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    try:
        load_repository(WorkingTree(settings.root), settings.layout)
    except (InputError, InputErrors) as e:
        path.unlink()
        errors = e.errors if isinstance(e, InputErrors) else [e]
        mine = [x for x in errors if x.path == rel] or errors
        raise ConfigError(f"the record was not written: {mine[0].render()}") from None
    return path


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)[:40].strip("-")


def _schema_ref(settings: Settings) -> str:
    import posixpath

    if not (settings.root / "schema" / "decision.schema.json").is_file():
        return ""
    return posixpath.relpath("schema/decision.schema.json", settings.layout.decisions)
