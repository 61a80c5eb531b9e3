"""Property-based tests of every loader: whatever the bytes, a loader returns clean data or raises
a documented error (InputError, or InputErrors), never another exception and never a hang.

Inputs are built to reach deep into each reader: nearly valid files with one or two cells
replaced by hostile tokens (CR, quotes, NUL, bidi controls, noncharacters, huge integers,
Unicode digits, combining accents, over-long names), rows made short or long, blank lines,
duplicate headers and CR/CRLF line endings; then raw text and raw bytes. Each test is
derandomized (the same examples every run) so a failure reproduces; together they run well over
10,000 examples (``--hypothesis-show-statistics`` prints the counts).

Besides "only documented errors", each test checks what a caller relies on: an error is one
line naming the file (and a line within the file, when it gives one); data that loads holds no
forbidden character, is NFC, and has finite numbers where numbers are promised.
"""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipo_site.errors import InputError, InputErrors
from aipo_site.load import yamlfile
from aipo_site.load.csvtext import decode_csv, read_header
from aipo_site.load.drift import parse_bins_csv, parse_samples_csv
from aipo_site.load.metrics import parse_metric_csv
from aipo_site.load.text import first_forbidden
from aipo_site.load.validate import validate_document
from aipo_site.load.yamlfile import parse_yaml
from aipo_site.model.charter import Charter
from aipo_site.model.policy import Policy
from tests.conftest import MINI_CHARTER, MINI_POLICY


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# Cells that have broken, or could break, a reader.
HOSTILE = [
    "",
    " ",
    '"',
    '""',
    '"a""b"',
    '"x\n\ny"',
    '"unclosed',
    '"1"x',
    "a,b",
    "\r",
    "\r\n",
    "\n",
    "\n\n",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\u202e",
    "\u2066",
    "\ufdd0",
    "\ufffe",
    "\U0010ffff",
    "\u200f",
    "\ufeff",
    "\t",
    "e\u0301",
    "\u00e9",
    "\u0662\u0660\u0662\u0666-01-01",
    "\u0661",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "9" * 30,
    "9" * 400,
    "-" + "9" * 400,
    "1e999",
    "-1e999",
    "1e-999",
    "inf",
    "-Infinity",
    "NaN",
    "nan",
    "-",
    "?",
    "1_000",
    "0x1F",
    "+1",
    ".5",
    "5.",
    "-0",
    "1000000000000000",
    "1000000000000001",
    "0" * 40 + "7",
    "x" * 201,
    "date",
    "metric",
    "value",
    "segment",
    "feature",
    "period",
]

hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6))
dates = st.sampled_from(["2026-01-01", "2026-01-02", "2026-01-03", "2026-02-01", "2026-11-20"])
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["0", "1", "0.5", "-2.25e3"]),
)
counts = st.one_of(st.integers(0, 20).map(str), st.sampled_from(["0", "1", "10", "100"]))
metric_names = st.sampled_from(["recall", "precision", "auc", "a_b"])
segments = st.sampled_from(["", "65+", "EU", "Caf\u00e9", "Cafe\u0301", '"quoted, seg"', '"a\nb"'])


@st.composite
def csv_file(draw: st.DrawFn, header: list[str], row: st.SearchStrategy) -> bytes:
    """A CSV from a header and a row strategy, then damaged: cells replaced by hostile ones,
    rows shortened, lengthened, duplicated or blanked, a header name doubled, odd line ends."""
    rows = [list(r) for r in draw(st.lists(row, min_size=1, max_size=10))]
    head = list(header)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, len(rows[i]) - 1)) if rows[i] else 0
        if rows[i]:
            rows[i][j] = draw(hostile)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["blank", "short", "long", "dup", "dup_header"]))
        if op == "blank":
            rows.insert(i, [])
        elif op == "short":
            rows[i] = rows[i][:-1]
        elif op == "long":
            rows[i] = [*rows[i], draw(hostile)]
        elif op == "dup":
            rows.insert(i, list(rows[i]))
        else:
            head = [*head, draw(st.sampled_from(head))]
    eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    tail = draw(st.sampled_from(["", eol, eol * 2]))
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    text = bom + eol.join([",".join(head)] + [",".join(r) for r in rows]) + tail
    return text.encode("utf-8", "surrogatepass")


def check_error(error: Exception, path: str, raw: bytes) -> None:
    """A documented error: one line, naming the file, at a line the file has."""
    assert isinstance(error, InputError | InputErrors), type(error)
    errors = error.errors if isinstance(error, InputErrors) else [error]
    for e in errors:
        assert e.path == path
        assert "\n" not in str(e) and "\r" not in str(e), str(e)
        if e.line is not None:
            assert 1 <= e.line <= raw.count(b"\n") + 2, (e.line, str(e))


def check_text(value: Any) -> None:
    if isinstance(value, str):
        assert first_forbidden(value) is None, repr(value)
        assert unicodedata.is_normalized("NFC", value), repr(value)


