"""Badges: valid, escaped SVG and the shields.io endpoint format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from aipo_site.render.badges import badge_svg


def test_badge_is_valid_svg_with_text():
    svg = badge_svg("fraud-prevention", "BREACH", "#c62828")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "fraud-prevention" in texts and "BREACH" in texts


def test_badge_escapes_quotes_and_control_characters():
    svg = badge_svg("a\"<b>&'c\x00\x0b", "OK", "#2e7d32")
    root = ET.fromstring(svg)  # parses: no raw control characters, quotes or tags
    assert root.get("aria-label") == "a\"<b>&'c: OK"


def test_badge_width_grows_with_text():
    short = ET.fromstring(badge_svg("a", "OK", "#000")).get("width")
    long = ET.fromstring(badge_svg("a-much-longer-model-id", "OK", "#000")).get("width")
    assert int(long) > int(short)


def test_demo_badges_are_generated(repo_root, tmp_path):
    from tests.conftest import run_mkdocs

    result = run_mkdocs(repo_root, site_dir=tmp_path / "site")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "site" / "badges" / "supply-chain-forecast.json").read_text())
    assert data == {
        "schemaVersion": 1,
        "label": "supply-chain-forecast",
        "message": "BREACH",
        "color": "red",
    }
    ET.parse(tmp_path / "site" / "badges" / "fraud-prevention.svg")
