"""The one place that joins load -> evaluate -> render. The MkDocs plugin and the CLI call this."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from markupsafe import Markup

from .background import BackgroundPages
from .errors import ConfigError
from .evaluate import evaluate_repository
from .load.crosswalk import crosswalk_files
from .load.git import CharterLog, charter_log, revision_info
from .load.repository import load_repository
from .load.source import Source, WorkingTree
from .model.inputs import Layout, Repository
from .model.results import ModelResult, Portfolio
from .model.revision import CommitInfo, Revision
from .parallel import available_cores
from .render.assets import static_files, vega_bundle
from .render.blocks import SplitPage, fill, split_page
from .render.incidents import render_incident_log
from .render.pages import (
    SEARCHABLE_SECTIONS,
    Paths,
    render_dashboard_pages,
    render_history,
    render_model_page,
    render_risk_register_pages,
    render_stamp,
)
from .render.paging import DEFAULT_PAGE_SIZE, MIN_PAGE_SIZE, Paged
from .render.people import render_people_index, render_person_pages
from .render.reference import SCHEMA_MODELS, render_reference, schema_files
from .render.regulation import render_regulation_pages

__all__ = [
    "AS_OF_ENV",
    "NAV_GROUP_MAX",
    "Portal",
    "PortalOptions",
    "Provenance",
    "build_portal",
    "evaluate_source",
    "keep_split",
    "model_groups",
    "nav_chunks",
    "portal_options",
    "read_charter_log",
    "read_provenance",
    "render_model",
    "resolve_as_of",
    "source_revision",
    "split_numbered",
    "split_pages",
    "standalone_page",
]

AS_OF_ENV = "AIPO_AS_OF"

T = TypeVar("T")


def resolve_as_of(value: str | dt.date | None, environ: dict[str, str] | None = None) -> dt.date:
    """The evaluation date: the given value, else ``$AIPO_AS_OF``, else today.

    Accepts a date, ``YYYY-MM-DD`` or ``today``. Pinning it makes builds reproducible.
    """
    env = os.environ if environ is None else environ
    raw: str | dt.date | None = value if value not in (None, "") else env.get(AS_OF_ENV) or None
    if raw is None or raw == "today":
        return dt.date.today()
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        where = "as_of" if value not in (None, "") else f"${AS_OF_ENV}"
        raise ConfigError(
            f"{where}: expected a date YYYY-MM-DD or 'today', found {raw!r}"
        ) from None


@dataclass(frozen=True)
class PortalOptions:
    layout: Layout = field(default_factory=Layout)
    paths: Paths = field(default_factory=Paths)
    dashboard_title: str = "Portfolio dashboard"
    reference: bool = True
    assets: bool = True
    # Keep generated HTML out of Python-Markdown and the search index (see render/blocks.py).
    split_blocks: bool = False
    # Rows per page of the portfolio pages that list every model (render/paging.py).
    page_size: int = DEFAULT_PAGE_SIZE


HISTORY_LIMIT = 20


@dataclass(frozen=True)
class Provenance:
    """Where the inputs came from: the git revision and each charter's commits (None outside
    a git repository)."""

    revision: Revision | None = None
    histories: dict[str, list[CommitInfo]] | None = None
    shallow: bool = False


def source_revision(root: str | Path, layout: Layout) -> Revision | None:
    """The commit a working tree is at, dirty when the governance inputs have changes."""
    return revision_info(
        root,
        [
            layout.charters,
            layout.policy,
            layout.metrics,
            layout.people,
            layout.reviews,
            layout.decisions,
            layout.incidents,
        ],
    )


def read_charter_log(source: Source, repo: Repository) -> CharterLog | None:
    """The charters' git log (one ``git log`` for all) when ``source`` is a working tree inside a
    git repository; None otherwise (a revision being read, no git)."""
    if not isinstance(source, WorkingTree):
        return None
    return charter_log(source.root, [m.path for m in repo.models])


def read_provenance(
    root: str | Path,
    repo: Repository,
    revision: Revision | None = None,
    log: CharterLog | None = None,
) -> Provenance:
    """The revision (read unless given) and the charter histories (from ``log`` when given,
    else from one git call for all)."""
    revision = revision or source_revision(root, repo.layout)
    if log is None:
        log = charter_log(root, [m.path for m in repo.models])
    if log is None:
        return Provenance(revision)
    return Provenance(revision, log.histories(HISTORY_LIMIT), log.shallow)


@dataclass
class Portal:
    """Everything a build needs: the evaluated state and the generated files."""

    repository: Repository
    portfolio: Portfolio
    pages: dict[str, str]  # src_uri -> Markdown
    files: dict[str, str]  # src_uri -> other content (CSV, SVG, JSON, JS, CSS)
    model_pages: dict[str, str] = field(default_factory=dict)  # model id -> src_uri
    person_pages: list[str] = field(default_factory=list)  # owner pages' src_uri (not the index)
    # Pages 2.. of the portfolio pages split into pages (reached by their pager, not the nav).
    paged_pages: list[str] = field(default_factory=list)
    dashboard: str = "dashboard.md"
    # HTML blocks of generated pages, by src_uri: put back after Markdown (indexed by search)
    # or into the final HTML (deferred); see render/blocks.py.
    indexed: dict[str, dict[str, str]] = field(default_factory=dict)
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)
    stamp: str = ""  # provenance line added to every page
    provenance: Provenance = field(default_factory=Provenance)
    # Model pages still being rendered, whose entries in `pages` are stubs (see
    # aipo_site/background.py); only the plugin's builds have them.
    background: BackgroundPages | None = None


def evaluate_source(source: Source, layout: Layout, as_of: dt.date) -> tuple[Repository, Portfolio]:
    """Load and evaluate a repository; raises AipoError subclasses on bad input.

    For a working tree in git, compliance findings say since when they hold (from the charters'
    history); elsewhere their start is unknown.
    """
    repo, portfolio, _log = _evaluate(source, layout, as_of)
    return repo, portfolio


def _evaluate(
    source: Source, layout: Layout, as_of: dt.date
) -> tuple[Repository, Portfolio, CharterLog | None]:
    """load -> the charters' git log (working trees) -> evaluate; the log is kept for the pages'
    History sections, so one ``git log`` serves both."""
    jobs = available_cores()
    repo = load_repository(source, layout, jobs=jobs)
    log = read_charter_log(source, repo)
    try:
        portfolio = evaluate_repository(
            repo, as_of, log, jobs=jobs if isinstance(source, WorkingTree) else 1
        )
    finally:
        if log is not None:
            log.close()  # the old versions are read; the commits stay available
    return repo, portfolio, log


def render_portal(
    repo: Repository,
    portfolio: Portfolio,
    options: PortalOptions,
    provenance: Provenance | None = None,
    rendered: Mapping[str, tuple[str, dict[str, str]]] | None = None,
) -> Portal:
    """Render every generated page and file from evaluated results.

    ``rendered``: model pages already rendered (model id -> what :func:`render_model` returns),
    from the cache or render workers (aipo_site/incremental.py); the others are rendered here.
    """
    provenance = provenance or Provenance()
    paths = options.paths
    pages: dict[str, str] = {}
    files: dict[str, str] = {}
    model_pages: dict[str, str] = {}
    for result in portfolio.models:
        done = rendered.get(result.id) if rendered is not None else None
        page, data = done or render_model(result, repo, paths, provenance)
        src = paths.model_page(result.id)
        pages[src] = page
        model_pages[result.id] = src
        files.update(data)
    size = options.page_size
    dashboard = render_dashboard_pages(portfolio, paths, options.dashboard_title, size)
    incidents = _incident_log(portfolio, paths, repo, size)
    risks = render_risk_register_pages(portfolio, paths, repo.people, size)
    frameworks = repo.policy.regulation.frameworks
    regulation = render_regulation_pages(portfolio, paths, frameworks, size)
    for paged in (dashboard, incidents, risks, regulation):
        pages.update(paged.pages)
        files.update(paged.files)
    people = _people_pages(portfolio, paths, size)
    for paged in people:
        pages.update(paged.pages)
    if options.reference:
        for name, (title, intro) in REFERENCE_PAGES.items():
            page = f"{paths.reference}/{name}.md"
            schema = paths.relative(page, f"{paths.schema}/{name}.schema.json")
            pages[page] = render_reference(
                SCHEMA_MODELS[f"{name}.schema.json"],
                title,
                Markup(intro)
                + Markup(' JSON Schema: <a href="{}">{}</a>.').format(
                    schema, f"{name}.schema.json"
                ),
            )
        for name, text in schema_files().items():
            files[f"{paths.schema}/{name}"] = text
    for name, text in crosswalk_files().items():
        files[f"{paths.crosswalk}/{name}"] = text
    if options.assets:
        files[f"{paths.assets}/vega.js"] = vega_bundle()
        for name, text in static_files().items():
            files[f"{paths.assets}/{name}"] = text
    stamp = render_stamp(provenance.revision, portfolio.as_of)
    portal = Portal(
        repository=repo,
        portfolio=portfolio,
        pages=pages,
        files=files,
        model_pages=model_pages,
        person_pages=[paths.person_page(p.key) for p in portfolio.people],
        paged_pages=[
            *dashboard.more,
            *incidents.more,
            *risks.more,
            *regulation.more,
            *(src for paged in people for src in paged.more),
        ],
        dashboard=paths.dashboard,
        stamp=stamp,
        provenance=provenance,
    )
    if options.split_blocks:
        split_pages(
            portal,
            [
                *model_pages.values(),
                *dashboard.pages,
                *risks.pages,
                *regulation.pages,
                *incidents.pages,
                *(src for paged in people for src in paged.pages),
            ],
        )
    return portal


def split_pages(portal: Portal, srcs: list[str]) -> None:
    """Move the HTML blocks of the pages ``srcs`` into ``portal.indexed`` and ``deferred`` (see
    render/blocks.py), numbering the pages in that order (model pages first, from 0: the build
    cache splits cached model pages again the same way)."""
    for i, src in enumerate(srcs):
        keep_split(portal, src, split_numbered(portal.pages[src], i))


def split_numbered(page: str, number: int) -> SplitPage:
    """The page numbered ``number`` by :func:`split_pages`, split into its Markdown and blocks."""
    return split_page(page, prefix=f"{number}x", searchable=SEARCHABLE_SECTIONS)


def keep_split(portal: Portal, src: str, split: SplitPage) -> None:
    """Put a split page into the portal: its Markdown in ``pages``, its blocks beside it."""
    portal.pages[src] = split.markdown
    portal.indexed[src] = split.indexed
    portal.deferred[src] = split.deferred


def render_model(
    result: ModelResult, repo: Repository, paths: Paths, provenance: Provenance
) -> tuple[str, dict[str, str]]:
    """One model's page (Markdown) and the files beside it, with its History section."""
    history = (
        provenance.histories.get(result.path, []) if provenance.histories is not None else None
    )
    sections = [render_history(history, result.path, HISTORY_LIMIT, provenance.shallow)]
    return render_model_page(result, paths, sections, repo.people, repo.policy)


