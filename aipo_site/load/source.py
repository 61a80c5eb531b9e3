"""Where governance files are read from: the working tree now, a git revision for `aipo diff`."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Protocol

__all__ = ["Source", "WorkingTree"]


class Source(Protocol):
    """Read-only access to a repository's files by POSIX path relative to its root."""

    label: str

    def read_bytes(self, path: str) -> bytes:
        """The file's bytes; raises FileNotFoundError when it does not exist."""
        ...

    def is_file(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def list_files(self, folder: str) -> list[str]:
        """Every file below ``folder`` (recursively), as sorted root-relative POSIX paths."""
        ...

    def local_path(self, path: str) -> Path | None:
        """The file on disk, when there is one (used for watching in `mkdocs serve`)."""
        ...


class WorkingTree:
    """Files in a folder on disk."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.label = "working tree"

    def _abs(self, path: str) -> Path:
        return self.root / PurePosixPath(path)

    def read_bytes(self, path: str) -> bytes:
        return self._abs(path).read_bytes()

    def is_file(self, path: str) -> bool:
        return self._abs(path).is_file()

    def is_dir(self, path: str) -> bool:
        return self._abs(path).is_dir()

    def list_files(self, folder: str) -> list[str]:
        base = self._abs(folder)
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(base).parts)
        )

    def local_path(self, path: str) -> Path | None:
        return self._abs(path)
