"""GitHub Markdown for pull-request comments: charter text stays text and never pings or links."""

from __future__ import annotations

import re

import pytest

from aipo_site.render import gfm

# What GitHub turns into a mention, an issue reference or a link (on the decoded text).
ACTIVE = [
    re.compile(r"@[A-Za-z0-9]"),  # @user, @org/team, user@example.com
    re.compile(r"#[0-9]"),  # #12, org/repo#12
    re.compile(r"(?i)\bgh-[0-9]"),
    re.compile(r"(?i)(https?|ftp)://|www\."),
]


def decoded(markdown: str) -> str:
    """The text GitHub scans for references: entities decoded (the zero-width space stays)."""
    return markdown.replace("&#8203;", "\u200b").replace("&amp;", "&")


@pytest.mark.parametrize(
    "payload",
    [
        "ping @octocat and @acme/security-team",
        "fixes #12 and GH-34, gh-35 and acme/repo#56",
        "see https://evil.example/x and www.evil.example and ftp://x",
        "mail ada@example.com",
        "HTTPS://LOUD.EXAMPLE",
    ],
)
def test_no_mentions_references_or_autolinks(payload: str) -> None:
    for pattern in ACTIVE:
        assert not pattern.search(decoded(gfm.text(payload))), (pattern, gfm.text(payload))


def test_text_is_one_inert_line() -> None:
    cell = gfm.text("a | b <script>x</script> [l](javascript:alert(1)) *em*\n## next\r\n`c`")
    assert "\n" not in cell and "\r" not in cell
    assert "<" not in cell and "|" not in cell.replace("\\|", "")
    assert "[" not in cell.replace("\\[", "") and "`" not in cell.replace("\\`", "")
    assert cell.startswith("a \\| b &lt;script&gt;")


def test_text_drops_controls_and_bidi_and_cuts() -> None:
    assert gfm.text("rtl\u202eevil\x00\x1b[31m") == "rtlevil\\[31m"
    assert gfm.text("x" * 50, limit=10) == "x" * 9 + "…"


def test_code_cannot_close_its_span() -> None:
    assert gfm.code("a`b|c\nd", table=True) == "a'b\\|c d"
    assert gfm.code("@team #1") == "@team #1"  # inside a code span GitHub links nothing


def test_identifiers_stay_intact() -> None:
    assert gfm.text("DPIA-2025-014 on 2026-11-20") == "DPIA-2025-014 on 2026-11-20"
