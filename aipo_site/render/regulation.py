"""The regulation matrix page: the portfolio's coverage of every framework shown.

It grows with the portfolio, so it is kept small: a summary row per model (its class and its
counts per framework); for the two laws one matrix of models × obligations whose cells are a
single attribute (the mark and its spoken word come from the stylesheet, ``content: "✓" /
"evidenced"``); for the voluntary standards one row per subcategory or control with how many
models it is evidenced, partial and missing for. The model pages hold the details. Above
``page_size`` models the summary and the matrices are split into pages of that many models
(render/paging.py); the standards' counts, which are over the whole portfolio, stay on the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model.regulation import (
    BINDING_FRAMEWORKS,
    FRAMEWORK_TITLES,
    Coverage,
    Obligation,
    ObligationCoverage,
)
from ..model.results import Portfolio
from .env import environment
from .pages import Paths
from .paging import Paged, chunks, page_uris, pager

__all__ = ["CELL_CODES", "CELL_WORDS", "render_regulation", "render_regulation_pages"]

# A matrix cell's code (its data-c attribute) and what it means; aipo.css draws the mark.
CELL_CODES: dict[str, str] = {
    Coverage.evidenced.value: "e",
    Coverage.partial.value: "p",
    Coverage.missing.value: "m",
    Coverage.not_yet.value: "n",
    Coverage.outside.value: "o",
}
CELL_WORDS: dict[str, tuple[str, str]] = {
    "e": ("✓", "evidenced"),
    "p": ("◐", "partial: present but failing or stale, or incomplete"),
    "m": ("✗", "missing"),
    "n": ("○", "applies later"),
    "o": ("·", "outside the charter (done elsewhere)"),
}


def render_regulation(
    portfolio: Portfolio, paths: Paths, shown: Sequence[str] = tuple(FRAMEWORK_TITLES)
) -> str:
    """The regulation matrix page (Markdown), every model on one page. ``shown``: the
    policy's frameworks (one that applies to no model says so)."""
    return render_regulation_pages(portfolio, paths, shown).first


def render_regulation_pages(
    portfolio: Portfolio,
    paths: Paths,
    shown: Sequence[str] = tuple(FRAMEWORK_TITLES),
    page_size: int | None = None,
) -> Paged:
    """The regulation matrix (Markdown) in pages of ``page_size`` models (None: one page).
    ``shown``: the policy's frameworks (one that applies to no model says so)."""
    models = [m for m in portfolio.models if m.coverage is not None]
    columns: dict[str, dict[str, Obligation]] = {}
    for m in models:
        assert m.coverage is not None
        for o in m.coverage.obligations:
            columns.setdefault(o.obligation.framework, {})[o.obligation.id] = o.obligation
    order = list(FRAMEWORK_TITLES)
    present = sorted(columns, key=lambda f: order.index(f) if f in order else len(order))
    obligations = {f: sorted(columns[f].values(), key=lambda o: _natural(o.id)) for f in present}
    standards = [
        {
            "id": f,
            "title": FRAMEWORK_TITLES.get(f, f),
            "obligations": obligations[f],
            "counts": _per_obligation(models, obligations[f]),
        }
        for f in present
        if f not in BINDING_FRAMEWORKS
    ]
    slices = chunks(models, page_size)
    uris = page_uris(paths.regulation, len(slices))
    out = Paged({})
    start = 1
    for k, (page, chunk) in enumerate(zip(uris, slices, strict=True), start=1):
        urls = {
            m.id: paths.relative(page, paths.page_url(paths.model_page(m.id))) + "#regulation"
            for m in chunk
        }
        laws = [
            {
                "id": f,
                "title": FRAMEWORK_TITLES.get(f, f),
                "obligations": obligations[f],
                "rows": [
                    (m, urls[m.id], _cells(m.coverage.obligations, obligations[f]))  # type: ignore[union-attr]
                    for m in chunk
                ],
            }
            for f in present
            if f in BINDING_FRAMEWORKS
        ]
        summary = [
            {"m": m, "url": urls[m.id], "counts": _counts(m.coverage.obligations)}  # type: ignore[union-attr]
            for m in chunk
        ]
        out.pages[page] = (
            environment()
            .get_template("regulation.md.j2")
            .render(
                as_of=portfolio.as_of,
                first=k == 1,
                summary=summary,
                present=present,
                laws=laws,
                standards=standards if k == 1 else [],
                titles=FRAMEWORK_TITLES,
                binding=BINDING_FRAMEWORKS,
                unused=[
                    FRAMEWORK_TITLES[f] for f in shown if f in FRAMEWORK_TITLES and f not in columns
                ]
                if k == 1
                else [],
                words=CELL_WORDS,
                crosswalk_url=paths.relative(page, f"{paths.crosswalk}/crosswalk.yaml"),
                sources_url=paths.relative(page, f"{paths.crosswalk}/sources.yaml"),
                pager=pager(
                    paths,
                    uris,
                    k,
                    start,
                    len(chunk),
                    len(models),
                    "models",
                    "Pages of the regulation matrix",
                ),
                first_url=paths.relative(page, paths.page_url(paths.regulation)),
                standard_ids=[f["id"] for f in standards],
            )
        )
        start += len(chunk)
    return out


def _cells(coverage: Sequence[ObligationCoverage], columns: Sequence[Obligation]) -> str:
    """One matrix row's cells: ``<td data-c="e"></td>`` per column (empty: does not apply)."""
    by_id = {o.obligation.id: o for o in coverage}
    out = []
    for column in columns:
        o = by_id.get(column.id)
        out.append(f'<td data-c="{CELL_CODES[o.coverage.value]}"></td>' if o else "<td></td>")
    return "".join(out)


def _counts(coverage: Sequence[ObligationCoverage]) -> dict[str, dict[str, int]]:
    """Per framework: how many of its obligations are in each coverage."""
    out: dict[str, dict[str, int]] = {}
    for o in coverage:
        counts = out.setdefault(o.obligation.framework, dict.fromkeys(CELL_CODES, 0))
        counts[o.coverage.value] += 1
    return out


def _per_obligation(models: Sequence, obligations: Sequence[Obligation]) -> list[tuple]:
    """Per obligation: how many models it is evidenced, partial and missing for."""
    tally = {o.id: dict.fromkeys(CELL_CODES, 0) for o in obligations}
    for m in models:
        for o in m.coverage.obligations:
            if o.obligation.id in tally:
                tally[o.obligation.id][o.coverage.value] += 1
    return [(o, tally[o.id]) for o in obligations]


def _natural(text: str) -> list[object]:
    """A sort key that orders numbers by value: 'art-5' before 'art-10'."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]