# The reference page of each file aipo reads: name (of the page and its schema) -> title and
# introduction (HTML; the schema link is added after it).
REFERENCE_PAGES: dict[str, tuple[str, str]] = {
    "charter": (
        "Charter reference",
        "Every field of a model charter (<code>&lt;charters&gt;/&lt;model-id&gt;.yaml</code>), "
        "generated from the schema aipo validates with. Unknown fields are errors; editors that "
        "speak yaml-language-server complete and check charters with the schema.",
    ),
    "policy": (
        "Policy reference",
        "The repository-wide policy every charter inherits, generated from its schema.",
    ),
    "people": (
        "People directory reference",
        "The people directory (<code>content/people.yaml</code> by default): every person and "
        "team the charters name, once, by key. Generated from its schema.",
    ),
    "decision": (
        "Decision record reference",
        "A decision record (<code>content/decisions/&lt;anything&gt;.yaml</code> by default): one "
        "decision about one model, bound by its evidence to the charter it approved. Generated "
        "from its schema.",
    ),
    "review": (
        "Review record reference",
        "A review record (<code>content/reviews/&lt;anything&gt;.yaml</code> by default): one "
        "meeting of a ritual of a model's operating rhythm, with its decisions and actions. "
        "Generated from its schema.",
    ),
    "incident": (
        "Incident record reference",
        "An incident record (<code>content/incidents/&lt;anything&gt;.yaml</code> by default): "
        "one production incident of a model, with its times, owner, the checks it concerns, "
        "actions and post-incident review. Generated from its schema.",
    ),
}


