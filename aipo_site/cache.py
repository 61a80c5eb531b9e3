"""A persistent cache of evaluated and rendered models, keyed by the content hash of their inputs.

A build of 1,000 models spends most of aipo's time evaluating and rendering models whose inputs
did not change since the last build. :func:`input_keys` hashes what each model's evaluation and
page read, without parsing anything:

- the model's own files: its charter's bytes and every file under ``<metrics>/<model-id>/``
  (KPI CSVs, drift files), paths included;
- the charter's git history as evaluation and the History section read it: the commit and the
  file's object id of each version (a commit's content never changes; a new commit touching the
  charter adds a version), and whether the clone is shallow;
- what every model shares (the *global* key): every other input the layout names, the
  policy, the people directory, the metric sources and every record file (reviews, decisions,
  incidents: a record names its model inside the file, and the incident log's start is shared
  by all models, so any record change re-evaluates every model),
  the evaluation date, the options, aipo's version and a hash of the package's own files (an
  editable install changes without a new version).

The portfolio's key hashes every input file below the input folders (orphan metric folders and
non-charter files included, which only make warnings) with the global key: when it is unchanged
the whole build is read from the cache without loading anything.

Entries are pickles written atomically (a temporary file renamed into place), and each holds its
own key, so a corrupt, partial or foreign entry is a miss, never wrong output. After a build,
:meth:`PortalCache.prune` keeps this build's entries and as many recently used others.

The cache only ever skips work: every entry is what the same code computes from the same bytes,
and the build tests compare a cold and a warm site byte for byte. It is only trusted input's
output: whoever can write the cache folder can run code in the build (pickle), as whoever can
write the repository's Python files can.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .atomic import write_atomic
from .errors import InputError
from .fingerprint import package_fingerprint
from .load.metrics import MAX_CSV_BYTES
from .load.source import Source
from .model.inputs import CharterHistory, Layout

__all__ = ["FORMAT", "InputKeys", "PortalCache", "input_keys", "package_fingerprint"]

FORMAT = 1  # bump when an entry's shape changes
CHARTER_SUFFIXES = (".yaml", ".yml")
_MAGIC = b"aipo-cache"
STALE_TMP_SECONDS = 600


@dataclass(frozen=True)
class InputKeys:
    """The cache keys of one build: each model's (by charter path) and the whole portfolio's."""

    models: dict[str, str]
    portfolio: str


def _file_digest(source: Source, path: str) -> bytes:
    # Above the loaders' largest limit the file is refused (InputError): the build then runs
    # uncached and the loader says what is wrong, if it reads the file at all.
    data = source.read_bytes(path, MAX_CSV_BYTES)
    return hashlib.sha256(data).digest()


def _folder(source: Source, folder: str) -> list[str]:
    return source.list_files(folder) if folder and source.is_dir(folder) else []


def input_keys(
    source: Source,
    layout: Layout,
    charter_paths: Iterable[str],
    history: CharterHistory | None,
    context: Mapping[str, Any],
) -> InputKeys | None:
    """The keys of the models of ``charter_paths`` and of the portfolio; None when an input
    cannot be read as a plain file (the loader then reports it, uncached).

    ``context``: everything else the output depends on (the evaluation date, the options);
    its ``repr`` is hashed, so it must be deterministic.
    """
    try:
        return _input_keys(source, layout, list(charter_paths), history, context)
    except (InputError, OSError, ValueError):
        return None


def _input_keys(
    source: Source,
    layout: Layout,
    charter_paths: list[str],
    history: CharterHistory | None,
    context: Mapping[str, Any],
) -> InputKeys:
    shared = hashlib.sha256(f"aipo-cache:{FORMAT}:{package_fingerprint()}\0".encode())
    shared.update(repr(sorted(context.items())).encode() + b"\0")
    shared.update(f"git:{history is not None}:{history is not None and history.shallow}".encode())
    # Every other input the layout names (policy, people, records, sources, and any added
    # later), file or folder: what every model shares.
    for f in dataclasses.fields(layout):
        if f.name in ("charters", "metrics"):
            continue
        where = str(getattr(layout, f.name))
        if source.is_dir(where):
            for path in _folder(source, where):
                shared.update(f"{path}:".encode() + _file_digest(source, path))
        else:
            try:
                shared.update(f"{where}:".encode() + _file_digest(source, where))
            except FileNotFoundError:
                shared.update(f"{where}:absent".encode())
    global_key = shared.hexdigest()

    metric_files: dict[str, list[str]] = {}
    everything = hashlib.sha256(f"portfolio:{global_key}\0".encode())
    for path in _folder(source, layout.metrics):
        parts = PurePosixPath(path).relative_to(layout.metrics).parts
        digest = _file_digest(source, path)
        everything.update(f"{path}:".encode() + digest)
        if len(parts) > 1:
            metric_files.setdefault(parts[0], []).append(f"{path}:{digest.hex()}")
    for path in _folder(source, layout.charters):
        if path not in charter_paths:  # not a charter: only listed (it may make a warning)
            everything.update(f"{path}:other".encode())

    models: dict[str, str] = {}
    for path in charter_paths:
        digest = hashlib.sha256(f"model:{global_key}:{path}:".encode())
        digest.update(_file_digest(source, path))
        stem = PurePosixPath(path).stem
        digest.update(repr(metric_files.get(stem, [])).encode())
        if history is not None:
            versions = history.versions.get(path, [])
            digest.update(repr([(v.commit.sha, v.blob) for v in versions]).encode())
        models[path] = digest.hexdigest()
        everything.update(f"{path}:{models[path]}".encode())
    return InputKeys(models, everything.hexdigest())


class PortalCache:
    """Pickled entries in a folder, one file per key: ``get`` returns None for a missing,
    corrupt or foreign entry; ``put`` writes atomically; ``prune`` bounds the folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.used: set[str] = set()

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / f"{kind}-{key}.pickle"

    def get(self, kind: str, key: str) -> Any | None:
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        header = _MAGIC + f":{FORMAT}:{kind}:{key}\n".encode()
        if not data.startswith(header):
            return None
        try:
            value = pickle.loads(memoryview(data)[len(header) :])
        except Exception:  # a truncated or foreign pickle is a miss, whatever it raises
            return None
        self.used.add(path.name)
        return value

    def keep(self, kind: str, key: str) -> None:
        """Count an entry as used by this build (one another process wrote), so prune keeps it."""
        self.used.add(self._path(kind, key).name)

    def _make_folder(self) -> None:
        """The folder, with a ``.gitignore`` of ``*`` in it (as pytest's and ruff's caches
        have): the cache never shows as an untracked change, so a build does not make the
        working tree "dirty" in `aipo export`, evidence packs or the portal's stamp."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by aipo: the build cache is never committed.\n*\n")

    def put(self, kind: str, key: str, value: Any) -> None:
        """Write an entry (a failure to write only costs the next build the work)."""
        path = self._path(kind, key)
        header = _MAGIC + f":{FORMAT}:{kind}:{key}\n".encode()
        try:
            self._make_folder()
            data = header + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            write_atomic(path, data, temp_prefix=".tmp-")
        except (OSError, pickle.PicklingError):
            return
        self.used.add(path.name)

    def prune(self) -> int:
        """Keep the entries this build used, the ``len(used)`` most recently used others and
        nothing else; the number of files removed. Temporary files of interrupted writes go
        when they are older than :data:`STALE_TMP_SECONDS` (a concurrent build's are in use).

        Entries used are touched, so recency is use, not creation.
        """
        try:
            listed = list(os.scandir(self.folder))
        except OSError:
            return 0
        others: list[tuple[int, str]] = []
        doomed: list[str] = []
        now = time.time()
        for entry in listed:
            try:
                if not entry.is_file():
                    continue
                if entry.name in self.used:
                    os.utime(entry.path)
                elif entry.name.startswith(".tmp-"):
                    if now - entry.stat().st_mtime > STALE_TMP_SECONDS:
                        doomed.append(entry.path)
                elif entry.name.endswith(".pickle"):
                    others.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
        others.sort(reverse=True)
        doomed += [path for _mtime, path in others[len(self.used) :]]
        removed = 0
        for path in doomed:
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                pass
        return removed
