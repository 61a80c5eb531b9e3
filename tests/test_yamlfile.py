"""The careful YAML reader: YAML 1.2 scalars, refusals, and positions."""

from __future__ import annotations

import pytest
import yaml

from aipo_site.errors import InputError
from aipo_site.load import yamlfile
from aipo_site.load.yamlfile import MAX_BYTES, parse_yaml


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def parser(request, monkeypatch):
    """Every test runs with libyaml's parser and with PyYAML's pure-Python one."""
    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(yamlfile, "_PARSER", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yamlfile, "_PARSER", yaml.SafeLoader)


def parse(text: str | bytes):
    raw = text.encode() if isinstance(text, str) else text
    return parse_yaml(raw, "f.yaml")


def error(text: str | bytes) -> InputError:
    with pytest.raises(InputError) as info:
        parse(text)
    return info.value


def test_yaml_1_1_surprises_stay_text_or_decimal():
    data = parse("a: no\nb: NO\nc: off\nd: 0755\ne: 2026-01-01\nf: 1.10\ng: yes\n").data
    assert data == {
        "a": "no",
        "b": "NO",
        "c": "off",
        "d": 755,
        "e": "2026-01-01",
        "f": 1.1,
        "g": "yes",
    }


def test_core_schema_scalars():
    data = parse(
        "t: true\nf: False\nn: null\nt2: ~\ni: -3\nx: 0x1F\no: 0o17\nfl: 2.5e3\ns: 'true'\n"
    ).data
    assert data == {
        "t": True,
        "f": False,
        "n": None,
        "t2": None,
        "i": -3,
        "x": 31,
        "o": 15,
        "fl": 2500.0,
        "s": "true",
    }


def test_positions_point_at_values():
    doc = parse("id: x\nkpis:\n  - metric: recall\n    window_days: 7\n")
    assert doc.position(("kpis", 0, "window_days")) == (4, 18)
    assert doc.position(("kpis", 0, "missing")) == (3, 5)  # nearest parent


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first defined on line 1)"),
        ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
        ("a: &x [1]\nb: *x\n", 1, "anchors"),
        ("b: *x\n", 1, "aliases"),
        ("a: !!python/object/apply:os.system ['true']\n", 1, "tags are not allowed"),
        ("a: !custom 1\n", 1, "tags are not allowed"),
        ("<<: {a: 1}\n", 1, "merge keys"),
        ("a: .inf\n", 1, "not a finite number"),
        ("a: .nan\n", 1, "not a finite number"),
        ("a: [1,\n", 2, "invalid YAML"),
        ("a: b: c\n", 1, "invalid YAML"),
        ("? [a]\n: 1\n", 1, "mapping keys must be plain text"),
    ],
)
def test_refusals_name_the_line(text, line, needle):
    err = error(text)
    assert err.line == line
    assert needle in err.message
    assert str(err).startswith(f"f.yaml:{line}")


def test_alias_bomb_is_refused_before_expansion():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert "anchors" in error(bomb).message


