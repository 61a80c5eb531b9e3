"""Git plumbing: read governance files at a revision, the build's revision and file histories.

Everything goes through the git CLI (as mike does): ``git ls-tree`` lists a revision's files,
one long-lived ``git cat-file --batch`` reads them, ``git log`` gives histories. Failures raise
:class:`GitError` carrying git's own stderr. The helpers that only *describe* a build
(:func:`revision_info`, :func:`file_history`, :func:`histories`, :func:`charter_log`) never fail a
build: outside a git repository, or without git installed, they return ``None``.

:func:`charter_log` is the one ``git log`` pass over the charters a build makes: it lists every
commit of every charter with the object id of its content, for the History sections and for the
dates compliance findings began (one ``git cat-file --batch`` process reads the old versions
needed, and only those).

Paths are POSIX paths relative to ``root``, the folder of ``mkdocs.yml``, which may be a
subfolder of the git work tree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import GitError, InputError, snippet
from ..model.charter import Charter
from ..model.document import YamlDocument
from ..model.inputs import FileVersion
from ..model.revision import CommitInfo, Revision
from .source import WorkingTree, check_file_name
from .validate import validate_document
from .yamlfile import MAX_BYTES, parse_yaml

__all__ = [
    "CharterLog",
    "FileVersion",
    "GitError",
    "GitRevision",
    "charter_log",
    "file_history",
    "histories",
    "is_shallow",
    "read_at_commits",
    "revision_info",
]

# Separators in --format strings: record (RS) and unit (US) separators never occur in git's
# structured fields and practically never in commit subjects.
_RS, _US = "\x1e", "\x1f"
_LOG_FORMAT = f"--format={_RS}%H{_US}%h{_US}%cI{_US}%aN{_US}%s"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never prompt for credentials, never take the index lock for a read-only command
    # (`git status` refreshes the index otherwise), never page.
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat")
    return env


def _run(cwd: Path, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``git args`` in ``cwd``; bytes out. Raises GitError (check) or when git is missing."""
    try:
        proc = subprocess.run(
            ["git", "-c", "log.showSignature=false", *args],
            cwd=cwd,
            env=_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    except NotADirectoryError:
        raise GitError(f"'{cwd}' is not a folder") from None
    if check and proc.returncode != 0:
        raise GitError(f"'git {' '.join(args)}' failed in {cwd}", proc.stderr)
    return proc


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _locate(root: Path) -> tuple[Path, str]:
    """The work tree's top folder and ``root``'s prefix inside it ('' or 'sub/dir/')."""
    if not root.is_dir():
        raise GitError(f"'{root}' is not a folder")
    proc = _run(root, ["rev-parse", "--show-toplevel", "--show-prefix"], check=False)
    if proc.returncode != 0:
        raise GitError(f"'{root}' is not inside a git work tree", proc.stderr)
    top, _, prefix = _text(proc.stdout).partition("\n")
    return Path(top.strip()), prefix.strip()


def is_shallow(root: str | Path) -> bool:
    """Whether the repository at ``root`` is a shallow clone (fetched with ``--depth``)."""
    proc = _run(Path(root), ["rev-parse", "--is-shallow-repository"], check=False)
    return proc.returncode == 0 and _text(proc.stdout).strip() == "true"


def _remotes(root: Path) -> list[str]:
    proc = _run(root, ["remote"], check=False)
    return _text(proc.stdout).split() if proc.returncode == 0 else []


def _missing_ref_message(root: Path, ref: str) -> str:
    """Why ``ref`` is not there, and the commands that fetch it."""
    shallow = is_shallow(root)
    remotes = _remotes(root)
    remote, _, branch = ref.partition("/")
    fetch: list[str] = []
    if branch and remote in remotes:
        fetch.append(f"git fetch --no-tags {remote} {branch}:refs/remotes/{remote}/{branch}")
    elif not any(ch in ref for ch in "~^@:") and remotes:
        fetch.append(f"git fetch --no-tags {remotes[0]} {ref}:{ref}")
    lines = [f"git revision '{ref}' is not in the repository at {root}."]
    if shallow:
        lines.append(
            "This is a shallow clone (made with --depth), so the commit to compare with was "
            "probably never fetched. Fetch it, then run the command again:"
        )
        fetch += ["git fetch --deepen=100      # more history for HEAD~N style refs"]
        fetch += ["git fetch --unshallow       # or the whole history"]
    elif fetch:
        lines.append("If it is a branch of a remote, fetch it first:")
    else:
        lines.append("Check the name with `git branch -a` or `git log --oneline`.")
    lines += [f"  {c}" for c in fetch]
    if shallow or fetch:
        lines.append(
            "In GitHub Actions, check out with `actions/checkout` and `fetch-depth: 0` so the "
            "base branch is available."
        )
    return "\n".join(lines)


def resolve_commit(root: str | Path, ref: str) -> str:
    """The full sha of the commit ``ref`` names; GitError with fetch advice when it is missing."""
    root = Path(root)
    if not ref or ref.startswith("-") or any(ch in ref for ch in "\0\n"):
        raise GitError(f"invalid git revision {snippet(ref)}")
    _locate(root)
    verify = ["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"]
    proc = _run(root, verify, check=False)
    if proc.returncode != 0:
        raise GitError(_missing_ref_message(root, ref), proc.stderr)
    return _text(proc.stdout).strip()


def _norm(path: str) -> str:
    """A root-relative POSIX path without './', duplicate or trailing slashes ('' = root)."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in (".", "/")]
    return "/".join(parts)


class GitRevision:
    """The governance files as they were at a git revision (a :class:`~.source.Source`).

    The revision is checked when the object is made (see :func:`resolve_commit`). Files are
    listed once with ``git ls-tree`` and read through one ``git cat-file --batch`` process, so
    loading a thousand charters costs one process, not a thousand. Use it as a context manager
    (or call :meth:`close`) to end that process early; it is also ended when the object is
    collected. Like :class:`~.source.WorkingTree`, ``list_files`` skips hidden files and refuses
    a file name with a forbidden character (:func:`~.source.check_file_name`), and
    ``read_bytes`` refuses a blob larger than its ``limit`` from the size git reports, before
    reading it. Symbolic links and submodules are not followed (they are not listed, so a
    charter's link reads as a missing file). The bytes go through the same parsers as the
    working tree's, so every problem in them is an InputError too.
    """

    def __init__(self, root: str | Path, ref: str) -> None:
        self.root = Path(root).resolve()
        self.ref = ref
        self.label = ref
        self.top, self.prefix = _locate(self.root)
        self.sha = resolve_commit(self.root, ref)
        self.short_sha = _text(_run(self.root, ["rev-parse", "--short", self.sha]).stdout).strip()
        self._blobs: dict[str, str] | None = None
        self._dirs: set[str] = set()
        self._reader = _BatchReader(self.top, ref)

    # -- Source protocol ---------------------------------------------------------------------

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """The file's bytes at the revision; FileNotFoundError when it does not exist there,
        InputError when it is larger than ``limit`` bytes (checked before it is read)."""
        oid = self._tree().get(_norm(path))
        if oid is None:
            raise FileNotFoundError(f"{self.ref}:{path}")
        return self._cat(oid, path, limit)

    def is_file(self, path: str) -> bool:
        return _norm(path) in self._tree()

    def is_dir(self, path: str) -> bool:
        self._tree()
        return _norm(path) in self._dirs

    def list_files(self, folder: str) -> list[str]:
        """Every non-hidden file below ``folder`` at the revision, sorted; InputError for a file
        name with a forbidden character (the same rule as the working tree's)."""
        base = _norm(folder)
        lead = f"{base}/" if base else ""
        out = []
        for path in self._tree():
            if not path.startswith(lead):
                continue
            if any(part.startswith(".") for part in path[len(lead) :].split("/")):
                continue
            check_file_name(path)
            out.append(path)
        return sorted(out)

    def local_path(self, path: str) -> Path | None:
        return None

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """End the ``git cat-file`` process, if one was started."""
        self._reader.close()

    def __enter__(self) -> GitRevision:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GitRevision({str(self.root)!r}, {self.ref!r} @ {self.short_sha})"

    # -- internals ---------------------------------------------------------------------------

    def _tree(self) -> dict[str, str]:
        if self._blobs is not None:
            return self._blobs
        treeish = f"{self.sha}:{self.prefix}" if self.prefix else f"{self.sha}^{{tree}}"
        proc = _run(self.top, ["ls-tree", "-r", "-z", "--end-of-options", treeish], check=False)
        blobs: dict[str, str] = {}
        if proc.returncode == 0:
            # surrogateescape: a name that is not UTF-8 stays recognisable (and is refused by
            # list_files, as in the working tree) instead of becoming U+FFFD.
            for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
                if not entry:
                    continue
                meta, _, path = entry.partition("\t")
                mode, kind, oid = meta.split(" ")
                # Plain and executable files only: symlinks (120000) and submodules are skipped.
                if kind == "blob" and mode in ("100644", "100755"):
                    blobs[path] = oid
        elif self.prefix and _run(self.top, ["cat-file", "-e", treeish], check=False).returncode:
            pass  # root's folder did not exist at that revision: no files there
        else:
            raise GitError(f"cannot list the files of {self.ref}", proc.stderr)
        self._blobs = blobs
        dirs = {""}
        for path in blobs:
            parts = path.split("/")[:-1]
            dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        self._dirs = dirs
        return blobs

    def _cat(self, oid: str, path: str = "", limit: int | None = None) -> bytes:
        return self._reader.read(oid, path, limit)


class _BatchReader:
    """Objects read through one long-lived ``git cat-file --batch`` process (started on the
    first read, restarted if it died, ended by :meth:`close` or when the reader is collected)."""

    def __init__(self, top: Path, label: str) -> None:
        self.top = top
        self.label = label  # names the revision or the history in error messages
        self._batch: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None
        self._pid = os.getpid()  # the process that started (and may end) _batch

    def close(self) -> None:
        if self._finalizer is not None:
            if self._pid == os.getpid():
                self._finalizer()
            else:  # a forked copy's: the process is the parent's
                self._finalizer.detach()
        self._batch = None
        self._finalizer = None

    def read(self, oid: str, path: str = "", limit: int | None = None) -> bytes:
        """One object's bytes; GitError when git cannot give it, InputError (about ``path``)
        when it is larger than ``limit`` bytes (checked before it is read)."""
        result = self.read_many([oid], limit, path)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def read_many(
        self, oids: Sequence[str], limit: int | None = None, path: str = ""
    ) -> list[bytes | GitError | InputError]:
        """Several objects for one round trip with git: the bytes of each, or the GitError or
        InputError (see :meth:`read`) it would raise. Raises GitError when the process fails."""
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        out: list[bytes | GitError | InputError] = []
        # Requests go in chunks small enough for the pipe, so writing them never waits for git,
        # which may be waiting for its answers to be read.
        for first in range(0, len(oids), 256):
            chunk = oids[first : first + 256]
            try:
                proc.stdin.write(b"".join(oid.encode() + b"\n" for oid in chunk))
                proc.stdin.flush()
            except (OSError, ValueError) as e:
                self.close()
                raise GitError(f"cannot read objects of {self.label}", str(e)) from None
            for oid in chunk:
                try:
                    out.append(self._answer(proc.stdout, oid, path or oid, limit))
                except _Broken:
                    raise
                except (GitError, InputError) as e:
                    out.append(e)
        return out

    def _process(self) -> subprocess.Popen:
        proc = self._batch
        if proc is not None and self._pid != os.getpid():
            # A forked copy (a worker process): the parent's git process, whose pipes the parent
            # reads, is neither read nor ended here; the copy starts its own.
            if self._finalizer is not None:
                self._finalizer.detach()
            proc = self._batch = self._finalizer = None
        if proc is None or proc.poll() is not None:
            try:
                proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.top,
                    env=_env(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitError("git is not installed (or not on PATH)") from None
            self._batch = proc
            self._pid = os.getpid()
            self._finalizer = weakref.finalize(self, _stop, proc)
        return proc

    def _answer(self, stdout: IO[bytes], oid: str, path: str, limit: int | None) -> bytes:
        """Read git's answer for ``oid``: GitError for a missing object (git goes on), InputError
        above ``limit``; a broken stream ends the process (GitError, re-raised by read_many)."""
        try:
            header = stdout.readline().decode()
            fields = header.split()
            if len(fields) != 3 or fields[1] != "blob":
                if not header:  # the process is gone
                    raise OSError("no answer")
                raise GitError(f"cannot read object {oid} of {self.label}", header)
            size = int(fields[2])
            if limit is not None and size > limit:
                # Skip the object (the batch process goes on) and refuse it without keeping it.
                left = size + 1
                while left > 0:
                    skipped = len(stdout.read(min(left, 1 << 20)))
                    if not skipped:
                        break
                    left -= skipped
                raise InputError(path, f"is {size:,} bytes; the limit is {limit:,}")
            data = stdout.read(size)
            stdout.read(1)  # the newline after each object
        except (OSError, ValueError) as e:
            self.close()
            raise _Broken(f"cannot read object {oid} of {self.label}", str(e)) from None
        if len(data) != size:
            self.close()
            raise _Broken(f"short read of object {oid} of {self.label}")
        return data


class _Broken(GitError):
    """The ``cat-file`` process failed: nothing more can be read from it."""


def _stop(proc: subprocess.Popen) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):  # the process may be gone already
            proc.stdin.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# -- describing a build ------------------------------------------------------------------------


def _try_locate(root: str | Path) -> tuple[Path, str] | None:
    try:
        return _locate(Path(root))
    except GitError:
        return None


def _date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.strip())


def revision_info(root: str | Path, paths: Iterable[str] | None = None) -> Revision | None:
    """The commit checked out at ``root`` (HEAD), or None outside a git repository, in one
    without commits, or when git is missing.

    ``dirty`` is true when files below ``paths`` (root-relative; default: all of ``root``)
    differ from HEAD, including untracked files that are not ignored.
    """
    root = Path(root)
    if _try_locate(root) is None:
        return None
    try:
        head = _run(root, ["log", "-1", _LOG_FORMAT, "HEAD", "--"], check=False)
        if head.returncode != 0:
            return None
        sha, short, date, _author, subject = _text(head.stdout).strip(_RS + "\n").split(_US)
        spec = [_norm(p) or "." for p in paths] if paths is not None else ["."]
        status = _run(
            root, ["status", "--porcelain", "-z", "--untracked-files=normal", "--", *spec]
        )
    except GitError:
        return None
    return Revision(sha, short, _date(date), subject.strip(), bool(status.stdout.strip(b"\0")))


def _parse_log(data: bytes) -> list[tuple[CommitInfo, list[tuple[str, list[str], str | None]]]]:
    """Parse ``git log -z`` output in :data:`_LOG_FORMAT` with ``--raw`` (or ``--name-status``):
    per commit, its changes as (status, paths, object id of the new content).

    The object id is None for a deletion, and with ``--name-status`` (which does not print it).
    It is abbreviated as git abbreviates ``%h`` (``--no-abbrev`` would make the short commit ids
    full ones too): unique when printed, which is all ``git cat-file`` needs.
    """
    out = []
    for record in _text(data).split(_RS)[1:]:
        header, _, changes = record.partition("\0")
        sha, short, date, author, subject = header.split(_US)
        commit = CommitInfo(sha, short, _date(date), author, subject.strip())
        tokens = changes.lstrip("\n").split("\0")
        entries: list[tuple[str, list[str], str | None]] = []
        i = 0
        while i < len(tokens):
            token = tokens[i].strip()
            if not token:
                i += 1
                continue
            blob = None
            if token[0] == ":":
                # ":<old mode> <new mode> <old oid> <new oid> <status>"; all zeros: no content.
                _, new, status = token.rsplit(" ", 2)
                blob = new if new.strip("0") else None
            else:
                status = token
            width = 2 if status[0] in "RC" else 1
            entries.append((status, tokens[i + 1 : i + 1 + width], blob))
            i += 1 + width
        out.append((commit, entries))
    return out


def file_history(root: str | Path, path: str, limit: int = 20) -> list[CommitInfo] | None:
    """The newest ``limit`` commits that changed ``path`` (following renames), newest first.

    None outside a git repository or without git; an empty list for a file git does not know.
    """
    located = _try_locate(root)
    if located is None:
        return None
    try:
        proc = _run(
            Path(root),
            [
                "log",
                "--follow",
                "-z",
                "--no-color",
                "--name-status",
                f"-n{int(limit)}",
                _LOG_FORMAT,
                "--",
                _norm(path),
            ],
            check=False,
        )
    except GitError:
        return None
    if proc.returncode != 0:  # e.g. a repository without commits
        return []
    return [commit for commit, _ in _parse_log(proc.stdout)]


class CharterLog:
    """Every commit of each charter, newest first, renames followed, from ONE ``git log`` pass
    (see :func:`charter_log`); the charters' contents at those commits are read on demand through
    one ``git cat-file --batch`` process.

    It serves both the model pages' History sections (:meth:`histories`) and the dates compliance
    findings began (:mod:`aipo_site.evaluate.onsets`). Use it as a context manager, or call
    :meth:`close`, to end the ``cat-file`` process; the versions stay readable after that.
    """

    def __init__(self, root: Path, top: Path, versions: dict[str, list[FileVersion]]) -> None:
        self.root = root
        self.versions = versions  # requested path -> its versions, newest first
        self._reader = _BatchReader(top, "the charters' history")
        self._shallow: bool | None = None

    @property
    def shallow(self) -> bool:
        """Whether the clone is shallow, so the oldest commit seen may not be the file's first."""
        if self._shallow is None:
            self._shallow = is_shallow(self.root)
        return self._shallow

    def histories(self, limit: int = 20) -> dict[str, list[CommitInfo]]:
        """The newest ``limit`` commits of each path (what :func:`histories` returns)."""
        return {path: [v.commit for v in found[:limit]] for path, found in self.versions.items()}

    def read(self, blob: str, limit: int | None = None) -> bytes:
        """A version's bytes; GitError when git cannot give them, InputError above ``limit``."""
        return self._reader.read(blob, blob, limit)

    def read_many(
        self, blobs: Sequence[str], limit: int | None = None
    ) -> list[bytes | GitError | InputError]:
        """Several versions for one round trip with git (see :meth:`read` for the errors, which
        are returned in place); GitError when the ``cat-file`` process fails."""
        return self._reader.read_many(blobs, limit)

    def working(self, path: str, limit: int | None = None) -> bytes | None:
        """The file as it is in the working tree now (the working tree's boundary rules apply);
        None when it cannot be read."""
        try:
            return WorkingTree(self.root).read_bytes(path, limit)
        except (OSError, InputError):
            return None

    # The CharterHistory interface evaluation reads old charters through (aipo_site.model.inputs).

    def working_charter(self, path: str) -> bytes | None:
        return self.working(path, MAX_BYTES)

    def read_charters(self, blobs: Sequence[str]) -> list[bytes | GitError | InputError]:
        return self.read_many(blobs, MAX_BYTES)

    def parse(self, raw: bytes, path: str) -> YamlDocument:
        return parse_yaml(raw, path)

    def validate_charter(self, doc: YamlDocument) -> Charter | None:
        charter, _problems = validate_document(doc, Charter, "charter")
        return charter

    def close(self) -> None:
        """End the ``git cat-file`` process, if one was started."""
        self._reader.close()

    def __enter__(self) -> CharterLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def charter_log(root: str | Path, paths: Iterable[str]) -> CharterLog | None:
    """Every commit of each path (root-relative) from ONE ``git log --raw`` pass: renames inside
    the scanned folders are followed (like ``git log --follow``), and each commit comes with the
    object id of the file's content after it.

    Every requested path is a key of ``versions`` (an empty list when git knows no commit for
    it); None outside a git repository or without git.
    """
    wanted = {_norm(p): p for p in paths}
    located = _try_locate(root)
    if located is None:
        return None
    top, prefix = located
    versions: dict[str, list[FileVersion]] = {p: [] for p in wanted.values()}
    log = CharterLog(Path(root), top, versions)
    if not wanted:
        return log
    # Scan the folders holding the paths, so a file's commits from before a rename are seen.
    folders = sorted({str(PurePosixPath(p).parent) for p in wanted})
    try:
        proc = _run(
            Path(root),
            ["log", "-z", "--no-color", "--raw", "--root", "-M", _LOG_FORMAT, "--", *folders],
            check=False,
        )
    except GitError:
        return None
    if proc.returncode != 0:  # e.g. a repository without commits
        return log
    # Current name (top-relative, as git prints it) -> requested path; extended at renames
    # while walking back in time.
    names = {prefix + p: original for p, original in wanted.items()}
    for commit, entries in _parse_log(proc.stdout):
        touched: dict[str, str | None] = {}
        renames: list[tuple[str, str]] = []
        for status, files, blob in entries:
            if not files:
                continue
            new = files[-1]
            key = names.get(new)
            if key is None:
                continue
            touched.setdefault(key, blob)
            if status[0] == "R" and len(files) == 2:
                renames.append((files[0], new))
        for key, blob in touched.items():
            versions[key].append(FileVersion(commit, blob))
        for old, new in renames:
            names[old] = names.pop(new)
    return log


def histories(
    root: str | Path, paths: Iterable[str], limit: int = 20
) -> dict[str, list[CommitInfo]] | None:
    """The newest ``limit`` commits of each path, newest first, from ONE ``git log`` pass.

    Meant for the model pages' History sections: every charter's history costs one process,
    however many charters there are. Renames inside the scanned folders are followed (like
    ``git log --follow``). Every requested path is a key of the result (an empty list when git
    knows no commit for it); None outside a git repository or without git. The same pass, with
    each version's content, is :func:`charter_log`.
    """
    log = charter_log(root, paths)
    return None if log is None else log.histories(limit)


def read_at_commits(
    root: str | Path, requests: Sequence[tuple[str, str]]
) -> list[bytes | None] | None:
    """The bytes of each (commit, root-relative path), None for one git cannot give (an unknown
    commit, a file missing at it); None outside a git work tree. One ``cat-file`` process."""
    located = _try_locate(root)
    if located is None:
        return None
    if not requests:
        return []
    top, prefix = located
    reader = _BatchReader(top, "decision evidence")
    try:
        names = [f"{commit}:{prefix}{_norm(path)}" for commit, path in requests]
        found = reader.read_many(names, None)
    except GitError:
        return [None] * len(requests)
    finally:
        reader.close()
    return [None if isinstance(item, Exception) else item for item in found]
