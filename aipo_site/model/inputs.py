"""What evaluation reads: the loaded inputs of a governance repository, as plain containers.

The loaders (:mod:`aipo_site.load`) fill them; evaluation (:mod:`aipo_site.evaluate`) reads them
and imports no loader. Old versions of a charter reach evaluation through
:class:`CharterHistory`, an interface the git loader implements (:class:`aipo_site.load.git.CharterLog`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from ..errors import GitError, InputError
from .charter import Charter
from .decisions import DecisionInput
from .document import YamlDocument
from .incidents import Incident
from .people import PeopleDirectory
from .policy import Policy
from .regulation import Crosswalk
from .reviews import Review
from .revision import CommitInfo

__all__ = [
    "CharterHistory",
    "DriftInputs",
    "FileVersion",
    "Layout",
    "ModelInputs",
    "Repository",
]


@dataclass(frozen=True)
class Layout:
    """Where things live, as POSIX paths relative to the repository root (the folder of
    mkdocs.yml)."""

    charters: str = "content/models"
    policy: str = "content/policy.yaml"
    metrics: str = "metrics"
    people: str = "content/people.yaml"
    decisions: str = "content/decisions"  # decision records, one file per decision (optional)
    reviews: str = "content/reviews"  # review records, one file per meeting (optional folder)
    incidents: str = "content/incidents"  # incident records, one file per incident (optional)
    sources: str = "content/sources.yaml"  # named metric sources for `aipo collect` (optional)


@dataclass
class DriftInputs:
    """The drift data of one model, as read (windows are split at evaluation time)."""

    samples: pd.DataFrame | None = None  # features as columns (+ "date" when dated)
    reference: pd.DataFrame | None = None  # separate reference file, when given
    bins: pd.DataFrame | None = None  # feature, bin, reference_count, current_count, period
    files: list[str] = field(default_factory=list)
    digest: str = ""  # sha256 over the files' paths and bytes: the cache key of the evaluation


@dataclass
class ModelInputs:
    """Everything read for one model."""

    charter: Charter
    path: str
    document: YamlDocument
    metrics: pd.DataFrame
    metric_files: list[str] = field(default_factory=list)
    drift: DriftInputs | None = None
    decisions: list[DecisionInput] = field(default_factory=list)  # its decision records, by date
    reviews: list[Review] = field(default_factory=list)  # its review records, in file order
    incidents: list[Incident] = field(default_factory=list)  # its incident records, by opened
    # When the repository's incident log begins: the oldest `opened` of all its incident records
    # (every model's); None without any. Escalation deadlines are checked from then on.
    incident_log_start: dt.datetime | None = None

    @property
    def id(self) -> str:
        return self.charter.id


@dataclass
class Repository:
    """A loaded, validated governance repository."""

    policy: Policy
    policy_path: str
    policy_document: YamlDocument | None
    models: list[ModelInputs]
    layout: Layout
    warnings: list[str] = field(default_factory=list)
    people: PeopleDirectory | None = None  # None: the repository has no people directory
    # The crosswalk of obligations (aipo_site/crosswalk/); None: regulation is not evaluated.
    crosswalk: Crosswalk | None = None

    def model(self, model_id: str) -> ModelInputs | None:
        return next((m for m in self.models if m.id == model_id), None)


@dataclass(frozen=True)
class FileVersion:
    """One commit of a file's history and what the file held after it."""

    commit: CommitInfo
    blob: str | None  # (abbreviated) object id of the file after the commit; None: deleted


class CharterHistory(Protocol):
    """The charters' committed versions, newest first, and how to read and parse them.

    Reading and parsing belong to the loaders; evaluation asks through this interface.
    """

    versions: dict[str, list[FileVersion]]  # charter path -> its versions, newest first

    @property
    def shallow(self) -> bool:
        """Whether the oldest version seen may not be the file's first (a shallow clone)."""
        ...

    def working_charter(self, path: str) -> bytes | None:
        """The charter as it is in the working tree now; None when it cannot be read."""
        ...

    def read_charters(self, blobs: Sequence[str]) -> list[bytes | GitError | InputError]:
        """Several versions' bytes, each or why it cannot be read (too large: InputError);
        raises GitError when git cannot read any."""
        ...

    def parse(self, raw: bytes, path: str) -> YamlDocument:
        """A version's text as the careful YAML reader reads it; InputError when it does not."""
        ...

    def validate_charter(self, doc: YamlDocument) -> Charter | None:
        """The charter a parsed version holds; None when it is not a valid charter."""
        ...
