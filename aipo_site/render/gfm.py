"""Untrusted text made inert for GitHub-flavoured Markdown: pull-request comments and step summaries.

`aipo check --format markdown` and `aipo diff` post charter text where GitHub renders it for a
whole organisation, so besides Markdown and HTML structure the text must not *act*: no
``@user`` / ``@org/team`` mention may ping anyone, no ``#12``, ``GH-12`` or ``owner/repo#12``
reference may link an issue, and no bare ``https://`` / ``www.`` address may
become a link. GitHub recognises each of these on the decoded text, so an HTML entity is not
enough: a zero-width space (``&#8203;``, invisible when rendered) goes inside each pattern.

One function per context: :func:`text` for a table cell, list item or heading (one line, no
markup), :func:`code` for inside a code span (where nothing is interpreted except a backtick).
"""

from __future__ import annotations

import re

__all__ = ["code", "text"]

ZWSP = "&#8203;"
# C0/C1 controls (tab and line breaks are folded to spaces below), zero-width and bidi controls.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_ACTIVE = re.compile(
    r"""
      (?P<at>@)                                   # @user, @org/team, user@host (email links)
    | (?P<hash>\#)                                # #12, owner/repo#12, and ## at a line start
    | (?<![A-Za-z0-9])(?i:gh)(?P<dash>-)(?=[0-9])  # GH-12
    | (?i:(?P<scheme>https?|ftp|mailto|www)(?=[:.]))   # https://..., www.example.com
    """,
    re.VERBOSE,
)


def _defuse(match: re.Match[str]) -> str:
    for group in ("scheme", "dash"):
        if match.group(group):
            return match.group()[: match.end(group) - match.start()] + ZWSP
    return match.group() + ZWSP


def text(value: object, limit: int = 2000) -> str:
    """Untrusted text as one inert line of GitHub Markdown (at most ``limit`` characters shown).

    HTML is entity-escaped; Markdown punctuation is backslash-escaped; mentions, issue
    references and autolinks are broken by a zero-width space.
    """
    words = " ".join(_INVISIBLE.sub("", str(value)).split())
    if len(words) > limit:
        words = words[: limit - 1].rstrip() + "…"
    escaped = words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _PUNCT.sub(r"\\\1", escaped)
    return _ACTIVE.sub(_defuse, escaped)


def code(value: object, table: bool = False, limit: int = 300) -> str:
    """Untrusted text for inside a single-backtick code span: backticks cannot close it early,
    and (in a table) ``|`` cannot end the cell. Mentions and links are not active in code."""
    words = " ".join(_INVISIBLE.sub("", str(value)).replace("`", "'").split())
    if len(words) > limit:
        words = words[: limit - 1].rstrip() + "…"
    return words.replace("|", "\\|") if table else words
