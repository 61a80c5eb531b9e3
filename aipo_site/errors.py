"""The aipo exception tree.

    AipoError                 base class; every error aipo raises on purpose
    ├── InputError            one problem in one input file (path, line, field, expected, found)
    │   └── InputErrors       several InputErrors reported together (all charters are checked)
    ├── ConfigError           bad settings (plugin options, CLI flags, missing folders)
    ├── GitError              a git command failed (carries git's stderr and, for a missing
    │                         ref, how to fetch it)
    └── SourceError           a metric source could not be read or queried (aipo collect)

The MkDocs plugin turns any AipoError into ``mkdocs.exceptions.PluginError``; the CLI prints
``error: ...`` and exits 2. Nothing else should reach a user as a traceback.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "AipoError",
    "ConfigError",
    "GitError",
    "InputError",
    "InputErrors",
    "SourceError",
    "snippet",
]


def snippet(value: object, limit: int = 40) -> str:
    """A short, escaped rendering of input text for an error message.

    Messages must stay one readable line and must not replay what a file holds: the first
    ``limit`` characters, quoted and escaped as Python's ``repr`` does (control, bidirectional,
    surrogate and other invisible characters become ``\\x00``/``\\u202e`` escapes, so an error
    line cannot be reordered or broken by the input it quotes), then ``…`` when there was more.
    Numbers and other values are shown as ``str`` would, within the same limit.
    """
    if isinstance(value, str):
        shown = repr(value[:limit])
        return shown[:-1] + "…" + shown[-1] if len(value) > limit else shown
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return "a number too large to show"
    return text if len(text) <= limit else text[:limit] + "…"


class AipoError(Exception):
    """Base class of every error aipo raises on purpose."""


class ConfigError(AipoError):
    """Invalid configuration: plugin options, CLI arguments, missing folders."""


class InputError(AipoError):
    """A problem in one input file.

    The message reads ``path:line:column: field: message`` so editors and CI annotations can
    jump to it; each part is optional except the path.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        self.field = field
        super().__init__(self.render())

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def render(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location()}:{field} {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its fields (a loader process sends its errors back to the build): an
        # exception's default pickle calls ``cls(*args)``, which lacks the message.
        return (
            _input_error,
            (type(self), self.path, self.message, self.line, self.column, self.field),
        )


def _input_error(
    cls: type[InputError],
    path: str,
    message: str,
    line: int | None,
    column: int | None,
    field: str | None,
) -> InputError:
    return cls(path, message, line=line, column=column, field=field)


class InputErrors(AipoError):
    """Several input errors, reported together so one build shows every problem."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = f"{count} problem{'s' if count != 1 else ''} in the governance inputs:"
        super().__init__("\n".join([head, *(f"  {e.render()}" for e in self.errors)]))

    @classmethod
    def of(cls, errors: list[InputError]) -> AipoError:
        """The one error, or all of them together (``errors`` must not be empty)."""
        return errors[0] if len(errors) == 1 else cls(errors)

    @classmethod
    def raise_if_any(cls, errors: list[InputError]) -> None:
        if errors:
            raise cls.of(errors)


class GitError(AipoError):
    """A git command failed; the message ends with git's own stderr."""

    def __init__(self, message: str, stderr: str | bytes | None = None) -> None:
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        self.stderr = (stderr or "").strip()
        if self.stderr:
            if "\n" in message:
                # A message that already explains itself: git's words go below it.
                message += "\ngit said:\n" + textwrap.indent(self.stderr, "  ")
            elif "\n" in self.stderr:
                message += ":\n" + textwrap.indent(self.stderr, "  ")
            else:
                message += f": {self.stderr}"
        super().__init__(message)


class SourceError(AipoError):
    """A metric source could not be read or queried (``aipo collect``): the engine says what
    failed; the collector adds which source and which charter asked."""
