"""Scaffolding: `aipo init` (a new governance repository), `aipo new` (a charter skeleton) and
`aipo schema` (the JSON Schemas editors complete charters with).

Templates are package data under ``aipo_site/cli/templates/``. Nothing here overwrites a file: init
refuses a non-empty folder (a fresh clone holding only ``.git`` counts as empty) unless ``--force``,
and even then keeps every file that already exists; new refuses an existing charter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import posixpath
import re
import subprocess
from dataclasses import dataclass, field
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from ..errors import ConfigError
from ..load.validate import validate_document
from ..load.yamlfile import parse_yaml
from ..model.charter import SLUG_PATTERN, Charter
from ..render.reference import SCHEMA_MODELS, schema_files
from .settings import Settings

__all__ = [
    "DISTRIBUTION",
    "SITE_URL_EXAMPLE",
    "WORKFLOW_PATH",
    "WORKFLOW_TEMPLATE",
    "InitResult",
    "aipo_requirement",
    "check_target",
    "example_metrics",
    "github_pages_url",
    "init_repository",
    "is_local_requirement",
    "new_charter",
    "normalise_site_url",
    "remote_site_url",
    "schema_files",
    "write_schemas",
]

# The name on the package index ("aipo" there is an unrelated project).
DISTRIBUTION = "aipo-portal"
# Hook for the CI workflow: when the package ships templates/workflow.yml, `aipo init` copies it.
WORKFLOW_TEMPLATE = "workflow.yml"
WORKFLOW_PATH = ".github/workflows/aipo.yml"
# The pull-request template GitHub shows in every new pull request (the repository's own copy,
# .github/pull_request_template.md, is the same file).
PR_TEMPLATE = "pull_request_template.md"
PR_TEMPLATE_PATH = ".github/pull_request_template.md"
CODEOWNERS_PATH = ".github/CODEOWNERS"  # written as `aipo codeowners` would
EXAMPLE_ID = "example-model"
_SLUG = re.compile(SLUG_PATTERN)
# What a site_url looks like on GitHub Pages (a project site is published under /REPO/).
SITE_URL_EXAMPLE = "https://OWNER.github.io/REPO/"


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


def write_schemas(folder: Path) -> list[Path]:
    """Write the JSON Schemas into ``folder`` (created if needed); return the paths written."""
    if folder.suffix == ".json" or folder.is_file():
        raise ConfigError(
            f"--output: '{folder}' is a file name; give the folder to write "
            f"{', '.join(SCHEMA_MODELS)} into"
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
        "go": ago(152),
        "retrained": ago(20),
        "weekly": ago(3),
        "monthly": ago(12),
        "quarterly": ago(45),
        "sunset_review": (as_of + dt.timedelta(days=365)).isoformat(),
        "action_due": (as_of + dt.timedelta(days=11)).isoformat(),
        "incident": ago(40),
        "incident_action": ago(33),
    }


def init_files(
    site_name: str,
    as_of: dt.date,
    requirement: str | None = None,
    *,
    pinned: bool = True,
    site_url: str | None = None,
) -> dict[str, str]:
    """Relative path -> content of every file of a new governance repository.

    ``site_url`` (already normalised, see :func:`normalise_site_url`) goes into mkdocs.yml; without
    it mkdocs.yml holds a commented placeholder that says what is missing.
    """
    env = _environment()
    context = {
        "site_name": site_name,
        "site_url": site_url,
        "site_url_example": SITE_URL_EXAMPLE,
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
        "content/people.yaml": _templates().joinpath("people.yaml").read_text("utf-8"),
        f"content/models/{EXAMPLE_ID}.yaml": env.get_template("example-model.yaml.j2").render(
            dates=_example_dates(as_of)
        ),
        f"content/reviews/{EXAMPLE_ID}-weekly-review.yaml": env.get_template(
            "example-review.yaml.j2"
        ).render(dates=_example_dates(as_of)),
        f"content/incidents/{EXAMPLE_ID}-nightly-batch.yaml": env.get_template(
            "example-incident.yaml.j2"
        ).render(dates=_example_dates(as_of)),
        f"metrics/{EXAMPLE_ID}/kpis.csv": example_metrics(as_of),
        PR_TEMPLATE_PATH: _templates().joinpath(PR_TEMPLATE).read_text("utf-8"),
    }
    charter = files[f"content/models/{EXAMPLE_ID}.yaml"]
    files[f"content/decisions/{EXAMPLE_ID}-production.yaml"] = env.get_template(
        "example-decision.yaml.j2"
    ).render(
        model_id=EXAMPLE_ID,
        date=_example_dates(as_of)["go"],
        sha256=hashlib.sha256(charter.encode("utf-8")).hexdigest(),
    )
    for name, text in schema_files().items():
        files[f"schema/{name}"] = text
    files[CODEOWNERS_PATH] = _codeowners(files)
    workflow = _templates().joinpath(WORKFLOW_TEMPLATE)
    if workflow.is_file():
        files[WORKFLOW_PATH] = workflow.read_text("utf-8")
    return files


def _codeowners(files: dict[str, str]) -> str:
    """The CODEOWNERS `aipo codeowners` writes for the new repository (at its git top)."""
    from ..model.inputs import Layout
    from ..model.people import PeopleDirectory
    from ..model.policy import Policy
    from .codeowners import build_codeowners

    layout = Layout()
    path = f"{layout.charters}/{EXAMPLE_ID}.yaml"

    def data(rel: str) -> object:
        return parse_yaml(files[rel].encode("utf-8"), rel).data

    charter = Charter.model_validate(data(path))
    people = PeopleDirectory.model_validate(data(layout.people))
    policy = Policy.model_validate(data(layout.policy))
    return build_codeowners([(path, charter)], policy, people, layout).text


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


# --- site_url: the address the portal is published at -----------------------------------------
# MkDocs links the 404 page's stylesheets, scripts and navigation from site_url's path (the page is
# served at any depth, so relative links cannot work there) and lists pages in sitemap.xml only
# under site_url. Without it both assume the portal sits at the root of its host.

# Characters a site_url may hold: RFC 3986's unreserved and reserved characters and %-escapes,
# without "?" and "#" (no query or fragment) and without quotes or angle brackets, which MkDocs
# writes into every page unescaped.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/@!$&'()*+,;=%\[\]]*")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_GITHUB_REMOTE = re.compile(
    r"(?:(?:https?|ssh|git|git\+ssh)://(?:[^@/]+@)?github\.com(?::\d+)?/|(?:[^@/:]+@)?github\.com:)"
    r"/?(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?",
    re.IGNORECASE,
)


def normalise_site_url(text: str) -> str:
    """``text`` as mkdocs.yml's ``site_url``: an absolute http:// or https:// URL with a host, no
    user name or password, query or fragment, whose path ends with "/"; the scheme and host in
    lower case. Raises :class:`ConfigError` (one line, saying what is wrong) otherwise."""

    def bad(reason: str) -> ConfigError:
        return ConfigError(
            f"expected the portal's address as an absolute http:// or https:// URL such as "
            f"{SITE_URL_EXAMPLE}, found {text!r}: {reason}"
        )

    value = text.strip()
    if not value:
        raise bad("it is empty")
    if "?" in value or "#" in value:
        raise bad("a site address has no query (?...) or fragment (#...)")
    if not _URL_CHARS.fullmatch(value):
        raise bad(
            "it holds a character a URL cannot (a space, quote, angle bracket, control or "
            "non-ASCII character); %-escape it"
        )
    if _PERCENT.search(value):
        raise bad("a '%' must start an escape such as %20")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not value[len(scheme) :].startswith("://"):
        raise bad("it does not start with http:// or https://")
    if not parts.hostname:
        raise bad("there is no host name after the scheme")
    if "@" in parts.netloc:
        raise bad("it holds a user name or password, which every page would publish")
    try:
        port = parts.port
    except ValueError:
        raise bad("the port is not a number from 0 to 65535") from None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{scheme}://{netloc}{path}"


def github_pages_url(remote: str) -> str | None:
    """The GitHub Pages address of the repository at git remote URL ``remote`` (HTTPS or SSH form,
    on github.com): ``https://owner.github.io/REPO/`` for a project, ``https://owner.github.io/``
    for the owner's own ``OWNER.github.io`` repository; None for any other host."""
    match = _GITHUB_REMOTE.fullmatch(remote.strip())
    if match is None or match["repo"] in (".", ".."):
        return None
    owner, repo = match["owner"].lower(), match["repo"]
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


