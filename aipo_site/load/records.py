"""Read the record files of a folder (decision and review records): one YAML document each,
validated against its model, every problem collected."""

from __future__ import annotations

import difflib
from typing import TypeVar

from pydantic import BaseModel

from ..errors import InputError, snippet
from ..model.document import YamlDocument
from .source import Source
from .validate import validate_document
from .yamlfile import MAX_BYTES, parse_yaml

__all__ = ["RECORD_SUFFIXES", "list_records", "read_document", "unknown_model"]

RECORD_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=BaseModel)


def list_records(source: Source, folder: str, errors: list[InputError]) -> list[str]:
    """The YAML files below ``folder``, sorted; none when the folder does not exist."""
    try:
        listed = source.list_files(folder) if source.is_dir(folder) else []
    except InputError as e:
        errors.append(e)
        return []
    return sorted(p for p in listed if p.endswith(RECORD_SUFFIXES))


def read_document(
    source: Source, path: str, model: type[M], what: str, errors: list[InputError]
) -> tuple[M, YamlDocument] | None:
    """One file parsed by the careful YAML reader and validated as ``model`` (``what`` names it
    in messages); None, with the problems appended to ``errors``, when it is not valid."""
    try:
        doc = parse_yaml(source.read_bytes(path, MAX_BYTES), path)
    except InputError as e:
        errors.append(e)
        return None
    except FileNotFoundError:  # listed a moment ago, gone now
        errors.append(InputError(path, "disappeared while it was being read; run aipo again"))
        return None
    obj, problems = validate_document(doc, model, what)
    errors.extend(problems)
    return None if obj is None else (obj, doc)


def read_optional_yaml(
    source: Source, path: str, errors: list[InputError]
) -> tuple[bool, YamlDocument | None]:
    """An optional YAML file (the policy, the people directory, the sources): ``(False, None)``
    when there is no such file; ``(True, None)`` when it cannot be read or parsed, with the
    problem appended to ``errors``; else ``(True, document)``."""
    try:
        return True, parse_yaml(source.read_bytes(path, MAX_BYTES), path)
    except FileNotFoundError:
        return False, None
    except InputError as e:
        errors.append(e)
        return True, None


def unknown_model(value: str, ids: set[str]) -> str:
    """The message for a record's `model` that is no charter's id ("did you mean")."""
    close = difflib.get_close_matches(value, sorted(ids), n=1, cutoff=0.6)
    if close:
        return f"{snippet(value)} is not the id of a model; did you mean '{close[0]}'?"
    shown = ", ".join(sorted(ids)[:10]) or "none"
    return f"{snippet(value)} is not the id of a model (models: {shown})"
