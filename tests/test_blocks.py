"""Splitting generated pages into a Markdown skeleton and HTML blocks, and filling them back."""

from __future__ import annotations

import pytest

from aipo_site.render.blocks import fill, split_page

PAGE = """---
title: "x"
---

<h1>Model</h1>

<div class="hero">status</div>

<div>summary</div>

<!--aipo:section-->

## KPIs

<table><tr><td>1</td></tr></table>

<!--aipo:section-->

## Compliance

<table><tr><td>finding</td></tr></table>
"""


def test_split_keeps_front_matter_and_headings():
    split = split_page(PAGE, prefix="3x", searchable=frozenset({"Compliance"}))
    assert split.markdown.startswith('---\ntitle: "x"\n---\n')
    assert "## KPIs" in split.markdown and "## Compliance" in split.markdown
    assert "<table>" not in split.markdown and "hero" not in split.markdown
    assert list(split.indexed) == ["3x0", "3x2"]  # status block, compliance
    assert list(split.deferred) == ["3x1"]  # the KPI table
    assert split.indexed["3x0"] == (
        '<h1>Model</h1>\n\n<div class="hero">status</div>\n\n<div>summary</div>'
    )


def test_fill_restores_blocks_and_leaves_other_comments():
    split = split_page(PAGE, prefix="0x", searchable=frozenset())
    html = split.markdown + "<!-- a user's comment --><!--aipo:9x9-->"
    filled = fill(fill(html, split.indexed), split.deferred)
    assert "<table><tr><td>1</td></tr></table>" in filled
    assert "<!--aipo:0x" not in filled
    assert "<!-- a user's comment --><!--aipo:9x9-->" in filled  # unknown: left alone


def test_user_text_cannot_forge_a_placeholder(mini_repo):
    """Charter text is escaped before splitting, so '<!--aipo:0x1-->' in it stays text."""
    from tests.conftest import MINI_CHARTER, run_mkdocs

    charter = MINI_CHARTER.format(id="m1", name="Model one").replace(
        "summary: A fixture model.", 'summary: "<!--aipo:0x1--> and <!--aipo:0x0-->"'
    )
    root = mini_repo(charters={"m1": charter})
    assert run_mkdocs(root).returncode == 0
    html = (root / "site" / "models" / "m1" / "index.html").read_text()
    assert html.count('<div class="aipo-hero ') == 1
    assert "<!--aipo:" not in html


def test_only_marked_headings_are_structure():
    """A line that looks like a heading (as charter text once could produce) stays in its block:
    it never reaches Python-Markdown."""
    page = PAGE.replace(
        "<div>summary</div>", "<div>summary\n## [x](javascript:alert(1)){: autofocus }\n</div>"
    )
    split = split_page(page, prefix="0x", searchable=frozenset())
    assert "javascript" not in split.markdown
    assert "## [x](javascript:alert(1))" in split.indexed["0x0"]
    assert split.markdown.count("## ") == 2


def test_marker_without_heading_is_a_bug():
    with pytest.raises(ValueError, match="not followed by a heading"):
        split_page("<!--aipo:section-->\n\n<p>text</p>\n", prefix="0x", searchable=frozenset())
