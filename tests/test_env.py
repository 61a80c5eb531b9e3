"""Untrusted text: escaping and sanitising in every context it reaches."""

from __future__ import annotations

import json
import re

import markdown
import pytest
from markupsafe import escape

from aipo_site.render.env import md_text, safe_markdown, safe_url, script_json

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "![x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_fields_are_sanitised(payload):
    html = str(safe_markdown(payload))
    lowered = html.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "onload" not in lowered
    assert 'href="javascript' not in lowered and 'src="javascript' not in lowered
    assert "<iframe" not in lowered and "<svg" not in lowered


def test_markdown_keeps_harmless_formatting():
    html = str(safe_markdown("**bold** and [docs](https://example.com) and `code`"))
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "markdown_text",
    ["### heading", "x\n\n###### six ######", "<h4>four</h4>", "---", "> quoted",
     "| a | b |\n|---|---|\n| 1 | 2 |", "<table><tr><td>x</td></tr></table>"],
)  # fmt: skip
def test_markdown_fields_add_no_structure_to_the_page(markdown_text):
    """Headings, rules, quotes and tables are not in the allowlist: their text is kept."""
    html = str(safe_markdown(markdown_text))
    assert not re.search(r"<(h[1-6]|hr|blockquote|table|tr|td)\b", html), html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_heading_text_cannot_become_markup_or_links(payload):
    rendered = markdown.markdown(f"# {md_text(payload)}")
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "<svg" not in rendered and "<iframe" not in rendered


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/x", True),
        ("mailto:a@example.com", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>", False),
        ('https://x" onmouseover="alert(1)', False),
        ("/relative", False),
    ],
)
def test_safe_url(url, ok):
    assert bool(safe_url(url)) is ok


def test_script_json_cannot_close_the_script():
    text = str(script_json({"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "\u2028"}))
    assert "</script" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {
        "a": "</script><script>alert(1)</script>",
        "b": "<!--",
        "c": "\u2028",
    }


# --- one rule: untrusted text never starts a line, never leaves its context ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from mkdocs.utils.meta import get_data  # noqa: E402

from aipo_site.render.blocks import SECTION_MARK, split_page  # noqa: E402
from aipo_site.render.env import environment, meta_title, text  # noqa: E402

# Text that is hostile at line starts and in YAML, plus arbitrary Unicode (what the loaders let
# through and a little more: the renderers must not rely on the loaders for their safety).
HOSTILE = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from(
            [
                "\n",
                "\r\n",
                "\r",
                "## ",
                "# ",
                "---",
                "- ",
                "    ",
                "```",
                "|",
                "{: onfocus=x }",
                "[x](javascript:alert(1))",
                "<!--aipo:section-->",
                "<!--aipo:0x1-->",
                "<script>",
                '"',
                "'",
                ":",
                "\\",
                "&#10;",
                "\u2028",
                "\u0085",
                "\ufeff",
                "x",
                " ",
            ]
        ),
        max_size=12,
    ).map("".join),
)
FAST = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@FAST
@given(HOSTILE)
def test_text_is_escaped_and_on_one_line(value):
    out = str(text(value))
    assert "\n" not in out and "\r" not in out
    assert "<" not in out and ">" not in out and '"' not in out


@FAST
@given(HOSTILE)
def test_every_template_value_stays_on_its_line(value):
    """The environment's finalize applies to every {{ }}: even Markup made by Jinja filters."""
    template = environment().from_string("<p>{{ v }}</p>\n<p>{{ [v, v] | join(', ') }}</p>\n")
    out = template.render(v=value)
    lines = out.split("\n")  # Markdown's line breaks: \n, and \r (never left raw, see text())
    assert len(lines) == 3 and lines[2] == "" and all(line.startswith("<p>") for line in lines[:2])
    assert "\r" not in out


@FAST
@given(HOSTILE)
def test_markdown_fields_render_on_one_line(value):
    assert "\n" not in str(safe_markdown(value))


@FAST
@given(HOSTILE)
def test_front_matter_title_round_trips_through_mkdocs(value):
    """MkDocs reads the title back exactly (escaped once for Material, whitespace folded); a
    broken front matter would be dropped silently and rendered as Markdown."""
    page = f"---\ntitle: {meta_title(value)}\n---\n\nbody\n"
    body, meta = get_data(page)
    assert body == "body\n"
    assert meta == {"title": str(escape(" ".join(value.split())))}


@FAST
@given(HOSTILE, HOSTILE)
def test_only_template_sections_split_a_page(a, b):
    page = (
        environment()
        .from_string(
            "---\ntitle: {{ a | meta_title }}\n---\n\n<h1>{{ a }}</h1>\n<p>{{ b }}</p>\n\n"
            "{{ section('KPIs') }}\n\n<p>{{ a | markdown }}</p>\n"
        )
        .render(a=a, b=b)
    )
    split = split_page(page, prefix="0x", searchable=frozenset())
    skeleton = split.markdown.split("\n---\n", 1)[1]
    assert [line for line in skeleton.split("\n") if line] == [
        "<!--aipo:0x0-->",
        "## KPIs",
        "<!--aipo:0x1-->",
    ]
    assert SECTION_MARK not in split.indexed["0x0"] + split.deferred["0x1"]
