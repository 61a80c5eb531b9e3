"""The checks every CSV reader shares: size, NUL bytes, strict UTF-8, and a header row whose
names are present, unique and comma-separated."""

from __future__ import annotations

import csv

from ..errors import InputError

__all__ = ["decode_csv", "read_header"]

_SEPARATORS = ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes"))


def decode_csv(raw: bytes, path: str, max_bytes: int) -> str:
    """The file's text, or InputError for an oversized file, a NUL byte or invalid UTF-8."""
    if len(raw) > max_bytes:
        raise InputError(path, f"file is {len(raw):,} bytes; the limit is {max_bytes:,}")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(path, "contains a NUL byte", line=raw[:nul].count(b"\n") + 1)
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(path, f"not valid UTF-8 (byte {e.start})", line=line) from None


def read_header(text: str, path: str, expected: str, what: str = "CSVs") -> list[str]:
    """The header's column names (stripped). ``expected`` describes the header for messages."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise InputError(path, f"expected a header row ({expected})", line=1)
    header = [h.strip() for h in next(csv.reader([first]))]
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
        if name in seen:
            raise InputError(path, f"column {name!r} appears twice in the header", line=1)
        seen.add(name)
    return header
