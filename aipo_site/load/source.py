"""Where governance files are read from: the working tree now, a git revision for `aipo diff`.

The working tree's root (the folder of mkdocs.yml) is a boundary: :class:`WorkingTree` reads
nothing outside it, and refuses, as an :class:`~aipo_site.errors.InputError` naming the path in
the repository (never where it leads, never what is there):

- a symbolic link, to a file or a folder at any level (including the configured charters and
  metrics folders themselves), that resolves outside the root: ``is a symbolic link to a
  location outside the repository; aipo reads only files inside it``. Links that stay inside
  are followed, and a folder reached twice (a link cycle) is listed once;
- a broken symbolic link: ``is a broken symbolic link``; a link loop: ``is a symbolic link that
  loops``;
- a path with ``..`` parts or an absolute path: ``is outside the repository``;
- anything that is not a regular file where a file is read: ``is a folder, not a file``,
  ``is a named pipe (FIFO), not a regular file`` (likewise socket, character or block device).
  Such files are never opened for reading content: a FIFO would block the build until another
  process wrote to it. The path is ``stat``-ed first, then opened with ``O_NONBLOCK`` and checked
  again with ``fstat`` on the open descriptor, so a file swapped in between is caught too;
- a file larger than the reader's limit (checked with ``fstat`` before reading a byte):
  ``file is N bytes; the limit is M``;
- a file that cannot be read: ``cannot be read: permission denied`` (or the system's reason);
- a file name with a character that :mod:`aipo_site.load.text` forbids (control, bidirectional,
  noncharacter, or bytes that are not UTF-8): the path is shown escaped
  (``metrics/m1/a\\x1b.csv``) with ``the file name contains ...; rename it``. TAB and LF are
  refused in file names too, so every error stays one line.

A missing file stays :class:`FileNotFoundError` from :meth:`Source.read_bytes`: callers know
what the file was meant to be and say so.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Protocol

from ..errors import InputError
from .text import char_name, escape_path, first_forbidden

__all__ = ["Source", "WorkingTree", "check_file_name", "file_kind", "read_regular_file"]


class Source(Protocol):
    """Read-only access to a repository's files by POSIX path relative to its root."""

    label: str

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """The file's bytes; raises FileNotFoundError when it does not exist, InputError when
        it cannot be read or is larger than ``limit`` bytes."""
        ...

    def is_file(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def list_files(self, folder: str) -> list[str]:
        """Every file below ``folder`` (recursively), as sorted root-relative POSIX paths."""
        ...

    def local_path(self, path: str) -> Path | None:
        """The file on disk, when there is one (used for watching in `mkdocs serve`)."""
        ...


def check_file_name(path: str) -> None:
    """Refuse a listed path whose name holds a forbidden character (see the module docstring).

    Shared by every :class:`Source`, so a name is judged the same in the working tree and in a
    git revision.
    """
    bad = first_forbidden(path)
    if bad is None:
        tab = next((i for i, ch in enumerate(path) if ch in "\t\n"), None)
        bad = None if tab is None else (tab, path[tab])
    if bad is None:
        return
    ch = bad[1]
    if 0xDC80 <= ord(ch) <= 0xDCFF:
        what = "bytes that are not UTF-8"
    else:
        what = f"the character {char_name(ch)}"
    raise InputError(escape_path(path), f"the file name contains {what}; rename it")


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages: 'a named pipe (FIFO)', 'a socket', ..."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "an unknown kind of file"


def _not_regular(path: str, mode: int) -> InputError:
    if stat.S_ISDIR(mode):
        return InputError(path, "is a folder, not a file")
    return InputError(path, f"is {file_kind(mode)}, not a regular file")


def _unreadable(path: str, error: OSError) -> InputError:
    if isinstance(error, PermissionError):
        reason = "permission denied"
    else:
        reason = (error.strerror or type(error).__name__).lower()
    return InputError(path, f"cannot be read: {reason}")


# O_NONBLOCK: should a FIFO be swapped in after the stat, opening it must not block the build.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_regular_file(
    target: Path, shown: str, limit: int | None, *, inside: Callable[[str], bool] | None = None
) -> bytes:
    """The bytes of the regular file ``target`` (named ``shown`` in messages).

    ``stat`` first, so a pipe, socket, device or folder is refused without being opened (opening
    a FIFO blocks until someone writes to it); then ``open`` with ``O_NONBLOCK`` and ``fstat``
    on the descriptor, so a file swapped in between is refused too; the size cap is checked
    before a byte is read. ``inside`` (the boundary test of a :class:`WorkingTree`) must accept
    where the opened file really is. FileNotFoundError when there is no file; InputError for
    everything else.
    """
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(shown) from None
    except OSError as e:
        raise _unreadable(shown, e) from None
    except ValueError:  # a NUL in the name
        raise InputError(escape_path(shown), "is not a valid file name") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(shown, st.st_mode)
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(shown) from None
    except IsADirectoryError:
        raise InputError(shown, "is a folder, not a file") from None
    except OSError as e:
        raise _unreadable(shown, e) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(shown, st.st_mode)
        if inside is not None:
            # The file opened must be the one checked: a link swapped in meanwhile is refused.
            real = os.path.realpath(target)
            same = os.stat(real)
            if not inside(real) or (same.st_dev, same.st_ino) != (st.st_dev, st.st_ino):
                raise InputError(shown, "changed while it was being read; run aipo again")
        if limit is not None and st.st_size > limit:
            raise InputError(shown, f"is {st.st_size:,} bytes; the limit is {limit:,}")
        with os.fdopen(fd, "rb") as handle:  # the handle owns (and closes) the descriptor
            fd = -1
            # As many bytes as fstat gave, plus one to see a file that grew meanwhile (read on,
            # to the limit): asking for ``limit + 1`` bytes would allocate that much (200 MB for
            # a metric CSV) for every file read.
            want = st.st_size + 1 if limit is None else min(st.st_size, limit) + 1
            data = handle.read(want)
            if len(data) == want:
                data += handle.read() if limit is None else handle.read(limit + 1 - want)
    except OSError as e:
        raise _unreadable(shown, e) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if limit is not None and len(data) > limit:
        raise InputError(shown, f"is more than {limit:,} bytes; the limit is {limit:,}")
    return data


