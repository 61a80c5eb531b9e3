"""Untrusted text: escaping and sanitising in every context it reaches."""

from __future__ import annotations

import json

import markdown
import pytest

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
