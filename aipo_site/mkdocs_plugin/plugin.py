"""`aipo` MkDocs plugin: hooks only; the work is done by aipo_site.pipeline.

Build order (mkdocs/commands/build.py): on_config -> on_pre_build -> the site folder is cleaned ->
on_files -> on_nav -> pages. Everything is loaded, validated and evaluated in on_pre_build, so bad
input fails the build before the previously built site is touched.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import html
import itertools
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url, write_file
from mkdocs.utils.meta import get_data

from ..cache import PortalCache
from ..errors import AipoError
from ..incremental import build_portal_cached
from ..load.source import WorkingTree
from ..model.inputs import Layout
from ..pipeline import (
    Portal,
    PortalOptions,
    keep_split,
    model_groups,
    nav_chunks,
    portal_options,
    resolve_as_of,
    source_revision,
)
from ..render.assets import IFRAME_WORKER
from ..render.blocks import fill
from ..render.pages import PORTFOLIO_MARK, Paths, model_file_paths, render_portfolio
from .config import AipoConfig

__all__ = ["AipoPlugin"]

log = get_plugin_logger("aipo")
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
# Material's sidebar: from its primary nav to the page's content (squeeze_nav).
NAV_START = '<nav class="md-nav md-nav--primary"'
CONTENT_START = '<div class="md-content"'
_BLANK_RUN = re.compile(r"[ \t\r\f]*\n\s*")
DEFAULT_CACHE_DIR = ".cache/aipo"
# What Material's offline plugin (material/plugins/offline/plugin.py) adds to extra.polyfills.
MATERIAL_WORKER_SHIM = "https://unpkg.com/iframe-worker/shim"
# Logged (INFO, so `--strict` builds pass) after a build without site_url. MkDocs serves the 404
# page at any depth, so it links it from site_url's path, or from "/" without one; and it lists
# pages in sitemap.xml only under site_url. A portal at the root of its host needs no site_url for
# its 404 page; one under a sub-path does (mkdocs/commands/build.py, _build_template).
NO_SITE_URL = (
    "site_url is not set in mkdocs.yml: 404.html links its stylesheets, scripts and navigation "
    "from the server root (/assets/...), so it is unstyled when the portal is served under a "
    "sub-path (a GitHub project page https://OWNER.github.io/REPO/, a mike version folder), and "
    "sitemap.xml lists no pages. Set site_url to the address the portal is published at."
)


class AipoPlugin(BasePlugin[AipoConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.portal: Portal | None = None
        self._cache_key: str | None = None
        self._files: Files | None = None
        self._paths = Paths()
        self._root = Path.cwd()

    # Defining on_startup keeps this instance (and its cache) across `mkdocs serve` rebuilds.
    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command

    # After Material's offline plugin (priority 0), which adds its Web Worker shim from a CDN.
    @event_priority(-100)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return None
        self._root = Path(config.config_file_path or ".").resolve().parent
        assets = self.config.assets_dir.strip("/")
        _local_worker_shim(config, f"{assets}/{IFRAME_WORKER}")
        for script in (f"{assets}/vega.js", f"{assets}/aipo.js"):
            if script not in [str(s) for s in config.extra_javascript]:
                config.extra_javascript.append(script)
        if f"{assets}/aipo.css" not in config.extra_css:
            config.extra_css.append(f"{assets}/aipo.css")
        return config

    def _options(self, config: MkDocsConfig) -> PortalOptions:
        o = self.config
        docs = Path(config.docs_dir).resolve()
        try:
            prefix = docs.relative_to(self._root).as_posix().rstrip("/") + "/"
        except ValueError:
            prefix = ""
        layout = Layout(
            charters=o.charters,
            policy=o.policy,
            metrics=o.metrics,
            people=o.people,
            decisions=o.decisions,
            reviews=o.reviews,
            incidents=o.incidents,
            sources=o.sources,
        )
        return portal_options(
            o,
            layout,
            directory_urls=config.use_directory_urls,
            docs_prefix="" if prefix == "./" else prefix,
        )

    def _fingerprint(self, options: PortalOptions, as_of: object, revision: object) -> str:
        """A key over the options, the date, the revision (a new commit changes the pages'
        provenance stamp even when no input file changed) and every input's size and mtime."""
        layout = options.layout
        digest = hashlib.sha256(repr((options, as_of, revision)).encode())
        for folder in (
            layout.charters,
            layout.metrics,
            layout.reviews,
            layout.decisions,
            layout.incidents,
        ):
            base = self._root / folder
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                _stamp(digest, path)
        _stamp(digest, self._root / layout.policy)
        _stamp(digest, self._root / layout.people)
        _stamp(digest, self._root / layout.sources)
        return digest.hexdigest()

    def _build_cache(self) -> PortalCache | None:
        """The persistent cache (``cache_dir``, relative to mkdocs.yml); None when disabled."""
        folder = self.config.cache_dir
        if folder is False or folder == "":
            return None
        return PortalCache(self._root / (DEFAULT_CACHE_DIR if folder is True else str(folder)))

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        _site_url_as_folder(config)
        try:
            as_of = resolve_as_of(self.config.as_of)
            options = self._options(config)
            self._paths = options.paths
            revision = source_revision(self._root, options.layout)
            key = self._fingerprint(options, as_of, revision)
            if self.portal is None or key != self._cache_key:
                # The pipeline allocates millions of small, long-lived objects: the cyclic
                # collector's passes over them cost ~10% of a 1,000-model build and free nothing.
                # Frozen afterwards, the portal (alive for the whole build) is not scanned again
                # while MkDocs builds the pages; unfrozen first, a previous one (`mkdocs serve`)
                # can be collected.
                gc.unfreeze()
                gc.disable()
                try:
                    self.portal = None
                    self.portal = build_portal_cached(
                        WorkingTree(self._root),
                        options,
                        as_of,
                        revision=revision,
                        cache=self._build_cache(),
                        settings={k: v for k, v in self.config.items() if k != "cache_dir"},
                        background=True,
                    )
                finally:
                    gc.freeze()
                    gc.enable()
                self._cache_key = key
        except AipoError as e:
            self.portal = None
            raise PluginError(f"aipo: {e}") from None
        for warning in self.portal.repository.warnings:
            log.warning(warning)
        counts = self.portal.portfolio.counts()
        summary = ", ".join(f"{n} {level.label}" for level, n in counts.items() if n)
        log.info(
            f"evaluated {len(self.portal.portfolio.models)} models as of "
            f"{self.portal.portfolio.as_of.isoformat()}: {summary or 'none'}"
        )

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.portal is None:
            return None
        self._files = files
        background = self.portal.background
        if background is not None and self._overlaps(files, background.srcs):
            # A docs file where a background page may write one of its files: render them all
            # now, so the conflict is reported below as it is without the background.
            self._render_background_here()
        generated = {**self.portal.pages, **self.portal.files}
        # Model and owner pages are reached from the nav's model section, the dashboard and
        # the people index, and pages 2.. of a portfolio page from its pager; only the index
        # and first pages may be listed in the nav.
        unlisted = (
            set(self.portal.model_pages.values())
            | set(self.portal.person_pages)
            | set(self.portal.paged_pages)
        )
        for src_uri in sorted(generated):
            existing = files.get_file_from_path(src_uri)
            if existing is not None and existing.generated_by is None:
                raise PluginError(
                    f"aipo: {config.docs_dir}/{src_uri} conflicts with the page aipo generates at "
                    f"that path; rename the file or change the plugin's path options"
                )
            if existing is not None:
                files.remove(existing)
            # Model pages are placed in the nav by on_nav; NOT_IN_NAV keeps MkDocs from listing
            # them as "not included in the nav" when mkdocs.yml has an explicit nav.
            inclusion = (
                InclusionLevel.NOT_IN_NAV if src_uri in unlisted else InclusionLevel.UNDEFINED
            )
            files.append(
                File.generated(config, src_uri, content=generated[src_uri], inclusion=inclusion)
            )
        if self.portal.background is not None:
            site_dir = config.site_dir

            def write(generated: Mapping[str, str]) -> None:
                # What MkDocs' File.copy_file does with a generated file's content.
                for name, text in generated.items():
                    write_file(text.encode("utf-8"), os.path.join(site_dir, name))

            srcs = self.portal.background.srcs
            order = [f.src_uri for f in files.documentation_pages() if f.src_uri in srcs]
            for src in order:
                _BackgroundPage(None, files.src_uris[src], config)
            self.portal.background.start(order, write)
        return files

    def _overlaps(self, files: Files, srcs: frozenset[str]) -> bool:
        """Whether a file of the docs folder lies where a model page of ``srcs`` or one of its
        files may be generated."""
        assert self.portal is not None
        for model_id, src in self.portal.model_pages.items():
            if src in srcs:
                for path in (src, *model_file_paths(self._paths, model_id)):
                    existing = files.get_file_from_path(path)
                    if existing is not None and existing.generated_by is None:
                        return True
        return False

    def _render_background_here(self) -> None:
        """Take every background page now, with its files, into the portal."""
        assert self.portal is not None and self.portal.background is not None
        background, self.portal.background = self.portal.background, None
        for src, (split, files) in background.render_all().items():
            keep_split(self.portal, src, split)
            self.portal.files.update(files)

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if not self.config.enabled or self.portal is None:
            return None
        pages: list[Page] = []
        for model_id in sorted(self.portal.model_pages):
            file = files.get_file_from_path(self.portal.model_pages[model_id])
            if file is not None and isinstance(file.page, Page):
                pages.append(file.page)
        if not pages:
            return None
        return _regroup(nav, pages, self.portal, self.config)

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page | None:
        # MkDocs dates every page with the wall clock (the sitemap's <lastmod> and the mtime in
        # sitemap.xml.gz's gzip header), so two builds of the same inputs on different days
        # would differ. The portal is as of its evaluation date: pages carry that date, unless
        # the user asked for a build date with SOURCE_DATE_EPOCH.
        if not self.config.enabled or self.portal is None or SOURCE_DATE_EPOCH in os.environ:
            return None
        page.update_date = self.portal.portfolio.as_of.isoformat()
        return page

    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        # Every page says which source revision and evaluation date it was built from.
        if not self.config.enabled or self.portal is None:
            return None
        html = fill(html, self.portal.indexed.get(page.file.src_uri, {}))
        return html + "\n" + self.portal.stamp

    # First, so the search index, the theme and other plugins see the page itself, not its stub.
    @event_priority(100)
    def _background_page(
        self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> dict[str, Any] | None:
        """A model page rendered in the background: MkDocs read and converted its stub (the
        front matter) with the other pages; it is read and converted now, as MkDocs does
        (mkdocs/commands/build.py, _populate_page), when the page is built."""
        if not self.config.enabled or self.portal is None or self.portal.background is None:
            return None
        src = page.file.src_uri
        if src not in self.portal.background.srcs or self._files is None:
            return None
        split = self.portal.background.take(src)
        keep_split(self.portal, src, split)
        files = self._files
        page.markdown, page.meta = get_data(split.markdown)
        page.markdown = config.plugins.on_page_markdown(
            page.markdown, page=page, config=config, files=files
        )
        if isinstance(page, _BackgroundPage):
            page.stub = False
        page.render(config, files)
        page.content = config.plugins.on_page_content(
            page.content or "", page=page, config=config, files=files
        )
        return context

    # Last, so other plugins' on_page_context sees the whole navigation.
    @event_priority(-100)
    def _pruned_nav(
        self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> dict[str, Any] | None:
        if not self.config.enabled or self.portal is None or config.theme.name != "material":
            return None
        features = config.theme.get("features") or []
        if (
            "navigation.prune" in features
            and isinstance(context.get("nav"), Navigation)
            and not _overrides_nav(config)
        ):
            context["nav"] = pruned_nav(context["nav"], features)
        return context

    on_page_context = CombinedEvent(_background_page, _pruned_nav)

    # Runs after Material's search plugin has indexed the page content (on_page_context).
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str | None:
        if not self.config.enabled or self.portal is None:
            return None
        blocks = self.portal.deferred.get(page.file.src_uri)
        if blocks:
            output = fill(output, blocks)
        if PORTFOLIO_MARK in output and self._files is not None:
            output = output.replace(PORTFOLIO_MARK, self._portfolio_block(page))
        return squeeze_nav(output)

    def _portfolio_block(self, page: Page) -> str:
        """The live portfolio, with links relative to ``page``."""
        assert self.portal is not None and self._files is not None

        def url(src_uri: str) -> str:
            file = self._files.get_file_from_path(src_uri) if self._files else None
            return get_relative_url(file.url, page.url) if file is not None else "#"

        models = {model_id: url(src) for model_id, src in self.portal.model_pages.items()}
        return render_portfolio(self.portal.portfolio, models, url(self.portal.dashboard))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._end_background(wait=True)
        # `mkdocs serve` sets site_url to its own address, so this only speaks on real builds.
        if self.config.enabled and not config.site_url:
            log.info(NO_SITE_URL)

    def on_build_error(self, *, error: Exception) -> None:
        self._end_background(wait=False)

    def _end_background(self, *, wait: bool) -> None:
        """Stop the background process. The portal is not kept for the next build (`mkdocs
        serve`): the pages MkDocs did not take are stubs, and the files they wrote are in this
        build's site only; the next build reads them from the build cache."""
        if self.portal is not None and self.portal.background is not None:
            self.portal.background.close(wait=wait)
            self.portal = None
            self._cache_key = None

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer | None:
        if not self.config.enabled:
            return None
        docs = Path(config.docs_dir).resolve()
        for rel in (
            self.config.charters,
            self.config.metrics,
            self.config.policy,
            self.config.people,
            self.config.reviews,
            self.config.decisions,
            self.config.incidents,
            self.config.sources,
        ):
            path = (self._root / rel).resolve()
            if path.exists() and not _inside(path, docs):
                server.watch(os.fspath(path))
        return server


class _BackgroundPage(Page):
    """A model page rendered in the background (aipo_site/background.py). MkDocs reads its stub
    (the front matter) with the other pages; converting the stub's empty body is skipped (MkDocs
    makes a Markdown converter per page, about 1 ms); the page itself is read and converted when
    it is built (AipoPlugin._background_page)."""

    stub = True

    def render(self, config: MkDocsConfig, files: Files) -> None:
        if not self.stub:
            super().render(config, files)
            return
        self.content = ""
        self.toc = get_toc([])
        self.present_anchor_ids = set()


def _local_worker_shim(config: MkDocsConfig, local: str) -> None:
    """Serve the iframe-worker shim from the site instead of unpkg.com.

    Material's offline plugin (which makes search work from ``file://``) appends the shim's CDN
    address to ``extra.polyfills``; the portal must request nothing from other hosts, so aipo
    ships the same file and points the polyfill at it. A shim the user chose is kept.
    """
    polyfills = config.extra.get("polyfills")
    if isinstance(polyfills, list):
        config.extra["polyfills"] = [
            local if str(s) == MATERIAL_WORKER_SHIM else s for s in polyfills
        ]


def _site_url_as_folder(config: MkDocsConfig) -> None:
    """End site_url with "/", as MkDocs' validation of mkdocs.yml does.

    mike's plugin sets ``site_url = urljoin(site_url, version)`` after that validation, so a
    version folder's site_url has no trailing slash (jimporter/mike#251): its 404 page then gets
    the base "/REPO/1.0", against which Material resolves the search index and "../versions.json"
    one folder too high, and both requests fail. Pages and 404.html are built after on_pre_build,
    when every plugin's on_config has run, so the version folder is kept either way.
    """
    site_url = config.site_url
    if site_url and not site_url.endswith("/"):
        config.site_url = site_url + "/"


def squeeze_nav(page_html: str) -> str:
    """The page with the whitespace of its navigation sidebar squeezed.

    Material's navigation template writes indentation and blank lines for every page of the
    nav, pruned ones included: about 25 KB a page at 1,000 models and ten times that at
    10,000, on every page of the site. A run of whitespace holding a line break renders as one
    space outside ``<pre>`` and ``<textarea>``, and the sidebar (from the primary nav to the
    content) holds neither, so each run becomes one line break: the page looks the same.
    """
    start = page_html.find(NAV_START)
    if start < 0:
        return page_html
    end = page_html.find(CONTENT_START, start)
    if end < 0:
        return page_html
    squeezed = _BLANK_RUN.sub("\n", page_html[start:end])
    return page_html[:start] + squeezed + page_html[end:]


def pruned_nav(nav: Navigation, features: list[str]) -> Navigation:
    """The navigation as Material renders it on one page with ``navigation.prune``: each
    section Material prunes on that page replaced by a copy holding only the chain of first
    children that its link is taken from.

    Material prunes a section that is not on the page's path and not shown expanded as a
    section (``partials/nav-item.html``): it renders the section's title and a link to its first
    page, and nothing else of it. But with ``navigation.indexes`` it still looks for an index
    page among every child of every pruned section, on every page: at 1,000 model pages in 20
    sections, a million lookups a build; at 10,000, a hundred million, which made the build grow
    with the square of the portfolio. On the copy the same template renders the same HTML from
    one child. The originals are not changed, so the page, the other plugins and the other pages
    see the whole navigation.
    """
    tabs = "navigation.tabs" in features
    sections = "navigation.sections" in features

    def shown_as_section(item: Section, level: int, parent: Any) -> bool:
        if tabs:
            return (level == 1 and item.active) or (
                sections and level == 2 and parent is not None and parent.active
            )
        return sections and level == 1

    def with_children(item: Any, children: list[Any], attr: str = "children") -> Any:
        """``item`` itself when ``children`` are its own, else a shallow copy holding them (same
        title, parent and active state, set without touching the parent)."""
        if all(a is b for a, b in itertools.zip_longest(children, getattr(item, attr))):
            return item
        out = copy.copy(item)
        setattr(out, attr, children)
        return out

    def first_chain(item: Section) -> Section:
        """``item`` with its first child only (a section: cut the same way)."""
        first = [first_chain(c) if isinstance(c, Section) else c for c in item.children[:1]]
        return with_children(item, first)

    def walk(items: list[Any], level: int, parent: Any) -> list[Any]:
        out = []
        for item in items:
            if not isinstance(item, Section) or not item.children:
                out.append(item)
            elif not item.active and not shown_as_section(item, level, parent):
                out.append(first_chain(item))
            else:
                out.append(with_children(item, walk(item.children, level + 1, item)))
        return out

    return with_children(nav, walk(nav.items, 1, None), "items")


def _overrides_nav(config: MkDocsConfig) -> bool:
    """Whether the site overrides Material's navigation templates (``custom_dir``), which may
    read more of a pruned section than Material does: then the whole navigation is given."""
    custom = config.theme.custom_dir
    return bool(custom) and any(
        (Path(custom) / "partials" / name).exists()
        for name in ("nav.html", "nav-item.html", "tabs.html", "tabs-item.html")
    )


def _stamp(digest: Any, path: Path) -> None:
    """Add a file's size and mtime to the cache key (metadata only: what a file holds is read,
    and checked, by the loaders). A file that vanished or cannot be stat'ed changes the key."""
    try:
        st = path.stat()
    except OSError:
        digest.update(f"{path}:unreadable".encode())
        return
    if stat.S_ISREG(st.st_mode):
        digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _regroup(nav: Navigation, pages: list[Page], portal: Portal, config: AipoConfig) -> Navigation:
    """Put model pages in one nav section, grouped by business unit or stage.

    MkDocs writes the whole nav into every page, so 1,000 model pages in one flat section cost
    ~3x the build time of the same pages in ~20 sections with Material's navigation.prune.
    """
    wanted = {id(p) for p in pages}

    def strip(items: list[Any]) -> list[Any]:
        out = []
        for item in items:
            if id(item) in wanted:
                continue
            if isinstance(item, Section):
                item.children = strip(item.children)
                if not item.children:
                    continue
            out.append(item)
        return out

    items = strip(list(nav.items))
    page_of = {page.file.src_uri: page for page in pages}
    by_id = {model_id: page_of.get(src) for model_id, src in portal.model_pages.items()}
    groups = [
        (label, [by_id[m.id] for m in models if by_id.get(m.id) is not None])
        for label, models in model_groups(portal.portfolio, config.nav_group_by)
    ]
    groups = [(label, group) for label, group in groups if group]
    if config.nav_group_by == "none":
        children: list[Any] = _parts([page for _, group in groups for page in group])
    else:
        # Section titles are charter text and Material renders nav titles without escaping.
        children = [Section(html.escape(label), _parts(group)) for label, group in groups]
    section = Section(config.nav_section, children)
    position = next(
        (
            i + 1
            for i, item in enumerate(items)
            if isinstance(item, Page) and item.file.src_uri == portal.dashboard
        ),
        None,
    )
    existing = next(
        (
            i
            for i, item in enumerate(items)
            if isinstance(item, Section) and item.title == section.title
        ),
        None,
    )
    if existing is not None:
        section.children = [*items[existing].children, *children]
        items[existing] = section
    elif position is not None:
        items.insert(position, section)
    else:
        items.append(section)
    return _relink(items)


def _parts(pages: list[Page]) -> list[Any]:
    """A nav group's pages; more than NAV_GROUP_MAX go in sub-sections of that many
    (:func:`~aipo_site.pipeline.nav_chunks`)."""
    parts = nav_chunks(pages)
    if len(parts) == 1:
        return parts[0][1]
    return [Section(label, part) for label, part in parts]


def _relink(items: list[Any]) -> Navigation:
    """A Navigation with parent, previous and next links set, as mkdocs.get_navigation does."""
    flat: list[Page] = []

    def walk(children: list[Any], parent: Section | None) -> None:
        for item in children:
            item.parent = parent
            if isinstance(item, Page):
                flat.append(item)
            elif isinstance(item, Section):
                walk(item.children, item)

    walk(items, None)
    for prev, page, nxt in zip([None, *flat[:-1]], flat, [*flat[1:], None], strict=True):
        page.previous_page = prev
        page.next_page = nxt
    return Navigation(items, flat)
