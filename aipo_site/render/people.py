"""People in the portal: names linked to owner pages, the owner pages and the people index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..model.charter import Contact
from ..model.people import Person
from ..model.results import Level, PersonResult, Portfolio, Responsibility
from .env import environment, safe_url, text
from .paging import Paged, chunks, page_uris, pager, sections

if TYPE_CHECKING:
    from .pages import Paths

__all__ = ["PersonLinks", "render_people_index", "render_person_pages"]


class PersonLinks:
    """Shows a person field's value on one page: a key of the directory as the person's name
    linked to their owner page, anything else as the text written."""

    def __init__(self, people: dict[str, Person], urls: dict[str, str]) -> None:
        self.people = people
        self.urls = urls  # key -> URL of the owner page, relative to the page being rendered

    def __call__(self, value: str) -> Markup:
        person = self.people.get(value)
        if person is None:
            return text(value)
        return Markup('<a class="aipo-person" href="{}">{}</a>').format(
            self.urls[value], text(person.name)
        )

    def many(self, values: Iterable[str], empty: str = "—") -> Markup:
        shown = [self(v) for v in values]
        return Markup(", ").join(shown) if shown else text(empty)

    def contact(self, c: Contact) -> Markup:
        """An owner or incident owner: name (linked when a key), role, email, on-call rota."""
        if c.person is not None and c.person in self.people:
            html = Markup('<a class="aipo-person" href="{}">{}</a>').format(
                self.urls[c.person], text(c.label)
            )
        else:
            html = text(c.label)
        if c.role:
            html += Markup(" <span class='aipo-quiet'>(") + text(c.role) + Markup(")</span>")
        if c.email and safe_url(f"mailto:{c.email}"):
            html += Markup(" · <a href='mailto:") + text(c.email) + Markup("'>")
            html += text(c.email) + Markup("</a>")
        if c.on_call:
            html += Markup("<br><span class='aipo-quiet'>on call: ") + text(c.on_call)
            html += Markup("</span>")
        return html


def render_person_pages(
    p: PersonResult, portfolio: Portfolio, paths: Paths, page_size: int | None = None
) -> Paged:
    """One owner page (Markdown): who they are, what they answer for, what is overdue, their open
    actions. Above ``page_size`` rows in those four tables (a team named in every charter) it is
    split into pages of ``page_size`` rows (render/paging.py): ``people/<key>.md``, then
    ``people/<key>/2.md``, ...; each table goes on where the previous page stopped."""
    status = {m.id: m.status for m in portfolio.models}
    tables: list[tuple[str, Sequence[Any]]] = [
        ("accountable", _by_model([r for r in p.responsibilities if r.accountable])),
        ("other", _by_model([r for r in p.responsibilities if not r.accountable])),
        ("overdue", p.overdue),
        ("actions", p.actions),
    ]
    parts = sections(tables, page_size)
    # A model can be in both tables (its owner, also a risk owner): rows, not models, count.
    total = sum(len(rows) for _, rows in tables)
    uris = page_uris(paths.person_page(p.key), len(parts))
    out = Paged({})
    start = 1
    for k, (page, shown) in enumerate(zip(uris, parts, strict=True), start=1):
        models = {
            row["model_id"] if isinstance(row, dict) else row.model_id
            for part in shown.values()
            for row in part.rows
        }
        rows = sum(len(part.rows) for part in shown.values())
        out.pages[page] = (
            environment()
            .get_template("person.md.j2")
            .render(
                p=p,
                person=p.person,
                parts=shown,
                first=k == 1,
                status=status,
                model_urls={
                    m: paths.relative(page, paths.page_url(paths.model_page(m))) for m in models
                },
                index_url=paths.relative(page, paths.page_url(paths.people_index)),
                first_url=paths.relative(page, paths.page_url(uris[0])),
                as_of=portfolio.as_of,
                email=safe_url(f"mailto:{p.person.email}") if p.person.email else "",
                pager=pager(paths, uris, k, start, rows, total, "rows", "Pages of the owner page"),
            )
        )
        start += rows
    return out


def _by_model(items: list[Responsibility]) -> list[dict[str, Any]]:
    """One row per model (in the order first named), with every role in it."""
    rows: dict[str, dict[str, Any]] = {}
    for r in items:
        row = rows.setdefault(
            r.model_id, {"model_id": r.model_id, "name": r.model_name, "roles": []}
        )
        row["roles"].append(r.role)
    return list(rows.values())


def render_people_index(portfolio: Portfolio, paths: Paths, page_size: int | None = None) -> Paged:
    """The people index (Markdown): everyone in the directory with what they answer for, in
    pages of ``page_size`` people (None: one page; render/paging.py)."""
    people = sorted(portfolio.people, key=lambda p: (p.person.name.casefold(), p.key))
    slices = chunks(people, page_size)
    uris = page_uris(paths.people_index, len(slices))
    out = Paged({})
    start = 1
    for k, (page, chunk) in enumerate(zip(uris, slices, strict=True), start=1):
        rows = []
        for p in chunk:
            rows.append(
                {
                    "p": p,
                    "url": paths.relative(page, paths.page_url(paths.person_page(p.key))),
                    "accountable": len({r.model_id for r in p.responsibilities if r.accountable}),
                    "models": len(p.models),
                    "overdue": len(p.overdue),
                    "worst": max((o.level for o in p.overdue), default=Level.OK),
                }
            )
        out.pages[page] = (
            environment()
            .get_template("people.md.j2")
            .render(
                rows=rows,
                as_of=portfolio.as_of,
                first=k == 1,
                first_url=paths.relative(page, paths.page_url(uris[0])),
                pager=pager(
                    paths,
                    uris,
                    k,
                    start,
                    len(rows),
                    len(people),
                    "people",
                    "Pages of the people index",
                ),
            )
        )
        start += len(rows)
    return out
