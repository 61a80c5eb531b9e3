"""Metric CSV reader: both layouts, and every silent pandas default turned into an error."""

from __future__ import annotations

import numpy as np
import pytest

from aipo_site.errors import InputError
from aipo_site.load.metrics import parse_metric_csv


def parse(text: str | bytes):
    return parse_metric_csv(text.encode() if isinstance(text, str) else text, "m.csv")


def error(text: str | bytes) -> InputError:
    with pytest.raises(InputError) as info:
        parse(text)
    return info.value


def test_long_form_with_segments():
    frame = parse("date,metric,value,segment\n2026-01-01,recall,0.8,\n2026-01-01,recall,0.7,65+\n")
    assert list(frame["segment"]) == ["", "65+"]
    assert frame["value"].tolist() == [0.8, 0.7]
    assert frame["line"].tolist() == [2, 3]
    assert frame["date"].dtype == np.dtype("datetime64[s]")


def test_wide_form_becomes_long():
    frame = parse("date,mape,bias\n2026-01-01,0.1,0.2\n2026-01-02,0.3,-0.4\n")
    assert sorted(zip(frame["metric"], frame["value"], strict=True)) == [
        ("bias", -0.4), ("bias", 0.2), ("mape", 0.1), ("mape", 0.3)
    ]  # fmt: skip
    assert set(frame["segment"]) == {""}


def test_crlf_bom_and_spaces_are_accepted():
    frame = parse("\ufeffdate, metric, value\r\n2026-01-01, recall, 0.5\r\n")
    assert frame["value"].tolist() == [0.5]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("", 1, "expected a header row"),
        ("date;metric;value\n2026-01-01;a;1\n", 1, "separated by semicolons"),
        ("date\tmetric\tvalue\n", 1, "separated by tabs"),
        ("date,metric,value,value\n", 1, "appears twice"),
        ("date,,value\n", 1, "empty column name"),
        ("day,metric,value\n", 1, "expected a 'date' column"),
        ("metric,date,value\n", 1, "'date' must be the first column"),
        ("date,metric\n", 1, "missing value"),
        ("date,metric,value,extra\n", 1, "unexpected column 'extra'"),
        ("date,Recall\n", 1, "not a snake_case metric name"),
        ("date,metric,value\n", 2, "no data rows"),
        ("date,metric,value\n2026-01-01,a,1\n2026-01-02,a\n", 3, "expected 3 fields"),
        ("date,metric,value,segment\n2026-01-01,a,1,\n2026-01-02,a,1\n", 3, "expected 4 fields"),
        ("date,metric,value\n2026-01-01,a,1,2\n", 2, "expected 3 fields"),
        ("date,metric,value\n2026-01-01,a,1\n\n2026-01-03,a,1\n", 3, "empty line"),
        ("date,metric,value\n2026-01-01,a,-\n", 2, "expected a finite number, found '-'"),
        ("date,metric,value\n2026-01-01,a,inf\n", 2, "found 'inf'"),
        ("date,metric,value\n2026-01-01,a,NaN\n", 2, "found 'NaN'"),
        ("date,metric,value\n2026-01-01,a,\n", 2, "found an empty cell"),
        ("date,metric,value\n2026-02-30,a,1\n", 2, "found '2026-02-30'"),
        ("date,metric,value\n2026-01-01,a,1\n01/02/2026,a,1\n", 3, "ISO date"),
        ("date,metric,value\n2026-01-01,Bad Name,1\n", 2, "snake_case metric name"),
        ("date,metric,value\n2026-01-01,a,1\n2026-01-01,a,2\n", 3, "duplicate observation"),
        (b"date,metric,value\n2026-01-01,a,\x001\n", 2, "control character U+0000 (NUL)"),
        (b"date,metric,value\n2026-01-01,\xe9,1\n", 2, "not valid UTF-8"),
    ],
)
def test_bad_input_names_file_and_line(text, line, needle):
    err = error(text)
    assert err.path == "m.csv"
    assert err.line == line
    assert needle in err.message


