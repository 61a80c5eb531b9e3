"""`aipo diff`: what a change does to governance, not to YAML lines.

    run_diff(root, layout, base_ref, head_ref, as_of, fmt) -> (text, exit code)
        load both sides (git refs or the working tree) -> evaluate on one date -> compare -> render

``compare`` returns a :class:`GovernanceDiff` of typed :class:`Change` objects that
``to_markdown`` and ``to_json`` render; see :mod:`aipo_site.diff.model` for the severity rule.
"""

from .compare import State, compare
from .model import Change, GovernanceDiff, Kind, ModelDiff, Severity, Side
from .render import md_escape, to_json, to_markdown
from .run import FORMATS, load_state, run_diff

__all__ = [
    "FORMATS",
    "Change",
    "GovernanceDiff",
    "Kind",
    "ModelDiff",
    "Severity",
    "Side",
    "State",
    "compare",
    "load_state",
    "md_escape",
    "run_diff",
    "to_json",
    "to_markdown",
]
