"""The Spark engine: for data that lives on a cluster (a lake path any Spark reader reads, or a
table of the Spark catalog).

Queries are built with the DataFrame API only (``F.col`` for the charter's columns, ``F.lit`` for
``where`` values, dates and edges): charter text never becomes SQL. The semantics are the DuckDB
engine's (:mod:`.duckdb`), value for value: the session time zone is UTC (a timestamp's day is
its UTC date), sums are exact (values rounded to DECIMAL(38,12), summed as decimals), order
statistics are exact (never ``percentile_approx`` alone: see :meth:`SparkEngine.order_statistics`),
a value's bin is the number of inner edges <= the value, and categories are the values cast to
text (booleans ``true``/``false``).

One SparkSession serves a whole ``aipo collect`` run (starting one costs ~10 s): it is built on
first use from the source's ``master`` (default ``$SPARK_MASTER``, else ``local[*]``) and
``conf``, reused while the sources ask for the same, and stopped by :meth:`SparkEngine.close`.
pyspark is imported lazily: it is the optional extra ``aipo-portal[spark]``. Spark's errors
arrive with Java stack traces; only their first meaningful line reaches the user, as a
:class:`~aipo_site.errors.SourceError`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..model.sources import SparkSource, is_url
from .engine import DailyAggregate, Scan

__all__ = ["SparkEngine", "spark_message"]

_DAY = "__aipo_day"
_VALUE = "__aipo_v"
_SEGMENT = "__aipo_seg"
# Settings aipo's semantics need; a source's `conf` cannot change them: the time zone, and ANSI
# mode, so that a value or a sum too large for DECIMAL(38,12) is an error (as in DuckDB), never a
# null that would silently drop the value (Spark 3.5's default).
_FIXED_CONF = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "true"}
# Quiet defaults (no web UI, no progress bars on the user's terminal); a source's conf wins.
_DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
}
_INSTALL = "pip install 'aipo-portal[spark]'"
_MAX_MESSAGE = 400
# Lines of a Py4J / JVM error that say where, not what.
_NOISE = re.compile(
    r"^(at |\.\.\. \d+ more|An error occurred while calling|JVM stacktrace:|Traceback |"
    r"Caused by: |File \"|Py4JJavaError)"
)
_JAVA_CLASS = re.compile(r"^:?\s*([a-z][\w$]*\.)+[A-Z][\w$]*(Exception|Error)[:]?\s*")
_SQLSTATE = re.compile(r"\.?\s*SQLSTATE: \w+[.;]?\s*$")
# Bracketing the wanted ranks with an approximate quantile sketch (rank error <= n / accuracy),
# then counting exactly: see order_statistics.
_ACCURACY = 10_000


def spark_message(error: BaseException) -> str:
    """The first meaningful line of a Spark / Py4J error, without Java class names, stack
    frames or the SQLSTATE suffix, shortened to one readable line."""
    text = ""
    get = getattr(error, "getMessage", None)
    if callable(get):
        try:
            text = str(get())
        except Exception:  # a Py4J call on a dead JVM: fall back to the Python text
            text = ""
    if not text:
        text = str(error)
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _NOISE.match(line):
            continue
        line = _SQLSTATE.sub("", _JAVA_CLASS.sub("", line)).strip()
        if line:
            return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"
    return type(error).__name__


def _quiet_python_loggers() -> None:
    """pyspark 4 logs every failed query to stderr itself, with a stack trace, before raising
    it; aipo reports the error once, as one line."""
    try:
        from pyspark.logger import PySparkLogger  # pyspark >= 4
    except ImportError:
        return
    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return False
    return shutil.which("java") is None


class SparkEngine:
    """The :class:`~aipo_site.collect.engine.Engine` of Spark sources."""

    name = "spark"

    def __init__(self) -> None:
        try:
            with warnings.catch_warnings():
                # pyspark warns on import that it does not yet support pandas 3: aipo does not
                # use Spark's pandas conversions.
                warnings.simplefilter("ignore", FutureWarning)
                import pyspark  # noqa: F401  (lazily: only `aipo collect` with a Spark source)
                from pyspark.sql import functions, types
        except ImportError:
            raise SourceError(f"the spark engine needs pyspark: {_INSTALL}") from None
        self._F = functions
        self._T = types
        _quiet_python_loggers()
        self._session: Any = None
        self._session_key: tuple[str, tuple[tuple[str, str], ...]] | None = None
        self._owned = False
        self._frames: dict[tuple[Any, ...], Any] = {}
        self._log: Any = None  # the JVM's stdout and stderr
        self._counts: dict[tuple[Any, ...], int] = {}  # order_statistics' n, per request

    # ------------------------------------------------------------------------------- plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Spark's and Py4J's errors as one-line SourceErrors."""
        try:
            yield
        except SourceError:
            raise
        except Exception as e:  # PySparkException, Py4JJavaError, Py4JError, ...
            raise SourceError(spark_message(e)) from None

    def _spark(self, source: SparkSource) -> Any:
        """The session for this source's master and conf (started once, reused)."""
        master = source.master or os.environ.get("SPARK_MASTER") or "local[*]"
        conf = {**_DEFAULT_CONF, **source.conf, **_FIXED_CONF}
        key = (master, tuple(sorted(conf.items())))
        if self._session is not None and key == self._session_key:
            return self._session
        self.close()  # another master or conf: a SparkContext is one per process
        if _java_missing():
            raise SourceError(
                "the spark engine needs Java 17 or newer: no `java` on PATH and JAVA_HOME "
                "is not set"
            )
        from pyspark.sql import SparkSession

        with self._errors():
            active = SparkSession.getActiveSession()
        if active is not None:  # aipo called from a running Spark application: use its session
            session, owned = active, False
            with self._errors():
                for name, value in _FIXED_CONF.items():
                    session.conf.set(name, value)
        else:
            session, owned = self._start(master, conf), True
        self._session, self._session_key, self._owned = session, key, owned
        return session

    def _start(self, master: str, conf: dict[str, str]) -> Any:
        """A new SparkSession whose JVM writes its own logs (start-up warnings, Java stack
        traces of failed queries) to a temporary file, not to the user's terminal: errors reach
        the user as one-line SourceErrors, and a JVM that does not start is explained by the
        first meaningful line of that file."""
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession

        spark_conf = SparkConf().setMaster(master).setAppName("aipo collect")
        for name, value in conf.items():
            spark_conf.set(name, value)
        gateway = None
        if SparkContext._gateway is None:  # a stopped session's JVM is reused, else started
            if self._log is None:
                # Open for the JVM's lifetime (closed by close()), so not a `with` block.
                self._log = tempfile.TemporaryFile()  # noqa: SIM115
            try:
                gateway = launch_gateway(
                    spark_conf, popen_kwargs={"stdout": self._log, "stderr": self._log}
                )
            except Exception as e:
                reason = self._log_line() or spark_message(e)
                raise SourceError(f"Spark did not start: {reason}") from None
        with self._errors(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandas 3 (see __init__)
            context = SparkContext(conf=spark_conf, gateway=gateway)
            context.setLogLevel("OFF")  # every error is raised to aipo, which reports it
            return SparkSession(context)

    def _log_line(self) -> str:
        """The first meaningful line the JVM wrote to its log ('' when none)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith(("WARNING:", "Using Spark's", "Setting default")):
                return spark_message(Exception(line))
        return ""

    def _frame(self, scan: Scan) -> Any:
        """The source's rows, as read (cached per source: reading infers the schema once)."""
        source = scan.source
        if not isinstance(source, SparkSource):
            raise SourceError(f"source '{scan.source_name}' is not a Spark source")
        key = (scan.source_name, source.model_dump_json(), str(scan.root))
        frame = self._frames.get(key)
        if frame is not None:
            return frame
        spark = self._spark(source)
        with self._errors():
            if source.path is not None:
                path = source.path
                if not is_url(path) and not Path(path).is_absolute():
                    path = str(scan.root / path)
                reader = spark.read.format(source.file_format)
                if source.file_format == "csv":
                    reader = reader.option("header", "true").option("inferSchema", "true")
                frame = reader.load(path)
            else:
                frame = spark.table(source.table)
        self._frames[key] = frame
        return frame

    def _type(self, scan: Scan, column: str) -> Any:
        fields = {f.name: f.dataType for f in self._frame(scan).schema.fields}
        if column not in fields:
            raise SourceError(f"column '{column}' is not in the source")
        return fields[column]

    def _kind(self, data_type: Any) -> str:
        T = self._T
        if isinstance(data_type, T.NumericType):
            return "numeric"
        if isinstance(data_type, T.BooleanType):
            return "boolean"
        if isinstance(data_type, T.StringType | T.VarcharType | T.CharType):
            return "text"
        if isinstance(data_type, T.DateType | T.TimestampType | T.TimestampNTZType):
            return "date"
        return "other"

    def _literal(self, data_type: Any, value: Any) -> Any:
        """A `where` value as the column compares it: Spark's `in` wants one type, where DuckDB
        casts (a boolean against a number column is 0 or 1, and 0 or 1 against a boolean
        column is false or true)."""
        T = self._T
        if isinstance(data_type, T.NumericType) and isinstance(value, bool):
            return int(value)
        if isinstance(data_type, T.BooleanType) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        return value

    def _day(self, scan: Scan) -> Any:
        F = self._F
        data_type = self._type(scan, scan.date)
        column = F.col(scan.date)
        kind = self._kind(data_type)
        if kind == "date":
            # A timestamp's date in the session time zone, UTC.
            return column if isinstance(data_type, self._T.DateType) else F.to_date(column)
        if kind == "text":
            try_to_date: Callable[[Any], Any] = getattr(F, "try_to_date", F.to_date)
            return try_to_date(column)  # text that is no date: not counted
        raise SourceError(
            f"date column '{scan.date}' is {data_type.simpleString().upper()}, not a date or "
            "timestamp"
        )

    def _rows(self, scan: Scan, start: dt.date | None, end: dt.date) -> Any:
        """The scan's rows whose day is in [start, end], with the day as column ``__aipo_day``."""
        F = self._F
        frame = self._frame(scan)
        for column, values in scan.where:
            data_type = self._type(scan, column)
            literals = [F.lit(self._literal(data_type, v)) for v in values]
            frame = frame.where(F.col(column).isin(*literals))
        frame = frame.withColumn(_DAY, self._day(scan))
        day = F.col(_DAY)
        kept = day.isNotNull() & (day <= F.lit(end))
        if start is not None:
            kept = kept & (day >= F.lit(start))
        return frame.where(kept)

    def _number(self, scan: Scan, column: str) -> tuple[Any, Any]:
        """A value column as DOUBLE, and the condition that it is counted (not null, not NaN)."""
        F = self._F
        data_type = self._type(scan, column)
        kind = self._kind(data_type)
        if kind not in ("numeric", "boolean"):
            raise SourceError(
                f"column '{column}' is {data_type.simpleString().upper()}, not a number or a "
                "boolean"
            )
        number = F.col(column).cast("double")
        # NaN sorts above every number in Spark (and NaN >= edge holds): it must be excluded.
        return number, number.isNotNull() & ~F.isnan(number)

    # ------------------------------------------------------------------------------ interface

    def column_kinds(self, scan: Scan) -> dict[str, str]:
        """Every column -> "numeric" | "boolean" | "text" | "date" | "other"."""
        return {f.name: self._kind(f.dataType) for f in self._frame(scan).schema.fields}

    def daily(
        self,
        scan: Scan,
        value: str | None,
        segment: str | None,
        start: dt.date | None,
        end: dt.date,
    ) -> list[DailyAggregate]:
        """Per day in [start, end]: the overall aggregate, and one per segment value."""
        F = self._F
        rows = self._rows(scan, start, end)
        if value is None:
            aggregates = [F.count(F.lit(1)).alias("n")]
        else:
            number, counted = self._number(scan, value)
            rows = rows.where(counted).withColumn(_VALUE, number)
            v = F.col(_VALUE)
            # Each value rounded to 12 places, summed exactly (the mean is taken in Python).
            aggregates = [
                F.count(F.lit(1)).alias("n"),
                F.sum(v.cast("decimal(38,12)")).alias("total"),
                F.min(v).alias("low"),
                F.max(v).alias("high"),
            ]
        out: list[DailyAggregate] = []
        with self._errors():
            if segment is None:
                result = [
                    (r[0], None, *r[1:]) for r in rows.groupBy(_DAY).agg(*aggregates).collect()
                ]
            else:
                self._type(scan, segment)
                rows = rows.withColumn(_SEGMENT, F.col(segment).cast("string"))
                # One pass: (day, segment) groups and their per-day subtotal, the overall row.
                grouped = (
                    rows.rollup(_DAY, _SEGMENT)
                    .agg(*aggregates, F.grouping(_SEGMENT).alias("__aipo_all"))
                    .where(F.col(_DAY).isNotNull())  # rollup's grand total (days are never null)
                    .where((F.col("__aipo_all") == 1) | F.col(_SEGMENT).isNotNull())
                )
                result = [
                    (r[_DAY], None if r["__aipo_all"] == 1 else r[_SEGMENT], *r[2:-1])
                    for r in grouped.collect()
                ]
        for day, seg, count, *rest in result:
            total, low, high = rest if rest else (None, None, None)
            out.append(
                DailyAggregate(
                    day=day,
                    segment=seg,
                    count=int(count),
                    total=None if total is None else Decimal(total),
                    minimum=None if low is None else float(low),
                    maximum=None if high is None else float(high),
                )
            )
        # The DuckDB engine's order: the overall series by day, then the segments by day.
        out.sort(key=lambda a: (a.segment is not None, a.day, a.segment or ""))
        return out

    def order_statistics(
        self, scan: Scan, column: str, start: dt.date, end: dt.date, positions: list[int]
    ) -> tuple[int, list[float]]:
        """n non-null, non-NaN values of `column` in [start, end]; those at the positions.

        Exact without sorting the column in one task (a window over the whole column moves it
        to one partition), in two passes after the count: an approximate quantile sketch (rank
        error at most n / 10,000) brackets each wanted rank; then one pass counts the values
        below each bracket and the values inside the brackets per distinct value (a few
        thousand), from which the driver reads each rank exactly. A bracket the sketch got
        wrong is widened to the whole range and that pass repeated.
        """
        F = self._F
        number, counted = self._number(scan, column)
        values = self._rows(scan, start, end).where(counted).select(number.alias(_VALUE))
        v = F.col(_VALUE)
        wanted = sorted(set(positions))
        # collect asks for n first (positions []), then for the positions: counted once.
        key = (scan.source_name, scan.source.model_dump_json(), str(scan.root), scan.date)
        key += (scan.where, column, start, end)
        n = self._counts.get(key)
        if n is None:
            with self._errors():
                n = self._counts[key] = int(values.count())
        if not wanted:
            return n, []
        bad = [p for p in wanted if not 0 <= p < n]
        if bad:
            raise SourceError(f"column '{column}' has {n} values; no position {bad[0]}")
        margin = 2 * (n // _ACCURACY + 1)
        lows = [p - margin for p in wanted]
        highs = [p + margin for p in wanted]
        ranks = [r for r in lows if r > 0] + [r for r in highs if r < n - 1]
        sketch: list[float] = []
        if ranks:
            with self._errors():
                sketch = values.select(
                    F.percentile_approx(v, [r / (n - 1) for r in ranks], _ACCURACY)
                ).first()[0]
        at = dict(zip(ranks, (float(x) for x in sketch), strict=True))
        brackets: dict[int, tuple[float | None, float | None]] = {
            p: (at.get(lo), at.get(hi)) for p, lo, hi in zip(wanted, lows, highs, strict=True)
        }
        found: dict[int, float] = {}
        for _attempt in range(2):
            pending = [p for p in wanted if p not in found]
            if not pending:
                break
            inside: Any = F.lit(False)
            below = []
            for i, p in enumerate(pending):
                lo, hi = brackets[p]
                lower = F.lit(True) if lo is None else v >= F.lit(lo)
                upper = F.lit(True) if hi is None else v <= F.lit(hi)
                inside = inside | (lower & upper)
                if lo is not None:
                    below.append(F.sum((v < F.lit(lo)).cast("long")).alias(f"b{i}"))
                else:
                    below.append(F.sum(F.lit(0).cast("long")).alias(f"b{i}"))
            # One pass: per distinct value inside a bracket its count (the rest grouped under
            # null), and the count below each bracket (summed over the groups).
            with self._errors():
                groups = (
                    values.groupBy(F.when(inside, v).alias("value"))
                    .agg(F.count(F.lit(1)).alias("count"), *below)
                    .collect()
                )
            under = [sum(int(g[f"b{i}"] or 0) for g in groups) for i in range(len(pending))]
            near = sorted(
                (float(g["value"]), int(g["count"])) for g in groups if g["value"] is not None
            )
            for i, p in enumerate(pending):
                lo, hi = brackets[p]
                rank = p - under[i]
                for value, count in near:
                    if (lo is not None and value < lo) or (hi is not None and value > hi):
                        continue
                    if rank < count:
                        found[p] = value
                        break
                    rank -= count
                else:
                    brackets[p] = (None, None)  # the sketch missed: the whole range next time
        if len(found) < len(wanted):
            raise SourceError(f"could not locate the order statistics of column '{column}'")
        return n, [found[p] for p in positions]

    def daily_bins(
        self,
        scan: Scan,
        start: dt.date,
        end: dt.date,
        numeric: dict[str, list[float]],
        categorical: list[str],
    ) -> list[tuple[dt.date, str, int | str, int]]:
        """(day, feature, bin, count) for rows in [start, end], non-zero counts only."""
        F = self._F
        features = [*numeric, *categorical]
        if not features:
            return []
        labels = []
        for name, edges in numeric.items():
            number, counted = self._number(scan, name)
            index: Any = F.lit(0)
            for edge in edges:
                index = index + (number >= F.lit(float(edge))).cast("int")
            labels.append((name, F.when(counted, index.cast("string"))))
        for name in categorical:
            data_type = self._type(scan, name)
            column = F.col(name)
            counted = column.isNotNull()
            if isinstance(data_type, self._T.FloatType | self._T.DoubleType):
                counted = counted & ~F.isnan(column)
            # Spark writes booleans as true/false, as aipo's files do.
            labels.append((name, F.when(counted, column.cast("string"))))
        # One pass: each row becomes one (feature, bin) pair per feature, counted per day.
        pairs = F.explode(
            F.array(
                *[
                    F.struct(F.lit(name).alias("feature"), label.alias("bin"))
                    for name, label in labels
                ]
            )
        ).alias("pair")
        rows = self._rows(scan, start, end).select(F.col(_DAY), pairs)
        counted_bins = (
            rows.where(F.col("pair.bin").isNotNull())
            .groupBy(F.col(_DAY), F.col("pair.feature"), F.col("pair.bin"))
            .count()
        )
        with self._errors():
            result = counted_bins.collect()
        out: list[tuple[dt.date, str, int | str, int]] = [
            (day, name, int(label) if name in numeric else str(label), int(count))
            for day, name, label, count in result
        ]
        out.sort(key=lambda r: (r[0], r[1], str(r[2])))
        return out

    def close(self) -> None:
        """Stop the session this engine started (a session that was already running is left)."""
        session, owned = self._session, self._owned
        self._session, self._session_key, self._owned = None, None, False
        self._frames.clear()
        self._counts.clear()
        if self._log is not None:
            self._log.close()
            self._log = None
        if session is not None and owned:
            with suppress(Exception):  # the JVM is already gone: nothing left to stop
                session.stop()
