"""Read the `aipo` plugin's settings from mkdocs.yml without importing MkDocs.

Only ``aipo_site.mkdocs_plugin`` imports mkdocs, so the CLI reads mkdocs.yml itself, the way MkDocs
does as far as the plugin's options are concerned:

- ``!ENV NAME`` and ``!ENV [NAME, OTHER, default]`` are resolved from the environment exactly as
  MkDocs' ``yaml_env_tag`` does (the variable's text is typed by YAML's implicit resolvers; the
  default is an ordinary YAML value);
- ``!relative``, ``!!python/name:...`` (Material's emoji settings) and any other tag are kept as
  opaque values and never executed: they cannot be plugin options the CLI needs;
- ``INHERIT: base.yml`` is deep-merged like MkDocs does (mappings merged, everything else replaced);
- the ``aipo`` entry is found in ``plugins`` (a list of names or one-key mappings, or a mapping);
- paths are relative to the folder of mkdocs.yml, as in the plugin.

The defaults below mirror ``aipo_site/mkdocs_plugin/config.py``; a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from ..errors import ConfigError, InputError
from ..model.inputs import Layout

__all__ = [
    "CONFIG_NAMES",
    "PLUGIN_DEFAULTS",
    "Opaque",
    "Settings",
    "load_mkdocs_yaml",
    "read_settings",
]

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
PLUGIN_NAME = "aipo"
MAX_INHERIT = 10

# Option -> (default, accepted types). Mirrors AipoConfig in aipo_site/mkdocs_plugin/config.py.
PLUGIN_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "charters": "content/models",
    "policy": "content/policy.yaml",
    "metrics": "metrics",
    "people": "content/people.yaml",
    "decisions": "content/decisions",
    "reviews": "content/reviews",
    "incidents": "content/incidents",
    "sources": "content/sources.yaml",
    "as_of": None,
    "models_dir": "models",
    "dashboard": "dashboard.md",
    "dashboard_title": "Portfolio dashboard",
    "badges_dir": "badges",
    "assets_dir": "assets/aipo",
    "reference": True,
    "reference_dir": "reference",
    "people_dir": "people",
    "page_size": 100,
    "cache_dir": ".cache/aipo",
    "nav_section": "Models",
    "nav_group_by": "business_unit",
}
_TYPES: dict[str, tuple[type, ...]] = {
    "enabled": (bool,),
    "reference": (bool,),
    "as_of": (str, dt.date),
    "cache_dir": (str, bool),
}
_CHOICES = {"nav_group_by": ("business_unit", "stage", "none")}


@dataclass(frozen=True)
class Opaque:
    """A tagged YAML value the CLI does not interpret (``!relative``, ``!!python/name:...``)."""

    tag: str
    value: Any = None


class MkDocsLoader(yaml.SafeLoader):
    """A SafeLoader that understands mkdocs.yml's tags without executing any of them."""


def _construct_env(loader: MkDocsLoader, node: Node) -> Any:
    """``!ENV``, with the semantics of MkDocs' ``yaml_env_tag.construct_env_tag``."""
    default = None
    if isinstance(node, ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, SequenceNode):
        children = node.value
        if len(children) > 1:
            default = loader.construct_object(children[-1])
            children = children[:-1]
        names = [loader.construct_scalar(child) for child in children]
    else:
        raise yaml.constructor.ConstructorError(
            None, None, f"!ENV expects a name or a list, found a {node.id}", node.start_mark
        )
    for name in names:
        if isinstance(name, str) and name in os.environ:
            value = os.environ[name]
            tag = loader.resolve(ScalarNode, value, (True, False))
            return loader.construct_object(ScalarNode(tag, value))
    return default


def _construct_opaque(loader: MkDocsLoader, suffix: str, node: Node) -> Opaque:
    if isinstance(node, ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)  # type: ignore[arg-type]
    return Opaque(node.tag, value)


MkDocsLoader.add_constructor("!ENV", _construct_env)
MkDocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_opaque)
MkDocsLoader.add_multi_constructor("!", _construct_opaque)


