"""Scaffolding: `aipo init` (a new governance repository), `aipo new` (a charter skeleton) and
`aipo schema` (the JSON Schemas editors complete charters with).

Templates are package data under ``aipo_site/cli/templates/``. Nothing here overwrites a file: init
refuses a non-empty folder unless ``--force``, and even then keeps every file that already exists;
new refuses an existing charter.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import posixpath
import re
from dataclasses import dataclass, field
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2

from ..errors import ConfigError
from ..load.validate import validate_document
from ..load.yamlfile import parse_yaml
from ..model.charter import SLUG_PATTERN, Charter
from ..model.policy import Policy
from ..render.reference import json_schema
from .settings import Settings

__all__ = [
    "DISTRIBUTION",
    "WORKFLOW_PATH",
    "WORKFLOW_TEMPLATE",
    "InitResult",
    "aipo_requirement",
    "example_metrics",
    "init_repository",
    "is_local_requirement",
    "new_charter",
    "schema_files",
    "write_schemas",
]

# The name on the package index ("aipo" there is an unrelated project).
DISTRIBUTION = "aipo-portal"
# Hook for the CI workflow: when the package ships templates/workflow.yml, `aipo init` copies it.
WORKFLOW_TEMPLATE = "workflow.yml"
WORKFLOW_PATH = ".github/workflows/aipo.yml"
EXAMPLE_ID = "example-model"
_SLUG = re.compile(SLUG_PATTERN)


def _templates() -> Traversable:
    return resources.files("aipo_site.cli").joinpath("templates")


def _yaml_str(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _environment() -> jinja2.Environment:
    # YAML and Markdown templates, not HTML: autoescape would corrupt them. Values that come from
    # the user go through the `yaml` filter (a quoted scalar) or are validated slugs and dates.
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _templates().joinpath(name).read_text("utf-8")),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yaml"] = _yaml_str
    return env


def schema_files() -> dict[str, str]:
    """File name -> JSON Schema text, for charters and the policy."""
    return {
        "charter.schema.json": json_schema(Charter),
        "policy.schema.json": json_schema(Policy),
    }


def write_schemas(folder: Path) -> list[Path]:
    """Write the JSON Schemas into ``folder`` (created if needed); return the paths written."""
    if folder.suffix == ".json" or folder.is_file():
        raise ConfigError(
            f"--output: '{folder}' is a file name; give the folder to write "
            "charter.schema.json and policy.schema.json into"
        )
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in schema_files().items():
            path = folder / name
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
    except OSError as e:
        raise ConfigError(f"cannot write to '{folder}': {e.strerror or e}") from None
    return written


def check_schemas(folder: Path) -> list[str]:
    """Names of the schema files in ``folder`` that are missing or differ from the generated ones."""
    stale = []
    for name, text in schema_files().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def example_metrics(as_of: dt.date, days: int = 56) -> str:
    """Eight weeks of daily KPI values for the example model, ending on ``as_of`` (wide form).

    A deterministic wobble, not random noise, so every scaffold is identical for the same date.
    """
    lines = ["date,auc,precision"]
    for i in range(days):
        day = as_of - dt.timedelta(days=days - 1 - i)
        auc = 0.862 + 0.004 * math.sin(i / 3.0) + 0.002 * math.sin(i * 1.7)
        precision = 0.781 + 0.009 * math.cos(i / 4.0) + 0.003 * math.sin(i * 2.3)
        lines.append(f"{day.isoformat()},{auc:.4f},{precision:.4f}")
    return "\n".join(lines) + "\n"


def _example_dates(as_of: dt.date) -> dict[str, str]:
    def ago(days: int) -> str:
        return (as_of - dt.timedelta(days=days)).isoformat()

    return {
        "prototype": ago(300),
        "pilot": ago(220),
        "production": ago(150),
        "retrained": ago(20),
        "weekly": ago(3),
        "monthly": ago(12),
        "quarterly": ago(45),
        "sunset_review": (as_of + dt.timedelta(days=365)).isoformat(),
    }


def init_files(
    site_name: str, as_of: dt.date, requirement: str | None = None, *, pinned: bool = True
) -> dict[str, str]:
    """Relative path -> content of every file of a new governance repository."""
    env = _environment()
    context = {
        "site_name": site_name,
        "as_of": as_of.isoformat(),
        "requirement": requirement or aipo_requirement(),
        "pinned": pinned,
        "workflow": _templates().joinpath(WORKFLOW_TEMPLATE).is_file(),
    }
    files = {
        "mkdocs.yml": env.get_template("mkdocs.yml.j2").render(context),
        "README.md": env.get_template("README.md.j2").render(context),
        "requirements.txt": env.get_template("requirements.txt.j2").render(context),
        ".gitignore": _templates().joinpath("gitignore").read_text("utf-8"),
        "content/index.md": env.get_template("index.md.j2").render(context),
        "content/policy.yaml": _templates().joinpath("policy.yaml").read_text("utf-8"),
        f"content/models/{EXAMPLE_ID}.yaml": env.get_template("example-model.yaml.j2").render(
            dates=_example_dates(as_of)
        ),
        f"metrics/{EXAMPLE_ID}/kpis.csv": example_metrics(as_of),
    }
    for name, text in schema_files().items():
        files[f"schema/{name}"] = text
    workflow = _templates().joinpath(WORKFLOW_TEMPLATE)
    if workflow.is_file():
        files[WORKFLOW_PATH] = workflow.read_text("utf-8")
    return files


def aipo_requirement() -> str:
    """The line of the new repository's requirements.txt that installs aipo: the way this aipo
    was installed, when another machine (CI) can repeat it, else the release on the index.

    pip records how a package was installed (PEP 610, ``direct_url.json``): from a git URL, the
    same URL at the same commit; from an archive on a web server, that URL; from the index,
    nothing, so the version is pinned. From a local folder or file no other machine can repeat
    it, so the version is pinned too (and `aipo init` says so: pass ``--requirement``).
    """
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return DISTRIBUTION
    pinned = f"{DISTRIBUTION}=={version}"
    info = _direct_url()
    url = str(info.get("url", ""))
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("commit_id") and not url.startswith("file:"):
        return f"{DISTRIBUTION} @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}"
    if "archive_info" in info and url.startswith(("https://", "http://")):
        return f"{DISTRIBUTION} @ {url}"
    return pinned


def _direct_url() -> dict[str, Any]:
    """What pip recorded about where this aipo came from (PEP 610); empty when nothing usable
    was recorded (an install from the index)."""
    try:
        raw = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        info = json.loads(raw) if raw else {}
    except (metadata.PackageNotFoundError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def is_local_requirement() -> bool:
    """Whether this aipo came from a local folder or file (which `aipo init` warns about)."""
    return str(_direct_url().get("url", "")).startswith("file:")


@dataclass
class InitResult:
    """What `aipo init` wrote and what it left alone."""

    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def init_repository(
    folder: Path,
    *,
    as_of: dt.date,
    site_name: str | None = None,
    force: bool = False,
    requirement: str | None = None,
    pinned: bool = True,
) -> InitResult:
    """Create a governance repository in ``folder`` that builds at once.

    Refuses a non-empty folder unless ``force``; with ``force`` every existing file is kept as it
    is (and reported), never overwritten. ``pinned``: mkdocs.yml evaluates as of ``as_of`` on
    every build; otherwise as of the day of each build (``$AIPO_AS_OF``, else today).
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"'{folder}' exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        entries = sorted(p.name for p in folder.iterdir())
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise ConfigError(
            f"'{folder}' is not empty ({shown}); choose an empty or new folder, or pass --force "
            "to add the files that are missing (existing files are never overwritten)"
        )
    name = site_name or f"{_title(folder.resolve().name)} — AI governance portal"
    result = InitResult(folder)
    try:
        for rel, text in init_files(name, as_of, requirement, pinned=pinned).items():
            path = folder / rel
            if path.exists() or path.is_symlink():
                result.kept.append(rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            # "x": fail rather than overwrite a file created since the check above.
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            result.written.append(rel)
    except OSError as e:
        raise ConfigError(f"cannot write to '{folder}': {e.strerror or e}") from None
    return result


def _title(slug: str) -> str:
    words = re.split(r"[-_\s]+", slug.strip())
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:] if text else "Models"


