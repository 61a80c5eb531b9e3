"""`aipo generate`: the portal as plain files, for any Markdown site engine.

MkDocs' successor ignores plugins it does not know, so a portal built only by the `aipo` plugin
would vanish there without an error. ``aipo generate --out DIR`` writes what the plugin gives
MkDocs, as files: every generated page as one Markdown document (the HTML blocks the plugin puts
back after Markdown are inlined, the provenance stamp ends each page; see
:func:`aipo_site.pipeline.standalone_page`), and every other file (assets, chart data, badges,
schemas). The pages come from the same pipeline with the same settings as the plugin's
(:func:`aipo_site.pipeline.portal_options`); every path is put under DIR's place in the docs
folder (``--site-path``), so links between generated pages stay relative and the links to the
charters in the docs folder still resolve.

Besides the portal, DIR holds what another engine needs to wire it:

- ``aipo-nav.yml`` and ``aipo-nav.json`` (the same data): the nav in MkDocs' format (the
  dashboard, the model pages grouped as the plugin groups them, the registers, the people index,
  the reference pages), the pages left out of it, the scripts and stylesheets to include, and the
  portfolio snippet. Every path is relative to the docs folder; every title is HTML (escaped
  text), as Material and Zensical put nav titles into pages unescaped;
- ``portfolio.html``: the live portfolio block (what the plugin puts in place of
  ``<!-- aipo:portfolio -->``), one line of HTML with links relative to a page at the top of the
  docs folder, for an engine's include mechanism;
- ``README.txt``: how to wire it, for people;
- ``.aipo-manifest.json``: every file aipo wrote, with its SHA-256.

An existing DIR is updated in place: files listed in its manifest are aipo's (rewritten when
their content changes, removed when no longer generated); any other file is the user's and is
never touched: a generated file that would replace one is an error before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..load.source import WorkingTree
from ..pipeline import (
    Portal,
    build_portal,
    model_groups,
    nav_chunks,
    portal_options,
    standalone_page,
)
from ..render.pages import Paths, render_portfolio
from .settings import Opaque, Settings, load_mkdocs_yaml

__all__ = [
    "MANIFEST",
    "NAV_JSON",
    "NAV_YAML",
    "PORTFOLIO",
    "README",
    "Generated",
    "generate",
]

MANIFEST = ".aipo-manifest.json"
NAV_YAML = "aipo-nav.yml"
NAV_JSON = "aipo-nav.json"
PORTFOLIO = "portfolio.html"
README = "README.txt"  # not .md: engines would publish a README.md as the folder's page
MANIFEST_FORMAT = "aipo-generate-manifest"
NAV_FORMAT = "aipo-nav"
VERSION = 1
# The page a portfolio snippet's links are relative to: the home page at the top of the docs.
HOME = "index.md"
# Material's offline plugin makes the site use .html URLs (material/plugins/offline/plugin.py).
OFFLINE_PLUGINS = ("offline", "material/offline")


@dataclass(frozen=True)
class Generated:
    """What a run did, as paths relative to ``out``."""

    out: Path
    folder: str  # DIR's place in the docs folder ("" for its top)
    written: list[str]
    unchanged: list[str]
    removed: list[str]


@dataclass(frozen=True)
class _Engine:
    """What mkdocs.yml says about the site the output goes into."""

    docs_dir: Path | None  # absolute; None without a mkdocs.yml
    directory_urls: bool


def generate(
    settings: Settings,
    as_of: dt.date,
    out: Path,
    *,
    site_path: str | None = None,
    directory_urls: bool | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Generated:
    """Generate the portal into ``out``; raises ConfigError (and the loaders' errors) before
    writing anything when the inputs, the options or the folder are not usable."""
    engine = _engine(settings)
    target = _check_out(out, settings)
    folder = _site_path(site_path, target, engine)
    urls = engine.directory_urls if directory_urls is None else directory_urls
    docs_prefix = ""
    if engine.docs_dir is not None and _inside(engine.docs_dir, settings.root):
        rel = engine.docs_dir.relative_to(settings.root).as_posix()
        docs_prefix = "" if rel == "." else rel + "/"
    options = portal_options(
        settings.options,
        settings.layout,
        directory_urls=urls,
        docs_prefix=docs_prefix,
        folder=folder,
    )
    portal = build_portal(WorkingTree(settings.root), options, as_of)
    for message in portal.repository.warnings:
        warn(message)
    files = _files(portal, options.paths, folder, settings, urls)
    return _write(out, target, folder, files, settings)


# --- where the output goes -------------------------------------------------------------------


def _engine(settings: Settings) -> _Engine:
    if settings.config_file is None:
        return _Engine(None, True)
    data = load_mkdocs_yaml(settings.config_file)
    docs = data.get("docs_dir", "docs")
    docs_dir = (
        (settings.config_file.parent / docs).resolve()
        if isinstance(docs, str) and not isinstance(docs, Opaque)
        else None
    )
    urls = data.get("use_directory_urls", True)
    plugins = data.get("plugins") or []
    names = (
        list(plugins)
        if isinstance(plugins, dict)
        else [next(iter(p)) if isinstance(p, dict) and p else p for p in plugins]
        if isinstance(plugins, list)
        else []
    )
    if any(name in OFFLINE_PLUGINS for name in names):
        urls = False
    return _Engine(docs_dir, urls if isinstance(urls, bool) else True)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _inputs(settings: Settings) -> dict[str, tuple[str, Path]]:
    layout = settings.layout
    named = {
        "charters folder": layout.charters,
        "metrics folder": layout.metrics,
        "reviews folder": layout.reviews,
        "decisions folder": layout.decisions,
        "incidents folder": layout.incidents,
        "policy": layout.policy,
        "people directory": layout.people,
    }
    return {what: (rel, (settings.root / rel).resolve()) for what, rel in named.items()}


def _check_out(out: Path, settings: Settings) -> Path:
    """The resolved output folder, refused when it is a file or inside the inputs."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' is a file; expected a folder (new, or one aipo wrote)")
    target = out.resolve()
    for what, (rel, path) in _inputs(settings).items():
        if _inside(target, path):
            raise ConfigError(
                f"--out: '{out}' is inside the {what} '{rel}'; generate into a folder outside "
                "the governance inputs, e.g. docs/aipo"
            )
    return target