def load_mkdocs_yaml(path: Path, _depth: int = 0) -> dict[str, Any]:
    """mkdocs.yml as plain data (``INHERIT`` applied); raises InputError with the line."""
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file '{shown}' does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(shown, f"cannot read the config file: {e}") from None
    try:
        data = yaml.load(text, Loader=MkDocsLoader)  # MkDocsLoader is a SafeLoader
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or str(e)
        if e.context and e.context not in problem:
            problem = f"{problem} ({e.context})"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise InputError(shown, f"invalid YAML: {problem}", line=line, column=column) from None
    except yaml.YAMLError as e:
        raise InputError(shown, f"invalid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(shown, f"expected a mapping at the top level, found {_kind(data)}")
    if "INHERIT" in data:
        if _depth >= MAX_INHERIT:
            raise ConfigError(f"{shown}: INHERIT is nested more than {MAX_INHERIT} levels deep")
        parent_ref = data.pop("INHERIT")
        if not isinstance(parent_ref, str):
            raise InputError(shown, "expected a file path", field="INHERIT")
        parent_path = path.parent / parent_ref
        if not parent_path.is_file():
            raise ConfigError(f"{shown}: INHERIT: inherited config file '{parent_ref}' not found")
        data = _merge(load_mkdocs_yaml(parent_path, _depth + 1), data)
    return data


def _merge(parent: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge as mergedeep's default (REPLACE) strategy: mappings merge, the rest is replaced."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Settings:
    """The plugin settings the CLI needs, with paths relative to ``root``."""

    root: Path
    config_file: Path | None
    plugin_found: bool
    options: dict[str, Any] = field(default_factory=lambda: dict(PLUGIN_DEFAULTS))
    layout: Layout = field(default_factory=Layout)
    unknown_options: tuple[str, ...] = ()

    @property
    def as_of(self) -> str | dt.date | None:
        """The plugin's ``as_of`` after ``!ENV`` (None when unset)."""
        return self.options.get("as_of")


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _kind(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"a value tagged {value.tag}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"


def find_config(root: Path | None) -> Path | None:
    """mkdocs.yml (or mkdocs.yaml) in ``root`` or the current folder, if there is one."""
    base = root if root is not None else Path.cwd()
    for name in CONFIG_NAMES:
        candidate = base / name
        if candidate.is_file():
            return candidate
    return None


def _plugin_entry(plugins: Any, shown: str) -> tuple[bool, Any]:
    """(found, options) for the aipo entry of mkdocs.yml's ``plugins``."""
    if plugins is None:
        return False, None
    if isinstance(plugins, dict):
        return (PLUGIN_NAME in plugins), plugins.get(PLUGIN_NAME)
    if not isinstance(plugins, list):
        raise InputError(
            shown, f"expected a list of plugins, found {_kind(plugins)}", field="plugins"
        )
    for item in plugins:
        if item == PLUGIN_NAME:
            return True, None
        if isinstance(item, dict) and PLUGIN_NAME in item:
            if len(item) != 1:
                raise InputError(
                    shown,
                    "a plugin entry with options must be a mapping with one key "
                    f"('{PLUGIN_NAME}: {{...}}')",
                    field="plugins",
                )
            return True, item[PLUGIN_NAME]
    return False, None


def _check_option(name: str, value: Any, shown: str) -> Any:
    default = PLUGIN_DEFAULTS[name]
    types = _TYPES.get(name, (type(default),))
    if name == "as_of" and value is None:
        return None
    if isinstance(value, dt.datetime) and name == "as_of":
        return value.date()
    # bool is an int subclass: reject it where text is expected, as MkDocs' Type(str) does.
    if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
        expected = " or ".join("text" if t is str else t.__name__ for t in types)
        raise InputError(
            shown,
            f"expected {expected}, found {_kind(value)}",
            field=f"plugins.{PLUGIN_NAME}.{name}",
        )
    choices = _CHOICES.get(name)
    if choices and value not in choices:
        raise InputError(
            shown,
            f"expected one of {', '.join(choices)}, found {value!r}",
            field=f"plugins.{PLUGIN_NAME}.{name}",
        )
    return value


def _rebase(path: str, config_dir: Path, root: Path) -> str:
    """A path relative to mkdocs.yml's folder, re-expressed relative to ``root`` (POSIX)."""
    if config_dir.resolve() == root.resolve():
        return posixpath.normpath(Path(path).as_posix())
    absolute = (config_dir / path).resolve()
    return Path(os.path.relpath(absolute, root.resolve())).as_posix()


def read_settings(
    config: str | Path | None = None,
    root: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The plugin settings for a CLI run.

    ``config`` is mkdocs.yml (default: ``<root>/mkdocs.yml`` or ``./mkdocs.yml`` when it exists;
    without one the plugin's defaults apply). ``root`` is the repository root the charters, policy
    and metrics are read from (default: the folder of mkdocs.yml, else the current folder).
    ``overrides`` (``charters``, ``policy``, ``metrics``, ``as_of``) come from CLI flags; their
    paths are relative to ``root``.
    """
    root_path = Path(root) if root is not None else None
    if root_path is not None and not root_path.is_dir():
        raise ConfigError(f"--root: '{root_path}' is not a folder")
    config_path = Path(config) if config is not None else find_config(root_path)
    if config is not None and not config_path.is_file():  # type: ignore[union-attr]
        raise ConfigError(f"config file '{config}' does not exist")
    options = dict(PLUGIN_DEFAULTS)
    found = False
    unknown: list[str] = []
    if config_path is not None:
        shown = _display(config_path)
        data = load_mkdocs_yaml(config_path)
        found, raw = _plugin_entry(data.get("plugins"), shown)
        if raw is not None and not isinstance(raw, dict):
            raise InputError(
                shown, f"expected a mapping of options, found {_kind(raw)}", field="plugins.aipo"
            )
        for name, value in (raw or {}).items():
            if name not in PLUGIN_DEFAULTS:
                unknown.append(str(name))
                continue
            options[name] = _check_option(name, value, shown)
        base = config_path.parent
    else:
        base = root_path if root_path is not None else Path.cwd()
    root_final = (root_path if root_path is not None else base).resolve()
    layout = Layout(
        charters=_rebase(options["charters"], base, root_final),
        policy=_rebase(options["policy"], base, root_final),
        metrics=_rebase(options["metrics"], base, root_final),
        people=_rebase(options["people"], base, root_final),
        decisions=_rebase(options["decisions"], base, root_final),
        reviews=_rebase(options["reviews"], base, root_final),
        incidents=_rebase(options["incidents"], base, root_final),
        sources=_rebase(options["sources"], base, root_final),
    )
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name == "as_of":
            options["as_of"] = value
        elif name in ("charters", "policy", "metrics"):
            options[name] = value
            layout = dataclasses.replace(layout, **{name: Path(value).as_posix()})
        else:  # pragma: no cover - programming error
            raise KeyError(name)
    return Settings(
        root=root_final,
        config_file=config_path,
        plugin_found=found,
        options=options,
        layout=layout,
        unknown_options=tuple(unknown),
    )


def suggest_option(name: str) -> str:
    """' (did you mean 'x'?)' for a misspelt plugin option, else ''."""
    close = difflib.get_close_matches(name, list(PLUGIN_DEFAULTS), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
