"""The checks every CSV reader shares, and the careful record reader behind their slow paths.

:func:`decode_csv` turns a file's bytes into text the readers can trust:

- a size cap, strict UTF-8 (a leading byte-order mark is dropped);
- line endings: LF or CRLF. A file whose only line breaks are CRs (old Mac OS) is refused with
  ``uses CR-only line endings; save it with LF or CRLF line endings``; any other CR that is not
  part of a CRLF is the control-character error below, with its line. CRLF becomes LF, so no
  reader ever sees a CR;
- no character that :mod:`aipo_site.load.text` forbids (controls, noncharacters, bidirectional
  controls), anywhere: ``contains the control character U+0000 (NUL); remove it`` with the
  physical line;
- Unicode NFC, so a segment or feature typed with a combining accent is the same name as the
  precomposed one.

:func:`read_header` reads the header record: names present, unique, comma-separated, at most
:data:`MAX_NAME` (200) characters. :func:`read_records` is the careful reader of the body (the
csv module, strict quoting): quoted cells may hold commas, newlines and blank lines, and every
record keeps its *physical* starting line, so errors found later point at the right line even
after a multi-line cell. The readers keep their pandas fast paths for files without quotes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError, snippet
from .text import CR_ONLY, first_forbidden, forbidden_message, line_column, nfc

__all__ = [
    "ISO_DATE",
    "MAX_NAME",
    "check_name",
    "commas_per_line",
    "decode_csv",
    "field_label",
    "iter_lines",
    "read_frame",
    "read_header",
    "read_records",
    "to_floats",
]

MAX_NAME = 200
# The only date form the CSVs take (ASCII digits: \d would accept other scripts' digits).
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_SEPARATORS = ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes"))
_DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def decode_csv(raw: bytes, path: str, max_bytes: int) -> str:
    """The file's text with LF line endings in NFC, or InputError (see the module docstring)."""
    if len(raw) > max_bytes:
        raise InputError(path, f"file is {len(raw):,} bytes; the limit is {max_bytes:,}")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(path, f"not valid UTF-8 (byte {e.start})", line=line) from None
    bad = first_forbidden(text, crlf=True)
    if bad is not None:
        offset, ch = bad
        if ch == "\r" and "\n" not in text:
            raise InputError(path, CR_ONLY, line=1)
        raise InputError(path, forbidden_message(ch), line=line_column(text, offset)[0])
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return nfc(text)


def iter_lines(text: str) -> Iterator[str]:
    """The physical lines of ``text`` with their LF, without copying the whole text at once."""
    start = 0
    end = len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop < 0:
            yield text[start:]
            return
        yield text[start : stop + 1]
        start = stop + 1


def commas_per_line(body: str) -> np.ndarray:
    """How many commas each LF-separated line of ``body`` holds (vectorised: the fast paths use
    it to prove every row has the header's field count before trusting pandas, which pads short
    rows silently and may take a longer first row's extra field as an index)."""
    data = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)  # UTF-8 never hides , or LF
    ends = np.append(np.flatnonzero(data == 10), len(data))
    commas = np.concatenate(([0], np.cumsum(data == 44)))
    return np.diff(np.concatenate(([0], commas[ends])))


def field_label(name: str) -> str:
    """A column name as a message's field: as it is when short, else a cut snippet (names are
    already free of forbidden characters, but may be 200 characters long)."""
    return name if len(name) <= 40 else snippet(name)


def check_name(name: str, path: str, line: int, what: str) -> None:
    """Refuse a name (column, segment, feature, bin label) longer than :data:`MAX_NAME`."""
    if len(name) > MAX_NAME:
        raise InputError(
            path,
            f"{what} {snippet(name)} is {len(name):,} characters long; the limit is {MAX_NAME}",
            line=line,
        )


