"""`aipo evidence build | verify`: a self-contained, verifiable evidence pack for a commit and date.

A pack is one folder (and the same folder as ``<folder>.zip``)::

    manifest.json        SHA-256 of every other file, the source commit, the date, the generator
    state.json           the evaluated state: the `aipo export` document (aipo-evidence.json)
    state.schema.json    JSON Schema of state.json
    inputs/              the files the state and the portal were computed from, as at the commit:
                         mkdocs.yml, the docs folder, and every file the loader read (charters,
                         policy, people, records, metric CSVs)
    history/             what git told the evaluation, so it can be repeated without git:
                         history.json (each charter's commits; each decision record's evidence
                         request and whether git answered) and blobs/<object id> (the charter
                         versions and evidence charters read)
    portal/              the portal built from those inputs on that date (opens from disk)

The state is evaluated in git (a temporary ``git worktree`` at ``--rev``, else the working tree),
exactly as `aipo export` and the portal do; every git answer the evaluation used is recorded in
``history/``. `aipo evidence verify` re-evaluates from ``inputs/`` with ``history/`` standing in
for git (it runs no git at all) and compares with ``state.json``. A build checks that replay
before it writes anything, so a pack whose state cannot be reproduced is never produced.

Determinism: sorted JSON and entries, no wall clock (the portal is dated with the evaluation
date), zip entries sorted with a fixed time (1980-01-01) and permissions (0644).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ConfigError, GitError, InputError, InputErrors
from ..evaluate import evaluate_repository
from ..load import git
from ..load.repository import load_repository
from ..load.source import WorkingTree
from ..load.validate import validate_document
from ..load.yamlfile import MAX_BYTES, parse_yaml
from ..model.charter import Charter
from ..model.document import YamlDocument
from ..model.inputs import CharterHistory, FileVersion, Repository
from ..model.regulation import Coverage
from ..model.revision import CommitInfo
from . import export
from .check import CheckRun, ModelCheck
from .lint import lint_model
from .settings import Settings, load_mkdocs_yaml, read_settings

__all__ = [
    "MANIFEST_NAME",
    "PACK_FORMAT",
    "STATE_NAME",
    "BuildResult",
    "build_pack",
    "state_schema",
    "verify_pack",
]

PACK_FORMAT = "aipo-evidence-pack"
PACK_VERSION = 1
MANIFEST_NAME = "manifest.json"
STATE_NAME = "state.json"
SCHEMA_NAME = "state.schema.json"
INPUTS = "inputs"
PORTAL = "portal"
HISTORY = "history"
HISTORY_NAME = f"{HISTORY}/history.json"
BLOBS = f"{HISTORY}/blobs"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MAX_PROBLEMS = 50


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- sources that record (build) and replay (verify) what git told the evaluation ---------------


class _Recording(WorkingTree):
    """The working tree, noting every file read and every decision-evidence answer of git."""

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        self.read: set[str] = set()
        self.evidence: list[tuple[str, str, bytes | None]] | None = None

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        data = super().read_bytes(path, limit)
        self.read.add(str(PurePosixPath(path)))
        return data

    def read_at_commits(self, requests: Sequence[tuple[str, str]]) -> list[bytes | None] | None:
        found = git.read_at_commits(self.root, requests)
        if found is not None:
            self.evidence = [(c, p, raw) for (c, p), raw in zip(requests, found, strict=True)]
        return found


class _Replay(WorkingTree):
    """The pack's inputs, with the recorded decision evidence instead of git."""

    def __init__(self, root: Path, evidence: list[dict[str, Any]] | None, blobs: Path) -> None:
        super().__init__(root)
        self._evidence = evidence
        self._blobs = blobs

    def read_at_commits(self, requests: Sequence[tuple[str, str]]) -> list[bytes | None] | None:
        if self._evidence is None:
            return None  # the build had no git either
        answers = {(e["commit"], e["path"]): e["blob"] for e in self._evidence}
        out: list[bytes | None] = []
        for commit, path in requests:
            blob = answers.get((commit, path))
            out.append(None if blob is None else _read_blob(self._blobs, blob))
        return out


def _read_blob(folder: Path, name: str) -> bytes | None:
    if not name or "/" in name or name.startswith("."):
        return None
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


