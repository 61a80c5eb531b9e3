"""Git plumbing: read governance files at a revision, the build's revision and file histories.

Everything goes through the git CLI (as mike does): ``git ls-tree`` lists a revision's files,
one long-lived ``git cat-file --batch`` reads them, ``git log`` gives histories. Failures raise
:class:`GitError` carrying git's own stderr. The helpers that only *describe* a build
(:func:`revision_info`, :func:`file_history`, :func:`histories`) never fail a build: outside a git
repository, or without git installed, they return ``None``.

Paths are POSIX paths relative to ``root``, the folder of ``mkdocs.yml``, which may be a
subfolder of the git work tree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import textwrap
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from ..errors import AipoError, InputError, snippet
from ..model.revision import CommitInfo, Revision
from .source import check_file_name

__all__ = [
    "GitError",
    "GitRevision",
    "file_history",
    "histories",
    "is_shallow",
    "revision_info",
]

# Separators in --format strings: record (RS) and unit (US) separators never occur in git's
# structured fields and practically never in commit subjects.
_RS, _US = "\x1e", "\x1f"
_LOG_FORMAT = f"--format={_RS}%H{_US}%h{_US}%cI{_US}%aN{_US}%s"


class GitError(AipoError):
    """A git command failed; the message ends with git's own stderr."""

    def __init__(self, message: str, stderr: str | bytes | None = None) -> None:
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        self.stderr = (stderr or "").strip()
        if self.stderr:
            if "\n" in message:
                # A message that already explains itself: git's words go below it.
                message += "\ngit said:\n" + textwrap.indent(self.stderr, "  ")
            elif "\n" in self.stderr:
                message += ":\n" + textwrap.indent(self.stderr, "  ")
            else:
                message += f": {self.stderr}"
        super().__init__(message)


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
        self._batch: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

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
        if self._finalizer is not None:
            self._finalizer()
        self._batch = None

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
        proc = self._batch
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
            self._finalizer = weakref.finalize(self, _stop, proc)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(oid.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().decode()
            fields = header.split()
            if len(fields) != 3 or fields[1] != "blob":
                raise GitError(f"cannot read object {oid} of {self.ref}", header)
            size = int(fields[2])
            if limit is not None and size > limit:
                # Skip the object (the batch process goes on) and refuse it without keeping it.
                left = size + 1
                while left > 0:
                    skipped = len(proc.stdout.read(min(left, 1 << 20)))
                    if not skipped:
                        break
                    left -= skipped
                raise InputError(path, f"is {size:,} bytes; the limit is {limit:,}")
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
        except (OSError, ValueError) as e:
            self.close()
            raise GitError(f"cannot read object {oid} of {self.ref}", str(e)) from None
        if len(data) != size:
            self.close()
            raise GitError(f"short read of object {oid} of {self.ref}")
        return data


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


def _parse_log(data: bytes) -> list[tuple[CommitInfo, list[tuple[str, list[str]]]]]:
    """Parse ``git log -z --name-status`` output in :data:`_LOG_FORMAT`."""
    out = []
    for record in _text(data).split(_RS)[1:]:
        header, _, changes = record.partition("\0")
        sha, short, date, author, subject = header.split(_US)
        commit = CommitInfo(sha, short, _date(date), author, subject.strip())
        tokens = changes.lstrip("\n").split("\0")
        entries: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(tokens):
            status = tokens[i].strip()
            if not status:
                i += 1
                continue
            width = 2 if status[0] in "RC" else 1
            entries.append((status, tokens[i + 1 : i + 1 + width]))
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


def histories(
    root: str | Path, paths: Iterable[str], limit: int = 20
) -> dict[str, list[CommitInfo]] | None:
    """The newest ``limit`` commits of each path, newest first, from ONE ``git log`` pass.

    Meant for the model pages' History sections: every charter's history costs one process,
    however many charters there are. Renames inside the scanned folders are followed (like
    ``git log --follow``). Every requested path is a key of the result (an empty list when git
    knows no commit for it); None outside a git repository or without git.
    """
    wanted = {_norm(p): p for p in paths}
    located = _try_locate(root)
    if located is None:
        return None
    out: dict[str, list[CommitInfo]] = {p: [] for p in wanted.values()}
    if not wanted:
        return out
    _top, prefix = located
    # Scan the folders holding the paths, so a file's commits from before a rename are seen.
    folders = sorted({str(PurePosixPath(p).parent) for p in wanted})
    try:
        proc = _run(
            Path(root),
            ["log", "-z", "--name-status", "-M", _LOG_FORMAT, "--", *folders],
            check=False,
        )
    except GitError:
        return None
    if proc.returncode != 0:
        return out
    # Current name (top-relative, as git prints it) -> requested path; extended at renames
    # while walking back in time.
    names = {prefix + p: original for p, original in wanted.items()}
    for commit, entries in _parse_log(proc.stdout):
        touched: set[str] = set()
        renames: list[tuple[str, str]] = []
        for status, files in entries:
            new = files[-1]
            key = names.get(new)
            if key is None:
                continue
            touched.add(key)
            if status[0] == "R" and len(files) == 2:
                renames.append((files[0], new))
        for key in sorted(touched):
            if len(out[key]) < limit:
                out[key].append(commit)
        for old, new in renames:
            names[old] = names.pop(new)
    return out
