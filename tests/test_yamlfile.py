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
