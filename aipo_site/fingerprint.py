"""A fingerprint of the installed aipo: what every persistent memo of its output is keyed by.

The build cache (:mod:`aipo_site.cache`) and the chart templates memoised on disk
(:mod:`aipo_site.render.charts`) must never reuse what another version of aipo's code made,
editable installs included.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["package_fingerprint"]


@lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """aipo's version and a hash of every file of the installed package (its code, templates,
    crosswalk and schemas), so an edited editable install never reuses old results."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    try:
        digest.update(metadata.version("aipo-portal").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"unknown")
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
