"""A careful YAML reader for charters and policy files.

PyYAML's defaults are unsafe for governance data written by many teams (see TOOLCHAIN.md): duplicate
keys silently keep the last value, YAML 1.1 reads ``no``/``off``/``NO`` as false and ``0755`` as
octal, ``2026-02-30`` raises a ValueError with no line, and a tiny alias bomb exhausts memory. This
module composes the node tree itself and builds plain data with:

- YAML 1.2 core scalars only (true/false, null, decimal/0x/0o ints, floats); everything else,
  including dates, stays a string so pydantic validates it with a proper field path;
- duplicate keys, anchors, aliases, merge keys and custom tags rejected with file, line and column;
- a size cap, strict UTF-8 and a nesting cap;
- a map from every value's path (``("kpis", 0, "metric")``) to its line and column, so validation
  errors found later point at the right line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError

__all__ = ["MAX_BYTES", "YamlDocument", "parse_yaml", "read_yaml"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]

_INT = re.compile(r"^[-+]?[0-9]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@dataclass
class YamlDocument:
    """Plain data read from one YAML file plus where each value stands in it."""

    path: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: Path_) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``loc``, or of its nearest parent."""
        loc = tuple(loc)
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (None, None))

    def error(self, loc: Path_, message: str, *, at_key: bool = False) -> InputError:
        """An InputError located at the value of ``loc`` (or at its key, for unknown fields)."""
        key = self.key_positions.get(tuple(loc)) if at_key else None
        line, column = key or self.position(loc)
        dotted = _dotted(loc)
        return InputError(self.path, message, line=line, column=column, field=dotted or None)


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# libyaml's parser (C) when available: ~15x faster than PyYAML's pure-Python scanner. Only its
# event stream is used; the composer below is aipo's own, so the rules are the same either way.
_PARSER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class _Refused(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def read_yaml(path: str | Path, *, display_path: str | None = None) -> YamlDocument:
    """Read one YAML file into a :class:`YamlDocument`, or raise :class:`InputError`."""
    shown = display_path or str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise InputError(shown, f"file is {size:,} bytes; the limit is {MAX_BYTES:,}")
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError(shown, f"cannot read file: {e.strerror or e}") from None
    return parse_yaml(raw, shown)


def parse_yaml(raw: bytes, path: str) -> YamlDocument:
    """Parse YAML bytes (see module docstring for the rules)."""
    if len(raw) > MAX_BYTES:
        raise InputError(path, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(path, f"not valid UTF-8 (byte {e.start})", line=line) from None
    text = text.removeprefix("\ufeff")
    doc = YamlDocument(path=path, data=None)
    parser = _PARSER(text)
    try:
        doc.data = _compose(parser, doc)
    except _Refused as e:
        raise _error_at(path, e.message, e.mark) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or str(e)
        if e.context and e.context not in problem:
            problem = f"{problem} ({e.context})"
        raise _error_at(path, f"invalid YAML: {problem}", mark) from None
    except yaml.YAMLError as e:
        raise InputError(path, f"invalid YAML: {e}") from None
    finally:
        parser.dispose()
    return doc


def _error_at(path: str, message: str, mark: Any) -> InputError:
    if mark is None:
        return InputError(path, message)
    return InputError(path, message, line=mark.line + 1, column=mark.column + 1)


_NO_KEY = object()


def _compose(parser: Any, doc: YamlDocument) -> Any:
    """Build plain data from the parser's events with an explicit stack (no recursion, so depth
    is capped here rather than by Python's or C's stack)."""
    stack: list[list[Any]] = []  # frames: [container, loc, pending key]
    root: Any = None
    documents = 0
    while parser.check_event():
        event = parser.get_event()
        kind = type(event)
        if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
            continue
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused("expected one YAML document, found several (---)", event.start_mark)
            continue
        if kind is yaml.AliasEvent:
            raise _Refused("aliases (*name) are not allowed in aipo files", event.start_mark)
        if kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            container, _, _ = stack.pop()
            if not stack:
                root = container
            continue
        if event.anchor is not None:
            raise _Refused("anchors (&name) are not allowed in aipo files", event.start_mark)
        if event.tag is not None and event.tag != "!":
            raise _Refused(
                f"YAML tags are not allowed in aipo files ({event.tag})", event.start_mark
            )
        frame = stack[-1] if stack else None
        # A scalar in key position of a mapping is a key, not a value.
        if frame is not None and isinstance(frame[0], dict) and frame[2] is _NO_KEY:
            if kind is not yaml.ScalarEvent:
                raise _Refused("mapping keys must be plain text", event.start_mark)
            key = event.value
            loc = (*frame[1], key)
            if key == "<<" and not event.style:
                raise _Refused("merge keys (<<) are not allowed", event.start_mark)
            if key in frame[0]:
                first = doc.key_positions[loc][0]
                raise _Refused(
                    f"duplicate key '{key}' (first defined on line {first})", event.start_mark
                )
            doc.key_positions[loc] = (event.start_mark.line + 1, event.start_mark.column + 1)
            frame[2] = key
            continue
        if frame is None:
            loc: Path_ = ()
        elif isinstance(frame[0], dict):
            loc = (*frame[1], frame[2])
        else:
            loc = (*frame[1], len(frame[0]))
        doc.positions[loc] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if kind is yaml.ScalarEvent:
            value = _scalar(event, doc)
        else:
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            value = {} if kind is yaml.MappingStartEvent else []
        if frame is None:
            root = value
        elif isinstance(frame[0], dict):
            frame[0][frame[2]] = value
            frame[2] = _NO_KEY
        else:
            frame[0].append(value)
        if kind is not yaml.ScalarEvent:
            stack.append([value, loc, _NO_KEY])
    return root


def _scalar(event: Any, doc: YamlDocument) -> Any:
    value: str = event.value
    if event.style:  # quoted or block scalar: always text (plain is None, or "" from libyaml)
        return value
    # Plain scalars are resolved with the YAML 1.2 core schema, not PyYAML's YAML 1.1 one.
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        return int(value)
    if _HEX.match(value):
        return int(value, 16)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
        return float(value)
    if _INF.match(value) or _NAN.match(value):
        raise _error_at(
            doc.path, f"'{value}' is not a finite number; quote it if it is text", event.start_mark
        )
    return value
