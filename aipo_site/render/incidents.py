"""Incidents in the portal: the rows of a model page's Incidents section and the incident log
(every incident, newest first, with time to acknowledge and to resolve per model and per
business unit)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..model.results import IncidentResult, Portfolio
from .env import environment, safe_url
from .paging import Paged, page_uris, pager, sections
from .people import PersonLinks

if TYPE_CHECKING:
    from .pages import Paths

__all__ = ["RECENT_DAYS", "page_incidents", "render_incident_log", "review_urls", "times"]

# A model page shows its open incidents and those resolved within this many days.
RECENT_DAYS = 90


def page_incidents(incidents: list[IncidentResult], as_of: dt.date) -> list[IncidentResult]:
    """What a model page shows: the open incidents (newest opened first), then the ones resolved
    within the last RECENT_DAYS days (newest resolved first)."""
    first = as_of - dt.timedelta(days=RECENT_DAYS)
    open_ = [i for i in incidents if i.is_open]
    recent = [i for i in incidents if i.resolved is not None and i.resolved.date() > first]
    recent.sort(key=lambda i: (i.resolved, i.path), reverse=True)
    return open_ + recent


def review_urls(incidents: Iterable[IncidentResult]) -> dict[str, str]:
    """Record path -> its post-incident review link when it is a safe http(s) URL, else ""."""
    return {i.path: safe_url(i.record.review) if i.record.review else "" for i in incidents}


def times(incidents: list[IncidentResult], key: Callable[[IncidentResult], str]) -> list[dict]:
    """Time to acknowledge and to resolve per group (``key``): how many incidents, how many are
    acknowledged / resolved so far, and the median and the worst (longest) of those times."""
    groups: dict[str, list[IncidentResult]] = {}
    for i in incidents:
        groups.setdefault(key(i), []).append(i)
    rows = []
    for name, items in sorted(groups.items(), key=lambda g: g[0].casefold()):
        ack = [i.time_to_acknowledge for i in items if i.time_to_acknowledge is not None]
        res = [i.time_to_resolve for i in items if i.time_to_resolve is not None]
        rows.append(
            {
                "name": name,
                "first": items[0],
                "count": len(items),
                "open": sum(1 for i in items if i.is_open),
                "acknowledged": len(ack),
                "ack_median": _median(ack),
                "ack_worst": max(ack, default=None),
                "resolved": len(res),
                "res_median": _median(res),
                "res_worst": max(res, default=None),
            }
        )
    return rows


def _median(values: list[dt.timedelta]) -> dt.timedelta | None:
    if not values:
        return None
    return dt.timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def render_incident_log(
    portfolio: Portfolio,
    paths: Paths,
    person: Callable[[str], PersonLinks],
    page_size: int | None = None,
) -> Paged:
    """The incident log (Markdown): the response times per model and per business unit, then
    every incident, newest opened first. Above ``page_size`` rows in those three tables it is
    split into pages of ``page_size`` rows (render/paging.py): ``incidents.md``, then
    ``incidents/2.md``, ...; each table goes on where the previous page stopped. ``person``
    gives the names linked from a page (its src_uri)."""
    incidents = sorted(
        (i for m in portfolio.models for i in m.incidents),
        key=lambda i: (i.opened, i.path),
        reverse=True,
    )
    by_model = times(incidents, lambda i: i.model_id)
    by_unit = times(incidents, lambda i: i.business_unit)
    tables: list[tuple[str, Sequence[Any]]] = [
        ("per-model", by_model),
        ("per-business-unit", by_unit),
        ("incidents", incidents),
    ]
    parts = sections(tables, page_size)
    total = sum(len(rows) for _, rows in tables)
    uris = page_uris(paths.incidents, len(parts))
    out = Paged({})
    start = 1
    for k, (page, shown) in enumerate(zip(uris, parts, strict=True), start=1):
        listed = shown.get("incidents")
        models = {r["name"] for r in shown["per-model"].rows} if "per-model" in shown else set()
        models |= {i.model_id for i in listed.rows} if listed is not None else set()
        rows = sum(len(part.rows) for part in shown.values())
        context: dict[str, Any] = {
            "parts": shown,
            "first": k == 1,
            "first_url": paths.relative(page, paths.page_url(uris[0])),
            "any_incidents": bool(incidents),
            "model_urls": {
                m: paths.relative(page, paths.page_url(paths.model_page(m))) for m in models
            },
            "review_urls": review_urls(listed.rows) if listed is not None else {},
            "person": person(page),
            "as_of": portfolio.as_of,
            "pager": pager(paths, uris, k, start, rows, total, "rows", "Pages of the incident log"),
        }
        out.pages[page] = environment().get_template("incidents.md.j2").render(**context)
        start += rows
    return out
