"""Evaluated results -> Markdown pages (with HTML blocks) for MkDocs, and the files beside them."""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup

from ..fmt import fmt_date, fmt_pct
from ..model.charter import Risk, RiskStatus, Stage
from ..model.people import PeopleDirectory
from ..model.policy import Policy
from ..model.regulation import ANNEX_III_POINTS
from ..model.results import DecisionResult, Level, ModelResult, Portfolio, RiskResult
from ..model.revision import CommitInfo, Revision
from ..model.verdict import Answer
from . import badges, charts
from .coverage import coverage_tables
from .env import Block, environment, safe_url, text
from .incidents import RECENT_DAYS, page_incidents, review_urls
from .paging import Paged, chunks, page_uris, pager
from .people import PersonLinks
from .strip import model_strips, portfolio_trend

__all__ = [
    "IMPACT_NAMES",
    "LIKELIHOOD_NAMES",
    "OPEN_RISK_STATUSES",
    "PORTFOLIO_MARK",
    "RISK_BANDS",
    "MapRisk",
    "Paths",
    "dashboard_index",
    "dashboard_index_path",
    "dashboard_order",
    "model_file_paths",
    "render_dashboard",
    "render_dashboard_pages",
    "render_history",
    "render_model_page",
    "render_model_stub",
    "render_portfolio",
    "render_risk_register",
    "render_risk_register_pages",
    "render_stamp",
    "risk_band",
    "risk_map",
    "risk_register",
    "status_by_unit",
]

# A hand-written page shows the live portfolio where a line of it holds exactly this comment.
PORTFOLIO_MARK = "<!-- aipo:portfolio -->"
ATTENTION_LIMIT = 10
# Risks listed in one cell of the dashboard's risk map; the others are counted, with a link to
# the risk register (a large portfolio has thousands of risks in a cell).
RISK_CELL_LIMIT = 5

_STAGE_ORDER = {s: i for i, s in enumerate(Stage)}
# Sections of a model page whose text goes into the search index, besides the status block and
# the summary above the first section (see render/blocks.py).
SEARCHABLE_SECTIONS = frozenset({"Compliance", "Risks"})
_GAP_LABELS = {
    "incident-owner-missing": "no incident owner",
    "data-contract-missing": "no data contract",
    "thresholds-missing": "no thresholds",
    "retraining-missing": "no retraining schedule",
    "retraining-overdue": "retraining overdue",
    "authorisation-missing": "no authorisation",
}


@dataclass(frozen=True)
class Paths:
    """Where generated files go (POSIX paths relative to the site root) and how URLs look."""

    models: str = "models"
    dashboard: str = "dashboard.md"
    risks: str = "risks.md"
    badges: str = "badges"
    assets: str = "assets/aipo"
    reference: str = "reference"
    people: str = "people"
    incidents: str = "incidents.md"  # the incident log
    regulation: str = "regulation.md"  # regulation coverage of the portfolio
    crosswalk: str = "crosswalk"  # the crosswalk's data files, published as they are bundled
    schema: str = "schema"  # the JSON Schemas the reference pages link to
    directory_urls: bool = True
    docs_prefix: str = "content/"

    def model_page(self, model_id: str) -> str:
        return f"{self.models}/{model_id}.md"

    def model_data(self, model_id: str) -> str:
        return f"{self.models}/{model_id}/kpis.csv"

    def segment_data(self, model_id: str) -> str:
        return f"{self.models}/{model_id}/segments.csv"

    def person_page(self, key: str) -> str:
        return f"{self.people}/{key}.md"

    @property
    def people_index(self) -> str:
        return f"{self.people}/index.md"

    def person_links(self, page: str, people: PeopleDirectory | None) -> PersonLinks:
        """Names of the directory linked to owner pages, from the page at ``page``."""
        entries = people.people if people is not None else {}
        urls = {k: self.relative(page, self.page_url(self.person_page(k))) for k in entries}
        return PersonLinks(entries, urls)

    def badge_svg(self, model_id: str) -> str:
        return f"{self.badges}/{model_id}.svg"

    def badge_json(self, model_id: str) -> str:
        return f"{self.badges}/{model_id}.json"

    def page_url(self, src_uri: str) -> str:
        """The URL MkDocs gives a Markdown page (relative to the site root)."""
        stem = src_uri[: -len(".md")]
        if not self.directory_urls:
            return stem + ".html"
        if stem == "index" or stem.endswith("/index"):
            return stem[: -len("index")]
        return stem + "/"

    def relative(self, from_page: str, target: str) -> str:
        """URL of ``target`` (a site path or page URL) relative to the page at ``from_page``."""
        base = posixpath.dirname(self.page_url(from_page))
        rel = posixpath.relpath(target or ".", base or ".")
        if target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return "./" if rel in (".", "./") else rel


