"""Where a build came from: the source revision and the commits that changed a file.

Plain data read from git by :mod:`aipo_site.load.git`; the renderers stamp pages with a
:class:`Revision` and list a charter's :class:`CommitInfo` history. Dates are git's committer dates
(never the wall clock), so the same commit always renders the same page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["CommitInfo", "Revision"]


@dataclass(frozen=True)
class Revision:
    """The commit a portal is built from."""

    sha: str
    short_sha: str
    date: dt.datetime  # committer date, timezone-aware, as recorded in git
    subject: str
    dirty: bool  # uncommitted changes below the inspected paths (tracked or untracked files)

    @property
    def date_iso(self) -> str:
        """The committer date in ISO 8601 with its offset, e.g. ``2026-11-20T14:03:11+01:00``."""
        return self.date.isoformat()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (for exports and the CLI)."""
        return {
            "sha": self.sha,
            "short_sha": self.short_sha,
            "date": self.date_iso,
            "subject": self.subject,
            "dirty": self.dirty,
        }


@dataclass(frozen=True)
class CommitInfo:
    """One commit that touched a file."""

    sha: str
    short_sha: str
    date: dt.datetime  # committer date, timezone-aware
    author: str  # author name, after .mailmap
    subject: str

    @property
    def date_iso(self) -> str:
        return self.date.isoformat()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "sha": self.sha,
            "short_sha": self.short_sha,
            "date": self.date_iso,
            "author": self.author,
            "subject": self.subject,
        }