def _csv_error(path: str, error: csv.Error, line: int, start: int) -> InputError:
    message = str(error)
    if "unexpected end of data" in message:
        return InputError(path, "a quoted cell starts on this line and is never closed", line=start)
    if "expected after" in message:
        return InputError(
            path,
            "a quoted cell is followed by more text; quote the whole cell and write a quote "
            'inside it as ""',
            line=line,
        )
    if "field larger than field limit" in message:
        return InputError(
            path, f"a cell is longer than {csv.field_size_limit():,} characters", line=start
        )
    if "new-line character" in message:  # only for text that did not come from decode_csv
        return InputError(path, forbidden_message("\r"), line=line)
    return InputError(path, f"cannot parse CSV: {snippet(message, 80)}", line=line)


def _header_record(text: str, path: str) -> list[str]:
    reader = csv.reader(iter_lines(text), strict=True, skipinitialspace=True)
    try:
        return next(reader, [])
    except csv.Error as e:
        raise _csv_error(path, e, reader.line_num, 1) from None


def read_header(text: str, path: str, expected: str, what: str = "CSVs") -> list[str]:
    """The header's column names (stripped). ``expected`` describes the header for messages."""
    newline = text.find("\n")
    first = text if newline < 0 else text[:newline]
    if not first.strip():
        raise InputError(path, f"expected a header row ({expected})", line=1)
    header = [nfc(h.strip()) for h in _header_record(text, path)]
    if len(header) == 1:
        for sep, name in _SEPARATORS:
            if sep in first:
                raise InputError(
                    path,
                    f"the header is separated by {name}; {what} must be comma-separated",
                    line=1,
                )
    seen: set[str] = set()
    for name in header:
        if not name:
            raise InputError(path, "the header has an empty column name", line=1)
        bad = first_forbidden(name)
        if bad is not None:
            raise InputError(path, f"column {snippet(name)} {forbidden_message(bad[1])}", line=1)
        check_name(name, path, 1, "column name")
        if name in seen:
            raise InputError(path, f"column {snippet(name)} appears twice in the header", line=1)
        seen.add(name)
    return header


def read_records(text: str, path: str, width: int) -> tuple[list[list[str]], np.ndarray]:
    """The data records after the header, and the physical line each starts on.

    Every record must have ``width`` fields. An empty (or blank) line is an error ("empty line in
    the data"), except at the end of the file, and in a one-column file, where it is an empty
    cell (pandas writes a missing value of a one-column frame that way).
    Quoted cells may span lines; a malformed quote is an error with its line.
    """
    reader = csv.reader(iter_lines(text), strict=True, skipinitialspace=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    blank: int | None = None  # the first empty line not yet followed by data
    previous = 0
    try:
        next(reader, None)  # the header (read_header has checked it)
        previous = reader.line_num
        for row in reader:
            start = previous + 1
            previous = reader.line_num
            if not row or (width > 1 and len(row) == 1 and not row[0].strip()):
                if width == 1:
                    row = [""]
                else:
                    blank = start if blank is None else blank
                    continue
            if blank is not None:
                raise InputError(path, "empty line in the data", line=blank)
            if len(row) != width:
                raise InputError(
                    path,
                    f"expected {width} fields (as in the header), found {len(row)}",
                    line=start,
                )
            rows.append(row)
            starts.append(start)
    except csv.Error as e:
        raise _csv_error(path, e, reader.line_num, previous + 1) from None
    return rows, np.asarray(starts, dtype=np.int64)


def read_frame(text: str, path: str, header: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The careful reader's records as a frame of text cells (one column per header name) and
    the physical line of each row; InputError when there is no data row."""
    records, lines = read_records(text, path, len(header))
    if not records:
        raise InputError(path, "has a header but no data rows", line=2)
    cells = np.array(records, dtype=object)
    return pd.DataFrame({name: cells[:, i] for i, name in enumerate(header)}), lines


def to_floats(text: pd.Series) -> np.ndarray:
    """Cells as float64, NaN where a cell is not a number.

    pandas' parser first; should it give up on a cell (a 400-digit integer, say), each cell is
    read on its own with the same decimal syntax, so a strange cell is a reported error, never
    a crash.
    """
    try:
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    except (ValueError, TypeError, OverflowError):
        return np.array([_float(cell) for cell in text], dtype="float64")


def _float(cell: object) -> float:
    if not isinstance(cell, str) or not _DECIMAL.fullmatch(cell):
        return float("nan")
    return float(cell)