def load(parse: Any, raw: bytes, path: str, **kwargs: Any) -> pd.DataFrame | None:
    try:
        return parse(raw, path, **kwargs)
    except Exception as e:  # anything but a documented error fails the test
        check_error(e, path, raw)
        return None


# --- metric CSVs --------------------------------------------------------------------------------

metric_long = csv_file(["date", "metric", "value"], st.tuples(dates, metric_names, numbers))
metric_segments = csv_file(
    ["date", "metric", "value", "segment"], st.tuples(dates, metric_names, numbers, segments)
)
metric_wide = csv_file(["date", "recall", "precision"], st.tuples(dates, numbers, numbers))


def check_metrics(frame: pd.DataFrame | None, raw: bytes) -> None:
    if frame is None:
        return
    assert list(frame.columns) == ["date", "metric", "value", "segment", "line"]
    assert np.isfinite(frame["value"].to_numpy()).all()
    assert (frame["line"] >= 2).all() and (frame["line"] <= raw.count(b"\n") + 1).all()
    assert not frame.duplicated(["date", "metric", "segment"]).any()
    for value in frame["segment"]:
        check_text(value)


@fuzz(2000)
@given(st.one_of(metric_long, metric_segments, metric_wide))
def test_metric_csvs_long_and_wide(raw: bytes) -> None:
    check_metrics(load(parse_metric_csv, raw, "m.csv"), raw)


@fuzz(800)
@given(
    st.one_of(
        csv_file(["date", "metric", "value"], st.lists(hostile, max_size=5)),
        csv_file(["date", "x", "y"], st.lists(hostile, max_size=4)),
        st.binary(max_size=120),
    )
)
def test_metric_csvs_from_anything(raw: bytes) -> None:
    check_metrics(load(parse_metric_csv, raw, "m.csv"), raw)


# --- drift samples and bins ---------------------------------------------------------------------

samples_dated = csv_file(
    ["date", "amount", "channel"],
    st.tuples(dates, numbers, st.sampled_from(["store", "online", "", "Caf\u00e9", '"a,\n\nb"'])),
)
samples_plain = csv_file(["amount", "channel"], st.tuples(numbers, st.sampled_from(["a", "b", ""])))
samples_one = csv_file(["amount"], st.tuples(st.one_of(numbers, st.just(""))))


def check_samples(frame: pd.DataFrame | None) -> None:
    if frame is None:
        return
    for name in frame.columns:
        check_text(name)
        column = frame[name].to_numpy()
        if column.dtype.kind == "f":
            assert not np.isinf(column).any()
        elif column.dtype == object:
            for value in column:
                check_text(value)


@fuzz(1500)
@given(st.one_of(samples_dated, samples_plain, samples_one), st.booleans())
def test_samples_csvs(raw: bytes, dated: bool) -> None:
    check_samples(load(parse_samples_csv, raw, "s.csv", dated=dated))


@st.composite
def bins_file(draw: st.DrawFn) -> bytes:
    periods = draw(st.sampled_from([[""], ["2026-11-02", "2026-11-09"]]))
    dated = periods != [""]
    rows = []
    for period in periods:
        for feature in ("age", "size"):
            for label, ref, cur in (("x", 5, 3), ("y", 5, 7)):
                rows.append([*([period] if dated else []), feature, label, str(ref), str(cur)])
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, len(rows[i]) - 1))
        rows[i][j] = draw(st.one_of(hostile, counts))
    header = [*(["period"] if dated else []), "feature", "bin", "reference_count", "current_count"]
    return draw(csv_file(header, st.sampled_from(rows)))


def check_bins(frame: pd.DataFrame | None) -> None:
    if frame is None:
        return
    for name in ("reference_count", "current_count"):
        assert frame[name].dtype == np.int64 and (frame[name] >= 0).all()
        assert (frame[name] <= 10**15).all()
    for name in ("feature", "bin"):
        for value in frame[name]:
            check_text(value)
            assert 0 < len(value) <= 200


@fuzz(1500)
@given(st.one_of(bins_file(), csv_file(["feature", "bin"], st.lists(hostile, max_size=5))))
def test_bins_csvs(raw: bytes) -> None:
    check_bins(load(parse_bins_csv, raw, "b.csv"))


# --- the shared CSV checks ----------------------------------------------------------------------


@fuzz(3000)
@given(
    st.one_of(
        st.binary(max_size=80),
        st.text(alphabet=st.sampled_from(list(',;"\r\n\t\x00 ab\u202e\ufeffé')), max_size=40).map(
            lambda t: t.encode("utf-8", "surrogatepass")
        ),
    )
)
def test_decode_csv_and_read_header(raw: bytes) -> None:
    try:
        text = decode_csv(raw, "h.csv", 1_000)
    except Exception as e:
        check_error(e, "h.csv", raw)
        # read_header is public too, and must cope with text decode_csv never saw.
        text = raw.decode("utf-8", "replace")
    else:
        check_text(text)  # no CR (CRLF became LF), no forbidden character, NFC
    try:
        names = read_header(text, "h.csv", "a,b")
    except Exception as e:
        check_error(e, "h.csv", raw)
    else:
        assert names and len(set(names)) == len(names) and all(names)
        for name in names:
            check_text(name)


