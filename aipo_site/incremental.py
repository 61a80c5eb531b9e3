"""The plugin's build: the pipeline of :mod:`aipo_site.pipeline`, reusing a persistent cache of
evaluated and rendered models (:mod:`aipo_site.cache`) and rendering model pages on every core.

What is skipped, and when:

- every model's inputs and everything shared unchanged (the portfolio key hits): nothing is
  loaded, evaluated or rendered; the cached results and pages are assembled with the
  portfolio's own pages (dashboard, registers, people), cached whole, and the provenance stamp
  of this revision;
- some models changed: the repository is loaded and validated as always (so every error is
  reported), the unchanged models' results and pages come from the cache, and only the changed
  models are evaluated and rendered.

Model pages are rendered in forked worker processes when there are enough of them to pay for
the processes (:data:`PARALLEL_MIN`); the order of the output never depends on which worker
finished first. The output is the same with or without the cache and the workers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .background import BackgroundPages
from .cache import InputKeys, PortalCache, input_keys
from .errors import InputError
from .evaluate import evaluate_repository
from .load.git import CharterLog, charter_log
from .load.repository import CHARTER_SUFFIXES, load_repository
from .load.source import Source, WorkingTree
from .model.inputs import Layout, Repository
from .model.results import ModelResult
from .model.revision import Revision
from .parallel import available_cores, can_fork, fork_map
from .pipeline import (
    HISTORY_LIMIT,
    Portal,
    PortalOptions,
    Provenance,
    build_portal,
    render_model,
    render_portal,
    source_revision,
    split_numbered,
    split_pages,
)
from .render.blocks import SplitPage
from .render.pages import render_model_stub, render_stamp

__all__ = ["PARALLEL_MIN", "ModelPage", "build_portal_cached"]

# Fewer model pages to render than this are rendered in this process. Not measured as a
# threshold (the benchmark machine was never idle enough): a page takes ~7 ms to render and
# ~1 ms to send back, forking two workers ~0.2 s, so the break-even is a few dozen pages on an
# idle machine; 200 keeps small portfolios and single-model rebuilds in one process.
PARALLEL_MIN = 200


@dataclass(frozen=True)
class ModelPage:
    """One model's cache entry: its evaluated result, its page and the files beside it."""

    result: ModelResult
    page: str
    files: dict[str, str]


def build_portal_cached(
    source: Source,
    options: PortalOptions,
    as_of: dt.date,
    *,
    revision: Revision | None = None,
    cache: PortalCache | None = None,
    jobs: int | None = None,
    settings: Mapping[str, Any] | None = None,
    background: bool = False,
) -> Portal:
    """What :func:`~aipo_site.pipeline.build_portal` builds, reusing ``cache`` (None: no cache)
    and rendering on ``jobs`` processes (None: every available core).

    ``background``: the caller may take the model pages later, from ``portal.background``
    (:mod:`aipo_site.background`); they are then rendered by one background process, when there
    are at least :data:`PARALLEL_MIN` to render, two cores and fork. ``portal.pages`` holds a
    stub for each of them, and ``portal.files`` none of their files.

    ``settings``: options the output depends on that ``options`` does not hold (the plugin's
    whole configuration); they are part of every cache key.
    """
    if not isinstance(source, WorkingTree):
        return build_portal(source, options, as_of, revision=revision)
    jobs = available_cores() if jobs is None else max(1, jobs)
    layout = options.layout
    charters = _charter_paths(source, layout)
    # The log is read before loading so the keys can hold each charter's committed versions.
    log = charter_log(source.root, charters) if charters else None
    try:
        keys = None
        if cache is not None and charters is not None:
            context = {
                "as_of": as_of.isoformat(),
                "options": repr(options),
                "settings": repr(sorted((str(k), repr(v)) for k, v in (settings or {}).items())),
            }
            keys = input_keys(source, layout, charters, log, context)
        revision = revision or source_revision(source.root, layout)
        provenance = (
            Provenance(revision, log.histories(HISTORY_LIMIT), log.shallow)
            if log is not None
            else Provenance(revision)
        )
        if cache is not None and keys is not None:
            portal = _cached_portal(cache, keys, options, provenance)
            if portal is not None:
                cache.prune()
                return portal
        portal = _build(source, options, as_of, log, provenance, cache, keys, jobs, background)
    finally:
        if log is not None:
            log.close()
    if cache is not None:
        cache.prune()
    return portal


def _charter_paths(source: Source, layout: Layout) -> list[str] | None:
    """The charter files, as the loader lists them; None when the folder cannot be listed
    (the loader then reports why)."""
    try:
        if not source.is_dir(layout.charters):
            return None
        return [p for p in source.list_files(layout.charters) if p.endswith(CHARTER_SUFFIXES)]
    except (InputError, OSError):
        return None


def _cached_portal(
    cache: PortalCache, keys: InputKeys, options: PortalOptions, provenance: Provenance
) -> Portal | None:
    """The portal from the cache alone, when the portfolio and every model hit: the portfolio
    entry (the portal without its models, see :func:`_without_models`) and each model's."""
    entry = cache.get("portfolio", keys.portfolio)
    if not isinstance(entry, Portal):
        return None
    by_id: dict[str, ModelPage] = {}
    for path, key in keys.models.items():
        hit = cache.get("model", key)
        if not isinstance(hit, ModelPage) or hit.result.path != path:
            return None
        by_id[hit.result.id] = hit
    if set(by_id) != set(entry.model_pages):
        return None
    # The portal's order of models (the loader's: by id) is the order of its model pages.
    results = [by_id[model_id].result for model_id in entry.model_pages]
    portal = dataclasses.replace(
        entry,
        portfolio=dataclasses.replace(entry.portfolio, models=results),
        pages=dict(entry.pages),
        files=dict(entry.files),
        indexed=dict(entry.indexed),
        deferred=dict(entry.deferred),
        stamp=render_stamp(provenance.revision, entry.portfolio.as_of),
        provenance=provenance,
    )
    for model_id, src in entry.model_pages.items():
        portal.pages[src] = by_id[model_id].page
        portal.files.update(by_id[model_id].files)
    if options.split_blocks:
        split_pages(portal, list(entry.model_pages.values()))
    return portal


