"""The package's Jinja environment: autoescape on, and filters for untrusted charter text.

Charter text comes from many teams and is untrusted. Three ways it reaches a page:

- inside HTML (tables, cards): Jinja autoescape;
- inside a Markdown heading: ``md_text`` escapes HTML *and* Markdown punctuation, so ``[x](javascript:…)``
  cannot become a link;
- Markdown-capable fields (summary, notes): ``markdown`` renders them, then nh3 sanitises the HTML
  with an allowlist (no script, no event handlers, only http/https/mailto links).
"""

from __future__ import annotations

import functools
import json
import re

import jinja2
import markdown as md
import nh3
from markupsafe import Markup, escape

from ..fmt import fmt_date, fmt_pct, fmt_value

__all__ = ["environment", "md_text", "safe_markdown", "safe_url", "script_json"]

# Python-Markdown's backslash escapes; other characters (':', '~') would show their backslash.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>])")
_ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li",
    "blockquote", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
_ALLOWED_ATTRS = {"a": {"href", "title"}}
_SCHEMES = {"http", "https", "mailto"}


def md_text(value: object) -> Markup:
    """Plain text for a Markdown context (headings): HTML-escaped, Markdown punctuation escaped."""
    text = " ".join(str(value).split())
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(escape(text))))


@functools.lru_cache(maxsize=4096)
def _render_markdown(text: str) -> str:
    html = md.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def safe_markdown(value: object) -> Markup:
    """Render Markdown-capable charter text to sanitised HTML."""
    if value is None:
        return Markup("")
    return Markup(_render_markdown(str(value)))


def safe_url(value: object) -> str:
    """A link target from charter text: http(s)/mailto only, else empty (rendered as text)."""
    text = str(value or "").strip()
    lowered = text.lower()
    if lowered.startswith(("http://", "https://", "mailto:")) and not any(
        ch in text for ch in "\"'<> \n\t"
    ):
        return text
    return ""


def meta_title(value: object) -> Markup:
    """A page title for YAML front matter, HTML-escaped.

    MkDocs puts ``page.title`` into <title>, the nav and the header, and its theme environment has
    no autoescape (Material renders ``{{ page.title }}`` raw). Without an explicit title MkDocs
    takes the H1's text, entities decoded, so untrusted names would reach the HTML raw. A JSON
    string is a valid YAML scalar.
    """
    text = " ".join(str(value).split())
    return Markup(json.dumps(str(escape(text)), ensure_ascii=False))


def script_json(value: object) -> Markup:
    """JSON safe inside <script type="application/json">: <, >, & and U+2028/9 escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, esc in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    return Markup(text)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aipo_site.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md_text=md_text,
        markdown=safe_markdown,
        script_json=script_json,
        meta_title=meta_title,
        safe_url=safe_url,
        value=fmt_value,
        pct=fmt_pct,
        date=fmt_date,
    )
    return env