def _incident_log(
    portfolio: Portfolio, paths: Paths, repo: Repository, page_size: int | None
) -> Paged:
    """The incident log: every incident of every model (an empty log without records), split
    into pages above ``page_size`` rows."""
    return render_incident_log(
        portfolio, paths, lambda page: paths.person_links(page, repo.people), page_size
    )


def _people_pages(portfolio: Portfolio, paths: Paths, page_size: int | None) -> list[Paged]:
    """The people index and an owner page per person of the directory, each split into pages
    above ``page_size`` rows (none without a directory)."""
    if not portfolio.people:
        return []
    return [
        render_people_index(portfolio, paths, page_size),
        *(render_person_pages(p, portfolio, paths, page_size) for p in portfolio.people),
    ]


def build_portal(
    source: Source, options: PortalOptions, as_of: dt.date, *, revision: Revision | None = None
) -> Portal:
    """load -> evaluate -> render (with git provenance when the source is a working tree).

    ``revision`` saves reading it again when the caller already has (the plugin's cache key).
    """
    repo, portfolio, log = _evaluate(source, options.layout, as_of)
    provenance = (
        read_provenance(source.root, repo, revision, log)
        if isinstance(source, WorkingTree)
        else Provenance()
    )
    return render_portal(repo, portfolio, options, provenance)