def _search_terms(m: ModelResult) -> list[tuple[str, list[str]]]:
    """What the page's search entry must hold besides the hero and the indexed sections: the
    names people search by whose sections are deferred (plain text, no numbers). The owners are
    in the hero and the risk titles in the indexed Risks section already."""
    c = m.charter
    kpis = [k.name if k.name == k.metric else f"{k.name} ({k.metric})" for k in m.kpis]
    terms = [
        ("Model id", [c.id]),
        ("KPIs", kpis),
        ("Data sources", [s.name for s in c.data_sources]),
        ("Decisions", [d.decision for d in c.decision_rights]),
    ]
    return [(label, values) for label, values in terms if values]


def _decision_title(d: DecisionResult) -> str:
    """'Enter production', 'Accept risk: Bias', 'Exception: threshold-loosened'."""
    r = d.record
    if r.stage is not None:
        return f"Enter {r.stage.value}"
    if r.risk is not None:
        return f"Accept risk: {r.risk}"
    return f"Exception: {r.finding}"


def _link(url: str | None, label: str) -> Markup:
    href = safe_url(url)
    if not href:
        return text(label)
    return Markup('<a href="{}" rel="noopener">{}</a>').format(text(href), text(label))


def _rituals(m: ModelResult) -> list[dict[str, Any]]:
    """Each ritual of the rhythm with when it was last held (its latest review record, else the
    charter's date: see evaluate/reviews.py), when it is next due, and its latest record."""
    reviews = {r.ritual.casefold(): r for r in m.reviews}
    out = []
    for r in m.charter.rhythm:
        reviewed = reviews.get(r.ritual.casefold())
        last_held = reviewed.last_held if reviewed is not None else r.last_held
        due = last_held + dt.timedelta(days=r.cadence_days) if last_held else None
        overdue = (m.as_of - due).days if due and due < m.as_of else 0
        out.append(
            {
                "ritual": r,
                "last_held": last_held,
                "due": due,
                "overdue": overdue,
                "level": Level.WARN if overdue else Level.OK,
                "review": reviewed.last.record if reviewed and reviewed.last else None,
            }
        )
    return out


def _lifecycle(m: ModelResult) -> list[dict[str, Any]]:
    lc = m.charter.lifecycle
    dates = {h.stage: h.date for h in lc.history}
    dates[lc.stage] = lc.since
    return [
        {"stage": s.value, "date": dates.get(s), "current": s is lc.stage}
        for s in Stage
        if s in dates or _STAGE_ORDER[s] >= _STAGE_ORDER[lc.stage]
    ]


def _retraining_text(m: ModelResult) -> str:
    r = m.charter.retraining
    if r is None:
        return "no schedule"
    last = f"last {fmt_date(r.last_retrained)}, " if r.last_retrained else "never recorded, "
    due = m.retraining_due
    if due is None:
        return f"every {r.cadence_days} days; {last.rstrip(', ')}"
    state = f"overdue since {fmt_date(due)}" if due < m.as_of else f"next due {fmt_date(due)}"
    return f"every {r.cadence_days} days; {last}{state}"


