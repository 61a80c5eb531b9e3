"""A model page's coverage tables (its Regulation section), built as HTML in Python.

A model has some 50 obligations, each listing the elements that evidence it; rendering them in
the template cost about 2 s of CPU per 1,000 models. Each element's HTML is built once per model
and joined per obligation here instead. Every text comes from aipo's crosswalk or its own
evaluation (element notes quote counts, never charter text), and is escaped all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from ..fmt import fmt_date
from ..model.regulation import (
    BINDING_FRAMEWORKS,
    FRAMEWORK_TITLES,
    Coverage,
    ModelCoverage,
    Obligation,
)

__all__ = ["STATE_LABELS", "CoverageTable", "coverage_tables"]

# How an element of the record stands, in the coverage tables' words.
STATE_LABELS = {"present": "present", "failing": "failing or stale", "absent": "absent"}


@dataclass(frozen=True)
class CoverageTable:
    framework: str
    title: str
    binding: bool
    noun: str  # "obligations", "subcategories" or "controls"
    count: int
    evidenced: int
    partial: int
    missing: int
    rows: Markup  # the <tr> elements


def _e(text: object) -> str:
    return str(escape(text))


# An obligation's first cell, by id (crosswalk text: the same for every model); kept with the
# obligation it was made from, so another crosswalk (tests) never gets a stale cell.
_LABELS: dict[str, tuple[object, str]] = {}


def _label(o: Obligation) -> str:
    cached = _LABELS.get(o.id)
    if cached is None or cached[0] is not o:
        cell = f"<strong>{_e(o.label)}</strong> {_e(o.title)}"
        _LABELS[o.id] = cached = (o, cell)
    return cached[1]


def coverage_tables(coverage: ModelCoverage) -> list[CoverageTable]:
    """One table per framework, in FRAMEWORK_TITLES order (f-strings over escaped text:
    Markup.format costs ten times more here)."""
    elements: dict[str, str] = {}
    out = []
    for framework, obligations in coverage.by_framework():
        rows = []
        for o in obligations:
            if o.coverage is Coverage.outside:
                evidence = '<span class="aipo-quiet">done outside the governance record</span>'
            else:
                cells = []
                for s in o.elements:
                    html = elements.get(s.element)
                    if html is None:
                        name = (
                            f'<a href="#{_e(s.anchor)}">{_e(s.title)}</a>'
                            if s.anchor
                            else _e(s.title)
                        )
                        html = elements[s.element] = (
                            f'<span class="aipo-evidence-{_e(s.state)}">{name} '
                            f'<span class="aipo-quiet">({_e(STATE_LABELS[s.state])}: '
                            f"{_e(s.note)})</span></span>"
                        )
                    cells.append(html)
                evidence = "<br>".join(cells)
            later = (
                f'<br><span class="aipo-quiet">applies from {_e(fmt_date(o.applies_from))}</span>'
                if o.applies_from and o.coverage is Coverage.not_yet
                else ""
            )
            slug = o.coverage.slug
            rows.append(
                f'<tr class="aipo-row-{slug}" data-obligation="{_e(o.obligation.id)}" '
                f'data-coverage="{o.coverage.value}"><td data-label="Obligation">'
                f"{_label(o.obligation)}</td>"
                f'<td data-label="Coverage"><span class="aipo-pill aipo-pill-{slug}">'
                f"{_e(o.coverage.label)}</span>{later}</td>"
                f'<td data-label="Evidence">{evidence}</td></tr>'
            )
        kinds = [o.coverage for o in obligations]
        out.append(
            CoverageTable(
                framework=framework,
                title=FRAMEWORK_TITLES.get(framework, framework),
                binding=framework in BINDING_FRAMEWORKS,
                noun="obligations"
                if framework in BINDING_FRAMEWORKS
                else "controls"
                if framework == "iso-42001"
                else "subcategories",
                count=len(obligations),
                evidenced=kinds.count(Coverage.evidenced),
                partial=kinds.count(Coverage.partial),
                missing=kinds.count(Coverage.missing),
                rows=Markup("".join(rows)),  # one line: the finalize copies multi-line text
            )
        )
    return out
