"""Pages of a portfolio table that grows with the number of models.

A portfolio page (the dashboard's model table, the risk register, the regulation matrix) lists
every model, so at 10,000 models it would be tens of megabytes; the people index lists everyone
in the people directory. Above ``page_size`` rows it is
split into generated pages of ``page_size`` rows each at stable addresses: the first page where
it always was (``dashboard.md``), the others in a folder of the same name (``dashboard/2.md``,
``dashboard/3.md``, ...), each with a pager (first, previous, "page k of n", next, last) that
works without JavaScript. At or below ``page_size`` rows there is one page, as before.

Pages with several tables that grow (an owner page: the models a person is accountable for,
the others they are named in, what is overdue, their open actions; the incident log: response
times per model and per unit, the incidents) are split the same way by :func:`sections`: the
tables' rows, one table after the other, ``page_size`` rows a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from markupsafe import Markup

from .env import environment

if TYPE_CHECKING:
    from .pages import Paths

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "Paged",
    "Part",
    "chunks",
    "page_uris",
    "pager",
    "sections",
]

# Rows per generated page: a dashboard row is ~2.5 KB of HTML, a risk-register row ~1 KB, a
# regulation-matrix row ~1.2 KB, so 100 rows keep every page well under 400 KB with the theme.
DEFAULT_PAGE_SIZE = 100
MIN_PAGE_SIZE = 10

T = TypeVar("T")


@dataclass
class Paged:
    """A portfolio page split into pages (src_uri -> Markdown, the first page first) and the
    files they load (src_uri -> text: the dashboard's model index)."""

    pages: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> str:
        return next(iter(self.pages.values()))

    @property
    def more(self) -> list[str]:
        """The src_uris of the pages after the first (reached through the pager, not the nav)."""
        return list(self.pages)[1:]


def chunks(rows: Sequence[T], page_size: int | None) -> list[Sequence[T]]:
    """``rows`` in pages of ``page_size`` (None: one page); no rows give one empty page."""
    if not page_size or len(rows) <= page_size:
        return [rows]
    return [rows[i : i + page_size] for i in range(0, len(rows), page_size)]


@dataclass(frozen=True)
class Part:
    """The rows of one table (a section of its page) shown on one page: ``rows``, from the
    ``start``-th (1-based) of the section's ``total``."""

    rows: Sequence[Any]
    start: int
    total: int

    @property
    def continued(self) -> bool:
        """Whether the section began on an earlier page."""
        return self.start > 1

    @property
    def continues(self) -> bool:
        """Whether the section goes on on a later page."""
        return self.start - 1 + len(self.rows) < self.total


def sections(
    tables: Sequence[tuple[str, Sequence[Any]]], page_size: int | None
) -> list[dict[str, Part]]:
    """The rows of ``tables`` (name, rows; in page order), one table after the other, in pages
    of at most ``page_size`` rows (None: one page): for each page, the part of each table it
    shows, by name. A table without rows takes no room: it is on the page its predecessor
    ended on (the first page for the first table), where the page says it is empty."""
    pages: list[dict[str, Part]] = [{}]
    used = 0
    for name, rows in tables:
        if not rows:
            pages[-1][name] = Part((), 1, 0)
            continue
        done = 0
        while done < len(rows):
            if page_size and used == page_size:
                pages.append({})
                used = 0
            take = len(rows) - done if not page_size else min(len(rows) - done, page_size - used)
            pages[-1][name] = Part(rows[done : done + take], done + 1, len(rows))
            done += take
            used += take
    return pages


def page_uris(first: str, count: int) -> list[str]:
    """The src_uris of ``count`` pages whose first is ``first``: ``risks.md``, ``risks/2.md``..."""
    stem = first.removesuffix(".md")
    return [first, *(f"{stem}/{k}.md" for k in range(2, count + 1))]


def pager(
    paths: Paths,
    uris: Sequence[str],
    k: int,
    start: int,
    shown: int,
    total: int,
    noun: str,
    label: str,
) -> Markup:
    """The pager of page ``k`` (1-based) of ``uris``: links relative to that page, and which
    rows it shows (``start`` 1-based, ``shown`` rows, of ``total`` ``noun``); ``label`` names
    the pager for assistive technology. Empty with one page."""
    if len(uris) <= 1:
        return Markup("")
    here = uris[k - 1]

    def url(n: int) -> str:
        return paths.relative(here, paths.page_url(uris[n - 1]))

    view: dict[str, Any] = {
        "k": k,
        "n": len(uris),
        "first": url(1) if k > 1 else None,
        "prev": url(k - 1) if k > 1 else None,
        "next": url(k + 1) if k < len(uris) else None,
        "last": url(len(uris)) if k < len(uris) else None,
        "start": start,
        "end": start + shown - 1,
        "total": total,
        "noun": noun,
        "label": label,
    }
    return Markup(environment().get_template("pager.html.j2").render(p=view).strip())