def render_model_page(
    m: ModelResult,
    paths: Paths,
    extras: list[Markup] | None = None,
    people: PeopleDirectory | None = None,
    policy: Policy | None = None,
) -> tuple[str, dict[str, str]]:
    """The model page (Markdown) and the files beside it (site path -> text): the CSVs its charts
    load and its status badges. ``people``: the directory, whose names link to owner pages;
    ``policy``: marks the onboarding items it requires for the model's stage."""
    page = paths.model_page(m.id)
    links = paths.person_links(page, people)
    data_url = paths.relative(page, paths.model_data(m.id))
    kpi_charts = []
    x_domain = charts.time_domain(m.kpis, m.as_of)
    for k in m.kpis:
        spec = charts.kpi_chart_spec(k, data_url, x_domain)
        if spec is None:
            continue
        caption = f"daily values (thin) and {k.aggregation.value} of {k.window_days} days (bold)"
        # The note explains the marks; the printed page has the legend instead (no room).
        notes = []
        changes = [c["detail"] for c in charts.change_rows(k, x_domain)]
        if changes:
            caption += "; dotted line: the charter changed the thresholds, " + "; ".join(changes)
        if k.thresholds:
            notes.append(
                "amber and red bands are the warn and breach zones of today's thresholds (from "
                f"the {k.threshold_source or 'charter'}), which also judge every past day shown "
                "here and in the status history"
            )
        if k.baseline is not None:
            notes.append("grey dashed line is the original baseline")
        for stale in charts.stale_rows(k, x_domain):
            notes.append(f"the grey band is the stretch without data ({stale['label']})")
        kpi_charts.append(
            {
                "metric": k.metric,
                "title": k.name,
                "caption": caption,
                "note": "; ".join(notes),
                "spec": spec,
            }
        )
    segment_url = paths.relative(page, paths.segment_data(m.id))
    segment_views = [
        {"r": r, "spec": charts.segment_chart_spec(r, segment_url)} for r in m.segments
    ]
    drift = None
    if m.drift is not None:
        ranked = sorted(
            (f for f in m.drift.features if f.histogram is not None),
            # Most severe first; then the strongest evidence: the smallest p-value for the
            # tests, the largest value for the distances (the number each tier is decided on).
            key=lambda f: (
                -f.level,
                -(f.score or 0.0) if f.p_value is None else (f.score or 0.0),
            ),
        )
        drift = {
            "r": m.drift,
            "overlays": [
                {"name": f.name, "status": f.status.value, "spec": charts.drift_overlay_spec(f)}
                for f in ranked[:3]
            ],
            "time": charts.drift_time_spec(m.drift, m.kpis),
            "period": m.charter.drift.period if m.charter.drift else "period",
        }
    source = paths.docs_prefix and m.path.startswith(paths.docs_prefix)
    source_url = paths.relative(page, m.path[len(paths.docs_prefix) :]) if source else ""
    svg = badges.model_badge_svg(m)
    c = m.charter
    required = policy.onboarding.get(c.lifecycle.stage, []) if policy is not None else []
    page_text = (
        environment()
        .get_template("model.md.j2")
        .render(
            m=m,
            c=m.charter,
            contact=links.contact,
            decision_title=_decision_title,
            decision_urls={
                d.path: paths.relative(page, d.path[len(paths.docs_prefix) :])
                if paths.docs_prefix and d.path.startswith(paths.docs_prefix)
                else ""
                for d in m.decisions
            },
            person=links,
            link=_link,
            search_terms=_search_terms(m),
            kpi_charts=kpi_charts,
            kpi_levels={k.metric: k.level.slug for k in m.kpis},
            risk_chart=charts.risk_chart_spec(m.charter.risks),
            rituals=_rituals(m),
            open_actions=m.open_actions,
            incident_list=page_incidents(m.incidents, m.as_of),
            review_urls=review_urls(m.incidents),
            recent_days=RECENT_DAYS,
            incident_log_url=paths.relative(page, paths.page_url(paths.incidents)),
            show_model=False,
            model_urls={},
            lifecycle=_lifecycle(m),
            retraining=_retraining_text(m),
            onboarding_done=sum(1 for i in m.charter.onboarding if i.done),
            onboarding_required={t.casefold() for t in required},
            onboarding_missing=[
                t for t in required if t.casefold() not in {i.item.casefold() for i in c.onboarding}
            ],
            badge_url=paths.relative(page, paths.badge_svg(m.id)),
            badge_width=_svg_width(svg),
            source_url=source_url or "#",
            extra_sections=extras or [],
            segments=segment_views,
            drift=drift,
            strips=model_strips(m),
            annex_iii_points=ANNEX_III_POINTS,
            coverage_tables=coverage_tables(m.coverage) if m.coverage else [],
            coverage_url=paths.relative(page, paths.page_url(paths.regulation)),
            auth_missing={
                int(f.field.split("[", 1)[1].split("]", 1)[0])
                for f in m.findings
                if f.code == "authorisation-missing" and f.field and "[" in f.field
            },
        )
    )
    data = {paths.badge_svg(m.id): svg, paths.badge_json(m.id): badges.badge_json(m)}
    if kpi_charts:
        _chart_data(data, paths.model_data(m.id), charts.series_csv(m.kpis))
    if any(v["spec"] for v in segment_views):
        _chart_data(data, paths.segment_data(m.id), charts.segments_csv(m.segments))
    return page_text, data


