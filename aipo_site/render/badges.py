"""Status badges: a local SVG (no external service) and the shields.io endpoint JSON."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape

from ..model.results import Level, ModelResult

__all__ = ["COLORS", "badge_json", "badge_svg", "model_badge_svg"]

COLORS = {Level.OK: "#2e7d32", Level.WARN: "#b26a00", Level.BREACH: "#c62828"}
SHIELDS_COLORS = {Level.OK: "brightgreen", Level.WARN: "orange", Level.BREACH: "red"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Average advance of Verdana 11px glyphs, which shields-style badges use; close enough to size
# the two boxes without a font engine.
_CHAR_WIDTH = 6.6


def _xml(text: str) -> str:
    return escape(_CONTROL.sub("", text), {'"': "&quot;", "'": "&apos;"})


def badge_svg(label: str, message: str, color: str) -> str:
    """A flat shields-style badge as standalone SVG."""
    lw = round(len(label) * _CHAR_WIDTH + 10)
    mw = round(len(message) * _CHAR_WIDTH + 10)
    width = lw + mw
    label_x, msg_x = lw / 2, lw + mw / 2
    title = _xml(f"{label}: {message}")
    lab, msg = _xml(label), _xml(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        f'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{color}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{lab}</text>'
        f'<text x="{label_x}" y="14">{lab}</text>'
        f'<text x="{msg_x}" y="15" fill="#010101" fill-opacity=".3">{msg}</text>'
        f'<text x="{msg_x}" y="14">{msg}</text></g></svg>\n'
    )


def model_badge_svg(result: ModelResult) -> str:
    return badge_svg(result.id, result.status.label, COLORS[result.status])


def badge_json(result: ModelResult) -> str:
    """shields.io endpoint format: https://shields.io/badges/endpoint-badge."""
    data = {
        "schemaVersion": 1,
        "label": result.id,
        "message": result.status.label,
        "color": SHIELDS_COLORS[result.status],
    }
    return json.dumps(data, sort_keys=True, indent=2) + "\n"
