"""Metric sources: where a team's data lives, declared once in ``content/sources.yaml``.

A KPI or a charter's ``drift`` section names a source (:class:`KpiSource`, :class:`DriftSource`);
``aipo collect`` (:mod:`aipo_site.collect`) aggregates it in the engine into the small files the
build reads. Only types live here (no I/O); the build never queries a source.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

from .base import ShortText, Strict, Text

__all__ = [
    "COLUMN_PATTERN",
    "SOURCE_KEY_PATTERN",
    "TABLE_PATTERN",
    "Column",
    "DriftSource",
    "DuckDbSource",
    "KpiSource",
    "Source",
    "SourceKey",
    "SourcesFile",
    "SparkSource",
    "WhereValue",
    "is_url",
]

SOURCE_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# A column of a source. Always quoted as an identifier in a query, never pasted as text: the
# pattern keeps error messages and collected files readable, not the query safe.
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
# A table, optionally qualified by schema (and catalog): each part is quoted as an identifier.
TABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}(\.[A-Za-z_][A-Za-z0-9_]{0,127}){0,2}$"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

SourceKey = Annotated[
    str,
    Field(
        pattern=SOURCE_KEY_PATTERN,
        description="Lower-case letters, digits, '-' and '_', starting with a letter or digit "
        "(at most 64 characters).",
    ),
]
Column = Annotated[
    str,
    Field(
        pattern=COLUMN_PATTERN,
        description="A column of the source: a letter or '_', then letters, digits or '_' "
        "(at most 128 characters).",
    ),
]
TableName = Annotated[
    str,
    Field(
        pattern=TABLE_PATTERN,
        description="A table, optionally qualified: `table`, `schema.table` or "
        "`catalog.schema.table`.",
    ),
]
# A `where` value: compared for equality, bound as a query parameter (never part of the query).
# Strict members: YAML's 1 stays the integer 1 and "true" the text "true" (lax, 1 and "true"
# would both become True and match other rows).
WhereValue = Annotated[
    StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=200)],
    Field(union_mode="left_to_right"),
]


def is_url(path: str) -> bool:
    """Whether a source path is a URL (``s3://``, ``gs://``, ``https://``, ...) rather than a
    path relative to the repository root."""
    return bool(_URL.match(path))


class DuckDbSource(Strict):
    """A source read by DuckDB, embedded in aipo: a Parquet or CSV file, glob or URL, or a table
    of a database DuckDB can attach."""

    engine: Literal["duckdb"] = Field(default="duckdb", description="duckdb (the default).")
    description: Text | None = Field(default=None, description="What the source holds.")
    path: ShortText | None = Field(
        default=None,
        description="A file, a glob (`data/scoring/*.parquet`) or a URL (s3://, gs://, "
        "https://, az://, ...); a relative path is relative to the repository root.",
    )
    format: Literal["parquet", "csv"] | None = Field(
        default=None,
        description="parquet or csv; default from the path's extension (`.csv`, `.csv.gz`: "
        "csv; anything else: parquet).",
    )
    attach: ShortText | None = Field(
        default=None,
        description="What DuckDB attaches, read-only: a `.duckdb` file (relative to the "
        "repository root) or any `type:connection` string DuckDB's ATTACH takes, e.g. "
        "`postgres:dbname=monitoring host=db` or `sqlite:data/scores.db`. Needs `table`.",
    )
    table: TableName | None = Field(
        default=None, description="The table of the attached database (with `attach`)."
    )

    @model_validator(mode="after")
    def _one_place(self) -> DuckDbSource:
        if self.path is not None and (self.attach is not None or self.table is not None):
            raise ValueError("give either `path` or `attach` with `table`, not both")
        if self.path is None and (self.attach is None or self.table is None):
            raise ValueError("give `path`, or `attach` with `table`")
        if self.format is not None and self.path is None:
            raise ValueError("`format` goes with `path`")
        return self

    @property
    def file_format(self) -> str:
        """parquet or csv: the given format, else from the path's extension."""
        if self.format is not None:
            return self.format
        name = (self.path or "").lower()
        return "csv" if name.endswith((".csv", ".csv.gz", ".tsv")) else "parquet"


class SparkSource(Strict):
    """A source read by Spark: a path any Spark reader reads, or a catalog table."""

    engine: Literal["spark"] = Field(description="spark.")
    description: Text | None = Field(default=None, description="What the source holds.")
    path: ShortText | None = Field(
        default=None,
        description="A path Spark reads (s3a://, hdfs://, abfss://, a local folder); a relative "
        "path is relative to the repository root.",
    )
    table: TableName | None = Field(
        default=None, description="A table of the Spark catalog, e.g. `catalog.db.table`."
    )
    format: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]{0,63}$")] | None = Field(
        default=None,
        description="Any Spark reader format (parquet, csv, orc, delta, ...), with `path`; "
        "default parquet.",
    )
    master: ShortText | None = Field(
        default=None, description="The Spark master; default `$SPARK_MASTER`, else `local[*]`."
    )
    conf: dict[Annotated[str, Field(min_length=1, max_length=200)], str] = Field(
        default_factory=dict,
        description="Spark configuration for the session, e.g. "
        "`{spark.sql.shuffle.partitions: '8'}` (values are text).",
    )

    @model_validator(mode="after")
    def _one_place(self) -> SparkSource:
        if (self.path is None) == (self.table is None):
            raise ValueError("give exactly one of `path` or `table`")
        if self.format is not None and self.path is None:
            raise ValueError("`format` goes with `path`")
        return self

    @property
    def file_format(self) -> str:
        return self.format or "parquet"