def _without_models(portal: Portal, rendered: Mapping[str, tuple[str, dict[str, str]]]) -> Portal:
    """The portfolio entry: the portal without what the model entries hold (results, pages and
    their files) and without the provenance (a new commit changes it, not the pages)."""
    model_srcs = set(portal.model_pages.values())
    model_files = {name for _page, files in rendered.values() for name in files}
    return dataclasses.replace(
        portal,
        repository=dataclasses.replace(portal.repository, models=[]),
        portfolio=dataclasses.replace(portal.portfolio, models=[]),
        pages={k: v for k, v in portal.pages.items() if k not in model_srcs},
        files={k: v for k, v in portal.files.items() if k not in model_files},
        indexed={k: v for k, v in portal.indexed.items() if k not in model_srcs},
        deferred={k: v for k, v in portal.deferred.items() if k not in model_srcs},
        stamp="",
        provenance=Provenance(),
        background=None,
    )


def _build(
    source: Source,
    options: PortalOptions,
    as_of: dt.date,
    log: CharterLog | None,
    provenance: Provenance,
    cache: PortalCache | None,
    keys: InputKeys | None,
    jobs: int,
    background: bool = False,
) -> Portal:
    """load -> evaluate the models the cache does not hold -> render their pages (in workers
    when there are many, or later in the background) -> the portal; cache entries are written
    for what was computed."""
    repo = load_repository(source, options.layout, jobs=jobs)
    model_keys = keys.models if keys is not None else {}
    cached: dict[str, ModelPage] = {}
    if cache is not None:
        for m in repo.models:
            hit = cache.get("model", model_keys[m.path]) if m.path in model_keys else None
            if isinstance(hit, ModelPage) and hit.result.path == m.path:
                cached[m.path] = hit
    portfolio = evaluate_repository(
        repo, as_of, log, known={path: hit.result for path, hit in cached.items()}, jobs=jobs
    )
    if log is not None:
        log.close()  # old versions are read; render workers must not share its git process
    todo = [r for r in portfolio.models if r.path not in cached]
    later = (
        background
        and options.split_blocks
        and len(todo) >= PARALLEL_MIN
        and jobs >= 2
        and can_fork()
    )
    writes = [model_keys.get(r.path) if cache is not None else None for r in todo]
    rendered = {hit.result.id: (hit.page, hit.files) for hit in cached.values()}
    if later:
        rendered.update({r.id: (render_model_stub(r), {}) for r in todo})
    else:
        pages = _render_models(todo, writes, repo, options, provenance, cache, jobs)
        rendered.update({r.id: done for r, done in zip(todo, pages, strict=True)})
    portal = render_portal(repo, portfolio, options, provenance, rendered)
    if later:
        portal.background = _background(portal, todo, writes, repo, options, provenance, cache)
    if cache is not None and keys is not None:
        for key in model_keys.values():
            cache.keep("model", key)
        cache.put("portfolio", keys.portfolio, _without_models(portal, rendered))
    return portal


def _render_model(
    result: ModelResult,
    key: str | None,
    repo: Repository,
    options: PortalOptions,
    provenance: Provenance,
    cache: PortalCache | None,
) -> tuple[str, dict[str, str]]:
    """One model's page and files, written to the cache under ``key`` (when it has one)."""
    page, files = render_model(result, repo, options.paths, provenance)
    if cache is not None and key is not None:
        cache.put("model", key, ModelPage(result, page, files))
    return page, files


def _background(
    portal: Portal,
    todo: Sequence[ModelResult],
    keys: Sequence[str | None],
    repo: Repository,
    options: PortalOptions,
    provenance: Provenance,
    cache: PortalCache | None,
) -> BackgroundPages:
    """The pages of ``todo`` to render in the background: each split as
    :func:`~aipo_site.pipeline.split_pages` splits it in the portal (the same numbers), and
    written to the cache under its key (when it has one)."""
    number = {src: i for i, src in enumerate(portal.model_pages.values())}
    by_src = {portal.model_pages[r.id]: (r, key) for r, key in zip(todo, keys, strict=True)}

    def render(src: str) -> tuple[SplitPage, dict[str, str]]:
        result, key = by_src[src]
        page, files = _render_model(result, key, repo, options, provenance, cache)
        return split_numbered(page, number[src]), files

    return BackgroundPages(render, list(by_src))


def _render_models(
    todo: Sequence[ModelResult],
    keys: Sequence[str | None],
    repo: Repository,
    options: PortalOptions,
    provenance: Provenance,
    cache: PortalCache | None,
    jobs: int,
) -> list[tuple[str, dict[str, str]]]:
    """Each model's page and files, in the order of ``todo``; each written to the cache under
    its key (when it has one) by whichever process rendered it."""

    def render(i: int) -> tuple[str, dict[str, str]]:
        return _render_model(todo[i], keys[i], repo, options, provenance, cache)

    if not todo:
        return []
    # The first page here: the chart templates are then built (or read) once, before the fork,
    # not once in every worker.
    first = render(0)
    rest = fork_map(lambda i: render(i + 1), len(todo) - 1, jobs, minimum=PARALLEL_MIN - 1)
    return [first, *rest]
