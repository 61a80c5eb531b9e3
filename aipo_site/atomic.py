"""Atomic file writes: a reader never sees half a file, and a failure leaves the old one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes, *, temp_prefix: str | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed over it.

    The folder is created when missing. The temporary file is named ``temp_prefix`` plus a
    random part (default ``.<name>.``), and is removed when the write fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix or f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