def _engine_of(value: Any) -> str:
    if isinstance(value, dict):
        engine = value.get("engine", "duckdb")
        return engine if engine in ("duckdb", "spark") else "duckdb"
    return getattr(value, "engine", "duckdb")


Source = Annotated[
    Annotated[DuckDbSource, Tag("duckdb")] | Annotated[SparkSource, Tag("spark")],
    Discriminator(_engine_of),
]


class SourcesFile(Strict):
    """``content/sources.yaml``: the named metric sources of the repository."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        title="aipo metric sources",
        json_schema_extra={"$id": "https://aipo.dev/schema/sources.schema.json"},
    )

    sources: dict[SourceKey, Source] = Field(
        default_factory=dict,
        description="The sources, by name: a KPI's or a drift section's `source.name` is one of "
        "these keys.",
    )


def check_where_value(value: Any) -> Any:
    """Raise ValueError for a `where` value that is not a finite number."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"where values must be finite numbers, found {value}")
    return value


class _Where(Strict):
    """Shared by KPI and drift sources: the columns that pick the rows."""

    name: SourceKey = Field(description="A key of content/sources.yaml.")
    date: Column = Field(
        default="date",
        description="The date or timestamp column; a timestamp's UTC date is the row's day.",
    )
    where: dict[Column, WhereValue | list[WhereValue]] = Field(
        default_factory=dict,
        description="Conditions that every counted row meets: `column: value`, or `column: "
        "[value, ...]` for any of several values. Values are text, integers, finite numbers or "
        "booleans, compared for equality (bound as query parameters).",
    )

    @field_validator("where")
    @classmethod
    def _finite(cls, where: dict[str, Any]) -> dict[str, Any]:
        for column, value in where.items():
            values = value if isinstance(value, list) else [value]
            if not values:
                raise ValueError(f"where.{column}: give at least one value")
            for v in values:
                check_where_value(v)
        return where

    def conditions(self) -> tuple[tuple[str, tuple[bool | int | float | str, ...]], ...]:
        """The conditions as the engines take them: (column, allowed values), sorted by column."""
        return tuple(
            (column, tuple(value if isinstance(value, list) else [value]))
            for column, value in sorted(self.where.items())
        )


class KpiSource(_Where):
    """Where a KPI's daily values come from: one value per day (and segment) aggregated from a
    column of a source by `aipo collect`."""

    value: Column | None = Field(
        default=None,
        description="The numeric or boolean (true = 1) column aggregated per day; required "
        "unless `daily` is count.",
    )
    daily: Literal["mean", "sum", "count", "min", "max"] = Field(
        default="mean",
        description="How a day's rows make the day's value: mean (default), sum, count (rows), "
        "min or max. Rows whose value is null or NaN are not counted.",
    )
    segment: Column | None = Field(
        default=None,
        description="Also one series per value of this column (segment rows for fairness "
        "checks); rows whose segment is null count only in the overall series.",
    )

    @model_validator(mode="after")
    def _value(self) -> KpiSource:
        if self.daily == "count" and self.value is not None:
            raise ValueError("`value` is not used with daily: count (it counts rows)")
        if self.daily != "count" and self.value is None:
            raise ValueError(f"daily: {self.daily} needs a `value` column")
        return self


class DriftSource(_Where):
    """Where a drift section's feature distributions come from: `aipo collect` bins the source's
    rows per period into `drift/collected-bins.csv`."""

    bins: int = Field(
        default=10,
        ge=2,
        le=50,
        description="Number of reference-quantile bins of a numeric feature (2 to 50).",
    )