class WorkingTree:
    """Files in a folder on disk, never outside it (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.label = "working tree"
        self._root_text = str(self.root)

    def _inside(self, real: str) -> bool:
        return real == self._root_text or real.startswith(self._root_text.rstrip(os.sep) + os.sep)

    def _checked(self, path: str) -> Path:
        """The path on disk, after refusing '..', absolute paths and links that leave the root,
        are broken or loop. A missing path is returned as is (callers decide what missing
        means)."""
        check_file_name(path)  # also a configured folder's name; a NUL would crash os.lstat
        parts = PurePosixPath(path).parts
        if PurePosixPath(path).is_absolute() or ".." in parts:
            raise InputError(path, "is outside the repository")
        current = self.root
        for i, part in enumerate(parts):
            if part == ".":
                continue
            current = current / part
            try:
                st = os.lstat(current)
            except (FileNotFoundError, NotADirectoryError):
                return self.root / PurePosixPath(path)
            except OSError as e:
                raise _unreadable("/".join(parts[: i + 1]), e) from None
            if stat.S_ISLNK(st.st_mode):
                self._check_link(current, "/".join(parts[: i + 1]))
        return current

    def _check_link(self, link: Path, shown: str) -> None:
        real = os.path.realpath(link)
        if not self._inside(real):
            raise InputError(
                shown,
                "is a symbolic link to a location outside the repository; aipo reads only "
                "files inside it",
            )
        try:
            os.stat(link)
        except FileNotFoundError:
            raise InputError(shown, "is a broken symbolic link") from None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InputError(shown, "is a symbolic link that loops") from None
            raise _unreadable(shown, e) from None

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """The file's bytes (see the module docstring for everything that is refused)."""
        return read_regular_file(self._checked(path), path, limit, inside=self._inside)

    def is_file(self, path: str) -> bool:
        """Whether ``path`` is a regular file (raises InputError for a link leaving the root)."""
        try:
            return stat.S_ISREG(os.stat(self._checked(path)).st_mode)
        except OSError:
            return False

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a folder (raises InputError for a link leaving the root)."""
        try:
            return stat.S_ISDIR(os.stat(self._checked(path)).st_mode)
        except OSError:
            return False

    def list_files(self, folder: str) -> list[str]:
        """Every non-hidden entry below ``folder`` that is not a folder, sorted.

        Special files (pipes, sockets, devices) are listed, never opened: reading one is the
        error. Links are checked as they are met; a folder reached twice is walked once.
        """
        base = self._checked(folder)
        try:
            if not stat.S_ISDIR(os.stat(base).st_mode):
                return []
        except OSError:
            return []
        prefix = "/".join(p for p in PurePosixPath(folder).parts if p != ".")
        out: list[str] = []
        seen: set[tuple[int, int]] = set()
        stack = [(base, prefix)]
        while stack:
            directory, rel = stack.pop()
            try:
                info = os.stat(directory)
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                with os.scandir(directory) as entries:
                    listed = [(e.name, e.is_symlink()) for e in entries]
            except OSError as e:
                raise _unreadable(rel or ".", e) from None
            for name, is_link in listed:
                if name.startswith("."):
                    continue
                child = f"{rel}/{name}" if rel else name
                check_file_name(child)
                full = directory / name
                if is_link:
                    self._check_link(full, child)
                try:
                    mode = os.stat(full).st_mode
                except OSError as e:
                    raise _unreadable(child, e) from None
                if stat.S_ISDIR(mode):
                    stack.append((full, child))
                else:
                    out.append(child)
        return sorted(out)

    def local_path(self, path: str) -> Path | None:
        return self._abs(path)

    def _abs(self, path: str) -> Path:
        return self.root / PurePosixPath(path)