def new_charter(settings: Settings, model_id: str, *, name: str | None, since: dt.date) -> Path:
    """Write ``<charters>/<model_id>.yaml``, a skeleton that validates, with TODO markers.

    Raises :class:`ConfigError` when the id is not a safe slug, the charter exists, or the
    charters folder is missing.
    """
    if not _SLUG.match(model_id):
        raise ConfigError(
            f"model id {model_id!r} is not a safe slug: use 1-64 lower-case letters, digits and "
            "hyphens, starting and ending with a letter or digit (e.g. 'churn-propensity')"
        )
    charters = settings.root / settings.layout.charters
    if not charters.is_dir():
        raise ConfigError(
            f"charters folder '{settings.layout.charters}' does not exist in {settings.root} "
            "(run `aipo init` first, or pass --config / --root for an existing repository)"
        )
    for suffix in (".yaml", ".yml"):
        existing = charters / f"{model_id}{suffix}"
        if existing.exists():
            raise ConfigError(f"'{settings.layout.charters}/{existing.name}' already exists")
    schema_rel = None
    if (settings.root / "schema" / "charter.schema.json").is_file():
        schema_rel = posixpath.relpath("schema/charter.schema.json", settings.layout.charters)
    text = (
        _environment()
        .get_template("charter.yaml.j2")
        .render(
            model_id=model_id,
            name=name if name is not None else _title(model_id),
            since=since.isoformat(),
            schema=schema_rel,
        )
    )
    rel = f"{settings.layout.charters}/{model_id}.yaml"
    # The skeleton must pass validation: check it before anything is written.
    doc = parse_yaml(text.encode("utf-8"), rel)
    _, errors = validate_document(doc, Charter, "charter")
    if errors:
        raise ConfigError(f"cannot create {rel}: {errors[0].render()}")
    path = charters / f"{model_id}.yaml"
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"'{rel}' already exists") from None
    except OSError as e:
        raise ConfigError(f"cannot write '{rel}': {e.strerror or e}") from None
    return path
