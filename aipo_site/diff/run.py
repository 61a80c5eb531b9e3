"""`aipo diff`: load the governance state at two revisions, evaluate both, compare, render."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path

from ..errors import AipoError, ConfigError, InputError, InputErrors
from ..evaluate import evaluate_repository
from ..load.git import GitRevision
from ..load.repository import load_repository
from ..load.source import Source, WorkingTree
from ..model.inputs import Layout, Repository
from ..model.policy import Policy
from ..model.results import Portfolio
from ..parallel import available_cores
from .compare import State, compare
from .model import Severity
from .render import to_json, to_markdown

__all__ = ["FORMATS", "load_state", "run_diff"]

FORMATS = ("markdown", "json")


def run_diff(
    root: Path,
    layout: Layout,
    base_ref: str,
    head_ref: str | None,
    as_of: dt.date,
    fmt: str,
    fail_on: Severity = Severity.REVIEW,
) -> tuple[str, int]:
    """Compare the governance state at ``base_ref`` with ``head_ref`` (None: the working tree).

    Both sides are evaluated on ``as_of``. Returns the report in ``fmt`` ("markdown" or "json")
    and an exit code: **0** when no change is at ``fail_on`` or above, **1** when at least one
    is (with the default ``review``: a change at ``review`` or ``critical`` severity; with
    ``critical``: a critical one; ``info`` changes, which only add or tighten a control, never
    fail). Problems raise :class:`~aipo_site.errors.AipoError` (the CLI exits
    2): an unknown format, a ref git cannot find (with advice for shallow clones), or governance
    files that do not load at either side; errors at a ref name it (``origin/main:path``).

    A side without the charters folder counts as an empty repository (so the pull request that
    introduces aipo shows every model as added); both sides without it is a configuration error.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown diff format '{fmt}' (expected one of: {', '.join(FORMATS)})")
    root = Path(root)
    with ExitStack() as stack:
        base_src = stack.enter_context(GitRevision(root, base_ref))
        head_src: Source = (
            WorkingTree(root)
            if head_ref is None
            else stack.enter_context(GitRevision(root, head_ref))
        )
        if not base_src.is_dir(layout.charters) and not head_src.is_dir(layout.charters):
            raise ConfigError(
                f"charters folder '{layout.charters}' exists neither at {base_ref} nor at "
                f"{head_src.label} (run from the folder of mkdocs.yml, or set the layout)"
            )
        base = load_state(base_src, layout, as_of)
        head = load_state(head_src, layout, as_of)
    diff = compare(base, head)
    text = to_markdown(diff) if fmt == "markdown" else to_json(diff, fail_on)
    return text, diff.exit_code_at(fail_on)


def load_state(source: Source, layout: Layout, as_of: dt.date) -> State:
    """Load and evaluate one side; an absent charters folder is an empty repository."""
    commit = source.short_sha if isinstance(source, GitRevision) else None
    if not source.is_dir(layout.charters):
        empty = Repository(Policy(), layout.policy, None, [], layout)
        return State(empty, Portfolio(as_of, []), source.label, commit)
    try:
        repo = load_repository(source, layout, jobs=available_cores())
        portfolio = evaluate_repository(repo, as_of)
    except AipoError as e:
        if isinstance(source, WorkingTree):
            raise
        raise _at_revision(e, source.label) from e
    return State(repo, portfolio, source.label, commit)


def _at_revision(error: AipoError, label: str) -> AipoError:
    """The same error with file paths written ``REF:path``, as git does."""

    def moved(e: InputError) -> InputError:
        return InputError(
            f"{label}:{e.path}", e.message, line=e.line, column=e.column, field=e.field
        )

    if isinstance(error, InputErrors):
        return InputErrors([moved(e) for e in error.errors])
    if isinstance(error, InputError):
        return moved(error)
    if isinstance(error, ConfigError):
        return ConfigError(f"at {label}: {error}")
    return AipoError(f"at {label}: {error}")
