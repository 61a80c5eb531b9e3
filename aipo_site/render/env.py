"""The package's Jinja environment: autoescape on, and filters for untrusted charter text.

Charter, policy, metric and drift text comes from many teams and is untrusted. The one rule:
**untrusted text never becomes structure.** It reaches a page in three ways:

- as text in HTML (every ``{{ value }}``): escaped, and kept on its line. The environment's
  ``finalize`` turns every value into :func:`text` (HTML-escaped, line breaks as ``&#10;``), so no
  charter text ever *starts a line* of a generated page, where Markdown (a heading, a list, a code
  block, a front-matter fence) or the page splitter (render/blocks.py) would read it as structure;
- Markdown-capable fields (``summary``, ``notes``): ``markdown`` renders them with Python-Markdown
  (``sane_lists`` only: no ``attr_list``, no raw-HTML pass-through survives), then nh3
  sanitises the HTML with an allowlist (:data:`ALLOWED_TAGS`, only ``href``/``title`` on links,
  only http/https/mailto URLs, comments stripped), and the result is kept on one line too;
- the page title in YAML front matter: ``meta_title`` writes a double-quoted YAML scalar of the
  escaped text in which every character YAML could read as a line break or refuse is an escape.

Model pages never put charter text in a Markdown heading: their H1 is HTML, and the section
headings are the templates' own (``section()``).
"""

from __future__ import annotations

import functools
import json
import re

import jinja2
import markdown as md
import nh3
from markupsafe import Markup, escape

from ..fmt import fmt_date, fmt_duration, fmt_moment, fmt_pct, fmt_value

__all__ = [
    "ALLOWED_TAGS",
    "Block",
    "environment",
    "md_text",
    "meta_title",
    "safe_markdown",
    "safe_url",
    "script_json",
    "section",
    "text",
]

# Python-Markdown's backslash escapes; other characters (':', '~') would show their backslash.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>])")
# What a summary or a note needs inside a charter page: paragraphs, emphasis, code, lists and
# links. No headings, rules, tables or quotes: a field's text must not add structure to the page
# (a heading from a summary would read as a section of the charter); their text is kept.
ALLOWED_TAGS = {"a", "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li"}
_ALLOWED_ATTRS = {"a": {"href", "title"}}
_SCHEMES = {"http", "https", "mailto"}
_ONE_LINE = str.maketrans({"\n": "&#10;", "\r": "&#13;"})
# Characters a YAML reader takes as line breaks or refuses outright (besides what JSON escapes).
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# Marks the line before a section heading a template writes (see render/blocks.py). Untrusted
# text can never produce it: "<" is always escaped, and nh3 strips comments.
SECTION_MARK = "<!--aipo:section-->"


class Block(Markup):
    """Trusted multi-line HTML/Markdown made by aipo itself (a section rendered by another
    template): the only kind of value whose line breaks are kept."""


def text(value: object) -> Markup:
    """Untrusted text for HTML: escaped, on one line (a line break becomes ``&#10;``, which a
    browser shows exactly as the line break it was)."""
    if type(value) is Block:
        return value
    # The finalize of every {{ value }}: escape() is C-fast and returns Markup as it is; most
    # values hold no line break, so they are not copied again.
    escaped = escape(value)
    if "\n" in escaped or "\r" in escaped:
        return Markup(str(escaped).translate(_ONE_LINE))
    return escaped


def section(title: str, level: int = 2) -> Block:
    """A section heading written by a template: the marker line, then a Markdown heading."""
    return Block(f"{SECTION_MARK}\n\n{'#' * level} {md_text(title)}")


def md_text(value: object) -> Markup:
    """Plain text for a Markdown context (headings): HTML-escaped, Markdown punctuation escaped."""
    words = " ".join(str(value).split())
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(escape(words))))


@functools.lru_cache(maxsize=4096)
def _render_markdown(text: str) -> str:
    html = md.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def safe_markdown(value: object) -> Markup:
    """Render Markdown-capable charter text to sanitised HTML, on one line."""
    if value is None:
        return Markup("")
    return Markup(_render_markdown(str(value)).translate(_ONE_LINE))


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
    title = " ".join(str(value).split())
    quoted = json.dumps(str(escape(title)), ensure_ascii=False)
    return Markup(_YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted))


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
        # Every {{ value }} is escaped and kept on one line (Block values excepted).
        finalize=text,
    )
    env.globals.update(section=section)
    env.filters.update(
        md_text=md_text,
        markdown=safe_markdown,
        script_json=script_json,
        meta_title=meta_title,
        safe_url=safe_url,
        value=fmt_value,
        pct=fmt_pct,
        date=fmt_date,
        moment=fmt_moment,
        duration=fmt_duration,
    )
    return env
