"""Read metric CSVs written by teams' pipelines.

Two layouts, any number of files per model under ``metrics/<model-id>/``:

- long:  ``date,metric,value[,segment]`` — one observation per row; an empty segment is the overall
  value, a non-empty one a slice (e.g. an age band);
- wide:  ``date,<metric>,<metric>,...`` — one row per date, one column per metric.

pandas' defaults hide bad data (a ``;``-separated file loads as one column, short rows are padded with
NaN, duplicate headers are renamed ``x.1``, ``inf`` stays text). This reader checks the header, field
counts, dates, numbers and duplicates itself and reports the file and line of every problem.

The text checks every CSV shares (:mod:`.csvtext`) come first: LF or CRLF line endings (CR-only
is refused), no forbidden character, NFC. A well-formed file without quotes is read by pandas'
typed C reader (the fast path, most files); anything else by the careful reader, which accepts
quoted cells holding commas, newlines or blank lines and reports every later problem at its
*physical* line. Segment names are at most 200 characters. A number too large for a float
(``1e999``, a 400-digit integer) is "expected a finite number", never an overflow.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from ..errors import InputError, snippet
from .csvtext import (
    ISO_DATE,
    MAX_NAME,
    check_name,
    commas_per_line,
    decode_csv,
    read_frame,
    read_header,
    to_floats,
)

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
    # Something is off, or the file quotes its cells: the careful reader finds what and where.
    frame, lines = read_frame(text, path, header)
    dates = _dates(frame["date"], lines, path)
    if long_form:
        values = _numbers(frame["value"], lines, path, "value")
        metrics = frame["metric"].str.strip()
        bad = ~metrics.str.fullmatch(_METRIC.pattern).to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                f"metric: expected a snake_case metric name, found {snippet(metrics.iloc[i])}",
                line=int(lines[i]),
            )
        segments = (
            frame["segment"].str.strip() if "segment" in frame else pd.Series("", index=frame.index)
        )
        long = (segments.str.len() > MAX_NAME).to_numpy(dtype=bool)
        if long.any():
            i = int(np.flatnonzero(long)[0])
            check_name(segments.iloc[i], path, int(lines[i]), "segment")
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
            values = _numbers(frame[column], lines, path, column)
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
    if '"' in body or "\n\n" in body:
        return None
    lines = body.count("\n")  # data rows (the header is the line before the first newline)
    if lines == 0 or (commas_per_line(body) != len(header) - 1).any():
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
                if name != name.strip() or len(name) > MAX_NAME:
                    return None
                if pattern is not None and not pattern.match(name):
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
    if _has_duplicates(out):
        return None
    return out


def _has_duplicates(out: pd.DataFrame) -> bool:
    """Whether two rows share date, metric and segment (a set of tuples: a tenth of the cost of
    ``DataFrame.duplicated`` on the few thousand rows of a typical file)."""
    keys = zip(
        out["date"].to_numpy().view("int64").tolist(),
        out["metric"].to_numpy().tolist(),
        out["segment"].to_numpy().tolist(),
        strict=True,
    )
    return len(set(keys)) != len(out)


def _check_header(header: list[str], path: str) -> None:
    if len(header) > MAX_COLUMNS:
        raise InputError(
            path, f"header has {len(header)} columns; the limit is {MAX_COLUMNS}", line=1
        )
    if len(header) == 1:
        raise InputError(
            path,
            f"expected at least two columns (date,metric,value or date,<metric>,...), "
            f"found only {snippet(header[0])}",
            line=1,
        )
    seen = set(header)
    if "date" not in seen:
        raise InputError(
            path, f"expected a 'date' column, found {snippet(','.join(header), 80)}", line=1
        )
    if header[0] != "date":
        raise InputError(
            path, f"'date' must be the first column, found {snippet(header[0])}", line=1
        )
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
                f"long form allows date,metric,value,segment; unexpected column {snippet(extra[0])}",
                line=1,
            )
        return
    for name in header[1:]:
        if not _METRIC.match(name):
            raise InputError(
                path,
                f"wide-form column {snippet(name)} is not a snake_case metric name",
                line=1,
            )


def _dates(column: pd.Series, lines: np.ndarray, path: str) -> np.ndarray:
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    strict = text.str.fullmatch(ISO_DATE).to_numpy(dtype=bool)
    bad = parsed.isna().to_numpy() | ~strict
    if bad.any():
        _report(path, lines, bad, text, "date", "an ISO date YYYY-MM-DD")
    return parsed.to_numpy(dtype="datetime64[s]")


def _numbers(column: pd.Series, lines: np.ndarray, path: str, name: str) -> np.ndarray:
    text = column.str.strip()
    values = to_floats(text)
    bad = ~np.isfinite(values)
    if bad.any():
        _report(path, lines, bad, text, name, "a finite number")
    return values


def _report(
    path: str, lines: np.ndarray, bad: np.ndarray, text: pd.Series, field: str, expected: str
) -> None:
    idx = np.flatnonzero(bad)
    i = int(idx[0])
    found = text.iloc[i]
    more = (
        f" ({len(idx) - 1} more row{'s' if len(idx) > 2 else ''} like this)" if len(idx) > 1 else ""
    )
    shown = snippet(found) if found else "an empty cell"
    raise InputError(path, f"{field}: expected {expected}, found {shown}{more}", line=int(lines[i]))


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
        seg = f", segment {snippet(row['segment'])}" if row["segment"] else ""
        raise InputError(
            path,
            f"duplicate observation for {row['metric']} on {str(row['date'])[:10]}{seg} "
            f"(first on line {first})",
            line=int(row["line"]),
        )