def _check_targets(out: Path, target: Path, rels: list[str], settings: Settings) -> None:
    """No generated file may land in an input folder (a page beside the charters, a CSV among
    the metrics) or replace an input file."""
    inputs = _inputs(settings)
    for rel in rels:
        path = target / rel
        for what, (where, folder) in inputs.items():
            if _inside(path, folder):
                raise ConfigError(
                    f"--out: {out / rel} would be written into the {what} '{where}'; generate "
                    "into a folder of its own, e.g. docs/aipo, or change --site-path or the "
                    "plugin's path options"
                )


def _site_path(value: str | None, target: Path, engine: _Engine) -> str:
    """DIR's place in the docs folder: --site-path, else its path inside mkdocs.yml's docs_dir,
    else its folder name."""
    if value is None:
        if engine.docs_dir is not None and _inside(target, engine.docs_dir):
            rel = target.relative_to(engine.docs_dir).as_posix()
            return "" if rel == "." else rel
        return target.name
    raw = value.strip()
    norm = posixpath.normpath(raw) if raw else "."
    if "\\" in raw or raw.startswith("/") or norm == ".." or norm.startswith("../"):
        raise ConfigError(
            f"--site-path: expected a folder inside the docs folder such as 'aipo', found {value!r}"
        )
    return "" if norm == "." else norm


# --- what is written -----------------------------------------------------------------------------


def _files(
    portal: Portal, paths: Paths, folder: str, settings: Settings, urls: bool
) -> dict[str, str]:
    """Every file of the output, by path relative to the docs folder."""
    out: dict[str, str] = {}
    for src in portal.pages:
        out[src] = standalone_page(portal, src)
    out.update(portal.files)
    base = f"{folder}/" if folder else ""

    def page_url(src: str) -> str:
        return paths.relative(HOME, paths.page_url(src))

    snippet = render_portfolio(
        portal.portfolio,
        {model_id: page_url(src) for model_id, src in portal.model_pages.items()},
        page_url(portal.dashboard),
    )
    nav = _nav_data(portal, paths, base, settings, urls)
    extra = {
        PORTFOLIO: snippet + "\n",
        NAV_YAML: "# Generated by `aipo generate`; see README.txt. Paths are relative to the "
        "docs folder; titles are HTML.\n"
        + yaml.safe_dump(nav, sort_keys=False, allow_unicode=True, width=1_000_000),
        NAV_JSON: json.dumps(nav, indent=2, ensure_ascii=False) + "\n",
        README: _readme(portal, nav, base),
    }
    for name, text in extra.items():
        if base + name in out:  # pragma: no cover - the plugin's paths never end like this
            raise ConfigError(f"a generated page or file is named {name}; change the path options")
        out[base + name] = text
    return out