@dataclass
class _ReplayHistory:
    """The charters' recorded git log (the CharterHistory interface evaluation reads through)."""

    versions: dict[str, list[FileVersion]]
    shallow: bool
    inputs: Path
    blobs: Path

    def working_charter(self, path: str) -> bytes | None:
        try:
            return WorkingTree(self.inputs).read_bytes(path, MAX_BYTES)
        except (OSError, InputError):
            return None

    def read_charters(self, blobs: Sequence[str]) -> list[bytes | GitError | InputError]:
        out: list[bytes | GitError | InputError] = []
        for blob in blobs:
            raw = _read_blob(self.blobs, blob)
            if raw is None:
                out.append(GitError(f"charter version {blob} is not in the pack"))
            elif len(raw) > MAX_BYTES:
                out.append(InputError(blob, f"file is {len(raw)} bytes; the limit is {MAX_BYTES}"))
            else:
                out.append(raw)
        return out

    def parse(self, raw: bytes, path: str) -> YamlDocument:
        return parse_yaml(raw, path)

    def validate_charter(self, doc: YamlDocument) -> Charter | None:
        charter, _problems = validate_document(doc, Charter, "charter")
        return charter


def _commit_record(c: CommitInfo) -> dict[str, Any]:
    return {
        "sha": c.sha,
        "short_sha": c.short_sha,
        "date": c.date.isoformat(),
        "author": c.author,
        "subject": c.subject,
    }


def _commit_from(d: dict[str, Any]) -> CommitInfo:
    return CommitInfo(
        sha=d["sha"],
        short_sha=d["short_sha"],
        date=dt.datetime.fromisoformat(d["date"]),
        author=d["author"],
        subject=d["subject"],
    )


# --- evaluation -----------------------------------------------------------------------------------


def _state(
    repo: Repository,
    history: CharterHistory | None,
    as_of: dt.date,
    revision: export.Revision | None,
) -> dict[str, Any]:
    """Evaluate a loaded repository with ``history`` standing for the charters' git log; the
    export document as data. Raises InputErrors on invalid input."""
    portfolio = evaluate_repository(repo, as_of, history)
    run = CheckRun(fail_on="error", as_of=as_of)
    run.warnings = list(repo.warnings)
    run.policy_file = repo.policy_path if repo.policy_document is not None else None
    run.policy = repo.policy
    for result in portfolio.models:
        inputs = repo.model(result.id)
        assert inputs is not None
        run.models.append(ModelCheck(result, inputs, lint_model(inputs)))
    policy = run.policy.model_dump(mode="json") if run.policy else None
    return json.loads(export.evidence(run, revision, policy))


def _replay_state(pack: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The state re-evaluated from the pack's inputs and recorded history alone (no git)."""
    inputs = pack / INPUTS
    config = inputs / manifest.get("config", "mkdocs.yml")
    settings = read_settings(config if config.is_file() else None, inputs)
    recorded = json.loads((pack / HISTORY_NAME).read_text(encoding="utf-8"))
    blobs = pack / BLOBS
    source = _Replay(inputs, recorded.get("evidence"), blobs)
    history: _ReplayHistory | None = None
    if recorded.get("charters") is not None:
        history = _ReplayHistory(
            {
                path: [FileVersion(_commit_from(v["commit"]), v["blob"]) for v in versions]
                for path, versions in recorded["charters"].items()
            },
            bool(recorded.get("shallow")),
            inputs,
            blobs,
        )
    src = manifest.get("source") or {}
    revision = (
        export.Revision(src["revision"], src["date"], bool(src["dirty"]))
        if src.get("revision")
        else None
    )
    as_of = dt.date.fromisoformat(manifest["as_of"])
    return _state(load_repository(source, settings.layout), history, as_of, revision)


# --- build ----------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    folder: Path
    zip: Path
    commit: str | None
    dirty: bool | None
    as_of: dt.date
    files: int = 0
    notes: list[str] = field(default_factory=list)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=120, check=False
    )