def render_model_stub(m: ModelResult) -> str:
    """The front matter of the model page (the start of what :func:`render_model_page` writes):
    what MkDocs needs of the page before it builds it, while the page itself is rendered in the
    background (aipo_site/background.py)."""
    return environment().get_template("model_front.md.j2").render(c=m.charter)


def model_file_paths(paths: Paths, model_id: str) -> list[str]:
    """Every path :func:`render_model_page` may write a file of the model at (it writes the
    badges always, the chart data when there is a chart)."""
    charts_data = [paths.model_data(model_id), paths.segment_data(model_id)]
    return [
        paths.badge_svg(model_id),
        paths.badge_json(model_id),
        *charts_data,
        *(data_script_path(p) for p in charts_data),
    ]


def _chart_data(files: dict[str, str], path: str, csv_text: str) -> None:
    """A chart's CSV, and the same text as a script beside it (``kpis.csv`` -> ``kpis.js``).

    Over HTTP the chart fetches the CSV. A page opened from disk (``file://``) may not fetch
    files, but may load scripts: there aipo.js loads the script, which hands the text to
    ``aipoData``. ``json.dumps`` escapes every non-ASCII character, so the script is plain ASCII.
    """
    files[path] = csv_text
    files[data_script_path(path)] = f"aipoData(document.currentScript,{json.dumps(csv_text)});\n"


def data_script_path(csv_path: str) -> str:
    """Where the script copy of a chart's CSV goes (what aipo.js loads from disk)."""
    return csv_path.removesuffix(".csv") + ".js"


def _svg_width(svg: str) -> int:
    return int(svg.split('width="', 1)[1].split('"', 1)[0])


# The portfolio risk map shows the risks still carried at their likelihood and impact: "open" (no
# mitigation in place yet) and "accepted" (the business decided to carry it as it is). A
# "mitigated" risk has its mitigation in place and a "closed" one no longer applies.
OPEN_RISK_STATUSES = frozenset({RiskStatus.open, RiskStatus.accepted})
LIKELIHOOD_NAMES = ("rare", "unlikely", "possible", "likely", "almost certain")  # 1..5
IMPACT_NAMES = ("negligible", "minor", "moderate", "major", "severe")  # 1..5
# Severity bands of the score likelihood x impact (1..25): name, lowest and highest score.
RISK_BANDS = (("low", 1, 4), ("medium", 5, 9), ("high", 10, 16), ("critical", 20, 25))
# The dashboard's filters in its URL query string (read and written by aipo.js). Not "q": that
# one opens Material's search dialog.
FILTER_PARAMS = {"status": "status", "unit": "unit", "text": "text"}
MODELS_ANCHOR = "models"


def risk_band(score: int) -> str:
    """The severity band of a likelihood x impact score (1..25)."""
    return next(name for name, _lo, hi in RISK_BANDS if score <= hi)


@dataclass(frozen=True)
class MapRisk:
    """One open risk on the portfolio risk map: ``number`` is its R-number on the model page."""

    model: ModelResult
    number: int
    risk: Risk