def portal_options(
    settings: Mapping[str, object],
    layout: Layout,
    *,
    directory_urls: bool,
    docs_prefix: str,
    folder: str = "",
) -> PortalOptions:
    """The PortalOptions of the plugin's settings (``models_dir``, ``dashboard``, ...: the
    option names of mkdocs.yml's ``plugins: - aipo``), with HTML blocks split out.

    ``folder`` puts every generated file under that folder of the site (``aipo generate``, whose
    output is dropped into a docs folder); links between generated files stay relative.
    """

    def path(name: str) -> str:
        return str(settings[name]).strip("/")

    paths = Paths(
        models=path("models_dir"),
        dashboard=str(settings["dashboard"]),
        badges=path("badges_dir"),
        assets=path("assets_dir"),
        reference=path("reference_dir"),
        people=path("people_dir"),
        directory_urls=directory_urls,
        docs_prefix=docs_prefix,
    )
    folder = folder.strip("/")
    if folder:
        # Every place a file goes (every text field but docs_prefix, which says where the
        # inputs are), so a page kind added to Paths moves with the others.
        paths = dataclasses.replace(
            paths,
            **{
                f.name: f"{folder}/{getattr(paths, f.name)}"
                for f in dataclasses.fields(paths)
                if f.type in ("str", str) and f.name != "docs_prefix"
            },
        )
    page_size = settings.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < MIN_PAGE_SIZE:
        raise ConfigError(
            f"plugins.aipo.page_size: expected a whole number of at least {MIN_PAGE_SIZE}, "
            f"found {page_size!r}"
        )
    return PortalOptions(
        layout=layout,
        paths=paths,
        dashboard_title=str(settings["dashboard_title"]),
        reference=bool(settings["reference"]),
        split_blocks=True,
        page_size=page_size,
    )


# Model pages per nav section: a larger group is split into sub-sections of this many (in the
# group's order), so every page's sidebar stays small at any portfolio size: Material writes the
# links of the section the page is in into the page, and, with navigation.indexes, looks through
# the children of every other section (see the plugin's pruned_nav).
NAV_GROUP_MAX = 100


def nav_chunks(items: Sequence[T], size: int | None = None) -> list[tuple[str, list[T]]]:
    """``items`` (a nav group's models or pages, in order) as the nav lists them: one part
    labelled "" when there are at most ``size`` (default :data:`NAV_GROUP_MAX`), else parts of
    ``size`` labelled by their positions: "1–100", "101–200", ..., "1,001" for a last part of
    one."""
    size = size or NAV_GROUP_MAX
    if len(items) <= size:
        return [("", list(items))]
    out = []
    for start in range(0, len(items), size):
        part = list(items[start : start + size])
        first, last = start + 1, start + len(part)
        out.append((f"{first:,}" if first == last else f"{first:,}–{last:,}", part))
    return out


def model_groups(portfolio: Portfolio, group_by: str) -> list[tuple[str, list[ModelResult]]]:
    """The models as the nav lists them: grouped by business unit or lifecycle stage (groups in
    case-insensitive order of their label), each group by name, then id. ``group_by="none"``
    gives one group labelled ""."""

    def key(m: ModelResult) -> tuple[str, str]:
        return (m.charter.name.casefold(), m.id)

    models = sorted(portfolio.models, key=lambda m: m.id)
    if group_by == "none":
        return [("", sorted(models, key=key))]
    groups: dict[str, list[ModelResult]] = {}
    for m in models:
        label = (
            m.charter.business_unit
            if group_by == "business_unit"
            else m.charter.lifecycle.stage.value
        )
        groups.setdefault(label, []).append(m)
    return [
        (label, sorted(group, key=key))
        for label, group in sorted(groups.items(), key=lambda kv: kv[0].casefold())
    ]


def standalone_page(portal: Portal, src_uri: str) -> str:
    """A generated page as one Markdown document, for a site engine without the aipo plugin:
    the HTML blocks the plugin puts back after Markdown are in place, and the provenance stamp
    ends the page.

    Blank lines inside a block are left out (they only separate elements): a CommonMark engine
    ends an HTML block at a blank line and would read what follows as Markdown. Python-Markdown
    keeps each block as raw HTML either way.
    """
    text = portal.pages[src_uri]
    blocks = {**portal.indexed.get(src_uri, {}), **portal.deferred.get(src_uri, {})}
    if blocks:
        text = fill(
            text,
            {
                key: "\n".join(line for line in block.split("\n") if line.strip())
                for key, block in blocks.items()
            },
        )
    return text.rstrip("\n") + "\n\n" + portal.stamp + "\n"
