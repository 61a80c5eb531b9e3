"""Read the record files of a folder (decision and review records): one YAML document each,
validated against its model, every problem collected."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from ..errors import InputError
from ..model.document import YamlDocument
from .source import Source
from .validate import validate_document
from .yamlfile import MAX_BYTES, parse_yaml

__all__ = ["RECORD_SUFFIXES", "list_records", "read_document"]

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
