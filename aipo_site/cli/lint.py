"""Authoring lints the CI gate adds to the evaluation: problems in how a charter is written.

``todo-marker``: a charter text field still holds a ``TODO`` marker, as the skeletons written by
``aipo new`` do until their author fills them in. YAML comments are not looked at: only values,
which are what the portal shows.
"""

from __future__ import annotations

import re
from typing import Any

from ..model.inputs import ModelInputs
from ..model.results import Finding, Level

__all__ = ["TODO_CODE", "lint_model"]

TODO_CODE = "todo-marker"
_TODO = re.compile(r"\bTODO\b")
_EXCERPT = 60


def lint_model(model: ModelInputs) -> list[Finding]:
    """Every authoring finding for one charter, in file order."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    _walk(model.document.data, (), found)
    out = []
    for loc, text in found:
        line = model.document.position(loc)[0]
        dotted = _dotted(loc)
        excerpt = " ".join(text.split())
        if len(excerpt) > _EXCERPT:
            excerpt = excerpt[: _EXCERPT - 1] + "…"
        out.append(
            Finding(
                TODO_CODE,
                Level.WARN,
                f"'{dotted}' still holds a TODO marker: {excerpt!r}",
                str(loc[0]) if loc else "charter",
                dotted,
                line,
            )
        )
    return sorted(out, key=lambda f: (f.line or 0, f.field or ""))


def _walk(value: Any, loc: tuple[str | int, ...], out: list) -> None:
    if isinstance(value, str):
        if _TODO.search(value):
            out.append((loc, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, (*loc, key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, (*loc, i), out)


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