@contextmanager
def _checkout(root: Path, rev: str | None) -> Iterator[tuple[Path, str | None]]:
    """The folder to read (``root``, or the same folder in a temporary detached worktree at
    ``rev``, removed afterwards whatever happens) and the commit it is at when ``rev`` is given."""
    if rev is None:
        yield root, None
        return
    try:
        commit = git.resolve_commit(root, rev)
    except GitError as e:
        raise ConfigError(f"--rev: {e}") from None
    top = _git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if top.returncode != 0:
        raise ConfigError(f"--rev: '{root}' is not in a git repository")
    top_dir, prefix = [*top.stdout.splitlines(), ""][:2]
    with tempfile.TemporaryDirectory(prefix="aipo-evidence-") as tmp:
        tree = Path(tmp) / "tree"
        added = _git(Path(top_dir), "worktree", "add", "--detach", "--quiet", str(tree), commit)
        if added.returncode != 0:
            raise ConfigError(f"--rev: cannot check out {rev}: {added.stderr.strip()}")
        try:
            yield tree / prefix, commit
        finally:
            _git(Path(top_dir), "worktree", "remove", "--force", str(tree))
            _git(Path(top_dir), "worktree", "prune")


def _docs_dir(settings: Settings) -> str:
    """The docs folder of mkdocs.yml, relative to the root (MkDocs' default: docs)."""
    if settings.config_file is None:
        raise ConfigError("evidence build needs mkdocs.yml (the portal is part of the pack)")
    data = load_mkdocs_yaml(settings.config_file)
    docs = data.get("docs_dir", "docs")
    if not isinstance(docs, str):
        raise ConfigError(f"{settings.config_file.name}: docs_dir must be a path")
    path = (settings.config_file.parent / docs).resolve()
    try:
        return path.relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"docs_dir '{docs}' is outside the repository") from None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_out_folder(out: Path, settings: Settings) -> None:
    """Refuse an --out that would become part of the inputs, or that holds files already."""
    root = settings.root.resolve()
    target = out.resolve()
    layout = settings.layout
    folders = [layout.charters, layout.metrics, layout.reviews, layout.decisions, layout.incidents]
    if settings.config_file is not None:
        folders.append(_docs_dir(settings))
    for folder in folders:
        if _inside(target, root / folder) or _inside(root / folder, target):
            raise ConfigError(
                f"--out: '{out}' is inside the inputs ('{folder}'); write the pack elsewhere"
            )
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"--out: '{out}' is not empty; give a new or empty folder")


def _input_files(root: Path, settings: Settings, read: set[str]) -> list[str]:
    """mkdocs.yml, every file of the docs folder, and the files the loader read."""
    assert settings.config_file is not None
    files = set(read)
    files.add(settings.config_file.resolve().relative_to(root.resolve()).as_posix())
    docs = _docs_dir(settings)
    source = WorkingTree(root)
    if source.is_dir(docs):
        files.update(source.list_files(docs))
    return sorted(files)


