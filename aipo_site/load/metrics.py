"""Read metric CSVs written by teams' pipelines.

Two layouts, any number of files per model under ``metrics/<model-id>/``:

- long:  ``date,metric,value[,segment]`` — one observation per row; an empty segment is the overall
  value, a non-empty one a slice (e.g. an age band);
- wide:  ``date,<metric>,<metric>,...`` — one row per date, one column per metric.

pandas' defaults hide bad data (a ``;``-separated file loads as one column, short rows are padded with
NaN, duplicate headers are renamed ``x.1``, ``inf`` stays text). This reader checks the header, field
counts, dates, numbers and duplicates itself and reports the file and line of every problem.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from ..errors import InputError
from .csvtext import decode_csv, read_header

__all__ = ["COLUMNS", "MAX_CSV_BYTES", "empty_frame", "parse_metric_csv"]

MAX_CSV_BYTES = 200_000_000
MAX_COLUMNS = 500
COLUMNS = ["date", "metric", "value", "segment"]
_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LONG = {"date", "metric", "value", "segment"}


def empty_frame() -> pd.DataFrame:
    """A metrics frame with no rows (the shape every reader returns)."""
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[s]"),
            "metric": pd.Series([], dtype=object),
            "value": pd.Series([], dtype="float64"),
            "segment": pd.Series([], dtype=object),
            "line": pd.Series([], dtype="int64"),
        }
    )


def parse_metric_csv(raw: bytes, path: str) -> pd.DataFrame:
    """Parse one metric CSV into a long frame ``date, metric, value, segment, line``.

    Raises :class:`InputError` (path, line, what was expected, what was found) on any problem.
    """
    text = decode_csv(raw, path, MAX_CSV_BYTES)
    header = read_header(text, path, "date,metric,value or date,<metric>,...", what="metric CSVs")
    _check_header(header, path)
    long_form = "metric" in header or "value" in header
    fast = _fast_parse(text, header, long_form)
    if fast is not None:
        return fast
    # Something is off: the careful reader below finds it and says where.
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            engine="c",
        )
    except pd.errors.ParserError as e:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if match:
            want, line, saw = match.groups()
            raise InputError(
                path, f"expected {want} fields (as in the header), found {saw}", line=int(line)
            ) from None
        raise InputError(path, f"cannot parse CSV: {e}") from None
    frame.columns = header
    if frame.empty:
        raise InputError(path, "has a header but no data rows", line=2)
    lines = np.arange(2, len(frame) + 2)
    frame = frame.fillna("")
    check = _RowCheck(text, len(header), path)
    check.field_counts(len(frame))
    dates = _dates(frame["date"], lines, check)
    if long_form:
        values = _numbers(frame["value"], lines, check, "value")
        metrics = frame["metric"].str.strip()
        bad = ~metrics.str.fullmatch(_METRIC.pattern).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                f"metric: expected a snake_case metric name, found {metrics.iloc[i]!r}",
                line=int(lines[i]),
            )
        segments = (
            frame["segment"].str.strip() if "segment" in frame else pd.Series("", index=frame.index)
        )
        out = pd.DataFrame(
            {
                "date": dates,
                "metric": metrics.to_numpy(dtype=object),
                "value": values,
                "segment": segments.to_numpy(dtype=object),
                "line": lines,
            }
        )
    else:
        parts = []
        for column in header[1:]:
            values = _numbers(frame[column], lines, check, column)
            parts.append(
                pd.DataFrame(
                    {
                        "date": dates,
                        "metric": column,
                        "value": values,
                        "segment": "",
                        "line": lines,
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
    _check_duplicates(out, path)
    return out


def _fast_parse(text: str, header: list[str], long_form: bool) -> pd.DataFrame | None:
    """Parse a well-formed file with pandas' typed C reader and vectorised checks.

    Returns None at the first sign of trouble (quotes, blank lines, short rows, a bad number,
    date, name or a duplicate) so the careful reader can report it with its line.
    """
    body = text.rstrip("\n")
    if '"' in body or "\n\n" in body or "\n\r\n" in body:
        return None
    lines = body.count("\n")  # data rows (the header is the line before the first newline)
    if lines == 0 or body.count(",") != (len(header) - 1) * (lines + 1):
        return None
    numeric = ["value"] if long_form else header[1:]
    dtypes = {name: ("float64" if name in numeric else object) for name in header}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            names=header,
            skiprows=1,
            dtype=dtypes,
            na_filter=False,
            skipinitialspace=True,
            skip_blank_lines=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != lines:
        return None
    values = frame[numeric].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        return None
    raw_dates = frame["date"].to_numpy(dtype=object).astype("U11")
    if (np.char.str_len(raw_dates) != 10).any():
        return None
    try:
        # numpy's ISO parser: rejects 2026-02-30 and anything that is not YYYY-MM-DD.
        dates = raw_dates.astype("datetime64[D]").astype("datetime64[s]")
    except ValueError:
        return None
    rows = np.arange(2, lines + 2)
    if long_form:
        metrics = frame["metric"].to_numpy(dtype=object)
        segments = (
            frame["segment"].to_numpy(dtype=object)
            if "segment" in frame
            else np.full(lines, "", dtype=object)
        )
        for names, pattern in ((metrics, _METRIC), (segments, None)):
            for name in pd.unique(names):
                if name != name.strip() or (pattern is not None and not pattern.match(name)):
                    return None
        out = pd.DataFrame(
            {
                "date": dates,
                "metric": metrics,
                "value": values[:, 0],
                "segment": segments,
                "line": rows,
            }
        )
    else:
        width = len(numeric)
        out = pd.DataFrame(
            {
                "date": np.tile(dates, width),
                "metric": np.repeat(np.array(numeric, dtype=object), lines),
                "value": values.T.reshape(-1),
                "segment": np.full(lines * width, "", dtype=object),
                "line": np.tile(rows, width),
            }
        )
    if out.duplicated(["date", "metric", "segment"]).any():
        return None
    return out


def _check_header(header: list[str], path: str) -> None:
    if len(header) > MAX_COLUMNS:
        raise InputError(
            path, f"header has {len(header)} columns; the limit is {MAX_COLUMNS}", line=1
        )
    if len(header) == 1:
        raise InputError(
            path,
            f"expected at least two columns (date,metric,value or date,<metric>,...), "
            f"found only {header[0]!r}",
            line=1,
        )
    seen = set(header)
    if "date" not in seen:
        raise InputError(path, f"expected a 'date' column, found {', '.join(header)}", line=1)
    if header[0] != "date":
        raise InputError(path, f"'date' must be the first column, found {header[0]!r}", line=1)
    if "metric" in seen or "value" in seen:
        missing = [c for c in ("metric", "value") if c not in seen]
        if missing:
            raise InputError(
                path,
                f"long form needs date,metric,value[,segment]; missing {', '.join(missing)}",
                line=1,
            )
        extra = [c for c in header if c not in _LONG]
        if extra:
            raise InputError(
                path,
                f"long form allows date,metric,value,segment; unexpected column {extra[0]!r}",
                line=1,
            )
        return
    for name in header[1:]:
        if not _METRIC.match(name):
            raise InputError(
                path,
                f"wide-form column {name!r} is not a snake_case metric name",
                line=1,
            )


class _RowCheck:
    """Explains a bad cell: an empty line or a short row is reported as such, not as a bad value."""

    def __init__(self, text: str, width: int, path: str) -> None:
        self.text = text
        self.width = width
        self.path = path

    def field_counts(self, rows: int) -> None:
        """Short rows: pandas pads them silently, so count the fields of every row."""
        body = self.text.split("\n")[1 : rows + 1]
        if '"' in self.text:
            counts = np.fromiter((len(r) for r in csv.reader(body)), dtype=np.int64)
        else:
            counts = pd.Series(body, dtype=object).str.count(",").to_numpy() + 1
        short = np.flatnonzero(counts != self.width)
        if short.size:
            line = int(short[0]) + 2
            self.fail(
                line,
                f"expected {self.width} fields (as in the header), found {int(counts[short[0]])}",
            )

    def fail(self, line: int, message: str) -> None:
        raw = self.text.split("\n", line)[line - 1].rstrip("\r") if line >= 1 else ""
        if not raw.strip():
            raise InputError(self.path, "empty line in the data", line=line)
        fields = next(csv.reader([raw]))
        if len(fields) < self.width:
            raise InputError(
                self.path,
                f"expected {self.width} fields (as in the header), found {len(fields)}",
                line=line,
            )
        raise InputError(self.path, message, line=line)


def _dates(column: pd.Series, lines: np.ndarray, check: _RowCheck) -> np.ndarray:
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    strict = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy()
    bad = parsed.isna().to_numpy() | ~strict
    if bad.any():
        _report(check, lines, bad, text, "date", "an ISO date YYYY-MM-DD")
    return parsed.to_numpy(dtype="datetime64[s]")


def _numbers(column: pd.Series, lines: np.ndarray, check: _RowCheck, name: str) -> np.ndarray:
    text = column.str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        _report(check, lines, bad, text, name, "a finite number")
    return values


def _report(
    check: _RowCheck, lines: np.ndarray, bad: np.ndarray, text: pd.Series, field: str, expected: str
) -> None:
    idx = np.flatnonzero(bad)
    i = int(idx[0])
    found = text.iloc[i]
    more = (
        f" ({len(idx) - 1} more row{'s' if len(idx) > 2 else ''} like this)" if len(idx) > 1 else ""
    )
    shown = repr(found) if found else "an empty cell"
    check.fail(int(lines[i]), f"{field}: expected {expected}, found {shown}{more}")


def _check_duplicates(frame: pd.DataFrame, path: str) -> None:
    dup = frame.duplicated(["date", "metric", "segment"], keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        row = frame.iloc[i]
        first = frame[
            (frame["date"] == row["date"])
            & (frame["metric"] == row["metric"])
            & (frame["segment"] == row["segment"])
        ]["line"].iloc[0]
        seg = f", segment {row['segment']!r}" if row["segment"] else ""
        raise InputError(
            path,
            f"duplicate observation for {row['metric']} on {str(row['date'])[:10]}{seg} "
            f"(first on line {first})",
            line=int(row["line"]),
        )
