"""Splitting pages that grow with the portfolio (aipo_site/render/paging.py).

The dashboard, risk register, regulation matrix, owner pages and incident log at 1,000 models
are in test_scale.py; here: how :func:`sections` spreads several tables over pages, and the
people index in pages.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from aipo_site.model.people import Person
from aipo_site.model.results import PersonResult, Portfolio
from aipo_site.render.pages import Paths
from aipo_site.render.paging import Part, chunks, page_uris, sections
from aipo_site.render.people import render_people_index


def shown(pages: list[dict[str, Part]]) -> list[dict[str, tuple[list[int], int, int]]]:
    return [
        {name: (list(part.rows), part.start, part.total) for name, part in page.items()}
        for page in pages
    ]


def test_tables_go_on_where_the_previous_page_stopped() -> None:
    pages = sections([("a", range(5)), ("b", []), ("c", range(7)), ("d", [])], 4)
    assert shown(pages) == [
        {"a": ([0, 1, 2, 3], 1, 5)},
        {"a": ([4], 5, 5), "b": ([], 1, 0), "c": ([0, 1, 2], 1, 7)},
        {"c": ([3, 4, 5, 6], 4, 7), "d": ([], 1, 0)},
    ]
    assert [p.get("c") and (p["c"].continued, p["c"].continues) for p in pages] == [
        None,
        (False, True),
        (True, False),
    ]


@pytest.mark.parametrize("size", [None, 4, 100])
def test_every_row_is_shown_once_in_order(size: int | None) -> None:
    tables = [("a", list(range(9))), ("b", list(range(3))), ("c", [])]
    pages = sections(tables, size)
    for name, rows in tables:
        assert [r for p in pages if name in p for r in p[name].rows] == rows
        assert sum(name in p for p in pages) == max(1, -(-len(rows) // (size or 10**9)))
    assert all(sum(len(part.rows) for part in p.values()) <= (size or 10**9) for p in pages)


def test_a_full_page_is_not_followed_by_an_empty_one() -> None:
    """An empty table after a table that fills its page is said on that page."""
    pages = sections([("a", range(8)), ("b", [])], 4)
    assert len(pages) == 2 and set(pages[1]) == {"a", "b"}
    assert shown(sections([("a", []), ("b", [])], 4)) == [{"a": ([], 1, 0), "b": ([], 1, 0)}]


def test_chunks_and_uris() -> None:
    assert chunks(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    assert chunks(list(range(5)), None) == [list(range(5))]
    assert page_uris("people/index.md", 3) == [
        "people/index.md",
        "people/index/2.md",
        "people/index/3.md",
    ]


def portfolio_of(n: int) -> Portfolio:
    people = [PersonResult(f"p{i:03d}", Person(name=f"Person {i:03d}"), (), ()) for i in range(n)]
    return Portfolio(as_of=dt.date(2026, 11, 20), models=[], people=people)


def test_people_index_in_pages() -> None:
    paths = Paths()
    out = render_people_index(portfolio_of(25), paths, page_size=10)
    assert list(out.pages) == ["people/index.md", "people/index/2.md", "people/index/3.md"]
    assert out.more == ["people/index/2.md", "people/index/3.md"]
    names = [n for page in out.pages.values() for n in re.findall(r">(Person \d+)</a>", page)]
    assert names == [f"Person {i:03d}" for i in range(25)]
    first, second, last = out.pages.values()
    assert "Everyone in the people directory" in first and "Continued from" in second
    assert "Page 2 of 3" in second and "people 11–20 of 25" in second
    # Links from pages 2.. are relative to their own folder.
    assert 'href="../../p010/"' in second and 'href="p000/"' in first
    assert "Page 3 of 3" in last and 'rel="next"' not in last


def test_people_index_at_or_below_the_page_size_is_one_page() -> None:
    out = render_people_index(portfolio_of(10), Paths(), page_size=10)
    assert list(out.pages) == ["people/index.md"] and "aipo-pager" not in out.first
