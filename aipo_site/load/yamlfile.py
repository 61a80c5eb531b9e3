"""A careful YAML reader for charters and policy files.

PyYAML's defaults are unsafe for governance data written by many teams (see TOOLCHAIN.md): duplicate
keys silently keep the last value, YAML 1.1 reads ``no``/``off``/``NO`` as false and ``0755`` as
octal, ``2026-02-30`` raises a ValueError with no line, and a tiny alias bomb exhausts memory. This
module composes the node tree itself and builds plain data with:

- YAML 1.2 core scalars only (true/false, null, decimal/0x/0o ints, floats); everything else,
  including dates, stays a string so pydantic validates it with a proper field path;
- duplicate keys, anchors, aliases, merge keys and custom tags rejected with file, line and column;
- a size cap, strict UTF-8 and a nesting cap;
- no forbidden character (see :mod:`aipo_site.load.text`: C0/C1 controls but TAB and LF,
  noncharacters, lone surrogates, bidirectional controls) in any key or string value, including
  the ones an escape such as ``"\\0"``, ``"\\x85"`` or ``"\\uFFFE"`` produces. Such a value is
  reported at the scalar's line and column with its field path:
  ``content/models/x.yaml:12:9: name: contains the control character U+0000 (NUL); remove it``
  (libyaml refuses a surrogate escape such as ``"\\uD800"`` while scanning: the same message,
  at the escape; an escape beyond U+10FFFF is ``the escape \\U00110000 is not a Unicode
  character``). Characters libyaml itself refuses in the raw text, and any left outside keys and
  values (a bidirectional control in a comment), are reported at their own line and column. Line breaks: LF or CRLF; a CR-only file is refused
  (``uses CR-only line endings; save it with LF or CRLF line endings``), and a lone CR or NEL
  (which YAML would take as line breaks, shifting every line number after them) is the
  control-character error at its line and column;
- every key and string value in Unicode NFC (so ``é`` typed two ways is one key, and a
  duplicate); a string value or key longer than :data:`MAX_SCALAR` (20,000) characters is an
  error;
- numbers must be finite: ``.inf``, ``.nan`` and ``1e999`` are refused, as is an integer with
  more digits than Python converts;
- a map from every value's path (``("kpis", 0, "metric")``) to its line and column, so validation
  errors found later point at the right line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, snippet
from ..model.document import Path_, YamlDocument, dotted
from .source import read_regular_file
from .text import CR_ONLY, first_forbidden, forbidden_message, line_column, nfc

__all__ = ["MAX_BYTES", "MAX_SCALAR", "YamlDocument", "parse_yaml", "read_yaml"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_SCALAR = 20_000
# Characters YAML reads as line breaks but editors and `file:line` do not: refused up front, so
# every line number aipo reports is the one an editor shows.
_ODD_BREAKS = re.compile("\r(?!\n)|\x85")


_INT = re.compile(r"^[-+]?[0-9]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


# libyaml's parser (C) when available: ~15x faster than PyYAML's pure-Python scanner. Only its
# event stream is used; the composer below is aipo's own, so the rules are the same either way.
_PARSER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class _Refused(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def read_yaml(path: str | Path, *, display_path: str | None = None) -> YamlDocument:
    """Read one YAML file into a :class:`YamlDocument`, or raise :class:`InputError`.

    The file must be a regular file (a FIFO is never opened, see
    :func:`~.source.read_regular_file`); the repository boundary is the job of
    :class:`~.source.WorkingTree`, which the loaders use.
    """
    shown = display_path or str(path)
    try:
        raw = read_regular_file(Path(path), shown, MAX_BYTES)
    except FileNotFoundError:
        raise InputError(shown, "does not exist") from None
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
    odd = _ODD_BREAKS.search(text)
    if odd is not None:
        if odd.group() == "\r" and "\n" not in text:
            raise InputError(path, CR_ONLY, line=1)
        raise _forbidden_at(path, text, odd.start(), odd.group())
    doc = YamlDocument(path=path, data=None)
    # Only an escape (\0, \x85, ...) or a forbidden character already in the text can put one
    # into a value: a clean text without backslashes (most charters) skips the per-value check.
    raw_bad = first_forbidden(text, crlf=True)
    suspect = raw_bad is not None or "\\" in text
    try:
        parser = _PARSER(text)  # PyYAML's pure-Python reader checks the characters here
    except yaml.reader.ReaderError as e:
        raise _unacceptable(path, text, e) from None
    stack: list[list[Any]] = []
    try:
        doc.data = _compose(parser, doc, suspect, stack)
    except _Refused as e:
        raise _error_at(path, e.message, e.mark) from None
    except yaml.reader.ReaderError as e:
        raise _unacceptable(path, text, e) from None
    except ValueError:
        # PyYAML's pure-Python scanner calls chr() on an escape such as "\U00110000".
        mark = getattr(parser, "get_mark", lambda: None)()
        message = _bad_escape(text, mark) or "invalid YAML: an escape is not a Unicode character"
        raise _error_at(path, message, mark, _stack_loc(stack)) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        escaped = _bad_escape(text, mark) if "escape" in (e.problem or "") else None
        if escaped is not None:  # libyaml refuses "\uD800" and "\U00110000" while scanning
            raise _error_at(path, escaped, mark, _stack_loc(stack)) from None
        problem = e.problem or str(e)
        if e.context and e.context not in problem:
            problem = f"{problem} ({e.context})"
        raise _error_at(path, f"invalid YAML: {problem}", mark) from None
    except yaml.YAMLError as e:
        raise InputError(path, f"invalid YAML: {snippet(str(e), 80)}") from None
    finally:
        parser.dispose()
    # Values and keys are clean (checked while composing): what is left is outside them.
    if raw_bad is not None:
        raise _forbidden_at(path, text, *raw_bad)
    return doc


_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")


def _bad_escape(text: str, mark: Any) -> str | None:
    """What is wrong with the numeric escape libyaml stopped at (its mark is inside the escape):
    a forbidden character (a surrogate) gets the usual message, a code beyond U+10FFFF its own."""
    if mark is None:
        return None
    start = 0
    for _ in range(mark.line):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    backslash = text.rfind("\\", start, start + mark.column + 1)
    match = _ESCAPE.match(text, backslash) if backslash >= 0 else None
    if match is None:
        return None
    code = int(next(g for g in match.groups() if g), 16)
    if code > 0x10FFFF:
        return f"the escape {match.group()} is not a Unicode character"
    return forbidden_message(chr(code)) if first_forbidden(chr(code)) else None


def _stack_loc(stack: list[list[Any]]) -> Path_:
    """Where the composer was: the value being read, or the mapping whose key was."""
    if not stack:
        return ()
    container, loc, key = stack[-1]
    if isinstance(container, dict):
        return loc if key is _NO_KEY else (*loc, key)
    return (*loc, len(container))


def _unacceptable(path: str, text: str, error: yaml.reader.ReaderError) -> InputError:
    """A character YAML does not allow in the stream: every one of them is in the forbidden
    class, so it is reported as such, at its own line and column (the reader's position is a
    byte offset for libyaml and a character offset for PyYAML)."""
    bad = first_forbidden(text, crlf=True)
    if bad is not None:
        return _forbidden_at(path, text, *bad)
    return InputError(path, f"invalid YAML: {snippet(error.reason, 80)}")


def _forbidden_at(path: str, text: str, offset: int, ch: str) -> InputError:
    line, column = line_column(text, offset)
    return InputError(path, forbidden_message(ch), line=line, column=column)


def _text_value(value: str, loc: Path_, mark: Any, doc: YamlDocument, suspect: bool) -> str:
    """A key or string value, checked (forbidden characters when ``suspect``, length) and in
    NFC."""
    bad = first_forbidden(value) if suspect else None
    if bad is not None:
        message = forbidden_message(bad[1])
    elif len(value) > MAX_SCALAR:
        message = f"text is {len(value):,} characters long; the limit is {MAX_SCALAR:,}"
    else:
        return nfc(value)
    raise _error_at(doc.path, message, mark, loc)


def _error_at(path: str, message: str, mark: Any, loc: Path_ = ()) -> InputError:
    field = dotted(loc) or None
    if mark is None:
        return InputError(path, message, field=field)
    return InputError(path, message, line=mark.line + 1, column=mark.column + 1, field=field)


_NO_KEY = object()


def _compose(parser: Any, doc: YamlDocument, suspect: bool, stack: list[list[Any]]) -> Any:
    """Build plain data from the parser's events with an explicit stack (no recursion, so depth
    is capped here rather than by Python's or C's stack). ``stack`` (frames: container, loc,
    pending key) is the caller's, so a scanner error can be located at the field it was in."""
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
                f"YAML tags are not allowed in aipo files ({snippet(event.tag)})", event.start_mark
            )
        frame = stack[-1] if stack else None
        # A scalar in key position of a mapping is a key, not a value.
        if frame is not None and isinstance(frame[0], dict) and frame[2] is _NO_KEY:
            if kind is not yaml.ScalarEvent:
                raise _Refused("mapping keys must be plain text", event.start_mark)
            key = _text_value(event.value, (*frame[1], event.value), event.start_mark, doc, suspect)
            loc = (*frame[1], key)
            if key == "<<" and not event.style:
                raise _Refused("merge keys (<<) are not allowed", event.start_mark)
            if key in frame[0]:
                first = doc.key_positions[loc][0]
                raise _Refused(
                    f"duplicate key {snippet(key)} (first defined on line {first})",
                    event.start_mark,
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
            value = _scalar(event, doc, loc, suspect)
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


def _scalar(event: Any, doc: YamlDocument, loc: Path_, suspect: bool) -> Any:
    value: str = event.value
    if event.style:  # quoted or block scalar: always text (plain is None, or "" from libyaml)
        return _text_value(value, loc, event.start_mark, doc, suspect)
    # Plain scalars are resolved with the YAML 1.2 core schema, not PyYAML's YAML 1.1 one.
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    try:
        if _INT.match(value):
            return int(value)
        if _HEX.match(value):
            return int(value, 16)
        if _OCT.match(value):
            return int(value[2:], 8)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise _error_at(
            doc.path, f"a number with {len(value):,} digits is too large", event.start_mark, loc
        ) from None
    if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
        number = float(value)
        if math.isinf(number):
            raise _error_at(
                doc.path,
                f"{snippet(value)} is too large for a number; quote it if it is text",
                event.start_mark,
                loc,
            )
        return number
    if _INF.match(value) or _NAN.match(value):
        raise _error_at(
            doc.path,
            f"'{value}' is not a finite number; quote it if it is text",
            event.start_mark,
            loc,
        )
    return _text_value(value, loc, event.start_mark, doc, suspect)
