"""The checks every CSV reader shares: decoding, line endings, forbidden characters, NFC, the
header, and the careful record reader's physical line numbers."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from aipo_site.errors import InputError
from aipo_site.load.csvtext import (
    commas_per_line,
    decode_csv,
    read_header,
    read_records,
    to_floats,
)


def decode(raw: bytes) -> str:
    return decode_csv(raw, "f.csv", 10_000)


def decode_error(raw: bytes) -> InputError:
    with pytest.raises(InputError) as info:
        decode(raw)
    return info.value


def test_crlf_becomes_lf_and_the_bom_goes():
    assert decode(b"\xef\xbb\xbfa,b\r\n1,2\r\n") == "a,b\n1,2\n"


def test_cr_only_line_endings_are_refused_with_advice():
    err = decode_error(b"a,b\r1,2\r")
    assert (err.line, err.message) == (
        1,
        "uses CR-only line endings; save it with LF or CRLF line endings",
    )


def test_a_lone_cr_is_the_control_character_error_at_its_line():
    err = decode_error(b"a,b\r\n1,2\r\n3,x\ry\r\n")
    assert (err.line, err.message) == (3, "contains the control character U+000D (CR); remove it")


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "control character U+0000 (NUL)"),
        ("\x1b", "control character U+001B (ESC)"),
        ("\x7f", "control character U+007F (DEL)"),
        ("\x85", "control character U+0085 (NEL)"),
        ("\ufdd0", "noncharacter U+FDD0"),
        ("\uffff", "noncharacter U+FFFF"),
        ("\u202e", "bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2067", "bidirectional control U+2067 (RIGHT-TO-LEFT ISOLATE)"),
    ],
)
def test_every_forbidden_class_in_a_cell_names_the_line(char, name):
    err = decode_error(f"a,b\n1,2\n3,x{char}y\n".encode())
    assert err.line == 3
    assert err.message.startswith(f"contains the {name}")


def test_too_big_and_not_utf8():
    assert "limit is 10,000" in decode_error(b"x" * 10_001).message
    err = decode_error(b"a\n\xff\n")
    assert (err.line, err.message) == (2, "not valid UTF-8 (byte 2)")


def test_text_is_nfc():
    assert decode("seg\nCafe\u0301\n".encode()) == "seg\nCaf\u00e9\n"


def header(text: str) -> list[str]:
    return read_header(text, "f.csv", "a,b")


def header_error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        header(text)
    return info.value


def test_header_names_are_stripped_and_may_be_quoted():
    assert header(' a , "b,c",d\n1,2,3\n') == ["a", "b,c", "d"]


def test_a_cr_in_an_unquoted_header_field_is_an_error_not_a_crash():
    # read_header used to raise csv.Error here (direct callers get text decode_csv never saw).
    err = header_error("da\rte,value\n1,2\n")
    assert (err.line, err.message) == (1, "contains the control character U+000D (CR); remove it")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "expected a header row (a,b)"),
        ("a;b\n", "separated by semicolons"),
        ("a,,b\n", "empty column name"),
        ("a,b,a\n", "column 'a' appears twice in the header"),
        ("a,x\x00y\n", "column 'x\\x00y' contains the control character U+0000 (NUL)"),
        ("a," + "b" * 201 + "\n", "is 201 characters long; the limit is 200"),
        ('a,"b\n', "a quoted cell starts on this line and is never closed"),
    ],
)
def test_header_errors(text, needle):
    err = header_error(text)
    assert err.line == 1
    assert needle in err.message


def test_duplicate_header_names_are_escaped_and_cut():
    name = "\u202e" + "x" * 60
    err = header_error(f"{name},{name}\n")
    assert "\u202e" not in str(err)
    assert "'\\u202exxx" in err.message and "…" in err.message


def records(text: str, width: int):
    rows, lines = read_records(text, "f.csv", width)
    return rows, lines.tolist()


def records_error(text: str, width: int) -> InputError:
    with pytest.raises(InputError) as info:
        read_records(text, "f.csv", width)
    return info.value


def test_quoted_cells_with_newlines_and_blank_lines_keep_physical_lines():
    text = 'a,b\n1,"one\n\ntwo"\n2,"x, y"\n3,""\n'
    rows, lines = records(text, 2)
    assert rows == [["1", "one\n\ntwo"], ["2", "x, y"], ["3", ""]]
    assert lines == [2, 5, 6]


def test_a_quoted_multiline_header_is_skipped_whole():
    rows, lines = records('"a\nb",c\n1,2\n', 2)
    assert (rows, lines) == ([["1", "2"]], [3])


def test_trailing_blank_lines_are_ignored_inner_ones_are_errors():
    assert records("a,b\n1,2\n\n\n", 2) == ([["1", "2"]], [2])
    err = records_error('a,b\n1,"x\n\ny"\n\n3,4\n', 2)
    assert (err.line, err.message) == (5, "empty line in the data")
    assert records_error("a,b\n1,2\n   \n3,4\n", 2).line == 3


def test_in_a_one_column_file_an_empty_line_is_an_empty_cell():
    assert records("a\n1\n\n2\n", 1) == ([["1"], [""], ["2"]], [2, 3, 4])


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('a,b\n1,"x\n\ny"\n3\n', 5, "expected 2 fields (as in the header), found 1"),
        ('a,b\n1,"x"y\n', 2, 'quote the whole cell and write a quote inside it as ""'),
        ('a,b\n1,2\n3,"open\n\n', 3, "a quoted cell starts on this line and is never closed"),
    ],
)
def test_record_errors_have_the_physical_line(text, line, needle):
    err = records_error(text, 2)
    assert err.line == line
    assert needle in err.message


def test_a_cell_beyond_the_csv_modules_limit_is_an_error():
    big = "x" * (csv.field_size_limit() + 1)
    err = records_error(f'a,b\n1,"{big}"\n', 2)
    assert (err.line, err.message) == (
        2,
        f"a cell is longer than {csv.field_size_limit():,} characters",
    )


def test_commas_per_line():
    assert commas_per_line("a,b\n\n1,2,3\n\u00e9,x").tolist() == [1, 0, 2, 1]


def test_to_floats_never_overflows():
    import pandas as pd

    values = to_floats(pd.Series(["1", "9" * 400, "-" + "9" * 400, "x", "", "1e5", "1_000"]))
    assert values[0] == 1.0 and values[5] == 1e5
    assert np.isinf(values[1]) and np.isinf(values[2])
    assert np.isnan(values[3]) and np.isnan(values[4]) and np.isnan(values[6])