def _title(page: str) -> str:
    """The page's title from its front matter (HTML: escaped text, see render/env.py)."""
    if page.startswith("---\n"):
        meta = yaml.safe_load(page[4 : page.index("\n---\n", 4)]) or {}
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            return meta["title"]
    raise AssertionError("generated page without a title")  # pragma: no cover


def _nav_data(
    portal: Portal, paths: Paths, base: str, settings: Settings, urls: bool
) -> dict[str, Any]:
    """The nav and the wiring, in the names MkDocs' configuration uses."""
    opts = settings.options

    def entry(src: str) -> dict[str, str]:
        return {_title(portal.pages[src]): src}

    models = set(portal.model_pages.values())
    groups = model_groups(portal.portfolio, str(opts["nav_group_by"]))

    def listed(ms: list[Any]) -> list[Any]:
        # More than NAV_GROUP_MAX models: sub-sections of that many, as the plugin's nav has.
        parts = nav_chunks([entry(portal.model_pages[m.id]) for m in ms])
        return parts[0][1] if len(parts) == 1 else [{label: part} for label, part in parts]

    if opts["nav_group_by"] == "none":
        section: list[Any] = listed([m for _, ms in groups for m in ms])
    else:
        section = [{html.escape(label): listed(ms)} for label, ms in groups]
    nav: list[Any] = [entry(portal.dashboard)]
    if section:
        nav.append({html.escape(str(opts["nav_section"])): section})
    # Owner pages and pages 2.. of the split portfolio pages are linked from other pages.
    people = {*portal.person_pages, *portal.paged_pages}
    reference = [src for src in sorted(portal.pages) if src.startswith(paths.reference + "/")]
    listed = {portal.dashboard, paths.people_index, *models, *people, *reference}
    nav.extend(entry(src) for src in sorted(portal.pages) if src not in listed)
    if paths.people_index in portal.pages:
        nav.append(entry(paths.people_index))
    if reference:
        nav.append({"Reference": [entry(src) for src in reference]})
    assets = paths.assets
    return {
        "format": NAV_FORMAT,
        "version": VERSION,
        "folder": base.rstrip("/"),
        "use_directory_urls": urls,
        "as_of": portal.portfolio.as_of.isoformat(),
        "nav": nav,
        "not_in_nav": sorted(people),
        "extra_javascript": [f"{assets}/vega.js", f"{assets}/aipo.js"],
        "extra_css": [f"{assets}/aipo.css"],
        # Material's offline plugin loads this Web Worker shim from unpkg.com unless a shim is
        # listed in extra.polyfills; aipo ships it (search from disk without other hosts).
        "polyfills": [f"{assets}/iframe-worker.js"],
        "portfolio": f"{base}{PORTFOLIO}",
    }


def _readme(portal: Portal, nav: dict[str, Any], base: str) -> str:
    where = f"`{base.rstrip('/')}/`" if base else "the top of the docs folder"
    config = yaml.safe_dump(
        {
            "nav": [{"Home": HOME}, *nav["nav"]],
            "extra_javascript": nav["extra_javascript"],
            "extra_css": nav["extra_css"],
        },
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
    )
    urls = "folder URLs (models/<id>/)" if nav["use_directory_urls"] else ".html URLs"
    return f"""\
aipo governance portal, generated by `aipo generate`
====================================================

{_stamp_text(portal)}
(every page ends with this provenance line).

This folder belongs at {where} in your site's docs folder (`--site-path`), in a site with
{urls} (`--directory-urls` / `--no-directory-urls`). Its pages are Markdown with inline HTML; a
Markdown engine renders them as they are. Every link between them is relative.

Wire it into your site engine
-----------------------------
- Scripts, on every page (charts, the dashboard's filters): {", ".join(nav["extra_javascript"])}
- Stylesheet: {", ".join(nav["extra_css"])}
- Navigation: {NAV_YAML} (and {NAV_JSON}, the same data): "nav" lists the dashboard, the
  model pages grouped as the MkDocs plugin groups them, the registers, the people index and the
  reference pages, in MkDocs' nav format; "not_in_nav" are the owner pages and the pages after
  the first of the dashboard, risk register and regulation matrix of a large portfolio (linked
  from the pages). Paths are relative to the docs folder; titles are HTML (escaped text).
- The live portfolio for your home page: {nav["portfolio"]}, one line of HTML whose links are
  relative to a page at the top of the docs folder. With pymdownx.snippets:
  --8<-- "{nav["portfolio"]}"   (base_path: your docs folder)
- Material's offline plugin: set extra.polyfills to {nav["polyfills"][0]}, or it loads its
  Web Worker shim from unpkg.com.

For MkDocs or Zensical without the aipo plugin (mkdocs.yml):

{_indent(config)}
Updating
--------
Run `aipo generate` again with the same --out. The files listed in .aipo-manifest.json are
aipo's: they are rewritten when they change and removed when they are no longer generated, so do
not edit them. Every other file in this folder is yours and is never changed or removed; a
generated file that would replace one is an error, and nothing is written.
"""