def test_deep_nesting_is_an_error_not_a_crash():
    assert "nesting" in error("[" * 5000 + "]" * 5000).message
    assert "nesting" in error("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80))).message


def test_encoding_and_size():
    assert "UTF-8" in error(b"a: \xff\n").message
    assert "limit" in error(b"a: " + b"x" * (MAX_BYTES + 1)).message
    assert parse("\ufeffa: 1\n").data == {"a": 1}


def test_empty_document_has_no_data():
    assert parse("").data is None
    assert parse("# only a comment\n").data is None


# --- forbidden characters, line endings, NFC, sizes ------------------------------------------

# One of each refused class, written as a YAML escape in a double-quoted scalar.
ESCAPED = [
    ("\\0", "control character U+0000 (NUL)"),
    ("\\e", "control character U+001B (ESC)"),
    ("\\r", "control character U+000D (CR)"),
    ("\\x7f", "control character U+007F (DEL)"),
    ("\\x85", "control character U+0085 (NEL)"),
    ("\\N", "control character U+0085 (NEL)"),
    ("\\x9b", "control character U+009B (CSI)"),
    ("\\uFDD0", "noncharacter U+FDD0"),
    ("\\uFFFE", "noncharacter U+FFFE"),
    ("\\U0010FFFF", "noncharacter U+10FFFF"),
    ("\\u202E", "bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("\\u2066", "bidirectional control U+2066 (LEFT-TO-RIGHT ISOLATE)"),
]


@pytest.mark.parametrize(("escape", "name"), ESCAPED)
def test_escapes_producing_forbidden_characters_in_values_name_field_and_scalar(escape, name):
    err = error(f'id: x\nowner:\n  name: "Ada{escape}"\n')
    assert (err.line, err.column, err.field) == (3, 9, "owner.name")
    assert err.message == f"contains the {name}; remove it" or err.message.startswith(
        f"contains the {name}, which makes text display"
    )


@pytest.mark.parametrize(("escape", "name"), ESCAPED)
def test_escapes_producing_forbidden_characters_in_keys(escape, name):
    err = error(f'id: x\nowner:\n  "na{escape}me": Ada\n')
    assert (err.line, err.column) == (3, 3)
    assert err.field is not None and err.field.startswith("owner.'na\\")
    assert f"contains the {name}" in err.message
    assert "\n" not in str(err) and "\r" not in str(err)


def test_escaped_forbidden_character_in_a_list_item():
    err = error('kpis:\n  - "a"\n  - "b\\0"\n')
    assert (err.line, err.column, err.field) == (3, 5, "kpis[1]")


@pytest.mark.parametrize(
    ("raw", "line", "column", "name"),
    [
        ("a: 1\nb: x\x00y\n", 2, 5, "control character U+0000 (NUL)"),
        ("a: 1\nb: x\x1by\n", 2, 5, "control character U+001B (ESC)"),
        ("a: 1\nb: x\x7fy\n", 2, 5, "control character U+007F (DEL)"),
        ("a: 1\nb: x\x9by\n", 2, 5, "control character U+009B (CSI)"),
        ("a: 1\nb: x\ufffey\n", 2, 5, "noncharacter U+FFFE"),
        ("a: 1\nk\x01: v\n", 2, 2, "control character U+0001 (SOH)"),
    ],
)
def test_raw_characters_yaml_refuses_are_reported_at_their_line_and_column(raw, line, column, name):
    err = error(raw)
    assert (err.line, err.column) == (line, column)
    assert err.message == f"contains the {name}; remove it"


def test_raw_bidi_controls_and_noncharacters_in_values_and_keys_have_the_field():
    err = error("a: 1\nb: x\u202ey\n")
    assert (err.line, err.column, err.field) == (2, 4, "b")
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in err.message
    err = error("a: 1\nk\u2067: v\n")
    assert (err.line, err.column, err.field) == (2, 1, "'k\\u2067'")
    err = error("a: 1\nb: [x\ufdd0]\n")
    assert (err.field, err.message) == ("b[0]", "contains the noncharacter U+FDD0; remove it")


def test_a_bidi_control_outside_values_is_refused_too():
    err = error("a: 1  # note \u202e\nb: 2\n")
    assert (err.line, err.column, err.field) == (1, 14, None)
    assert "U+202E" in err.message


def test_allowed_characters_stay():
    data = parse('a: "tab\\there"\nb: "x\\ny"\nc: \u05e9\u05dc\u05d5\u05dd\u200f\nd: \u200e\n').data
    assert data == {"a": "tab\there", "b": "x\ny", "c": "שלום\u200f", "d": "\u200e"}


def test_crlf_files_are_read_with_editor_line_numbers():
    doc = parse(b"a: 1\r\nb:\r\n  - x\r\n")
    assert doc.data == {"a": 1, "b": ["x"]}
    assert doc.position(("b", 0)) == (3, 5)


def test_cr_only_files_are_refused_with_advice():
    err = error(b"a: 1\rb: 2\r")
    assert (err.line, err.message) == (
        1,
        "uses CR-only line endings; save it with LF or CRLF line endings",
    )


@pytest.mark.parametrize(
    ("raw", "line", "column", "name"),
    [
        (b"a: 1\nb: x\ry\n", 2, 5, "U+000D (CR)"),
        (b"a: 1\r\nb: 2\r\nc: x\ry\r\n", 3, 5, "U+000D (CR)"),
        ("a: 1\nb: x\x85y\n".encode(), 2, 5, "U+0085 (NEL)"),
    ],
)
def test_line_breaks_yaml_knows_but_editors_do_not_are_refused(raw, line, column, name):
    # YAML would read them as line breaks and shift every line number after them.
    err = error(raw)
    assert (err.line, err.column) == (line, column)
    assert err.message == f"contains the control character {name}; remove it"


def test_keys_and_values_are_nfc_so_lookalike_keys_are_duplicates():
    assert parse('name: "Cafe\u0301"\n').data == {"name": "Caf\u00e9"}
    err = error("cafe\u0301: 1\ncaf\u00e9: 2\n")
    assert err.line == 2 and "duplicate key 'café' (first defined on line 1)" in err.message


def test_a_string_scalar_longer_than_the_cap_is_an_error():
    assert parse("a: " + "x" * yamlfile.MAX_SCALAR + "\n").data == {"a": "x" * 20_000}
    err = error('a:\n  b: "' + "x" * (yamlfile.MAX_SCALAR + 1) + '"\n')
    assert (err.line, err.field) == (2, "a.b")
    assert err.message == "text is 20,001 characters long; the limit is 20,000"


def test_numbers_too_large_are_errors_not_crashes():
    err = error("a: " + "9" * 5000 + "\n")
    assert (err.line, err.field, err.message) == (1, "a", "a number with 5,000 digits is too large")
    err = error("a:\n  b: 1e999\n")
    assert (err.line, err.field) == (2, "a.b")
    assert err.message == "'1e999' is too large for a number; quote it if it is text"


def test_messages_quote_input_short_and_escaped():
    key = "k" * 100
    err = error(f'"{key}": 1\n"{key}": 2\n')
    assert len(err.message) < 100 and "…" in err.message
    err = error("a: !" + "t" * 100 + " x\n")
    assert "tags are not allowed" in err.message and len(err.message) < 120


def test_read_yaml_refuses_a_fifo_without_opening_it(tmp_path):
    import os

    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a named pipe \(FIFO\), not a regular file"):
        yamlfile.read_yaml(fifo, display_path="policy.yaml")
    with pytest.raises(InputError, match="does not exist"):
        yamlfile.read_yaml(tmp_path / "missing.yaml")
    (tmp_path / "ok.yaml").write_text("a: 1\n")
    assert yamlfile.read_yaml(tmp_path / "ok.yaml").data == {"a": 1}


@pytest.mark.parametrize("escape", ["\\uD800", "\\uDFFF", "\\U0000DC00"])
def test_escaped_lone_surrogates_are_forbidden_characters_with_their_field(escape):
    # libyaml refuses these while scanning, PyYAML builds the string: the message is the same.
    err = error(f'id: x\nowner:\n  name: "Ada {escape} Lovelace"\n')
    assert (err.line, err.field) == (3, "owner.name")
    assert err.message.startswith("contains the lone surrogate U+D") and "remove it" in err.message


def test_an_escape_beyond_unicode_is_an_error_not_a_crash():
    # PyYAML's pure-Python scanner used to raise ValueError from chr() here.
    err = error('a:\n  - "x \\U00110000 y"\n')
    assert (err.line, err.field) == (2, "a[0]")
    assert err.message == "the escape \\U00110000 is not a Unicode character"