def risk_map(portfolio: Portfolio) -> dict[tuple[int, int], list[MapRisk]]:
    """Every open risk (OPEN_RISK_STATUSES) of every model by (likelihood, impact); a cell's
    risks are ordered by model name, then by their order in the charter."""
    cells: dict[tuple[int, int], list[MapRisk]] = {}
    for m in portfolio.models:
        for number, r in enumerate(m.charter.risks, start=1):
            if r.status in OPEN_RISK_STATUSES:
                cells.setdefault((r.likelihood, r.impact), []).append(MapRisk(m, number, r))
    for items in cells.values():
        items.sort(key=lambda x: (x.model.charter.name.casefold(), x.model.id, x.number))
    return cells


def risk_register(portfolio: Portfolio) -> list[tuple[ModelResult, RiskResult]]:
    """Every risk a model still carries (every status but closed), highest current score first;
    then the highest inherent score, the model's name and the risk's R-number."""
    rows = [(m, x) for m in portfolio.models for x in m.risks if x.carried]
    rows.sort(
        key=lambda row: (
            -row[1].current.score,
            -row[1].inherent.score,
            row[0].charter.name.casefold(),
            row[0].id,
            row[1].number,
        )
    )
    return rows


def render_risk_register(
    portfolio: Portfolio, paths: Paths, people: PeopleDirectory | None = None
) -> str:
    """The risk register page (Markdown), every risk on one page."""
    return render_risk_register_pages(portfolio, paths, people).first


def render_risk_register_pages(
    portfolio: Portfolio,
    paths: Paths,
    people: PeopleDirectory | None = None,
    page_size: int | None = None,
) -> Paged:
    """The risk register (Markdown): every carried risk of the portfolio by current rating,
    with its model (linked), owner (linked to the owner page), measuring check and status,
    the stage's risk appetite and whether a valid risk-acceptance decision covers it; in pages
    of ``page_size`` risks (None: one page; render/paging.py)."""
    register = risk_register(portfolio)
    over = sum(1 for _m, x in register if x.over_appetite and not x.accepted_by)
    slices = chunks(register, page_size)
    uris = page_uris(paths.risks, len(slices))
    out = Paged({})
    start = 1
    # Pages 2.. link to the owner pages by the same relative URLs: computed once for them.
    by_base: dict[str, PersonLinks] = {}
    for k, (page, chunk) in enumerate(zip(uris, slices, strict=True), start=1):
        base = paths.relative(page, paths.people + "/")
        if base not in by_base:
            by_base[base] = paths.person_links(page, people)
        links = by_base[base]
        rows = []
        for m, x in chunk:
            owner = x.risk.owner or m.charter.owner.person or m.charter.owner.label
            rows.append(
                {
                    "m": m,
                    "x": x,
                    "url": paths.relative(page, paths.page_url(paths.model_page(m.id))) + "#risks",
                    "owner": links(owner),
                    "band": risk_band(x.current.score),
                }
            )
        out.pages[page] = (
            environment()
            .get_template("risks.md.j2")
            .render(
                rows=rows,
                total=len(register),
                first=k == 1,
                as_of=portfolio.as_of,
                over=over,
                bands=RISK_BANDS,
                pager=pager(
                    paths,
                    uris,
                    k,
                    start,
                    len(rows),
                    len(register),
                    "risks",
                    "Pages of the risk register",
                ),
                first_url=paths.relative(page, paths.page_url(paths.risks)),
            )
        )
        start += len(rows)
    return out


def status_by_unit(portfolio: Portfolio) -> dict[str, dict[Level, int]]:
    """Models per status for each business unit, units in alphabetical order."""
    out: dict[str, dict[Level, int]] = {}
    for m in portfolio.models:
        out.setdefault(m.charter.business_unit, dict.fromkeys(Level, 0))[m.status] += 1
    return dict(sorted(out.items(), key=lambda item: (item[0].casefold(), item[0])))


def _filter_href(base: str, status: Level | None = None, unit: str | None = None) -> str:
    """A link to the dashboard (``base``, relative to itself) filtered to a status and a unit."""
    params = {}
    if status is not None:
        params[FILTER_PARAMS["status"]] = status.label
    if unit is not None:
        params[FILTER_PARAMS["unit"]] = unit
    query = urlencode(params, quote_via=quote, safe="")
    return f"{base}?{query}#{MODELS_ANCHOR}" if query else f"{base}#{MODELS_ANCHOR}"


