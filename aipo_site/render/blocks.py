"""Split a generated page into a light Markdown skeleton and its HTML blocks.

A model page is mostly raw HTML (tables, charts, ladders). MkDocs would run Python-Markdown over
all of it, and Material's search plugin would parse it again to build the index, although the
HTML needs neither: at 1,000 models that is most of the build. So each HTML block between two
section headings becomes a placeholder comment in the Markdown MkDocs sees; the headings stay
(they make the table of contents and the permalinks). The plugin puts the blocks back:

- *indexed* blocks (the title, status and answer, the summary, the compliance findings) right
  after the Markdown is converted, so the search index has the text people search for;
- *deferred* blocks (tables of numbers, charts) into the final HTML of the page, after the search
  plugin has read it, so the index stays small.

Only a template's own ``section()`` starts a section: the line :data:`SECTION_MARK`, a blank line,
then the heading. Nothing else, wherever it stands and whatever it looks like (a line starting
with ``#`` included), is structure to the splitter, so no charter text can become a heading, and
no charter text goes through Python-Markdown at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .env import SECTION_MARK

__all__ = ["PLACEHOLDER", "SECTION_MARK", "SplitPage", "fill", "split_page"]

PLACEHOLDER = re.compile(r"<!--aipo:([0-9]+x[0-9]+)-->")
_HEADING = re.compile(r"^(#{1,6}) (.*)$")


@dataclass
class SplitPage:
    markdown: str
    indexed: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)


def split_page(text: str, prefix: str, searchable: frozenset[str]) -> SplitPage:
    """Replace each HTML block by ``<!--aipo:N-->``. Blocks before the first H2 and under an H2
    whose title is in ``searchable`` are indexed; the rest are deferred. ``prefix`` keeps the
    numbers of different pages apart (digits followed by "x")."""
    front = ""
    body = text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4) + len("\n---\n")
        front, body = text[:end], text[end:]
    out = SplitPage(markdown="")
    lines: list[str] = []
    chunk: list[str] = []
    section: str | None = None

    def flush() -> None:
        html = "\n".join(chunk).strip("\n")
        chunk.clear()
        if not html.strip():
            return
        key = f"{prefix}{len(out.indexed) + len(out.deferred)}"
        target = out.indexed if section is None or section in searchable else out.deferred
        target[key] = html
        lines.extend([f"<!--aipo:{key}-->", ""])

    rows = iter(body.split("\n"))
    for line in rows:
        if line != SECTION_MARK:
            chunk.append(line)
            continue
        heading = next((row for row in rows if row.strip()), "")
        match = _HEADING.match(heading)
        if match is None:
            raise ValueError(f"section marker not followed by a heading: {heading[:40]!r}")
        flush()
        if len(match.group(1)) >= 2:
            section = match.group(2).strip()
        lines.extend([heading, ""])
    flush()
    out.markdown = front + "\n".join(lines)
    return out


def fill(html: str, blocks: dict[str, str]) -> str:
    """Put blocks back in place of their placeholders (unknown placeholders stay)."""
    if not blocks:
        return html
    return PLACEHOLDER.sub(lambda m: blocks.get(m.group(1), m.group(0)), html)
