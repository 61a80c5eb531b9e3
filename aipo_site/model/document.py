"""A YAML file's plain data with where each value stands in it (lines and columns for errors).

Produced by the careful YAML reader (:func:`aipo_site.load.yamlfile.parse_yaml`); read by the
validators and, for old versions of a charter, by evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, snippet

__all__ = ["Path_", "YamlDocument", "dotted"]

# Where a value stands in a document: keys and list indexes from the top, ("kpis", 0, "metric").
Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain data read from one YAML file plus where each value stands in it."""

    path: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: Path_) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``loc``, or of its nearest parent."""
        loc = tuple(loc)
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (None, None))

    def error(self, loc: Path_, message: str, *, at_key: bool = False) -> InputError:
        """An InputError located at the value of ``loc`` (or at its key, for unknown fields)."""
        key = self.key_positions.get(tuple(loc)) if at_key else None
        line, column = key or self.position(loc)
        name = dotted(loc)
        return InputError(self.path, message, line=line, column=column, field=name or None)


def dotted(loc: Path_) -> str:
    """A value's path as a field name: ``kpis[0].metric``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        # A key is input: shown escaped and short when it is not a plain name.
        name = part if len(part) <= 40 and part.isprintable() else snippet(part)
        out += f".{name}" if out else name
    return out