def test_more_bad_rows_are_counted():
    err = error("date,metric,value\n2026-01-01,a,x\n2026-01-02,a,y\n2026-01-03,a,z\n")
    assert "2 more rows like this" in err.message


def test_cr_only_line_endings_are_an_error_not_a_traceback():
    err = error(b"date,metric,value\r2026-01-01,a,1\r2026-01-02,a,2\r")
    assert (err.line, err.message) == (
        1,
        "uses CR-only line endings; save it with LF or CRLF line endings",
    )


def test_a_cr_in_the_header_is_an_error_not_a_crash():
    err = error(b"date,met\ric,value\n2026-01-01,a,1\n")
    assert (err.line, err.message) == (1, "contains the control character U+000D (CR); remove it")


def test_quoted_cells_with_newlines_and_blank_lines_are_accepted():
    text = 'date,metric,value,segment\n2026-01-01,a,1,"Region\n\nNorth"\n2026-01-02,a,2,"x, y"\n'
    frame = parse(text)
    assert frame["segment"].tolist() == ["Region\n\nNorth", "x, y"]
    assert frame["line"].tolist() == [2, 5]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (
            'date,metric,value,segment\n2026-01-01,a,1,"R\n\nN"\n2026-01-02,a,oops,\n',
            5,
            "value: expected a finite number, found 'oops'",
        ),
        ('date,metric,value\n2026-01-01,"a\n",1\n2026-13-01,a,1\n', 4, "date: expected an ISO"),
        ('date,a,b\n2026-01-01,"1\n\n",2\n2026-01-02,3\n', 5, "expected 3 fields"),
        ('date,metric,value\n"2026-01-01",a,1\n2026-01-01,a,2\n', 3, "duplicate observation"),
        ('date,metric,value\n2026-01-01,a,"1\n\n"\n\n2026-01-02,a,1\n', 5, "empty line"),
        ('date,metric,value\n2026-01-01,a,"1"x\n', 2, "quote the whole cell"),
        ('date,metric,value\n2026-01-01,a,"1\n', 2, "never closed"),
    ],
)
def test_errors_after_multiline_cells_report_the_physical_line(text, line, needle):
    err = error(text)
    assert err.line == line
    assert needle in err.message


def test_huge_numbers_are_reported_not_crashes():
    err = error("date,metric,value\n2026-01-01,a," + "9" * 400 + "\n")
    assert err.line == 2 and "expected a finite number, found '999" in err.message
    assert "…" in err.message and len(err.message) < 120
    frame = parse("date,metric,value\n2026-01-01,a,99999999999999999999999\n")
    assert frame["value"].tolist() == [1e23]


def test_segment_names_are_capped_and_nfc():
    err = error("date,metric,value,segment\n2026-01-01,a,1,x\n2026-01-01,a,1," + "s" * 201 + "\n")
    assert err.line == 3
    assert (
        "segment 'sss" in err.message and "is 201 characters long; the limit is 200" in err.message
    )
    # The same segment typed two ways is one segment: a duplicate, not two slices.
    err = error("date,metric,value,segment\n2026-01-01,a,1,Cafe\u0301\n2026-01-01,a,2,Caf\u00e9\n")
    assert err.line == 3 and "duplicate observation" in err.message


def test_long_header_names_are_refused():
    err = error("date," + "m" * 201 + "\n2026-01-01,1\n")
    assert (err.line, err.message.endswith("the limit is 200")) == (1, True)


def test_unicode_digits_are_not_numbers_or_dates():
    err = error("date,metric,value\n\u0662\u0660\u0662\u0666-01-01,a,1\n")
    assert err.line == 2 and "ISO date" in err.message
    err = error("date,metric,value\n2026-01-01,a,\u0661\n")
    assert err.line == 2 and "finite number" in err.message