# --- YAML: charters and the policy ----------------------------------------------------------

PARSER = yamlfile._PARSER
CHARTER = yaml.safe_load(MINI_CHARTER.format(id="m1", name="Model one"))
POLICY = yaml.safe_load(MINI_POLICY)
odd_values = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            0,
            -1,
            10**30,
            1e308,
            "",
            "x" * 201,
            "\x00",
            "a\x85b",
            "\u202e",
            "\ufffe",
            "e\u0301",
            "2026-02-30",
            "no",
            "0x1F",
            "TODO",
            "production",
            "higher_is_better",
            [],
            {},
            ["a"],
            {"a": 1},
        ]
    ),
    st.text(max_size=8),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
odd_keys = st.one_of(
    st.sampled_from(["nme", "drift", "segments", "k\x00", "k\u202e", "Cafe\u0301", "caf\u00e9"]),
    st.text(max_size=6),
)


def _locations(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _locations(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _locations(value, (*prefix, i))
    return out


@st.composite
def mutated_yaml(draw: st.DrawFn, base: dict) -> bytes:
    """A valid document with one to four values replaced, keys added or removed, dumped in a
    random scalar style (plain, quoted, literal) so escapes and block scalars are exercised."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        where = _locations(data)
        if not where:
            break
        loc = draw(st.sampled_from(where))
        parent = data
        for part in loc[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["replace", "add", "delete"]))
        if op == "replace":
            parent[loc[-1]] = copy.deepcopy(draw(odd_values))  # never share a drawn list
        elif op == "add" and isinstance(parent, dict):
            parent[draw(odd_keys)] = copy.deepcopy(draw(odd_values))
        elif op == "delete":
            del parent[loc[-1]]
    style = draw(st.sampled_from([None, '"', "'", "|"]))
    try:
        text = yaml.safe_dump(data, default_style=style, allow_unicode=draw(st.booleans()))
    except yaml.YAMLError:
        text = yaml.safe_dump(data)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def damaged_text(draw: st.DrawFn, base: str) -> bytes:
    """The text with tokens inserted and slices deleted at random places."""
    text = base
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            odd = ["\\0", '"\\x85"', '"\\uDC00"', '"\\U00110000"', "&a", "*a", "!t"]
            token = draw(st.one_of(hostile, st.sampled_from(odd)))
            text = text[:at] + token + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
    return text.encode("utf-8", "surrogatepass")


yaml_alphabet = st.sampled_from(
    [
        *":-[]{}\"'\\&*!#|>?,% \n\t\r\x00\x85\u202e\ufeffab01\u00e9.~",
        *("\\0", "\\x85", "\\uFFFE", "\\e", "\\uD800", "\\U00110000", "\\U0001F600"),
        *("9" * 30, "9" * 5000, "1e999", ".inf", "<<"),
    ]
)
raw_yaml = st.one_of(
    st.lists(yaml_alphabet, max_size=40).map(lambda parts: "".join(parts).encode("utf-8")),
    st.binary(max_size=80),
)


def check_yaml_data(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_yaml_data(item)
    elif isinstance(value, list):
        for item in value:
            check_yaml_data(item)
    elif isinstance(value, str):
        check_text(value)
        assert len(value) <= 20_000
    elif isinstance(value, float):
        assert np.isfinite(value)


def parse_and_validate(raw: bytes, model: type, pure_python: bool = False) -> None:
    """Parse (with libyaml, or PyYAML's pure-Python parser, as when libyaml is missing) and
    validate; only documented errors may come out."""
    yamlfile._PARSER = yaml.SafeLoader if pure_python else PARSER
    try:
        doc = parse_yaml(raw, "x.yaml")
    except Exception as e:
        check_error(e, "x.yaml", raw)
        return
    finally:
        yamlfile._PARSER = PARSER
    check_yaml_data(doc.data)
    obj, problems = validate_document(doc, model, "document")
    assert (obj is None) == bool(problems)
    for problem in problems:
        check_error(problem, "x.yaml", raw)


@fuzz(2000)
@given(mutated_yaml(CHARTER))
def test_mutated_charters(raw: bytes) -> None:
    parse_and_validate(raw, Charter)


@fuzz(1000)
@given(mutated_yaml(POLICY))
def test_mutated_policies(raw: bytes) -> None:
    parse_and_validate(raw, Policy)


@fuzz(1500)
@given(damaged_text(MINI_CHARTER.format(id="m1", name="Model one")), st.booleans(), st.booleans())
def test_damaged_charter_text(raw: bytes, as_policy: bool, pure_python: bool) -> None:
    parse_and_validate(raw, Policy if as_policy else Charter, pure_python)


@fuzz(2500)
@given(raw_yaml, st.booleans(), st.booleans())
def test_raw_yaml_text_and_bytes(raw: bytes, as_policy: bool, pure_python: bool) -> None:
    parse_and_validate(raw, Policy if as_policy else Charter, pure_python)