def _units_view(portfolio: Portfolio, base: str, levels: list[Level]) -> dict[str, Any]:
    rows = []
    for unit, counts in status_by_unit(portfolio).items():
        cells = [
            {"level": lv, "n": counts[lv], "href": _filter_href(base, lv, unit)} for lv in levels
        ]
        total = sum(counts.values())
        rows.append(
            {"unit": unit, "cells": cells, "total": total, "href": _filter_href(base, None, unit)}
        )
    totals = portfolio.counts()
    return {
        "rows": rows,
        "totals": [{"level": lv, "n": totals[lv], "href": _filter_href(base, lv)} for lv in levels],
        "total": len(portfolio.models),
        "href": _filter_href(base),
    }


def _risk_map_view(portfolio: Portfolio, paths: Paths, page: str) -> dict[str, Any]:
    cells = risk_map(portfolio)
    urls = {
        m.id: paths.relative(page, paths.page_url(paths.model_page(m.id))) + "#risks"
        for m in portfolio.models
        if any(r.status in OPEN_RISK_STATUSES for r in m.charter.risks)
    }
    rows = []
    for li in range(5, 0, -1):
        row = []
        for im in range(1, 6):
            score = li * im
            items = cells.get((li, im), [])
            risks = [{"r": x, "url": urls[x.model.id]} for x in items[:RISK_CELL_LIMIT]]
            row.append(
                {
                    "impact": im,
                    "score": score,
                    "band": risk_band(score),
                    "risks": risks,
                    "more": len(items) - len(risks),
                }
            )
        rows.append({"likelihood": li, "name": LIKELIHOOD_NAMES[li - 1], "cells": row})
    return {
        "rows": rows,
        "impacts": [{"impact": i, "name": IMPACT_NAMES[i - 1]} for i in range(1, 6)],
        "count": sum(len(v) for v in cells.values()),
        "models": len({x.model.id for v in cells.values() for x in v}),
        "bands": RISK_BANDS,
        "register_url": paths.relative(page, paths.page_url(paths.risks)),
    }


def _dashboard_row(m: ModelResult, url: str) -> dict[str, Any]:
    gaps = sorted({_GAP_LABELS[f.code] for f in m.findings if f.code in _GAP_LABELS})
    escalation_rank = (m.escalation.index + 1) if m.escalation.index is not None else 0
    return {
        "m": m,
        "url": url,
        "stage_order": _STAGE_ORDER[m.charter.lifecycle.stage],
        "attention": [k for k in m.kpis if k.level > Level.OK],
        "gaps_attention": [g for g in m.segments if g.level > Level.OK],
        "attention_count": sum(1 for k in m.kpis if k.level > Level.OK)
        + sum(1 for g in m.segments if g.level > Level.OK),
        "breach_findings": len(m.findings_at(Level.BREACH)),
        "warn_findings": len(m.findings_at(Level.WARN)),
        "gaps": gaps,
        "retraining_overdue": bool(m.retraining_due and m.retraining_due < m.as_of),
        "due_sort": m.retraining_due.isoformat() if m.retraining_due else "9999",
        "escalation_rank": escalation_rank,
        "drift": m.drift,
    }


def dashboard_order(portfolio: Portfolio) -> list[ModelResult]:
    """The dashboard's model order: worst status first, then by name and id."""
    return sorted(portfolio.models, key=lambda m: (-m.status, m.charter.name.casefold(), m.id))


def dashboard_index_path(paths: Paths) -> str:
    """Where the dashboard's model index goes (a script, so it loads from disk too)."""
    return paths.dashboard.removesuffix(".md") + "-index.js"


