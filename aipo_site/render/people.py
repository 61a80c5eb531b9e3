"""People in the portal: names linked to owner pages, the owner pages and the people index."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from ..model.charter import Contact
from ..model.people import Person
from ..model.results import Level, PersonResult, Portfolio, Responsibility
from .env import environment, safe_url, text

__all__ = ["PersonLinks", "render_people_index", "render_person_page"]


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


def render_person_page(
    p: PersonResult, portfolio: Portfolio, model_urls: dict[str, str], index_url: str
) -> str:
    """One owner page (Markdown): who they are, what they answer for, what is overdue.
    ``model_urls``: model id -> URL relative to this page."""
    status = {m.id: m.status for m in portfolio.models}
    accountable = _by_model([r for r in p.responsibilities if r.accountable])
    other = _by_model([r for r in p.responsibilities if not r.accountable])
    return (
        environment()
        .get_template("person.md.j2")
        .render(
            p=p,
            person=p.person,
            accountable=accountable,
            other=other,
            status=status,
            model_urls=model_urls,
            index_url=index_url,
            as_of=portfolio.as_of,
            email=safe_url(f"mailto:{p.person.email}") if p.person.email else "",
        )
    )


def _by_model(items: list[Responsibility]) -> list[dict[str, Any]]:
    """One row per model (in the order first named), with every role in it."""
    rows: dict[str, dict[str, Any]] = {}
    for r in items:
        row = rows.setdefault(
            r.model_id, {"model_id": r.model_id, "name": r.model_name, "roles": []}
        )
        row["roles"].append(r.role)
    return list(rows.values())


def render_people_index(portfolio: Portfolio, person_urls: dict[str, str]) -> str:
    """The people index (Markdown): everyone in the directory with what they answer for."""
    rows = []
    for p in sorted(portfolio.people, key=lambda p: (p.person.name.casefold(), p.key)):
        models = p.models
        rows.append(
            {
                "p": p,
                "url": person_urls[p.key],
                "accountable": len({r.model_id for r in p.responsibilities if r.accountable}),
                "models": len(models),
                "overdue": len(p.overdue),
                "worst": max((o.level for o in p.overdue), default=Level.OK),
            }
        )
    return environment().get_template("people.md.j2").render(rows=rows, as_of=portfolio.as_of)