def _stamp_text(portal: Portal) -> str:
    """The provenance stamp every page ends with, as plain text."""
    return html.unescape(re.sub(r"<[^>]*>", "", portal.stamp)).strip()


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


# --- writing, with the manifest --------------------------------------------------------------


def _read_manifest(target: Path, shown: Path) -> dict[str, str]:
    path = target / MANIFEST
    if not path.exists() and not path.is_symlink():
        return {}
    problem = f"{shown / MANIFEST} is not a manifest `aipo generate` wrote; remove it"
    if path.is_symlink() or not path.is_file():
        raise ConfigError(problem)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ConfigError(problem) from None
    files = data.get("files") if isinstance(data, dict) else None
    if data.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
        raise ConfigError(problem)
    for rel, digest in files.items():
        # A manifest is read to remove files: nothing it names may lead out of the folder.
        if not isinstance(digest, str) or not _safe_rel(rel):
            raise ConfigError(f"{problem} (it names {rel!r})")
    return files


def _safe_rel(rel: object) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    parts = rel.split("/")
    return not rel.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _clean_parents(target: Path, rel: str) -> bool:
    """Whether every folder on the way to ``rel`` is a real folder (or missing), not a file nor
    a symbolic link that would lead elsewhere."""
    here = target
    for part in rel.split("/")[:-1]:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            return False
    return True


def _write(
    out: Path, target: Path, folder: str, files: dict[str, str], settings: Settings
) -> Generated:
    base = f"{folder}/" if folder else ""
    wanted = {}
    for src, text in files.items():
        if not src.startswith(base):  # pragma: no cover - portal_options puts all under it
            raise AssertionError(f"generated file outside {folder!r}: {src}")
        wanted[src[len(base) :]] = text.encode("utf-8")
    _check_targets(out, target, sorted(wanted), settings)
    old = _read_manifest(target, out)
    conflicts = []
    for rel in sorted(wanted):
        path = target / rel
        exists = path.exists() or path.is_symlink()
        if not _clean_parents(target, rel) or (exists and (rel not in old or path.is_dir())):
            conflicts.append(rel)
    if conflicts:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise ConfigError(
            f"--out: {out / conflicts[0]}{more} exists and was not written by `aipo generate` "
            f"(it is not in {MANIFEST}); move it away or choose another folder. Nothing was written"
        )
    try:
        written, unchanged, removed = _apply(target, wanted, old)
    except OSError as e:
        where = e.filename or target
        raise ConfigError(f"--out: cannot write {where}: {e.strerror or e}") from None
    return Generated(out, folder, written, unchanged, removed)


def _apply(
    target: Path, wanted: dict[str, bytes], old: dict[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """Write the files that changed, remove aipo's files no longer generated (and the folders
    left empty), then the manifest; returns (written, unchanged, removed)."""
    digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in wanted.items()}
    # First the manifest of everything this run may leave behind, so a run stopped half-way
    # leaves no file of aipo's that the next run would take for the user's.
    _write_manifest(target, {**old, **digests})
    written, unchanged = [], []
    for rel, data in sorted(wanted.items()):
        path = target / rel
        if not path.is_symlink() and path.is_file() and path.read_bytes() == data:
            unchanged.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.aipo-tmp")
        tmp.write_bytes(data)
        if path.is_symlink():
            path.unlink()
        os.replace(tmp, path)
        written.append(rel)
    removed = []
    for rel in sorted(set(old) - set(wanted)):
        path = target / rel
        if not _clean_parents(target, rel) or not (path.is_file() or path.is_symlink()):
            continue
        path.unlink()
        removed.append(rel)
        parent = path.parent
        while parent != target:
            try:
                parent.rmdir()  # only when empty: a folder holding user files stays
            except OSError:
                break
            parent = parent.parent
    _write_manifest(target, digests)
    return written, unchanged, removed


def _write_manifest(target: Path, digests: dict[str, str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": VERSION,
        "files": dict(sorted(digests.items())),
    }
    tmp = target / f"{MANIFEST}.aipo-tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="\n")
    os.replace(tmp, target / MANIFEST)