def dashboard_index(portfolio: Portfolio) -> dict[str, Any]:
    """One compact row per model, in the dashboard's order, for filtering and sorting every
    model in the browser when the table is split into pages (aipo.js draws rows from it).

    Repeated texts (stages, units, owners, answers, gap labels) are numbers into lists. A row:
    ``[id, name, status (Level), since, performing, governed, stage, unit, owner, attention,
    breach findings, warn findings, gaps, drift, retraining, escalation]`` where ``attention``
    is ``[[label, level], ...]``, ``gaps`` a list of numbers into ``gaps``, ``drift`` None or
    ``[level, share text, sort value]``, ``retraining`` ``[last, next, overdue, scheduled]`` (ISO dates or
    "") and ``escalation`` ``[rank, name]``. Dates are ISO, as the page shows them.
    """
    tables: dict[str, dict[str, int]] = {"units": {}, "owners": {}, "answers": {}}

    def ref(table: str, value: str) -> int:
        return tables[table].setdefault(value, len(tables[table]))

    gap_names = sorted(set(_GAP_LABELS.values()))
    rows = []
    for m in dashboard_order(portfolio):
        c = m.charter
        attention = [[f"{k.name}: {k.status.value}", int(k.level)] for k in m.kpis if k.level]
        attention += [
            [f"{g.name} gap: {g.status.value}", int(g.level)] for g in m.segments if g.level
        ]
        gaps = sorted(
            {gap_names.index(_GAP_LABELS[f.code]) for f in m.findings if f.code in _GAP_LABELS}
        )
        since = m.since.isoformat() if m.since else ("?" if m.status.value else "")
        r = c.retraining
        due = m.retraining_due
        rows.append(
            [
                m.id,
                c.name,
                int(m.status),
                since,
                ref("answers", m.performance.answer.value),
                ref("answers", m.governance.answer.value),
                _STAGE_ORDER[c.lifecycle.stage],
                ref("units", c.business_unit),
                ref("owners", c.owner.name),
                attention,
                len(m.findings_at(Level.BREACH)),
                len(m.findings_at(Level.WARN)),
                gaps,
                None
                if m.drift is None
                else [
                    int(m.drift.level),
                    "" if m.drift.share is None else fmt_pct(m.drift.share),
                    round(int(m.drift.level) * 1000 + (m.drift.share or 0) * 100, 3),
                ],
                [
                    r.last_retrained.isoformat() if r is not None and r.last_retrained else "",
                    due.isoformat() if due else "",
                    1 if due and due < m.as_of else 0,
                    1 if r is not None else 0,
                ],
                [
                    (m.escalation.index + 1) if m.escalation.index is not None else 0,
                    m.escalation.level.name if m.escalation.level else "",
                ],
            ]
        )
    answers = [Answer(a) for a in tables["answers"]]
    return {
        "levels": [[lv.label, lv.slug] for lv in Level],
        "stages": [s.value for s in Stage],
        "units": list(tables["units"]),
        "owners": list(tables["owners"]),
        "answers": [[a.label, a.slug, a.rank, a.value] for a in answers],
        "gaps": gap_names,
        "rows": rows,
    }


