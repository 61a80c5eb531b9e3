"""Read the metric sources (``content/sources.yaml``) and check the charters' references to them.

The file is optional: without it nothing changes, unless a charter names a source (then that
charter is in error, since nothing declares the source). With it, every ``kpis[].source.name``
and ``drift.source.name`` must be one of its keys, else an error at the charter's field with the
closest key ("did you mean"). The build never queries a source; it reads what ``aipo collect``
wrote (see :mod:`aipo_site.collect`).
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError, snippet
from ..model.charter import Charter
from ..model.document import YamlDocument
from ..model.sources import DuckDbSource, SourcesFile, SparkSource
from .records import read_optional_yaml
from .source import Source
from .validate import _convert

__all__ = ["check_source_refs", "load_sources", "source_refs"]


def load_sources(
    source: Source, path: str, errors: list[InputError]
) -> tuple[SourcesFile | None, YamlDocument | None]:
    """The sources declared at ``path``; (None, None) when there is no such file. Problems are
    appended to ``errors`` (file:line: field: message)."""
    _found, doc = read_optional_yaml(source, path, errors)
    if doc is None:
        return None, None
    if doc.data is None:  # an empty file declares no source
        return SourcesFile(), doc
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        errors.append(doc.error((), f"expected a sources file mapping, found a {kind}"))
        return None, doc
    try:
        return SourcesFile.model_validate(doc.data), doc
    except ValidationError as e:
        errors.extend(_error(doc, err) for err in e.errors(include_url=False))
        return None, doc


class _DuckDbSources(BaseModel):
    sources: dict[str, DuckDbSource]


class _SparkSources(BaseModel):
    sources: dict[str, SparkSource]


def _error(doc: YamlDocument, err: Any) -> InputError:
    """An error at its place in the file: pydantic puts the engine ("duckdb", "spark") that
    chose the source's type into the location, which the file does not have."""
    loc = tuple(err["loc"])
    if len(loc) > 2 and loc[0] == "sources" and loc[2] in ("duckdb", "spark"):
        model: type[BaseModel] = _SparkSources if loc[2] == "spark" else _DuckDbSources
        return _convert(doc, model, {**err, "loc": (*loc[:2], *loc[3:])})
    return _convert(doc, SourcesFile, err)


def source_refs(charter: Charter) -> list[tuple[tuple[str | int, ...], str]]:
    """Where the charter names a source (its location in the charter) and the name, in order."""
    refs: list[tuple[tuple[str | int, ...], str]] = [
        (("kpis", i, "source", "name"), k.source.name)
        for i, k in enumerate(charter.kpis)
        if k.source is not None
    ]
    if charter.drift is not None and charter.drift.source is not None:
        refs.append((("drift", "source", "name"), charter.drift.source.name))
    return refs


def check_source_refs(
    charter: Charter, doc: YamlDocument, sources: SourcesFile | None, sources_path: str
) -> list[InputError]:
    """An error at each source the charter names that ``sources_path`` does not declare."""
    errors: list[InputError] = []
    for loc, name in source_refs(charter):
        if sources is None:
            message = (
                f"source {snippet(name)} is not declared: there is no {sources_path} (declare "
                "the source there, see the guide's Metric sources)"
            )
        elif name in sources.sources:
            continue
        else:
            keys = sorted(sources.sources)
            close = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean '{close[0]}'?"
            elif keys:
                hint = f"; it declares {', '.join(repr(k) for k in keys[:10])}"
            else:
                hint = "; it declares no source"
            message = f"source {snippet(name)} is not a key of {sources_path}{hint}"
        errors.append(doc.error(loc, message))
    return errors
