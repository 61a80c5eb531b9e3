"""The one character class every loader refuses, its names in messages, and error snippets."""

from __future__ import annotations

import pytest

from aipo_site.errors import snippet
from aipo_site.load.text import (
    FORBIDDEN,
    FORBIDDEN_RANGES,
    char_name,
    escape_path,
    first_forbidden,
    forbidden_message,
    line_column,
    nfc,
)

# One representative (or the edges) of each refused class.
REFUSED = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
    "\ud800",
    "\udfff",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
]
# Allowed: TAB, LF, the bidi *marks*, right-to-left text, the line/paragraph separators, the
# neighbours of each refused range.
ALLOWED = [
    "\t",
    "\n",
    " ",
    "~",
    "\xa0",
    "é",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u2028",
    "\u2029",
    "\u2029\u2065",
    "\u206a",
    "\ufdcf",
    "\ufdf0",
    "\ufffd",
    "\U0001fffd",
    "\ud7ff",
    "\ue000",
    "שלום",
    "مرحبا",
]


@pytest.mark.parametrize("ch", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_every_refused_class_is_found_with_its_offset(ch):
    assert first_forbidden(f"ab{ch}c") == (2, ch)


@pytest.mark.parametrize("text", ALLOWED, ids=lambda t: "+".join(f"U+{ord(c):04X}" for c in t))
def test_allowed_text_passes(text):
    assert first_forbidden(f"a{text}b") is None


def test_crlf_is_a_line_ending_only_in_a_whole_file():
    assert first_forbidden("a\r\nb", crlf=True) is None
    assert first_forbidden("a\r\nb") == (1, "\r")  # inside a value, CR is a control character
    assert first_forbidden("a\r\nb\rc", crlf=True) == (4, "\r")
    assert first_forbidden("a\r", crlf=True) == (1, "\r")


@pytest.mark.parametrize(
    ("ch", "name"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\r", "U+000D (CR)"),
        ("\x1b", "U+001B (ESC)"),
        ("\x7f", "U+007F (DEL)"),
        ("\x85", "U+0085 (NEL)"),
        ("\x9f", "U+009F (APC)"),
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("\ufffe", "U+FFFE"),
        ("\U0010ffff", "U+10FFFF"),
    ],
)
def test_character_names(ch, name):
    assert char_name(ch) == name


def test_messages_say_what_the_character_is_and_what_to_do():
    assert forbidden_message("\x00") == "contains the control character U+0000 (NUL); remove it"
    assert forbidden_message("\ufdd0") == "contains the noncharacter U+FDD0; remove it"
    assert forbidden_message("\udc80") == "contains the lone surrogate U+DC80; remove it"
    assert forbidden_message("\u202e") == (
        "contains the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE), which makes text "
        "display in another order than it is stored; remove it"
    )


def test_line_column_counts_lf_only():
    text = "ab\ncd\r\nef"
    assert line_column(text, 0) == (1, 1)
    assert line_column(text, 4) == (2, 2)
    assert line_column(text, 8) == (3, 2)


def test_nfc():
    assert nfc("cafe\u0301") == "caf\u00e9"
    assert nfc("plain") == "plain"
    assert nfc("\u212b") == "\u00c5"  # ANGSTROM SIGN -> LATIN CAPITAL A WITH RING


def test_escape_path_shows_bytes_and_invisible_characters():
    assert escape_path("m/caf\udce9.csv") == "m/caf\\xe9.csv"
    assert escape_path("m/a\x1bb\u202e.csv") == "m/a\\x1bb\\u202e.csv"
    assert escape_path("m/a\tb\nc") == "m/a\\tb\\nc"
    assert escape_path("m/a\\b é.csv") == "m/a\\\\b é.csv"


def test_snippet_is_short_escaped_and_one_line():
    assert snippet("abc") == "'abc'"
    assert snippet("a" * 41) == "'" + "a" * 40 + "…'"
    assert snippet("x\ny\u202ez\x00") == "'x\\ny\\u202ez\\x00'"
    assert snippet("it's") == '"it\'s"'
    assert snippet(1.5) == "1.5"
    assert snippet(10**5000) == "a number too large to show"
    assert snippet("é" * 10, limit=3) == "'ééé…'"


def test_the_fast_regex_is_exactly_the_declared_ranges():
    # FORBIDDEN is compiled as the complement of what is allowed (ten times faster to scan);
    # check it against FORBIDDEN_RANGES over every code point, in both search modes.
    everything = "".join(chr(cp) for cp in range(0x110000))
    declared = {cp for lo, hi in FORBIDDEN_RANGES for cp in range(lo, hi + 1)}
    assert {m.start() for m in FORBIDDEN.finditer(everything)} == declared
    for cp in sorted(declared):  # the whole-file mode finds each one too (none is in a CRLF)
        assert first_forbidden(f"a\r\n{chr(cp)}b", crlf=True) == (3, chr(cp))
    assert first_forbidden("ok\r\n" * 3, crlf=True) is None
    assert first_forbidden("ascii \x01") == (6, "\x01")
    assert first_forbidden("\u00e9\r\n\u00e9", crlf=True) is None
    assert first_forbidden("\u00e9\r\u00e9", crlf=True) == (1, "\r")