def _index_script(data: dict[str, Any]) -> str:
    """The index as a script that hands it to aipo.js (``aipoData``, as the charts' data
    scripts do): from disk a page may load scripts but not fetch files. ASCII only, and no
    ``<`` (so no ``</script>``) in it."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("<", "\\u003c")
    return f"aipoData(document.currentScript,{text});\n"


def render_dashboard(
    portfolio: Portfolio,
    paths: Paths,
    title: str = "Portfolio dashboard",
    page_size: int | None = None,
) -> str:
    """The portfolio dashboard page (Markdown): its first page when ``page_size`` splits it."""
    return render_dashboard_pages(portfolio, paths, title, page_size).first


def render_dashboard_pages(
    portfolio: Portfolio,
    paths: Paths,
    title: str = "Portfolio dashboard",
    page_size: int | None = None,
) -> Paged:
    """The portfolio dashboard: one page (Markdown) with every model up to ``page_size``
    models (None: no limit); above it the first page keeps the summary (counts, trend, status
    by unit, open risks) and the first ``page_size`` rows of the model table, and the other
    rows go on pages of their own (render/paging.py), with the model index every page's
    filters and sorting read (``dashboard_index_path``)."""
    page = paths.dashboard
    self_url = paths.relative(page, paths.page_url(page))
    levels = [Level.BREACH, Level.WARN, Level.OK]
    ordered = dashboard_order(portfolio)
    slices = chunks(ordered, page_size)
    uris = page_uris(page, len(slices))
    split = len(uris) > 1
    units = _units_view(portfolio, self_url, levels)
    out = Paged({})
    start = 1
    for k, (src, models) in enumerate(zip(uris, slices, strict=True), start=1):
        rows = [
            _dashboard_row(m, paths.relative(src, paths.page_url(paths.model_page(m.id))))
            for m in models
        ]
        model_url = paths.relative(src, paths.page_url(paths.model_page("{id}")))
        out.pages[src] = (
            environment()
            .get_template("dashboard.md.j2")
            .render(
                title=title,
                first=k == 1,
                models=rows,
                total=len(ordered),
                counts=portfolio.counts(),
                trend=charts.trend_spec(portfolio_trend(portfolio)) if k == 1 else None,
                levels=levels,
                as_of=portfolio.as_of,
                units=units,
                risk_map=_risk_map_view(portfolio, paths, src) if k == 1 else None,
                models_anchor=MODELS_ANCHOR,
                pager=pager(
                    paths,
                    uris,
                    k,
                    start,
                    len(rows),
                    len(ordered),
                    "models",
                    "Pages of the model table",
                ),
                split=split,
                summary_url=paths.relative(src, paths.page_url(page)),
                index_url=paths.relative(src, dashboard_index_path(paths)) if split else "",
                model_url=model_url,
                page_size=page_size or len(ordered),
            )
        )
        start += len(rows)
    if split:
        out.files[dashboard_index_path(paths)] = _index_script(dashboard_index(portfolio))
    return out


def render_history(
    history: list[CommitInfo] | None, path: str, limit: int, shallow: bool = False
) -> Block:
    """The History section of a model page (``history`` None: not a git repository)."""
    html = (
        environment()
        .get_template("history.html.j2")
        .render(
            history=history,
            path=path,
            truncated=history is not None and len(history) >= limit,
            shallow=shallow,
        )
    )
    return Block(html)


def render_stamp(revision: Revision | None, as_of: dt.date) -> str:
    """The provenance line every page carries: source revision and evaluation date."""
    if revision is None:
        source = "Source: not a git repository"
    else:
        dirty = " with uncommitted changes" if revision.dirty else ""
        source = f"Source: commit {revision.short_sha} of {revision.date.date().isoformat()}{dirty}"
    return str(
        Markup('<aside class="aipo-stamp" data-aipo-stamp>{} · Evaluated as of {}</aside>').format(
            source, as_of.isoformat()
        )
    )


def render_portfolio(portfolio: Portfolio, model_urls: dict[str, str], dashboard_url: str) -> str:
    """The live portfolio block for a hand-written page: counts by status, the models needing
    attention (worst first, at most ATTENTION_LIMIT) with their answers, and the trend.
    ``model_urls`` and ``dashboard_url`` are relative to the page the block goes into."""
    needing = sorted(
        (m for m in portfolio.models if m.status > Level.OK),
        key=lambda m: (-m.status, m.charter.name.casefold(), m.id),
    )
    attention = []
    for m in needing[:ATTENTION_LIMIT]:
        # The answer that explains the status: performance unless it is fine or not judged.
        perf, gov = m.performance, m.governance
        explains = perf if perf is not None and perf.answer.rank >= gov.answer.rank else gov
        attention.append({"m": m, "url": model_urls.get(m.id, "#"), "sentence": explains.sentence})
    html = (
        environment()
        .get_template("portfolio.html.j2")
        .render(
            total=len(portfolio.models),
            as_of=portfolio.as_of,
            counts=portfolio.counts(),
            levels=[Level.BREACH, Level.WARN, Level.OK],
            attention=attention,
            more=len(needing) - len(attention),
            dashboard_url=dashboard_url,
            trend=charts.trend_spec(portfolio_trend(portfolio)),
        )
    )
    return "".join(line.strip() for line in html.splitlines())
