"""The DuckDB engine: embedded, reads Parquet and CSV (files, globs, object storage) and any
database DuckDB can attach, with nothing to run.

Every query is built from quoted identifiers (column names the charter validated) and bound
parameters (``where`` values, dates, edges, paths): charter text never becomes SQL. The session
time zone is UTC, so a timestamp's day is its UTC date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ..errors import SourceError
from ..model.sources import DuckDbSource, is_url
from .engine import DailyAggregate, Scan

__all__ = ["DuckDbEngine", "quote"]

_ATTACHED = "aipo_source"
_DAY = "__aipo_day"
_NUMERIC = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
    r"FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$"
)
_FLOATING = re.compile(r"^(FLOAT|DOUBLE|REAL)$")
# A connection string with a type prefix (postgres:..., sqlite:..., md:...) rather than a file.
_TYPED = re.compile(r"^[a-z][a-z0-9_]*:", re.IGNORECASE)


def quote(name: str) -> str:
    """An identifier, quoted (the charter's column patterns exclude '"'; doubled regardless)."""
    return '"' + name.replace('"', '""') + '"'


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    if _NUMERIC.match(t):
        return "numeric"
    if t == "BOOLEAN":
        return "boolean"
    if t == "VARCHAR" or t.startswith("VARCHAR("):
        return "text"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "date"
    return "other"


def _message(error: Exception) -> str:
    """DuckDB's message on one line, without the query excerpt it may quote."""
    lines = [
        line.strip()
        for line in str(error).splitlines()
        if line.strip() and not line.startswith("LINE ") and set(line.strip()) != {"^"}
    ]
    text = " ".join(lines)
    return text if len(text) <= 400 else text[:399] + "…"


class DuckDbEngine:
    """The :class:`~aipo_site.collect.engine.Engine` of DuckDB sources."""

    name = "duckdb"

    def __init__(self) -> None:
        import duckdb  # lazily: only `aipo collect` needs it

        self._duckdb = duckdb
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        # A long query would draw DuckDB's progress bar over collect's own lines.
        self._con.execute("SET enable_progress_bar = false")
        self._attached: dict[str, str] = {}  # attach string -> database alias
        self._kinds: dict[tuple[Any, ...], dict[str, tuple[str, str]]] = {}

    # ------------------------------------------------------------------------------- plumbing

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, params).fetchall()
        except self._duckdb.Error as e:
            raise SourceError(_message(e)) from None

    def _relation(self, scan: Scan) -> tuple[str, list[Any]]:
        """The FROM clause of the source and its parameters."""
        source = scan.source
        if not isinstance(source, DuckDbSource):
            raise SourceError(f"source '{scan.source_name}' is not a DuckDB source")
        if source.path is not None:
            path = source.path if is_url(source.path) else str(scan.root / source.path)
            reader = "read_csv" if source.file_format == "csv" else "read_parquet"
            return f"{reader}(?)", [path]
        assert source.attach is not None and source.table is not None
        alias = self._attach(scan, source.attach)
        table = ".".join(quote(part) for part in source.table.split("."))
        return f"{quote(alias)}.{table}", []

    def _attach(self, scan: Scan, attach: str) -> str:
        alias = self._attached.get(attach)
        if alias is not None:
            return alias
        alias = f"{_ATTACHED}_{len(self._attached)}"
        target = attach
        if not _TYPED.match(attach) and not is_url(attach):
            target = str(scan.root / attach)  # a database file, relative to the repository
        # ATTACH takes no parameters: the string (from content/sources.yaml, not a charter) is
        # written as a SQL string literal, quotes doubled.
        literal = "'" + target.replace("'", "''") + "'"
        self._run(f"ATTACH {literal} AS {quote(alias)} (READ_ONLY)", [])
        self._attached[attach] = alias
        return alias

    def _types(self, scan: Scan) -> dict[str, tuple[str, str]]:
        """Column -> (kind, DuckDB type), cached per source."""
        key = (scan.source_name, scan.source, str(scan.root))
        cached = self._kinds.get(key)
        if cached is None:
            relation, params = self._relation(scan)
            rows = self._run(f"DESCRIBE SELECT * FROM {relation}", params)
            cached = {str(r[0]): (_kind(str(r[1])), str(r[1]).upper()) for r in rows}
            self._kinds[key] = cached
        return cached

    def _column_type(self, scan: Scan, column: str) -> tuple[str, str]:
        types = self._types(scan)
        if column not in types:
            raise SourceError(f"column '{column}' is not in the source")
        return types[column]

    def _day(self, scan: Scan) -> str:
        kind, sql_type = self._column_type(scan, scan.date)
        column = quote(scan.date)
        if kind == "date":
            return f"CAST({column} AS DATE)"  # a timestamp's date in the session's zone, UTC
        if kind == "text":
            return f"TRY_CAST({column} AS DATE)"
        raise SourceError(f"date column '{scan.date}' is {sql_type}, not a date or timestamp")

    def _scan(
        self, scan: Scan, start: dt.date | None, end: dt.date, select: str
    ) -> tuple[str, list[Any]]:
        """``SELECT <select>, day FROM source WHERE where-conditions AND day in [start, end]``
        (the day is named ``__aipo_day`` inside, so that a source column ``day`` is no clash)."""
        relation, params = self._relation(scan)
        conditions = [f"{_DAY} IS NOT NULL", f"{_DAY} <= ?"]
        tail: list[Any] = [end]
        if start is not None:
            conditions.append(f"{_DAY} >= ?")
            tail.append(start)
        where = []
        for column, values in scan.where:
            self._column_type(scan, column)
            where.append(f"{quote(column)} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        inner = f"SELECT *, {self._day(scan)} AS {_DAY} FROM {relation}" + (
            f" WHERE {' AND '.join(where)}" if where else ""
        )
        return (
            f"SELECT {select}, {_DAY} AS day FROM ({inner}) WHERE {' AND '.join(conditions)}",
            params + tail,
        )

    def _number(self, scan: Scan, column: str) -> tuple[str, str]:
        """A value column as DOUBLE and the condition that it is counted (not null, not NaN)."""
        kind, sql_type = self._column_type(scan, column)
        c = quote(column)
        if kind == "boolean":
            return f"CAST({c} AS DOUBLE)", f"{c} IS NOT NULL"
        if kind != "numeric":
            raise SourceError(f"column '{column}' is {sql_type}, not a number or a boolean")
        return f"CAST({c} AS DOUBLE)", f"{c} IS NOT NULL AND NOT isnan(CAST({c} AS DOUBLE))"

    # ------------------------------------------------------------------------------ interface

    def column_kinds(self, scan: Scan) -> dict[str, str]:
        """Every column -> "numeric" | "boolean" | "text" | "date" | "other"."""
        return {name: kind for name, (kind, _) in self._types(scan).items()}

    def daily(
        self,
        scan: Scan,
        value: str | None,
        segment: str | None,
        start: dt.date | None,
        end: dt.date,
    ) -> list[DailyAggregate]:
        """Per day in [start, end]: the overall aggregate, and one per segment value."""
        if value is None:
            select, counted, aggregates = "1 AS v", "TRUE", "COUNT(*), NULL, NULL, NULL"
        else:
            number, _ = self._number(scan, value)
            select, counted = f"{number} AS v", "v IS NOT NULL AND NOT isnan(v)"
            # Each value rounded to 12 places (half away from zero, from its shortest decimal
            # text: a double cast straight to DECIMAL rounds v * 10^12 in binary, off by one unit
            # now and then), then summed exactly; the mean is taken in Python.
            aggregates = (
                "COUNT(*), SUM(CAST(CAST(v AS VARCHAR) AS DECIMAL(38, 12))), MIN(v), MAX(v)"
            )
        if segment is not None:
            self._column_type(scan, segment)
            select += f", CAST({quote(segment)} AS VARCHAR) AS seg"
        sql, params = self._scan(scan, start, end, select)
        out: list[DailyAggregate] = []
        groups = [("NULL", "")] + ([("seg", " AND seg IS NOT NULL")] if segment else [])
        for seg, extra in groups:
            rows = self._run(
                f"SELECT day, {seg}, {aggregates} FROM ({sql}) WHERE {counted}{extra} "
                "GROUP BY day, 2 ORDER BY day, 2",
                params,
            )
            for day, seg_value, count, total, low, high in rows:
                out.append(
                    DailyAggregate(
                        day=day,
                        segment=seg_value,
                        count=int(count),
                        total=None if total is None else Decimal(total),
                        minimum=None if low is None else float(low),
                        maximum=None if high is None else float(high),
                    )
                )
        return out

    def order_statistics(
        self, scan: Scan, column: str, start: dt.date, end: dt.date, positions: list[int]
    ) -> tuple[int, list[float]]:
        """n non-null, non-NaN values of `column` in [start, end]; those at the positions."""
        number, _ = self._number(scan, column)
        sql, params = self._scan(scan, start, end, f"{number} AS v")
        inner = f"SELECT v FROM ({sql}) WHERE v IS NOT NULL AND NOT isnan(v)"
        ((n,),) = self._run(f"SELECT COUNT(*) FROM ({inner})", params)
        if not positions:
            return int(n), []
        rows = self._run(
            f"SELECT pos, v FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) - 1 AS pos "
            f"FROM ({inner})) WHERE list_contains(?, pos) ORDER BY pos",
            [*params, [int(p) for p in positions]],
        )
        at = {int(pos): float(v) for pos, v in rows}
        missing = [p for p in positions if p not in at]
        if missing:
            raise SourceError(f"column '{column}' has {n} values; no position {missing[0]}")
        return int(n), [at[p] for p in positions]

    def daily_bins(
        self,
        scan: Scan,
        start: dt.date,
        end: dt.date,
        numeric: dict[str, list[float]],
        categorical: list[str],
    ) -> list[tuple[dt.date, str, int | str, int]]:
        """(day, feature, bin, count) for rows in [start, end], non-zero counts only."""
        features = [*numeric, *categorical]
        if not features:
            return []
        selects: list[str] = []
        params: list[Any] = []
        for i, name in enumerate(numeric):
            number, counted = self._number(scan, name)
            edges = numeric[name]
            index = " + ".join(f"CAST({number} >= ? AS INTEGER)" for _ in edges) or "0"
            selects.append(f"CASE WHEN {counted} THEN CAST({index} AS VARCHAR) END AS b{i}")
            params.extend(float(e) for e in edges)
        for j, name in enumerate(categorical, start=len(numeric)):
            _, sql_type = self._column_type(scan, name)
            c = quote(name)
            counted = f"{c} IS NOT NULL"
            if _FLOATING.match(sql_type):
                counted += f" AND NOT isnan({c})"
            text = f"CAST({c} AS VARCHAR)"
            if sql_type == "BOOLEAN":
                text = f"CASE WHEN {c} THEN 'true' ELSE 'false' END"
            selects.append(f"CASE WHEN {counted} THEN {text} END AS b{j}")
        sql, scan_params = self._scan(scan, start, end, ", ".join(selects))
        columns = [f"b{i}" for i in range(len(features))]
        sets = ", ".join(f"(day, {c})" for c in columns)
        grouping = ", ".join(f"GROUPING({c})" for c in columns)
        rows = self._run(
            f"SELECT day, [{grouping}], {', '.join(columns)}, COUNT(*) FROM ({sql}) "
            f"GROUP BY GROUPING SETS ({sets})",
            params + scan_params,
        )
        out: list[tuple[dt.date, str, int | str, int]] = []
        for row in rows:
            day, grouped, values, count = row[0], row[1], row[2:-1], row[-1]
            i = grouped.index(0)
            label = values[i]
            if label is None:
                continue  # the feature's null / NaN rows
            name = features[i]
            out.append((day, name, int(label) if name in numeric else str(label), int(count)))
        out.sort(key=lambda r: (r[0], r[1], str(r[2])))
        return out

    def close(self) -> None:
        self._con.close()
