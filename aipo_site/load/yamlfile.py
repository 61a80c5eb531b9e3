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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and anchors before anything is expanded."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("aliases (*name) are not allowed in aipo files", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused("anchors (&name) are not allowed in aipo files", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise _Refused(f"YAML tags are not allowed in aipo files ({tag})", event.start_mark)
        return super().compose_node(parent, index)


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
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
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
    except RecursionError:
        raise InputError(path, "invalid YAML: nesting is too deep") from None
    finally:
        loader.dispose()
    doc = YamlDocument(path=path, data=None)
    if node is None:
        return doc
    doc.data = _build(node, (), doc, 0)
    return doc


def _error_at(path: str, message: str, mark: Any) -> InputError:
    if mark is None:
        return InputError(path, message)
    return InputError(path, message, line=mark.line + 1, column=mark.column + 1)


def _build(node: Node, loc: Path_, doc: YamlDocument, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _error_at(doc.path, f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
    doc.positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, ScalarNode):
        return _scalar(node, doc)
    if isinstance(node, SequenceNode):
        return [_build(item, (*loc, i), doc, depth + 1) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _error_at(doc.path, "mapping keys must be plain text", key_node.start_mark)
            key = key_node.value
            if key == "<<" and key_node.style is None:
                raise _error_at(doc.path, "merge keys (<<) are not allowed", key_node.start_mark)
            if key in out:
                first = doc.positions.get((*loc, key), (None, None))[0]
                raise _error_at(
                    doc.path,
                    f"duplicate key '{key}' (first defined on line {first})",
                    key_node.start_mark,
                )
            doc.key_positions[(*loc, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = _build(value_node, (*loc, key), doc, depth + 1)
        return out
    raise _error_at(doc.path, "unsupported YAML node", node.start_mark)  # pragma: no cover


def _scalar(node: ScalarNode, doc: YamlDocument) -> Any:
    value: str = node.value
    if node.style is not None:  # quoted or block scalar: always text
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
            doc.path, f"'{value}' is not a finite number; quote it if it is text", node.start_mark
        )
    return value
