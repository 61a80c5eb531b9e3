"""The one definition of the characters aipo refuses in loaded text, and Unicode normalisation.

Every text aipo loads (YAML keys and string values, including the ones escapes such as ``"\\0"``
produce; CSV header names and cells; file names listed from the repository) is checked against
:data:`FORBIDDEN` and normalised to NFC. Refused:

- C0 controls U+0000–U+001F except TAB (U+0009) and LF (U+000A); DEL U+007F; C1 controls
  U+0080–U+009F. They are invisible or move the cursor, so what a reviewer sees is not what is
  stored. CR (U+000D) is accepted only as part of a CRLF line ending of the file itself; the
  readers turn CRLF into LF before looking at the text;
- noncharacters (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF in every plane) and lone surrogates
  (U+D800–U+DFFF, which is also what undecodable bytes in a file name become): never text;
- the bidirectional embedding, override and isolate controls U+202A–U+202E and U+2066–U+2069.
  They make text display in an order different from the one stored (the "Trojan Source" trick,
  CVE-2021-42574), so a reviewer would approve something other than what is evaluated. Natural
  right-to-left text never needs them; the marks U+200E, U+200F and U+061C stay allowed.

NFC: the same visible name typed on two keyboards (``é`` as one code point or as ``e`` plus a
combining accent) must be the same key, segment or feature, not two that look identical.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CR_ONLY",
    "FORBIDDEN",
    "FORBIDDEN_RANGES",
    "char_name",
    "escape_path",
    "first_forbidden",
    "forbidden_message",
    "line_column",
    "nfc",
]

# The one definition: the refused code points as inclusive ranges.
FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x08),  # C0 controls before TAB
    (0x0B, 0x1F),  # C0 controls after LF (CR included: allowed only in a file's CRLF)
    (0x7F, 0x9F),  # DEL and the C1 controls
    (0xD800, 0xDFFF),  # surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2066, 0x2069),  # bidirectional isolates
    *((plane * 0x10000 + 0xFFFE, plane * 0x10000 + 0xFFFF) for plane in range(17)),
)


def _negated_class(ranges: list[tuple[int, int]]) -> str:
    """``[^...]`` listing the complement of ``ranges``: the same set of characters as the
    positive class, but Python's regex engine scans it about ten times faster."""
    allowed = []
    start = 0
    for lo, hi in sorted(ranges):
        if lo > start:
            allowed.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= 0x10FFFF:
        allowed.append((start, 0x10FFFF))
    body = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in allowed
    )
    return f"[^{body}]"


FORBIDDEN = re.compile(_negated_class(list(FORBIDDEN_RANGES)))
# What the YAML and CSV readers say about a file whose only line breaks are CRs (old Mac OS).
CR_ONLY = "uses CR-only line endings; save it with LF or CRLF line endings"
# For a whole file with its line endings still in it: CR is looked for separately, since one
# directly followed by LF is a CRLF line ending, not a character of the content.
_FORBIDDEN_BUT_CR = re.compile(
    _negated_class(
        [r for r in FORBIDDEN_RANGES if r != (0x0B, 0x1F)] + [(0x0B, 0x0C), (0x0E, 0x1F)]
    )
)
_LONE_CR = re.compile("\r(?!\n)")
# Printable ASCII, TAB and LF: an ASCII text holding only these is clean (checked in C).
_CLEAN_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"

# Unicode's abbreviations of the control characters, which have no character name of their own.
# fmt: off
_C0 = (
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
)
_C1 = (
    "PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU",
    "RI", "SS2", "SS3", "DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGC", "SCI",
    "CSI", "ST", "OSC", "PM", "APC",
)
# fmt: on


def first_forbidden(text: str, *, crlf: bool = False) -> tuple[int, str] | None:
    """The offset and character of the first forbidden character in ``text``, or None.

    ``crlf``: the text is a whole file whose CRLF line endings are still in it, so a CR
    directly followed by LF is a line ending rather than a character of the content.
    """
    if text.isascii():
        leftover = text.encode("ascii").translate(None, _CLEAN_ASCII)
        if not leftover or (crlf and not leftover.strip(b"\r") and not _LONE_CR.search(text)):
            return None
    if not crlf:
        match = FORBIDDEN.search(text)
        return None if match is None else (match.start(), match.group())
    found = [m for m in (_FORBIDDEN_BUT_CR.search(text), _LONE_CR.search(text)) if m is not None]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    return first.start(), first.group()


def char_name(ch: str) -> str:
    """``U+0000 (NUL)``, ``U+202E (RIGHT-TO-LEFT OVERRIDE)``: the code point and, where Unicode
    gives it one, its name (control characters have only abbreviations, listed here)."""
    cp = ord(ch)
    if cp < 0x20:
        name = _C0[cp]
    elif cp == 0x7F:
        name = "DEL"
    elif 0x80 <= cp <= 0x9F:
        name = _C1[cp - 0x80]
    else:
        name = unicodedata.name(ch, "")
    return f"U+{cp:04X} ({name})" if name else f"U+{cp:04X}"


def _kind(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return "the control character"
    if 0xD800 <= cp <= 0xDFFF:
        return "the lone surrogate"
    return "the noncharacter"


def forbidden_message(ch: str) -> str:
    """What an error says about a forbidden character, e.g. ``contains the control character
    U+0000 (NUL); remove it``."""
    cp = ord(ch)
    if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
        return (
            f"contains the bidirectional control {char_name(ch)}, which makes text display in "
            "another order than it is stored; remove it"
        )
    return f"contains {_kind(ch)} {char_name(ch)}; remove it"


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (lines end at LF only)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def nfc(text: str) -> str:
    """``text`` in Unicode normalisation form C (returned as is when it already is, the common
    case, which costs one quick check)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def escape_path(path: str) -> str:
    """A file name fit for a one-line message: bytes that are not UTF-8 (which Python reads as
    lone surrogates U+DC80–U+DCFF) as ``\\xNN``, forbidden and invisible characters as
    ``\\xNN``/``\\uNNNN`` escapes, the rest as it is."""
    out = []
    for ch in path:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append(f"\\x{cp - 0xDC00:02x}")
        elif ch == "\\":
            out.append("\\\\")
        elif FORBIDDEN.match(ch) or not ch.isprintable() or ch in "\t\n":
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)