def _git(folder: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, or it hangs
        return None
    return result.stdout if result.returncode == 0 else None


def remote_site_url(folder: Path) -> tuple[str, str] | None:
    """``(site_url, remote name)`` when ``folder`` (or, if it does not exist yet, the nearest
    folder above it) is in a git repository whose remote ``origin`` (else its only remote) is
    on GitHub; None otherwise, or when git is not installed."""
    start = folder.absolute()
    while not start.is_dir() and start != start.parent:
        start = start.parent
    names = (_git(start, "remote") or "").split()
    if "origin" in names:
        name = "origin"
    elif len(names) == 1:
        name = names[0]
    else:
        return None
    url = _git(start, "remote", "get-url", name)
    site_url = github_pages_url(url) if url else None
    return (site_url, name) if site_url else None


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
    site_url: str | None = None,
) -> InitResult:
    """Create a governance repository in ``folder`` that builds at once.

    Refuses a non-empty folder unless ``force``; with ``force`` every existing file is kept as it
    is (and reported), never overwritten. ``pinned``: mkdocs.yml evaluates as of ``as_of`` on
    every build; otherwise as of the day of each build (``$AIPO_AS_OF``, else today).
    ``site_url``: the address the portal is published at (normalised), written into mkdocs.yml.
    """
    check_target(folder, force=force)
    name = site_name or f"{_title(folder.resolve().name)} — AI governance portal"
    result = InitResult(folder)
    files = init_files(name, as_of, requirement, pinned=pinned, site_url=site_url)
    try:
        for rel, text in files.items():
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


def check_target(folder: Path, *, force: bool = False) -> None:
    """Raise :class:`ConfigError` unless `aipo init` may write into ``folder``: a new or empty
    folder (a fresh clone, holding only ``.git``, counts as empty), or with ``force`` any folder."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"'{folder}' exists and is not a folder")
    entries = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if entries and entries != [".git"] and not force:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise ConfigError(
            f"'{folder}' is not empty ({shown}); choose an empty or new folder, or pass --force "
            "to add the files that are missing (existing files are never overwritten)"
        )


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
