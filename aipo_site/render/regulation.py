"""The regulation coverage page: every model × every obligation of each framework shown."""

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

__all__ = ["CELL_MARKS", "render_regulation"]

# What a matrix cell shows (the mark is aria-hidden; the words are read out and are its title).
CELL_MARKS: dict[str, tuple[str, str]] = {
    Coverage.evidenced.value: ("✓", "evidenced"),
    Coverage.partial.value: ("◐", "partial: present but failing or stale, or incomplete"),
    Coverage.missing.value: ("✗", "missing"),
    Coverage.not_yet.value: ("○", "applies later"),
    Coverage.outside.value: ("·", "outside the charter (done elsewhere)"),
    "none": ("", "does not apply to this model"),
}


def render_regulation(
    portfolio: Portfolio, paths: Paths, shown: Sequence[str] = tuple(FRAMEWORK_TITLES)
) -> str:
    """The coverage page (Markdown): a summary per model, then one matrix per framework with a
    column per obligation that applies to at least one model. ``shown``: the policy's
    frameworks (one that applies to no model says so)."""
    page = paths.regulation
    models = [m for m in portfolio.models if m.coverage is not None]
    urls = {
        m.id: paths.relative(page, paths.page_url(paths.model_page(m.id))) + "#regulation"
        for m in models
    }
    columns: dict[str, dict[str, Obligation]] = {}
    for m in models:
        assert m.coverage is not None
        for o in m.coverage.obligations:
            columns.setdefault(o.obligation.framework, {})[o.obligation.id] = o.obligation
    order = list(FRAMEWORK_TITLES)
    frameworks = []
    for framework in sorted(columns, key=lambda f: order.index(f) if f in order else 99):
        obligations = sorted(
            columns[framework].values(), key=lambda o: _natural(o.id)
        )  # Art. 5 before Art. 10
        rows = []
        for m in models:
            assert m.coverage is not None
            cells = {o.obligation.id: o for o in m.coverage.obligations}
            rows.append(
                {
                    "m": m,
                    "url": urls[m.id],
                    "cells": [_cell(cells.get(o.id)) for o in obligations],
                }
            )
        frameworks.append(
            {
                "id": framework,
                "title": FRAMEWORK_TITLES.get(framework, framework),
                "binding": framework in BINDING_FRAMEWORKS,
                "obligations": obligations,
                "rows": rows,
            }
        )
    summary = []
    for m in models:
        assert m.coverage is not None
        binding = [
            o for o in m.coverage.obligations if o.obligation.framework in BINDING_FRAMEWORKS
        ]
        counts = dict.fromkeys(Coverage, 0)
        for o in binding:
            counts[o.coverage] += 1
        summary.append({"m": m, "url": urls[m.id], "counts": counts, "total": len(binding)})
    return (
        environment()
        .get_template("regulation.md.j2")
        .render(
            as_of=portfolio.as_of,
            summary=summary,
            frameworks=frameworks,
            unused=[
                FRAMEWORK_TITLES[f]
                for f in shown
                if f in FRAMEWORK_TITLES and f not in {x["id"] for x in frameworks}
            ],
            marks=CELL_MARKS,
            crosswalk_url=paths.relative(page, f"{paths.crosswalk}/crosswalk.yaml"),
            sources_url=paths.relative(page, f"{paths.crosswalk}/sources.yaml"),
        )
    )


def _cell(o: ObligationCoverage | None) -> dict[str, str]:
    if o is None:
        mark, words = CELL_MARKS["none"]
        return {"kind": "none", "mark": mark, "words": words}
    mark, words = CELL_MARKS[o.coverage.value]
    if o.coverage is Coverage.not_yet and o.applies_from:
        words = f"applies from {o.applies_from.isoformat()}"
    return {"kind": o.coverage.value, "mark": mark, "words": words}


def _natural(text: str) -> list[object]:
    """A sort key that orders numbers by value: 'art-5' before 'art-10'."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]