def _build_portal(config: Path, site: Path, as_of: dt.date) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AIPO_AS_OF", "AIPO_VERSION_PROVIDER")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aipo_site.mkdocs_plugin.build",
            "--config",
            str(config),
            "--site-dir",
            str(site),
            "--as-of",
            as_of.isoformat(),
        ],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ConfigError(f"the portal did not build (mkdocs build --strict): {tail}")


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _pack_files(folder: Path) -> dict[str, Path]:
    """Every entry below ``folder`` by POSIX path (files, and anything else that is there)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        base = Path(dirpath)
        for name in [*filenames, *(d for d in dirnames if (base / d).is_symlink())]:
            out[(base / name).relative_to(folder).as_posix()] = base / name
    return dict(sorted(out.items()))


def _write_zip(folder: Path, target: Path) -> None:
    """``folder`` as a zip whose bytes depend on its files' paths and contents only."""
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for rel, path in _pack_files(folder).items():
            info = zipfile.ZipInfo(f"{folder.name}/{rel}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            z.writestr(info, path.read_bytes(), compresslevel=9)
    os.replace(tmp, target)


def build_pack(
    config: Path,
    out: Path,
    *,
    rev: str | None,
    as_of: Callable[[Settings], dt.date],
    version: str,
) -> BuildResult:
    """Build the pack of the repository of ``config`` (its mkdocs.yml) for the working tree
    (``rev`` None) or the commit ``rev``, on the date ``as_of(settings)`` gives, into ``out``
    (new or empty) and ``out``.zip. The layout is mkdocs.yml's, so the pack can be replayed."""
    root = config.parent

    def settings_for(folder: Path) -> Settings:
        return read_settings(folder / config.name, folder)

    if rev is not None and git.revision_info(root) is None:
        raise ConfigError(f"--rev: '{root}' is not in a git repository (or has no commit)")
    _check_out_folder(out, settings_for(root))
    with _checkout(root, rev) as (tree, commit):
        settings = settings_for(tree)
        day = as_of(settings)
        revision = export.source_revision(settings.root)
        if settings.config_file is None:
            raise ConfigError("evidence build needs mkdocs.yml (the portal is part of the pack)")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"--out: cannot create '{out.parent}': {e.strerror or e}") from None
        work = Path(tempfile.mkdtemp(prefix=".aipo-evidence-", dir=out.parent))
        try:
            pack = work / out.name
            pack.mkdir()
            source = _Recording(settings.root)
            repo = load_repository(source, settings.layout)
            log = git.charter_log(settings.root, [m.path for m in repo.models])
            charters: dict[str, Any] | None = None
            blobs: dict[str, bytes] = {}
            try:
                if log is not None:
                    charters = {}
                    for path, versions in sorted(log.versions.items()):
                        charters[path] = [
                            {"commit": _commit_record(v.commit), "blob": v.blob} for v in versions
                        ]
                        wanted = [v.blob for v in versions if v.blob]
                        for blob, raw in zip(wanted, log.read_many(wanted), strict=True):
                            if isinstance(raw, bytes):
                                blobs[blob] = raw
                    shallow = log.shallow
                else:
                    shallow = False
                state = _state(repo, log, day, revision)
            finally:
                if log is not None:
                    log.close()
            evidence = None
            if source.evidence is not None:
                evidence = []
                for commit, path, raw in source.evidence:
                    name = None
                    if raw is not None:
                        name = _sha256(raw)
                        blobs[name] = raw
                    evidence.append({"commit": commit, "path": path, "blob": name})
                evidence.sort(key=lambda e: (e["commit"], e["path"]))
            root_dir = settings.root
            for rel in _input_files(root_dir, settings, source.read):
                _write_file(pack / INPUTS / rel, (root_dir / rel).read_bytes())
            history = {"charters": charters, "shallow": shallow, "evidence": evidence}
            _write_file(pack / HISTORY_NAME, _dumps(history).encode())
            for name, raw in sorted(blobs.items()):
                _write_file(pack / BLOBS / name, raw)
            _write_file(pack / STATE_NAME, _dumps(state).encode())
            _write_file(pack / SCHEMA_NAME, _dumps(state_schema()).encode())
            config_rel = settings.config_file.resolve().relative_to(root_dir.resolve()).as_posix()
            _build_portal(settings.config_file, pack / PORTAL, day)
            manifest = {
                "format": PACK_FORMAT,
                "version": PACK_VERSION,
                "generator": {"name": "aipo", "version": version},
                "as_of": day.isoformat(),
                "config": config_rel,
                "source": {
                    "revision": revision.commit if revision else None,
                    "date": revision.date if revision else None,
                    "dirty": revision.dirty if revision else None,
                    "requested": rev,
                },
                "files": {rel: _sha256(p.read_bytes()) for rel, p in _pack_files(pack).items()},
            }
            _write_file(pack / MANIFEST_NAME, _dumps(manifest).encode())
            # The same replay `aipo evidence verify` runs: never hand over a pack that fails it.
            replayed = _replay_state(pack, manifest)
            problems = _compare(state, replayed)
            if problems:  # pragma: no cover - a bug in the recording, not the user's input
                raise RuntimeError("the pack does not reproduce its state: " + "; ".join(problems))
            if out.exists():
                out.rmdir()
            os.replace(pack, out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    zip_path = out.with_name(out.name + ".zip")
    _write_zip(out, zip_path)
    return BuildResult(
        folder=out,
        zip=zip_path,
        commit=revision.commit if revision else None,
        dirty=revision.dirty if revision else None,
        as_of=day,
        files=len(manifest["files"]) + 1,
    )


# --- verify ---------------------------------------------------------------------------------------


def _compare(expected: Any, found: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, one line each (``generator`` is not compared)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        out = []
        for key in sorted(set(expected) | set(found)):
            if not where and key == "generator":
                continue
            path = f"{where}.{key}" if where else key
            if key not in found:
                out.append(f"{path}: in {STATE_NAME}, not in the re-evaluation")
            elif key not in expected:
                out.append(f"{path}: missing from {STATE_NAME}")
            else:
                out.extend(_compare(expected[key], found[key], path))
        return out
    if isinstance(expected, list) and isinstance(found, list) and len(expected) == len(found):
        return [
            p
            for i, (a, b) in enumerate(zip(expected, found, strict=True))
            for p in _compare(a, b, f"{where}[{i}]")
        ]
    if expected != found or type(expected) is not type(found):
        return [f"{where}: {_short(expected)} in {STATE_NAME}, re-evaluation gives {_short(found)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


@contextmanager
def _opened(path: Path) -> Iterator[Path]:
    """The pack folder: ``path`` itself, or the one folder of the zip ``path`` unpacked."""
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise ConfigError(f"'{path}' is neither an evidence pack folder nor its zip")
    with tempfile.TemporaryDirectory(prefix="aipo-verify-") as tmp:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
            for n in names:
                p = PurePosixPath(n)
                if p.is_absolute() or ".." in p.parts or "\\" in n:
                    raise ConfigError(f"'{path}': unsafe entry name {n!r}")
            if len(tops) != 1:
                raise ConfigError(f"'{path}': expected one top folder, found {len(tops)}")
            try:
                z.extractall(tmp)
            except (OSError, zipfile.BadZipFile) as e:
                raise ConfigError(f"'{path}': cannot be unpacked: {e}") from None
        yield Path(tmp) / tops.pop()


def verify_pack(path: Path) -> list[str]:
    """Every problem of the pack at ``path`` (a folder or its zip), one line each; empty when
    the hashes match the files exactly and the inputs re-evaluate to the state.

    Raises ConfigError when ``path`` is not a pack at all (no readable manifest).
    """
    with _opened(path) as pack:
        try:
            manifest = json.loads((pack / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"'{path}' has no {MANIFEST_NAME}: not an evidence pack") from None
        except (OSError, ValueError) as e:
            raise ConfigError(f"'{path}': {MANIFEST_NAME} cannot be read: {e}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
            raise ConfigError(f"'{path}': {MANIFEST_NAME} is not an {PACK_FORMAT} manifest")
        if manifest.get("version") != PACK_VERSION:
            raise ConfigError(
                f"'{path}': pack version {manifest.get('version')!r}; this aipo reads "
                f"version {PACK_VERSION}"
            )
        listed = manifest.get("files")
        if not isinstance(listed, dict):
            raise ConfigError(f"'{path}': {MANIFEST_NAME} has no file list")
        problems = _check_hashes(pack, listed)
        problems += _check_state(pack, manifest)
    return problems


def _check_hashes(pack: Path, listed: dict[str, Any]) -> list[str]:
    problems = []
    present = {k: v for k, v in _pack_files(pack).items() if k != MANIFEST_NAME}
    for rel in sorted(set(listed) | set(present)):
        if rel not in present:
            problems.append(f"{rel}: missing (listed in {MANIFEST_NAME})")
        elif rel not in listed:
            problems.append(f"{rel}: extra file (not in {MANIFEST_NAME})")
        elif present[rel].is_symlink() or not present[rel].is_file():
            problems.append(f"{rel}: not a regular file")
        elif _sha256(present[rel].read_bytes()) != listed[rel]:
            problems.append(f"{rel}: SHA-256 differs from {MANIFEST_NAME} (the file was changed)")
    return problems


def _check_state(pack: Path, manifest: dict[str, Any]) -> list[str]:
    try:
        state = json.loads((pack / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{STATE_NAME}: cannot be read: {e}"]
    problems = []
    if state.get("as_of") != manifest.get("as_of"):
        problems.append(f"{STATE_NAME}: as_of {state.get('as_of')!r} is not the manifest's")
    try:
        replayed = _replay_state(pack, manifest)
    except InputErrors as e:
        return [*problems, *(f"{INPUTS}/{err}" for err in e.errors)]
    except (InputError, ConfigError) as e:
        return [*problems, f"{INPUTS}: cannot be evaluated: {e}"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return [*problems, f"{HISTORY}: cannot be read: {type(e).__name__}: {e}"]
    found = _compare(state, replayed)
    if len(found) > MAX_PROBLEMS:
        found = [*found[:MAX_PROBLEMS], f"... and {len(found) - MAX_PROBLEMS} more differences"]
    return problems + [f"{STATE_NAME}: re-evaluation differs at {p}" for p in found]


# --- the schema of state.json --------------------------------------------------------------------


def _obj(properties: dict[str, Any], required: Sequence[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties if required is None else required),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_OSTR = {"type": ["string", "null"]}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_ODATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def state_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of state.json (the `aipo export` document, version 2)."""
    person = {
        "type": ["object", "null"],
        "properties": {"name": _STR, "email": _OSTR, "person": _OSTR},
        "required": ["name", "email", "person"],
        "additionalProperties": False,
    }
    finding = _obj(
        {
            "code": _STR,
            "level": _STR,
            "message": _STR,
            "section": _OSTR,
            "field": _OSTR,
            "file": _STR,
            "line": {"type": ["integer", "null"]},
            "since": _ODATE,
            "source": {"enum": ["compliance", "lint"]},
        }
    )
    kpi = {
        "type": "object",
        "properties": {
            "metric": _STR,
            "name": _STR,
            "status": _STR,
            "level": _STR,
            "value": {"type": ["number", "null"]},
            "window_start": _ODATE,
            "newest": _ODATE,
            "since": _ODATE,
            "message": _STR,
        },
        "required": ["metric", "name", "status", "level", "value", "message"],
    }
    verdict = {"type": ["object", "null"]}
    obligation = _obj(
        {
            "id": {"type": "string", "pattern": "^[a-z0-9-]+/[a-z0-9.()-]+$"},
            "framework": _STR,
            "label": _STR,
            "title": _STR,
            "source": _STR,
            "coverage": {"enum": [c.value for c in Coverage]},
            "applies_from": _ODATE,
            "elements": {
                "type": "array",
                "items": _obj(
                    {
                        "element": _STR,
                        "state": {"enum": ["present", "failing", "absent"]},
                        "note": _STR,
                    }
                ),
            },
        }
    )
    model = _obj(
        {
            "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
            "name": _STR,
            "file": _STR,
            "business_unit": _OSTR,
            "stage": _STR,
            "owner": person,
            "incident_owner": person,
            "status": _STR,
            "since": _ODATE,
            "gate_level": _STR,
            "escalation": {
                "type": "object",
                "required": ["index", "name", "who", "response_time", "reason"],
            },
            "performance": verdict,
            "governance": verdict,
            "retraining_due": _ODATE,
            "kpis": {"type": "array", "items": kpi},
            "segments": {"type": "array", "items": {"type": "object"}},
            "drift": {"type": ["object", "null"]},
            "findings": {"type": "array", "items": finding},
            "charter": {"type": "object", "required": ["id", "name", "owner", "kpis"]},
            "regulation": {
                "type": ["object", "null"],
                "required": ["classification", "derived_class", "obligations"],
                "additionalProperties": False,
                "properties": {
                    "classification": {"type": ["object", "null"]},
                    "derived_class": {
                        "enum": [None, "prohibited", "high-risk", "limited-risk", "minimal"]
                    },
                    "obligations": {"type": "array", "items": obligation},
                },
            },
        }
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://aipo.invalid/schema/evidence-state.schema.json",
        "title": "aipo evaluated state (aipo-evidence, version 2)",
        "description": "state.json of an aipo evidence pack: the `aipo export` document.",
        **_obj(
            {
                "format": {"const": "aipo-evidence"},
                "version": {"const": export.EVIDENCE_VERSION},
                "generator": _obj({"name": {"const": "aipo"}, "version": _OSTR}),
                "as_of": _DATE,
                "source": _obj(
                    {
                        "revision": {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"},
                        "date": _OSTR,
                        "dirty": {"type": ["boolean", "null"]},
                    }
                ),
                "summary": _obj(
                    {
                        "models": {"type": "integer", "minimum": 0},
                        "status": {
                            "type": "object",
                            "additionalProperties": {"type": "integer", "minimum": 0},
                        },
                    }
                ),
                "policy": _obj({"file": _OSTR, "rules": {"type": ["object", "null"]}}),
                "warnings": {"type": "array", "items": _STR},
                "models": {"type": "array", "items": model},
            }
        ),
    }
