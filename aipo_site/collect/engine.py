"""The interface every collection engine implements (DuckDB, Spark), and what it exchanges.

An engine answers four questions about a :class:`Scan` (a source's rows that meet a charter's
``where`` conditions, each dated by its ``date`` column, a timestamp by its UTC date; rows without
a date are never counted). It aggregates in the engine and returns small results; the collector
(:mod:`aipo_site.collect.run`) turns them into the files the build reads. Engines raise
:class:`~aipo_site.errors.SourceError` with what failed; the collector adds the source and the
charter.

The semantics are the same on every engine (``content/guide/sources.md``); the equality test
(``tests/test_sources_equality.py``) holds them to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from ..model.sources import Source

__all__ = ["ColumnKind", "DailyAggregate", "Engine", "Scalar", "Scan"]

Scalar = str | int | float | bool
ColumnKind = str  # "numeric" | "boolean" | "text" | "date" | "other"


@dataclass(frozen=True)
class Scan:
    """The rows of one source that a charter reads."""

    source_name: str
    source: Source  # the pydantic config (DuckDbSource | SparkSource)
    root: Path  # repository root, for relative paths
    date: str  # column
    where: tuple[tuple[str, tuple[Scalar, ...]], ...]  # (column, allowed values), sorted by column


@dataclass(frozen=True)
class DailyAggregate:
    """One day's aggregate of a value column (overall, or for one segment value)."""

    day: dt.date
    segment: str | None  # None = overall
    count: int
    total: Decimal | None  # exact sum of values rounded to 12 places (None for count-only)
    minimum: float | None
    maximum: float | None


class Engine(Protocol):
    """What the collector asks of an engine."""

    name: str  # "duckdb" | "spark"

    def column_kinds(self, scan: Scan) -> dict[str, str]:
        """Every column -> "numeric" | "boolean" | "text" | "date" | "other"."""
        ...

    def daily(
        self,
        scan: Scan,
        value: str | None,
        segment: str | None,
        start: dt.date | None,
        end: dt.date,
    ) -> list[DailyAggregate]:
        """Per day in [start, end] (start None = from the first row): the overall aggregate, and
        one per segment value when `segment` is given. value None = count rows only."""
        ...

    def order_statistics(
        self, scan: Scan, column: str, start: dt.date, end: dt.date, positions: list[int]
    ) -> tuple[int, list[float]]:
        """n = non-null, non-NaN values of `column` in [start, end]; the values at the given
        0-based positions of their ascending sort."""
        ...

    def daily_bins(
        self,
        scan: Scan,
        start: dt.date,
        end: dt.date,
        numeric: dict[str, list[float]],
        categorical: list[str],
    ) -> list[tuple[dt.date, str, int | str, int]]:
        """(day, feature, bin, count) for rows in [start, end]: bin = index (0..len(edges)) for a
        numeric feature (edges = inner edges), the value as text for a categorical one;
        nulls/NaN not counted; only non-zero counts need be returned."""
        ...

    def close(self) -> None: ...
