"""Read the crosswalk bundled with aipo (``aipo_site/crosswalk/``), once per process.

The two files are package data, not user input, but they are read with the same careful YAML
reader and validated with the same models as everything else, and checked against each other: an
obligation's framework, its ``refs`` and ``annex_iv`` ids, its elements and its amendment must
all be declared. A broken file is aipo's bug; it fails with :class:`~aipo_site.errors.ConfigError`
naming the file and the entry.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import ValidationError

from ..errors import ConfigError
from ..model.regulation import Crosswalk, DateChange, Sources
from .yamlfile import parse_yaml

__all__ = [
    "CROSSWALK_FILE",
    "SOURCES_FILE",
    "check_crosswalk",
    "crosswalk_files",
    "load_crosswalk",
]

CROSSWALK_FILE = "crosswalk.yaml"
SOURCES_FILE = "sources.yaml"


def _raw(name: str) -> bytes:
    return resources.files("aipo_site").joinpath("crosswalk", name).read_bytes()


def _read(name: str) -> object:
    return parse_yaml(_raw(name), f"aipo_site/crosswalk/{name}").data


def crosswalk_files() -> dict[str, str]:
    """The two data files as they are bundled (published with the portal): name -> text."""
    return {name: _raw(name).decode("utf-8") for name in (CROSSWALK_FILE, SOURCES_FILE)}


@cache
def load_crosswalk() -> tuple[Crosswalk, Sources]:
    """The bundled crosswalk and its sources, validated and cross-checked."""
    try:
        sources = Sources.model_validate(_read(SOURCES_FILE))
        crosswalk = Crosswalk.model_validate(_read(CROSSWALK_FILE))
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"aipo's crosswalk data is invalid at {where}: {first['msg']}") from None
    problems = check_crosswalk(crosswalk, sources)
    if problems:
        raise ConfigError(f"aipo's crosswalk data is inconsistent: {problems[0]}")
    return crosswalk, sources


def check_crosswalk(crosswalk: Crosswalk, sources: Sources) -> list[str]:
    """Every id the crosswalk uses that its sources (or its own elements) do not declare."""
    frameworks = {f.id: f.ids() for f in sources.frameworks}
    elements = {e.id for e in crosswalk.elements}
    amendments = {a.id for a in sources.amendments}
    problems = []
    seen: set[str] = set()
    for o in crosswalk.obligations:
        if o.id in seen:
            problems.append(f"{o.id}: listed twice")
        seen.add(o.id)
        ids = frameworks.get(o.framework)
        if ids is None:
            problems.append(f"{o.id}: framework '{o.framework}' is not in {SOURCES_FILE}")
            continue
        if not o.id.startswith(f"{o.framework}/"):
            problems.append(f"{o.id}: its id must start with '{o.framework}/'")
        for ref in [*o.refs, *o.annex_iv]:
            if ref not in ids:
                problems.append(f"{o.id}: '{ref}' is not an id of {o.framework}")
        for element in o.evidenced_by:
            if element not in elements:
                problems.append(f"{o.id}: element '{element}' is not in `elements`")
        changes = o.changed.values() if isinstance(o.changed, dict) else [o.changed]
        for change in changes:
            if isinstance(change, DateChange) and change.by not in amendments:
                problems.append(f"{o.id}: amendment '{change.by}' is not in {SOURCES_FILE}")
    return problems
