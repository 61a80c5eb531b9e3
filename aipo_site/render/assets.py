"""Static site assets: the offline Vega bundle and aipo's own JavaScript and CSS."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

__all__ = ["IFRAME_WORKER", "static_files", "vega_bundle"]

# Material's offline plugin adds this Web Worker shim from unpkg.com; aipo serves a vendored copy.
IFRAME_WORKER = "iframe-worker.js"


def user_cache_dir() -> Path:
    """The per-user cache of derived files (`$XDG_CACHE_HOME/aipo`, `~/.cache/aipo`): the Vega
    bundle and the chart templates, each named by the versions it was made with."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aipo"


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script defining ``window.vegaEmbed``.

    vl-convert builds the bundle offline in ~1.6 s, so it is cached per vl-convert version in
    ``$XDG_CACHE_HOME/aipo`` (and in memory across `mkdocs serve` rebuilds).
    """
    import vl_convert

    version = getattr(vl_convert, "__version__", "unknown")
    path = user_cache_dir() / f"vega-bundle-{version}.js"
    try:
        text = path.read_text(encoding="utf-8")
        if text.endswith("\n// aipo: complete\n"):
            return text
    except OSError:
        pass
    text = vl_convert.javascript_bundle() + "\n// aipo: complete\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return text


@functools.cache
def static_files() -> dict[str, str]:
    """aipo.js, aipo.css and the vendored iframe-worker shim (search from disk) from the package."""
    folder = resources.files("aipo_site.render") / "static"
    names = ("aipo.js", "aipo.css", IFRAME_WORKER)
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}
